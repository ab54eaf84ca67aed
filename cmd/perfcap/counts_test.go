package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// A command that starts 1,500 short-lived processes: samples see a few of
// them, and every place that counts them says which count it gives. With
// perf recording, the count is exact; without, bounds hold the truth.
func TestProcessCountsOfShortLivedChildren(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 3,000 processes; skipped with -short")
	}
	const children = 1500
	loop := fmt.Sprintf(`i=0; while [ $i -lt %d ]; do /bin/true; i=$((i+1)); done`, children)
	const started = children + 1 // and sh itself
	_, perfErr := exec.LookPath("perf")
	for _, tc := range []struct {
		name string
		args []string
	}{{"perf", nil}, {"no-perf", []string{"--no-perf"}}} {
		t.Run(tc.name, func(t *testing.T) {
			r := perfcap(t, append(append([]string{"-q"}, tc.args...), "--", "sh", "-c", loop)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			s := r.summary
			t.Logf("%d seen in samples; started %d (%s), bounds %d to %d", s.Processes, s.ProcessesStarted, s.ProcessesStartedSource, s.ProcessesStartedMin, s.ProcessesStartedMax)
			recorded := tc.name == "perf" && perfErr == nil && perfOf(t, r.bundle)["recorded"] == true
			if recorded {
				if s.ProcessesStarted != started || s.ProcessesStartedSource != "perf" {
					t.Errorf("perf recorded: processes_started %d (%q), want exactly %d (\"perf\")", s.ProcessesStarted, s.ProcessesStartedSource, started)
				}
			} else if s.ProcessesStartedMin > started || s.ProcessesStartedMax < started || s.ProcessesStartedMin < s.Processes {
				t.Errorf("bounds %d to %d miss the %d processes started, or are below the %d seen", s.ProcessesStartedMin, s.ProcessesStartedMax, started, s.Processes)
			}
			if s.Processes > started || s.Processes < 1 {
				t.Errorf("%d processes seen in samples of a run that started %d", s.Processes, started)
			}

			text := s.ProcessesText()
			if !strings.Contains(text, fmt.Sprintf("%d seen in samples", s.Processes)) && !strings.Contains(text, fmt.Sprintf("%d processes seen in samples", s.Processes)) {
				t.Errorf("ProcessesText %q does not label the sampled count", text)
			}
			if code, out, _ := cli("inspect", r.bundle); code != 0 || !strings.Contains(out, " "+text+", at most") {
				t.Errorf("inspect does not say %q:\n%s", text, out)
			}
			files := readBundleFiles(t, r.bundle)
			if !strings.Contains(files["timeline.svg"], ", "+text+", peak CPU") {
				t.Errorf("timeline.svg's subtitle does not say %q", text)
			}
			if !strings.Contains(files["timeline.svg"], "sh (pid ") {
				t.Errorf("timeline.svg marks no start of the command sh")
			}
			want := fmt.Sprintf("每 100 ms 一次的采样中见到 %d 个（采样计数", s.Processes)
			if recorded {
				want = fmt.Sprintf("- 进程：共启动 %d 个（由 perf 记录的内核 fork 事件计数），每 100 ms 一次的采样中见到 %d 个；", started, s.Processes)
			}
			if !strings.Contains(files["report.md"], want) {
				t.Errorf("report.md lacks %q", want)
			}
		})
	}
}
