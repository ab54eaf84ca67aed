package report

import (
	"math"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/format"
)

// TestWriteInspect: what inspect prints of a bundle is escaped, cut and
// range-checked, since every string and figure came from the bundle.
func TestWriteInspect(t *testing.T) {
	m := bundle.Manifest{
		Command: []string{"cargo", "bench\n\x1b[2Jfake: line"},
		Cwd:     strings.Repeat("é", MaxShown), // cut inside no rune
		Exit:    bundle.Exit{Code: 137, Signal: "SIGKILL"},
		Files:   []bundle.File{{Path: "summary.json", Size: 2048}, {Path: "logs/\x07bell", Size: 5}},
	}
	sum := &format.Summary{}
	sum.Totals = format.Totals{WallSeconds: 2, UserSeconds: math.NaN(), CPUPercent: 50,
		PeakRSSBytes: math.MaxUint64, MaxProcesses: -3, Samples: 20, ExpectedSamples: 20, OnSchedule: 20, IntervalSeconds: 0.1}
	var b strings.Builder
	if err := WriteInspect(&b, m, sum); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`bench\n\x1b[2Jfake: line`, // one escaped word, not two lines
		"code 137 (killed by SIGKILL)",
		"invalid (NaN) user",
		"invalid (18446744073709551615) tree",
		"at most invalid (-3) at once",
		"20 every 100ms (20 of 20 on schedule)",
		"more bytes)",
		`logs/\abell`,
		"2 files:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect does not say %q:\n%s", want, out)
		}
	}
	for _, c := range out {
		if c < ' ' && c != '\n' {
			t.Fatalf("a control character %q reached the terminal:\n%q", c, out)
		}
	}
	if got := describeExit(bundle.Exit{Code: -1}, false); got != "unknown: perfcap was killed before the command ended" {
		t.Errorf("a bundle recovered after perfcap was killed: exit %q", got)
	}
}

// TestShowArgvCut: a command line of a million words prints a bounded line.
func TestShowArgvCut(t *testing.T) {
	argv := make([]string, 1_000_000)
	for i := range argv {
		argv[i] = "word"
	}
	got := ShowArgv(argv)
	if len(got) > 2*MaxShown || !strings.HasSuffix(got, "more words)") {
		t.Errorf("ShowArgv of %d words: %d bytes, ends %q", len(argv), len(got), got[len(got)-30:])
	}
}
