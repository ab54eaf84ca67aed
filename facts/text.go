package facts

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WriteText writes the facts for people, as titled sections of aligned
// "key: value" lines, for `perfcap env`. A fact listed in Unknown shows as
// "unknown (reason)".
func (f *Facts) WriteText(w io.Writer) error {
	t := &factsText{f: f, w: w, shown: make(map[string]bool)}

	t.section("collection",
		factsRow{"collected", "", f.Collected.Format(time.RFC3339)},
		factsRow{"took", "", strconv.FormatFloat(f.CollectionMS, 'f', 1, 64) + " ms"})
	arch := f.OS.Arch
	if f.OS.GOARCH != "" && f.OS.GOARCH != arch {
		arch += " (" + f.OS.GOARCH + ")"
	}
	t.section("os",
		factsRow{"name", "os.name", f.OS.Name},
		factsRow{"version id", "os.name", f.OS.VersionID},
		factsRow{"kernel", "os.kernel", f.OS.Kernel},
		factsRow{"arch", "os.arch", arch})

	c := f.CPU
	freq := func(mhz float64) string {
		if mhz == 0 {
			return ""
		}
		return strconv.FormatFloat(mhz, 'f', 0, 64) + " MHz"
	}
	rows := []factsRow{
		{"model", "cpu.model", c.Model},
		{"vendor", "cpu.model", c.Vendor},
		{"logical cores", "cpu.logical_cores", factsInt(c.LogicalCores)},
		{"physical cores", "cpu.physical_cores", factsInt(c.PhysicalCores)},
		{"min frequency", "cpu.min_mhz", freq(c.MinMHz)},
		{"max frequency", "cpu.max_mhz", freq(c.MaxMHz)},
		{"current frequency", "cpu.current_mhz", factsJoin(freq(c.CurrentMHz), c.FrequencySource)},
		{"governor", "cpu.governor", c.Governor},
		{"turbo", "cpu.turbo", c.Turbo},
		{"hypervisor flag", "cpu.hypervisor_flag", strconv.FormatBool(c.HypervisorFlag)},
	}
	for _, cache := range c.Caches {
		rows = append(rows, factsRow{cache.Name + " cache", "cpu.caches",
			factsJoin(cache.Size, factsShared(cache.SharedCPUs))})
	}
	t.section("cpu", rows...)

	m := f.Memory
	swap := ""
	if m.SwapTotalBytes > 0 || f.Unknown["memory.swap_total_bytes"] == "" {
		swap = fmt.Sprintf("%s total, %s free", factsBytes(m.SwapTotalBytes), factsBytes(m.SwapFreeBytes))
	}
	t.section("memory",
		factsRow{"total", "memory.total_bytes", factsBytesOrEmpty(m.TotalBytes)},
		factsRow{"available", "memory.total_bytes", factsBytesOrEmpty(m.AvailableBytes)},
		factsRow{"swap", "memory.swap_total_bytes", swap},
		factsRow{"transparent hugepages", "memory.transparent_hugepages", m.TransparentHugePages})

	if s := f.Storage; s != nil {
		t.section("storage",
			factsRow{"dir", "", s.Dir},
			factsRow{"mount point", "", s.MountPoint},
			factsRow{"filesystem", "", s.FSType},
			factsRow{"source", "", s.Source},
			factsRow{"device", "", s.Device},
			factsRow{"disks", "", strings.Join(s.Disks, ", ")},
			factsRow{"kind", "", s.Kind})
	}

	v := f.Virtualization
	t.section("virtualization",
		factsRow{"container", "", v.Container},
		factsRow{"virtualization", "", v.Virtualization},
		factsRow{"evidence", "", strings.Join(v.Evidence, "; ")})

	s := f.System
	load := ""
	if len(s.LoadAverage) == 3 {
		load = fmt.Sprintf("%.2f %.2f %.2f", s.LoadAverage[0], s.LoadAverage[1], s.LoadAverage[2])
	}
	t.section("system",
		factsRow{"load average", "system.load_average", load},
		factsRow{"perf_event_paranoid", "system.perf_event_paranoid", factsIntPtr(s.PerfEventParanoid)},
		factsRow{"kptr_restrict", "system.kptr_restrict", factsIntPtr(s.KptrRestrict)})

	tc := f.Toolchain
	rows = nil
	if rc := tc.Rustc; rc != nil {
		rows = append(rows,
			factsRow{"rustc", "", rc.Version},
			factsRow{"rustc host", "", rc.Host},
			factsRow{"rustc LLVM", "", rc.LLVMVersion})
	} else {
		rows = append(rows, factsRow{"rustc", "toolchain.rustc", ""})
	}
	rows = append(rows,
		factsRow{"cargo", "toolchain.cargo", tc.Cargo},
		factsRow{"go", "toolchain.go", tc.Go},
		factsRow{"gcc", "toolchain.gcc", tc.GCC},
		factsRow{"clang", "toolchain.clang", tc.Clang})
	t.section("toolchain", rows...)

	if g := f.Git; g != nil {
		dirty := ""
		if g.Dirty != nil {
			dirty = strconv.FormatBool(*g.Dirty)
		}
		t.section("git",
			factsRow{"commit", "git.commit", g.Commit},
			factsRow{"branch", "git.commit", g.Branch},
			factsRow{"dirty", "git.dirty", dirty})
	}

	if cg := f.Cargo; cg != nil {
		t.section("cargo",
			factsRow{"manifest", "", cg.Manifest},
			factsRow{"workspace root", "", cg.WorkspaceRoot},
			factsRow{"package", "", cg.Package},
			factsRow{"version", "", cg.Version},
			factsRow{"active profile", "", cg.ActiveProfile},
			factsRow{"config files", "", strings.Join(cg.ConfigFiles, ", ")},
			factsRow{"rustflags", "", factsJoin(cg.Rustflags, cg.RustflagsSource)},
			factsRow{"target rustflags", "", factsJoinMap(cg.TargetRustflags)},
			factsRow{"env overrides", "", factsJoinMap(cg.EnvOverrides)},
			factsRow{"errors", "", strings.Join(cg.Errors, "; ")})
		for _, name := range slices.Sorted(maps.Keys(cg.Profiles)) {
			settings := cg.Profiles[name]
			rows = nil
			for _, k := range slices.Sorted(maps.Keys(settings)) {
				rows = append(rows, factsRow{k, "", settings[k].Value + " (" + settings[k].Source + ")"})
			}
			t.section("cargo profile "+name, rows...)
		}
	}

	if len(f.Environment) > 0 {
		rows = nil
		for _, k := range slices.Sorted(maps.Keys(f.Environment)) {
			rows = append(rows, factsRow{k, "", f.Environment[k]})
		}
		t.section("environment", rows...)
	}

	rows = nil
	for _, k := range slices.Sorted(maps.Keys(f.Unknown)) {
		if !t.shown[k] {
			rows = append(rows, factsRow{k, "", f.Unknown[k]})
		}
	}
	t.section("unknown", rows...)

	if t.err != nil {
		return fmt.Errorf("writing facts: %w", t.err)
	}
	return nil
}

