package main

import (
	"regexp"
	"strings"
	"testing"
)

// pluralOfOne finds a count of one followed by a plural noun.
var pluralOfOne = regexp.MustCompile(`\b1 (processes|samples|files|threads|restarts|alerts|snapshots|warnings|rows|functions|perf samples)\b`)

// TestShortRunText runs a real 1 ms command (true) and a 300 ms one under
// perfcap and reads every text output: the short run's CPU is given in
// seconds without a percentage of a core (one the data cannot support),
// the longer run's with it, and no count of one is in the plural.
func TestShortRunText(t *testing.T) {
	for _, tt := range []struct {
		name    string
		argv    []string
		percent bool
	}{
		{"true", []string{"true"}, false},
		{"burn 300ms", []string{workloadBin, "burn", "300ms"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := perfcap(t, append([]string{"--no-perf", "--lang", "en", "--"}, tt.argv...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if tt.percent != (r.summary.WallSeconds >= 0.1) {
				t.Fatalf("wall %v s: the test expects the other case", r.summary.WallSeconds)
			}
			_, inspect, _ := cli("inspect", r.bundle)
			files := readBundleFiles(t, r.bundle)
			_, zh, _ := cli("report", "--lang", "zh", r.bundle)
			outputs := map[string]string{"stderr": r.stderr, "inspect": inspect, "report.md": files["report.md"], "report zh": zh, "timeline.svg": files["timeline.svg"]}
			share := map[string]*regexp.Regexp{
				"stderr":    regexp.MustCompile(`sys \(\d+%\)`),
				"inspect":   regexp.MustCompile(`\d+% of one core`),
				"report.md": regexp.MustCompile(`\d+\.\d% of one core`),
				"report zh": regexp.MustCompile(`单核的 \d+\.\d%`),
			}
			for name, re := range share {
				if got := re.MatchString(outputs[name]); got != tt.percent {
					t.Errorf("%s: CPU percentage shown %v, want %v:\n%s", name, got, tt.percent, outputs[name])
				}
			}
			if !tt.percent {
				for name, want := range map[string]string{"stderr": "no % of a core under 100 ms", "inspect": "no % of a core", "report.md": "no percentage", "report zh": "不给出"} {
					if !strings.Contains(outputs[name], want) {
						t.Errorf("%s does not say why there is no percentage (%q)", name, want)
					}
				}
			}
			for name, out := range outputs {
				if m := pluralOfOne.FindString(out); m != "" {
					t.Errorf("%s: %q", name, m)
				}
			}
		})
	}
}
