package facts

import (
	"path/filepath"
	"reflect"
	"testing"
)

// The /proc and /sys trees under testdata/facts are fakes: each stands for
// a machine this one is not (bare metal with NVMe, an ARM board, a
// Docker-in-KVM guest, a server with many kinds of mounts). They hold plain
// files where sysfs has symbolic links, which the readers do not depend on.
func factsFixture(name string) string {
	return filepath.Join("testdata", "facts", name)
}

func TestFactsParseOSRelease(t *testing.T) {
	tests := []struct {
		name, root                 string
		wantName, wantID, wantVers string
	}{
		{"etc", "bare-nvme", "Ubuntu 24.04.1 LTS", "ubuntu", "24.04"},
		{"usr lib fallback", "vm-docker", "Debian GNU/Linux 12 (bookworm)", "debian", "12"},
		{"single quotes", "arm-board", "", "raspbian", "11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel, err := readOSRelease(factsFixture(tt.root))
			if err != nil {
				t.Fatal(err)
			}
			if rel["PRETTY_NAME"] != tt.wantName || rel["ID"] != tt.wantID || rel["VERSION_ID"] != tt.wantVers {
				t.Errorf("got %q %q %q, want %q %q %q", rel["PRETTY_NAME"], rel["ID"], rel["VERSION_ID"], tt.wantName, tt.wantID, tt.wantVers)
			}
		})
	}
	if _, err := readOSRelease(factsFixture("storage-mix")); err == nil {
		t.Error("readOSRelease without os-release: no error")
	}
}