// factsRow is one "key: value" line; unknown names the Facts.Unknown entry
// that explains an empty value.
type factsRow struct {
	key, unknown, value string
}

// factsText writes sections and keeps the first write error.
type factsText struct {
	f     *Facts
	w     io.Writer
	err   error
	shown map[string]bool // Unknown entries already shown inline
}

// section writes a title and its non-empty rows aligned on the colon; a
// section without rows is left out.
func (t *factsText) section(title string, rows ...factsRow) {
	var kept []factsRow
	width := 0
	for _, r := range rows {
		if r.value == "" && r.unknown != "" {
			if reason, ok := t.f.Unknown[r.unknown]; ok {
				r.value = "unknown (" + reason + ")"
				t.shown[r.unknown] = true
			}
		}
		if r.value != "" {
			kept = append(kept, r)
			width = max(width, len(r.key))
		}
	}
	if len(kept) == 0 || t.err != nil {
		return
	}
	var b strings.Builder
	b.WriteString(title + "\n")
	for _, r := range kept {
		fmt.Fprintf(&b, "  %-*s %s\n", width+1, r.key+":", r.value)
	}
	b.WriteString("\n")
	_, t.err = io.WriteString(t.w, b.String())
}

// factsBytes writes a byte count in binary units.
func factsBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// factsBytesOrEmpty is factsBytes, with zero left empty.
func factsBytesOrEmpty(n uint64) string {
	if n == 0 {
		return ""
	}
	return factsBytes(n)
}

// factsInt writes n, with zero left empty.
func factsInt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// factsIntPtr writes *p, with nil left empty.
func factsIntPtr(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

// factsJoin writes "a (b)", or whichever of a and b is there alone
// as "a".
func factsJoin(a, b string) string {
	switch {
	case a == "":
		return ""
	case b == "":
		return a
	}
	return a + " (" + b + ")"
}

// factsShared describes a cache's shared CPU list.
func factsShared(list string) string {
	if list == "" {
		return ""
	}
	return "shared by CPUs " + list
}

// factsJoinMap writes a map as "k=v, k=v" in key order.
func factsJoinMap(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}
