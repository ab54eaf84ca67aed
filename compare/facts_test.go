package compare

import (
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
)

func factsRun(f *facts.Facts, argv ...string) *Run {
	return &Run{Summary: &format.Summary{}, Facts: f, Manifest: bundle.Manifest{Command: argv, PerfcapVersion: "perfcap v1"}}
}

// TestCompareFacts: what differs is listed most important first, machine
// facts are marked, what both share or neither knows is not listed.
func TestCompareFacts(t *testing.T) {
	yes, no := true, false
	base := &facts.Facts{
		Git:         &facts.GitFacts{Commit: "aaaa", Dirty: &no},
		Cargo:       &facts.CargoFacts{Package: "vm", Version: "0.1.0", Profiles: map[string]map[string]facts.ProfileSetting{"release": {"lto": {Value: "false"}, "opt-level": {Value: "3"}}}},
		Toolchain:   facts.ToolchainFacts{Rustc: &facts.RustcFacts{Release: "1.94.0"}, Cargo: "cargo 1.94.0"},
		CPU:         facts.CPUFacts{Model: "AMD EPYC", LogicalCores: 2, Governor: "performance"},
		OS:          facts.OSFacts{Kernel: "6.1"},
		Environment: map[string]string{"RUSTFLAGS": "-Ctarget-cpu=native", "LANG": "C"},
	}
	cur := &facts.Facts{
		Git:         &facts.GitFacts{Commit: "bbbb", Dirty: &yes},
		Cargo:       &facts.CargoFacts{Package: "vm", Version: "0.2.0", Profiles: map[string]map[string]facts.ProfileSetting{"release": {"lto": {Value: "fat"}, "opt-level": {Value: "3"}}}},
		Toolchain:   facts.ToolchainFacts{Rustc: &facts.RustcFacts{Release: "1.95.0"}, Cargo: "cargo 1.94.0"},
		CPU:         facts.CPUFacts{Model: "Intel Xeon", LogicalCores: 2, Governor: "powersave"},
		OS:          facts.OSFacts{Kernel: "6.1"},
		Environment: map[string]string{"LANG": "C", "CARGO_PROFILE_RELEASE_LTO": "fat"},
	}
	changes := compareFacts(factsRun(base, "cargo", "bench"), factsRun(cur, "cargo", "bench"))
	var got []string
	for _, c := range changes {
		s := c.Key + "=" + c.Base + "→" + c.New
		if c.Machine {
			s += "!"
		}
		got = append(got, s)
	}
	want := []string{
		"git.commit=aaaa→bbbb", "git.dirty=false→true", "cargo.version=0.1.0→0.2.0", "toolchain.rustc=1.94.0→1.95.0",
		"cargo.profile.release.lto=false→fat",
		"env.CARGO_PROFILE_RELEASE_LTO=→fat", "env.RUSTFLAGS=-Ctarget-cpu=native→",
		"cpu.model=AMD EPYC→Intel Xeon!", "cpu.governor=performance→powersave",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if m := machineDiffers(changes); m != "cpu.model" {
		t.Errorf("machine differs in %q, want cpu.model", m)
	}
	// A fact one bundle does not know is listed, but does not make the
	// machines differ.
	unknown := compareFacts(factsRun(base), factsRun(&facts.Facts{}))
	if m := machineDiffers(unknown); m != "" {
		t.Errorf("unknown facts make the machines differ: %q", m)
	}
	if same := compareFacts(factsRun(base, "x"), factsRun(base, "x")); len(same) != 0 {
		t.Errorf("a bundle against itself: %+v", same)
	}
	if cmd := compareFacts(factsRun(base, "qemu", "-m", "1G"), factsRun(base, "ourvm", "-m", "1G")); len(cmd) != 1 || cmd[0].Key != "command" {
		t.Errorf("two commands: %+v", cmd)
	}
}
