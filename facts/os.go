package facts

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/load"
)

// osSection reads os-release and uname. It does not use gopsutil's
// host.Info: that also reads the hostname and host id, which perfcap must
// not collect, and may run lsb_release behind Options.Run's back.
func (c *factsCollector) osSection(ctx context.Context) func(*Facts) {
	rel, relErr := readOSRelease(c.root)
	kernel, kernelErr := host.KernelVersionWithContext(ctx)
	arch, archErr := host.KernelArch()
	return func(f *Facts) {
		if relErr != nil {
			f.unknownErr("os.name", relErr)
		} else {
			f.OS.Name, f.OS.ID, f.OS.VersionID = rel["PRETTY_NAME"], rel["ID"], rel["VERSION_ID"]
			if f.OS.Name == "" {
				f.OS.Name = strings.TrimSpace(rel["NAME"] + " " + rel["VERSION"])
			}
		}
		if kernelErr != nil {
			f.unknownErr("os.kernel", kernelErr)
		}
		f.OS.Kernel = kernel
		if archErr != nil {
			f.unknownErr("os.arch", archErr)
		}
		f.OS.Arch, f.OS.GOARCH = arch, goarchOf(arch)
	}
}

// readOSRelease reads /etc/os-release below root, falling back to
// /usr/lib/os-release as os-release(5) says.
func readOSRelease(root string) (map[string]string, error) {
	var firstErr error
	for _, name := range []string{"etc/os-release", "usr/lib/os-release"} {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		return parseOSRelease(string(data)), nil
	}
	return nil, fmt.Errorf("reading os-release: %w", firstErr)
}

// parseOSRelease parses os-release's shell-like KEY=value lines, removing
// quotes and backslash escapes.
func parseOSRelease(data string) map[string]string {
	m := make(map[string]string)
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		m[key] = unquoteShell(val)
	}
	return m
}

// unquoteShell removes one level of shell quoting from an os-release value.
func unquoteShell(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		q := v[0]
		v = v[1 : len(v)-1]
		if q == '\'' {
			return v
		}
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// goarchOf names a kernel machine architecture the way GOARCH does; an
// architecture it does not know is returned unchanged.
func goarchOf(machine string) string {
	switch machine {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64", "aarch64_be":
		return "arm64"
	case "i386", "i486", "i586", "i686", "x86":
		return "386"
	case "riscv64":
		return "riscv64"
	case "ppc64le":
		return "ppc64le"
	case "ppc64":
		return "ppc64"
	case "s390x":
		return "s390x"
	case "loongarch64":
		return "loong64"
	case "mips64":
		return "mips64"
	}
	if strings.HasPrefix(machine, "armv") {
		return "arm"
	}
	return machine
}

// systemSection reads the load average and the kernel settings that decide
// what perf may see.
func (c *factsCollector) systemSection(ctx context.Context) func(*Facts) {
	avg, loadErr := load.AvgWithContext(ctx)
	paranoid, paranoidErr := factsReadInt(c.root, "proc/sys/kernel/perf_event_paranoid")
	kptr, kptrErr := factsReadInt(c.root, "proc/sys/kernel/kptr_restrict")
	return func(f *Facts) {
		if loadErr != nil {
			f.unknownErr("system.load_average", loadErr)
		} else {
			f.System.LoadAverage = []float64{avg.Load1, avg.Load5, avg.Load15}
		}
		if paranoidErr != nil {
			f.unknownErr("system.perf_event_paranoid", paranoidErr)
		} else {
			f.System.PerfEventParanoid = &paranoid
		}
		if kptrErr != nil {
			f.unknownErr("system.kptr_restrict", kptrErr)
		} else {
			f.System.KptrRestrict = &kptr
		}
	}
}

// factsReadInt reads a /proc or /sys file below root holding one integer.
func factsReadInt(root, path string) (int, error) {
	s, err := factsReadFile(root, path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("reading /%s: %w", path, err)
	}
	return n, nil
}
