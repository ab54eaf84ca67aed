package compare

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/facts"
)

// FactChange is one fact that differs between two bundles.
type FactChange struct {
	// Key names the fact ("git.commit", "cargo.profile.release.lto"). Its
	// JSON name is "fact": a bundle's redaction hides the value of any
	// "key" field.
	Key string `json:"fact"`
	// Base and New are the values; "" when a bundle does not know it.
	Base string `json:"base"`
	New  string `json:"new"`
	// Machine is set for the facts that say which machine ran: CPU model,
	// cores, memory, virtualization. Numbers taken on two machines
	// compare the machines as much as the code.
	Machine bool `json:"machine,omitempty"`
}

// fact is one fact of a bundle as compareFacts reads it.
type fact struct {
	key     string
	machine bool
	get     func(m *manifestFacts) string
}

// manifestFacts is what compareFacts reads: env.json and the manifest's
// command and perfcap version.
type manifestFacts struct {
	env     *facts.Facts
	command string
	perfcap string
}

func (m *manifestFacts) cargo() *facts.CargoFacts {
	if m.env == nil || m.env.Cargo == nil {
		return &facts.CargoFacts{}
	}
	return m.env.Cargo
}

func (m *manifestFacts) facts() *facts.Facts {
	if m.env == nil {
		return &facts.Facts{}
	}
	return m.env
}

// factOrder lists the facts compared, most important first: what code
// ran (commit, version), what built it (toolchain, profile, flags), then
// the machine.
var factOrder = []fact{
	{"git.commit", false, func(m *manifestFacts) string {
		if g := m.facts().Git; g != nil {
			return g.Commit
		}
		return ""
	}},
	{"git.dirty", false, func(m *manifestFacts) string {
		if g := m.facts().Git; g != nil && g.Dirty != nil {
			return fmt.Sprint(*g.Dirty)
		}
		return ""
	}},
	{"cargo.package", false, func(m *manifestFacts) string { return m.cargo().Package }},
	{"cargo.version", false, func(m *manifestFacts) string { return m.cargo().Version }},
	{"command", false, func(m *manifestFacts) string { return m.command }},
	{"toolchain.rustc", false, func(m *manifestFacts) string {
		if r := m.facts().Toolchain.Rustc; r != nil {
			return strings.TrimSpace(r.Release + " " + r.CommitHash)
		}
		return ""
	}},
	{"toolchain.cargo", false, func(m *manifestFacts) string { return m.facts().Toolchain.Cargo }},
	{"toolchain.go", false, func(m *manifestFacts) string { return m.facts().Toolchain.Go }},
	{"toolchain.gcc", false, func(m *manifestFacts) string { return m.facts().Toolchain.GCC }},
	{"toolchain.clang", false, func(m *manifestFacts) string { return m.facts().Toolchain.Clang }},
	{"cargo.active_profile", false, func(m *manifestFacts) string { return m.cargo().ActiveProfile }},
	// Cargo profiles and the environment are expanded key by key below.
	{"cargo.rustflags", false, func(m *manifestFacts) string { return m.cargo().Rustflags }},
	{"cpu.model", true, func(m *manifestFacts) string { return m.facts().CPU.Model }},
	{"cpu.logical_cores", true, func(m *manifestFacts) string { return itoa0(m.facts().CPU.LogicalCores) }},
	{"cpu.physical_cores", true, func(m *manifestFacts) string { return itoa0(m.facts().CPU.PhysicalCores) }},
	{"memory.total_bytes", true, func(m *manifestFacts) string { return u64(m.facts().Memory.TotalBytes) }},
	{"virtualization", true, func(m *manifestFacts) string {
		v := m.facts().Virtualization
		return strings.Trim(v.Virtualization+" "+v.Container, " ")
	}},
	{"cpu.governor", false, func(m *manifestFacts) string { return m.facts().CPU.Governor }},
	{"cpu.turbo", false, func(m *manifestFacts) string { return m.facts().CPU.Turbo }},
	{"cpu.max_mhz", false, func(m *manifestFacts) string { return mhz(m.facts().CPU.MaxMHz) }},
	{"os.kernel", false, func(m *manifestFacts) string { return m.facts().OS.Kernel }},
	{"os.name", false, func(m *manifestFacts) string { return m.facts().OS.Name }},
	{"memory.transparent_hugepages", false, func(m *manifestFacts) string { return m.facts().Memory.TransparentHugePages }},
	{"perfcap", false, func(m *manifestFacts) string { return m.perfcap }},
}

func itoa0(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func u64(n uint64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func mhz(f float64) string {
	if f == 0 {
		return ""
	}
	return fmt.Sprintf("%.0f", f)
}

// compareFacts lists the facts that differ, in factOrder with the Cargo
// profile settings after the active profile and the allowlisted
// environment (RUSTFLAGS, GOFLAGS, CARGO_PROFILE_*...) after the Rust
// flags. A fact neither bundle knows is not listed.
func compareFacts(base, cur *Run) []FactChange {
	b := &manifestFacts{env: base.Facts, command: report.ShellJoin(base.Manifest.Command), perfcap: base.Manifest.PerfcapVersion}
	n := &manifestFacts{env: cur.Facts, command: report.ShellJoin(cur.Manifest.Command), perfcap: cur.Manifest.PerfcapVersion}
	var out []FactChange
	add := func(key string, machine bool, bv, nv string) {
		if bv != nv {
			out = append(out, FactChange{Key: key, Base: bv, New: nv, Machine: machine})
		}
	}
	for _, f := range factOrder {
		add(f.key, f.machine, f.get(b), f.get(n))
		switch f.key {
		case "cargo.active_profile":
			for _, k := range profileKeys(b.cargo(), n.cargo()) {
				prof, setting, _ := strings.Cut(k, "\x00")
				add("cargo.profile."+prof+"."+setting, false,
					b.cargo().Profiles[prof][setting].Value, n.cargo().Profiles[prof][setting].Value)
			}
		case "cargo.rustflags":
			be, ne := b.facts().Environment, n.facts().Environment
			keys := slices.Sorted(maps.Keys(be))
			for k := range ne {
				if _, ok := be[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				add("env."+k, false, be[k], ne[k])
			}
		}
	}
	return out
}

// profileKeys lists "profile\x00setting" for every Cargo profile setting
// either bundle has, sorted.
func profileKeys(b, n *facts.CargoFacts) []string {
	set := map[string]bool{}
	for _, c := range []*facts.CargoFacts{b, n} {
		for prof, settings := range c.Profiles {
			for k := range settings {
				set[prof+"\x00"+k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// machineDiffers names the machine facts that differ, "" when none does.
func machineDiffers(changes []FactChange) string {
	var keys []string
	for _, c := range changes {
		if c.Machine && c.Base != "" && c.New != "" {
			keys = append(keys, c.Key)
		}
	}
	return strings.Join(keys, ", ")
}