func TestFactsUnquoteShell(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"Debian GNU/Linux"`, "Debian GNU/Linux"},
		{`'it''s'`, "it''s"},
		{`'a\b'`, `a\b`},
		{`"say \"hi\""`, `say "hi"`},
		{`plain`, "plain"},
		{`"`, `"`},
		{``, ``},
	}
	for _, tt := range tests {
		if got := unquoteShell(tt.in); got != tt.want {
			t.Errorf("unquoteShell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFactsGOARCH(t *testing.T) {
	tests := []struct{ machine, want string }{
		{"x86_64", "amd64"},
		{"aarch64", "arm64"},
		{"i686", "386"},
		{"armv7l", "arm"},
		{"riscv64", "riscv64"},
		{"loongarch64", "loong64"},
		{"sparc64", "sparc64"},
	}
	for _, tt := range tests {
		if got := goarchOf(tt.machine); got != tt.want {
			t.Errorf("goarchOf(%q) = %q, want %q", tt.machine, got, tt.want)
		}
	}
}

func TestFactsCPUInfo(t *testing.T) {
	tests := []struct {
		root              string
		model, vendor     string
		processors, cores int
		hypervisor        bool
		mhz               float64
	}{
		{"bare-nvme", "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz", "GenuineIntel", 4, 2, false, 2100},
		{"vm-docker", "AMD EPYC", "AuthenticAMD", 2, 2, true, 2596.15},
		{"arm-board", "Raspberry Pi 4 Model B Rev 1.1", "implementer 0x41", 4, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			info, err := readCPUInfo(factsFixture(tt.root))
			if err != nil {
				t.Fatal(err)
			}
			hv := false
			for _, f := range info.flags {
				hv = hv || f == "hypervisor"
			}
			if info.model != tt.model || info.vendor != tt.vendor || info.processors != tt.processors ||
				info.cores != tt.cores || hv != tt.hypervisor || info.mhz != tt.mhz {
				t.Errorf("got %+v", info)
			}
		})
	}
}

func TestFactsCPUInfoModelFallback(t *testing.T) {
	info := parseCPUInfo("processor : 0\nCPU implementer : 0x41\nCPU part : 0xd0c\n\nprocessor : 1\nCPU implementer : 0x51\nCPU part : 0x001\n")
	if info.model != "implementer 0x41 part 0xd0c" || info.processors != 2 {
		t.Errorf("got %+v", info)
	}
}

func TestFactsPhysicalCores(t *testing.T) {
	tests := []struct {
		root    string
		want    int
		wantErr bool
	}{
		{"bare-nvme", 2, false},
		{"vm-docker", 2, false},
		{"arm-board", 0, true},
	}
	for _, tt := range tests {
		got, err := countPhysicalCores(factsFixture(tt.root))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s: got %d, %v; want %d, error %v", tt.root, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFactsCPUFreq(t *testing.T) {
	got, err := readCPUFreq(factsFixture("bare-nvme"))
	want := cpuFreq{minMHz: 400, maxMHz: 4200, curMHz: 1900.123, governor: "powersave"}
	if err != nil || got != want {
		t.Errorf("bare-nvme: got %+v, %v; want %+v", got, err, want)
	}
	if _, err := readCPUFreq(factsFixture("vm-docker")); err != errNoCPUFreq {
		t.Errorf("vm-docker: got %v, want errNoCPUFreq", err)
	}
}

func TestFactsTurbo(t *testing.T) {
	tests := []struct{ root, want string }{
		{"bare-nvme", "on"},
		{"arm-board", "on"},
		{"vm-docker", ""},
	}
	for _, tt := range tests {
		got, err := readTurbo(factsFixture(tt.root))
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("%s: got %q, %v; want %q", tt.root, got, err, tt.want)
		}
	}
}

func TestFactsCaches(t *testing.T) {
	got, err := readCPUCaches(factsFixture("vm-docker"))
	if err != nil {
		t.Fatal(err)
	}
	want := []CacheFacts{
		{Name: "L1d", Level: 1, Type: "Data", Size: "32K", SizeBytes: 32 << 10, SharedCPUs: "0"},
		{Name: "L1i", Level: 1, Type: "Instruction", Size: "32K", SizeBytes: 32 << 10, SharedCPUs: "0"},
		{Name: "L2", Level: 2, Type: "Unified", Size: "1024K", SizeBytes: 1 << 20, SharedCPUs: "0"},
		{Name: "L3", Level: 3, Type: "Unified", Size: "32768K", SizeBytes: 32 << 20, SharedCPUs: "0-1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if _, err := readCPUCaches(factsFixture("arm-board")); err == nil {
		t.Error("arm-board has no cache dirs, want an error")
	}
}

func TestFactsCacheSize(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
	}{{"32K", 32 << 10}, {"2M", 2 << 20}, {"1G", 1 << 30}, {"512", 512}, {"", 0}, {"K", 0}, {"x2K", 0}}
	for _, tt := range tests {
		if got := parseCacheSize(tt.in); got != tt.want {
			t.Errorf("parseCacheSize(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestFactsTHP(t *testing.T) {
	tests := []struct{ root, want string }{
		{"bare-nvme", "madvise"},
		{"vm-docker", "always"},
		{"arm-board", ""}, // no brackets: malformed
		{"storage-mix", ""},
	}
	for _, tt := range tests {
		got, err := readTHP(factsFixture(tt.root))
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("%s: got %q, %v; want %q", tt.root, got, err, tt.want)
		}
	}
}

func TestFactsMountinfoUnescape(t *testing.T) {
	tests := []struct{ in, want string }{
		{`/mnt/with\040space`, "/mnt/with space"},
		{`/a\011b\134c`, "/a\tb\\c"},
		{`/trailing\04`, `/trailing\04`},
		{`/bad\9xx`, `/bad\9xx`},
		{`\040`, " "},
	}
	for _, tt := range tests {
		if got := unescapeMountinfo(tt.in); got != tt.want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFactsStorage(t *testing.T) {
	tests := []struct {
		root, dir string
		want      StorageFacts
	}{
		{"bare-nvme", "/home/u/vm", StorageFacts{
			MountPoint: "/", FSType: "ext4", Source: "/dev/nvme0n1p2",
			Device: "nvme0n1p2", Disks: []string{"nvme0n1"}, Kind: "nvme"}},
		{"bare-nvme", "/tmp/x", StorageFacts{
			MountPoint: "/tmp", FSType: "tmpfs", Source: "tmpfs", Kind: "tmpfs (memory)"}},
		{"vm-docker", "/work/main", StorageFacts{
			MountPoint: "/", FSType: "ext4", Source: "/dev/vda",
			Device: "vda", Disks: []string{"vda"}, Kind: "virtio (hdd)"}},
		{"vm-docker", "/mnt/my dir", StorageFacts{
			MountPoint: "/mnt/my dir", FSType: "tmpfs", Source: "none", Kind: "tmpfs (memory)"}},
		{"storage-mix", "/home/u", StorageFacts{
			MountPoint: "/", FSType: "xfs", Source: "/dev/mapper/vg-root",
			Device: "dm-0", Disks: []string{"sda", "sdd"}, Kind: "ssd, hdd"}},
		{"storage-mix", "/datax", StorageFacts{
			MountPoint: "/", FSType: "xfs", Source: "/dev/mapper/vg-root",
			Device: "dm-0", Disks: []string{"sda", "sdd"}, Kind: "ssd, hdd"}},
		{"storage-mix", "/data", StorageFacts{
			MountPoint: "/data", FSType: "ext4", Source: "/dev/sdb1",
			Device: "sdb1", Disks: []string{"sdb"}, Kind: "hdd"}},
		{"storage-mix", "/var/cache/zram/a", StorageFacts{
			MountPoint: "/var/cache/zram", FSType: "ext4", Source: "/dev/zram0",
			Device: "zram0", Disks: []string{"zram0"}, Kind: "zram (compressed RAM)"}},
		{"storage-mix", "/snap/core/1", StorageFacts{
			MountPoint: "/snap/core", FSType: "squashfs", Source: "/dev/loop0",
			Device: "loop0", Disks: []string{"loop0"}, Kind: "loop (file-backed: /var/lib/snapd/snaps/core_1.snap)"}},
		{"storage-mix", "/var/lib/docker/overlay2/x/merged/app", StorageFacts{
			MountPoint: "/var/lib/docker/overlay2/x/merged", FSType: "overlay", Source: "overlay",
			Disks: []string{"sdb"}, Kind: "overlay on hdd"}},
		{"storage-mix", "/mnt/nfs/a", StorageFacts{
			MountPoint: "/mnt/nfs", FSType: "nfs4", Source: "server:/export", Kind: "network (nfs4)"}},
		{"storage-mix", "/srv/btrfs", StorageFacts{
			MountPoint: "/srv/btrfs", FSType: "btrfs", Source: "/dev/sdc",
			Device: "sdc", Disks: []string{"sdc"}, Kind: "ssd"}},
		{"storage-mix", "/mnt/with space/x", StorageFacts{
			MountPoint: "/mnt/with space", FSType: "tmpfs", Source: "tmpfs", Kind: "tmpfs (memory)"}},
		{"storage-mix", "/srv/hidden/a", StorageFacts{
			MountPoint: "/srv/hidden", FSType: "tmpfs", Source: "tmpfs", Kind: "tmpfs (memory)"}},
		{"storage-mix", "/mnt/share", StorageFacts{
			MountPoint: "/mnt/share", FSType: "virtiofs", Source: "myshare", Kind: "host share (virtiofs)"}},
	}
	for _, tt := range tests {
		t.Run(tt.root+tt.dir, func(t *testing.T) {
			got, err := readStorage(factsFixture(tt.root), tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Dir = tt.dir
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
	if _, err := readStorage(factsFixture("arm-board"), "/"); err == nil {
		t.Error("no mountinfo: want an error")
	}
}

func TestFactsDiskKind(t *testing.T) {
	tests := []struct{ disk, want string }{
		{"nvme1n1", "nvme"},
		{"vda", "virtio (unknown)"},
		{"xvda", "xen (unknown)"},
		{"mmcblk0", "mmc (sd/emmc)"},
		{"md0", "md raid"},
		{"dm-3", "device-mapper"},
		{"ram0", "ramdisk (memory)"},
		{"loop7", "loop (file-backed)"},
		{"sdz", "unknown"},
	}
	for _, tt := range tests {
		if got := diskKind(factsFixture("storage-mix"), tt.disk); got != tt.want {
			t.Errorf("diskKind(%q) = %q, want %q", tt.disk, got, tt.want)
		}
	}
}

func TestFactsVirtualization(t *testing.T) {
	tests := []struct {
		name, root string
		sig        virtSignals
		want       VirtualizationFacts
	}{
		{"bare metal", "bare-nvme", virtSignals{}, VirtualizationFacts{
			Virtualization: "none",
			Evidence:       nil,
		}},
		{"docker in kvm", "vm-docker", virtSignals{gopsutilSystem: "docker", gopsutilRole: "guest"}, VirtualizationFacts{
			Container:      "docker",
			Virtualization: "qemu",
			Evidence: []string{
				"/.dockerenv exists", "/proc/self/cgroup mentions docker",
				"DMI: QEMU Standard PC (i440FX + PIIX, 1996)", "cpu flag hypervisor",
				"gopsutil: docker guest",
			},
		}},
		{"docker in kvm without systemd", "vm-docker", virtSignals{}, VirtualizationFacts{
			Container:      "docker",
			Virtualization: "qemu",
			Evidence: []string{
				"/.dockerenv exists", "/proc/self/cgroup mentions docker",
				"DMI: QEMU Standard PC (i440FX + PIIX, 1996)", "cpu flag hypervisor",
			},
		}},
		{"podman on a board", "arm-board", virtSignals{gopsutilSystem: "kvm", gopsutilRole: "host"}, VirtualizationFacts{
			Container:      "podman",
			Virtualization: "none",
			Evidence:       []string{"/run/.containerenv exists", "/proc/1/cgroup mentions podman", "gopsutil: kvm host"},
		}},
		{"only gopsutil", "storage-mix", virtSignals{gopsutilSystem: "xen", gopsutilRole: "guest"}, VirtualizationFacts{
			Virtualization: "xen",
			Evidence:       []string{"gopsutil: xen guest"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detectVirtualization(factsFixture(tt.root), tt.sig)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestFactsHypervisorFromDMI(t *testing.T) {
	tests := []struct{ vendor, product, want string }{
		{"QEMU", "Standard PC (Q35 + ICH9, 2009)", "qemu"},
		{"Red Hat", "KVM", "kvm"},
		{"VMware, Inc.", "VMware Virtual Platform", "vmware"},
		{"innotek GmbH", "VirtualBox", "oracle"},
		{"Microsoft Corporation", "Virtual Machine", "microsoft"},
		{"Microsoft Corporation", "Surface Laptop 4", ""},
		{"Amazon EC2", "m5.large", "amazon"},
		{"Amazon EC2", "m5.metal", ""},
		{"Google", "Google Compute Engine", "google"},
		{"Google", "Eve", ""},
		{"Xen", "HVM domU", "xen"},
		{"Dell Inc.", "PowerEdge R740", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := hypervisorFromDMI(tt.vendor, tt.product); got != tt.want {
			t.Errorf("hypervisorFromDMI(%q, %q) = %q, want %q", tt.vendor, tt.product, got, tt.want)
		}
	}
}

func TestFactsRustcVersion(t *testing.T) {
	tests := []struct {
		name, out string
		want      *RustcFacts
	}{
		{"stable", "rustc 1.95.0 (59807616e 2026-04-14)\nbinary: rustc\ncommit-hash: 59807616e1fa2540724bfbac14d7976d7e4a3860\ncommit-date: 2026-04-14\nhost: x86_64-unknown-linux-gnu\nrelease: 1.95.0\nLLVM version: 22.1.2\n",
			&RustcFacts{Version: "rustc 1.95.0 (59807616e 2026-04-14)", Release: "1.95.0",
				CommitHash: "59807616e1fa2540724bfbac14d7976d7e4a3860", CommitDate: "2026-04-14",
				Host: "x86_64-unknown-linux-gnu", LLVMVersion: "22.1.2"}},
		{"source build", "rustc 1.97.0-dev\nbinary: rustc\ncommit-hash: unknown\ncommit-date: unknown\nhost: aarch64-apple-darwin\nrelease: 1.97.0-dev\n",
			&RustcFacts{Version: "rustc 1.97.0-dev", Release: "1.97.0-dev", CommitHash: "unknown",
				CommitDate: "unknown", Host: "aarch64-apple-darwin"}},
		{"garbage", "error: toolchain 'nightly' is not installed\n", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRustcVersion(tt.out)
			if (err != nil) != (tt.want == nil) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestFactsToolchainOf(t *testing.T) {
	tests := []struct {
		argv           []string
		lang, selector string
	}{
		{[]string{"cargo", "bench"}, "rust", ""},
		{[]string{"/root/.cargo/bin/cargo", "+nightly", "bench"}, "rust", "+nightly"},
		{[]string{"rustup", "run", "1.80.0", "cargo", "bench"}, "rust", "+1.80.0"},
		{[]string{"rustup", "update"}, "rust", ""},
		{[]string{"cargo-criterion"}, "rust", ""},
		{[]string{"rustc", "-O", "x.rs"}, "rust", ""},
		{[]string{"go", "test", "-bench", "."}, "go", ""},
		{[]string{"sh", "-c", "cargo bench"}, "", ""},
		{[]string{"make", "bench"}, "", ""},
		{nil, "", ""},
	}
	for _, tt := range tests {
		lang, sel := toolchainOf(tt.argv)
		if lang != tt.lang || sel != tt.selector {
			t.Errorf("toolchainOf(%q) = %q, %q; want %q, %q", tt.argv, lang, sel, tt.lang, tt.selector)
		}
	}
}
