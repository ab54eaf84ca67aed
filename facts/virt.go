package facts

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shirou/gopsutil/v4/host"
)

// VirtualizationFacts says whether perfcap runs in a container or a virtual
// machine, and why it thinks so.
type VirtualizationFacts struct {
	// Container names the container runtime ("docker", "podman",
	// "kubernetes", "lxc", "containerd"...); empty when none was detected.
	Container string `json:"container,omitempty"`
	// Virtualization names the hypervisor ("kvm", "qemu", "vmware",
	// "microsoft", "amazon"...), "vm" when only the CPU's hypervisor flag
	// tells, or "none".
	Virtualization string `json:"virtualization"`
	// Evidence lists what the verdicts rest on, one finding per entry.
	Evidence []string `json:"evidence,omitempty"`
}

// virtSignals is everything virtualization detection looks at.
type virtSignals struct {
	gopsutilSystem string // gopsutil host.Virtualization system
	gopsutilRole   string // and role ("guest" or "host")
}

// virtualizationSection reads the files that betray containers and
// hypervisors. systemd-detect-virt is not run: it reads the same files, and
// its two runs cost more CPU than the rest of perfcap's start-up together.
func (c *factsCollector) virtualizationSection(ctx context.Context) func(*Facts) {
	var sig virtSignals
	sig.gopsutilSystem, sig.gopsutilRole, _ = host.VirtualizationWithContext(ctx)
	v := detectVirtualization(c.root, sig)
	return func(f *Facts) { f.Virtualization = v }
}

// detectVirtualization weighs the signals: marker files and cgroup paths for containers, DMI vendor strings and the
// CPU's hypervisor flag for virtual machines, gopsutil last.
func detectVirtualization(root string, sig virtSignals) VirtualizationFacts {
	var v VirtualizationFacts
	note := func(s string) { v.Evidence = append(v.Evidence, s) }

	var containers []string
	if factsExists(root, ".dockerenv") {
		note("/.dockerenv exists")
		containers = append(containers, "docker")
	}
	if factsExists(root, "run/.containerenv") {
		note("/run/.containerenv exists")
		containers = append(containers, "podman")
	}
	for _, path := range []string{"proc/1/cgroup", "proc/self/cgroup"} {
		data, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			continue
		}
		if rt := containerInCgroup(string(data)); rt != "" {
			note("/" + path + " mentions " + rt)
			containers = append(containers, rt)
		}
	}
	if len(containers) > 0 {
		v.Container = containers[0]
	}

	var vms []string
	vendor, _ := factsReadFile(root, "sys/class/dmi/id/sys_vendor")
	product, _ := factsReadFile(root, "sys/class/dmi/id/product_name")
	if hv := hypervisorFromDMI(vendor, product); hv != "" {
		note("DMI: " + strings.TrimSpace(vendor+" "+product))
		vms = append(vms, hv)
	}
	if info, err := readCPUInfo(root); err == nil && slices.Contains(info.flags, "hypervisor") {
		note("cpu flag hypervisor")
		vms = append(vms, "vm")
	}
	if sig.gopsutilSystem != "" {
		note("gopsutil: " + strings.TrimSpace(sig.gopsutilSystem+" "+sig.gopsutilRole))
		if sig.gopsutilRole == "guest" && !isContainerRuntime(sig.gopsutilSystem) {
			vms = append(vms, sig.gopsutilSystem)
		}
	}
	v.Virtualization = "none"
	if len(vms) > 0 {
		v.Virtualization = vms[0]
	}
	return v
}

// containerInCgroup names the container runtime a /proc/PID/cgroup file
// points at, or returns "".
func containerInCgroup(cgroup string) string {
	for _, rt := range []struct{ marker, name string }{
		{"kubepods", "kubernetes"},
		{"libpod", "podman"},
		{"docker", "docker"},
		{"containerd", "containerd"},
		{"lxc", "lxc"},
	} {
		if strings.Contains(cgroup, rt.marker) {
			return rt.name
		}
	}
	return ""
}

// isContainerRuntime tells gopsutil's container verdicts from hypervisors.
func isContainerRuntime(system string) bool {
	switch system {
	case "docker", "lxc", "rkt", "openvz", "linux-vserver", "podman", "containerd", "kubernetes":
		return true
	}
	return false
}

// hypervisorFromDMI names the hypervisor from DMI's system vendor and
// product, in systemd-detect-virt's words, or returns "". Vendors that also
// sell hardware (Microsoft, Google, Amazon) count only with the product
// their virtual machines report, so a Surface or a Chromebook is not a VM.
func hypervisorFromDMI(vendor, product string) string {
	has := func(s, sub string) bool { return strings.Contains(strings.ToLower(s), sub) }
	switch {
	case has(vendor, "amazon ec2") && !strings.HasSuffix(product, ".metal"):
		return "amazon"
	case has(product, "google compute engine"):
		return "google"
	case has(product, "kvm"):
		return "kvm"
	case has(vendor, "qemu") || has(product, "qemu"):
		return "qemu"
	case has(vendor, "vmware") || has(product, "vmware"):
		return "vmware"
	case has(vendor, "innotek") || has(product, "virtualbox"):
		return "oracle"
	case has(vendor, "microsoft") && has(product, "virtual machine"):
		return "microsoft"
	case has(vendor, "xen") || has(product, "hvm domu"):
		return "xen"
	case has(vendor, "parallels"):
		return "parallels"
	case has(vendor, "bochs"):
		return "bochs"
	case has(product, "openstack"):
		return "openstack"
	}
	return ""
}

// factsExists tells whether path below root exists.
func factsExists(root, path string) bool {
	_, err := os.Stat(filepath.Join(root, path))
	return err == nil
}
