package format

import "testing"

func TestSetProcessesStarted(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		atLeast, atMost, count int
		exact                  bool
		started                int
		source                 string
		min, max               int
		text                   string
	}{
		{"perf counted all", 30, 1578, 1501, true, 1501, "perf", 1501, 1501, "1501 processes started (perf), 30 seen in samples"},
		{"perf lost events", 30, 1578, 1400, false, 0, "", 1400, 1578, "30 processes seen in samples, 1400 to 1578 started"},
		{"perf below what was seen", 31, 1578, 20, true, 0, "", 31, 1578, "30 processes seen in samples, 31 to 1578 started"},
		{"no perf", 30, 1578, 0, false, 0, "", 30, 1578, "30 processes seen in samples, 30 to 1578 started"},
		{"bounds meet", 30, 30, 0, false, 30, "bounds", 30, 30, "30 processes started, 30 seen in samples"},
		{"bound below what was seen", 30, 12, 0, false, 30, "bounds", 30, 30, "30 processes started, 30 seen in samples"},
		{"no bound", 30, 0, 0, false, 0, "", 30, 0, "30 processes seen in samples"},
	} {
		s := Totals{Processes: 30}
		s.SetProcessesStarted(tc.atLeast, tc.atMost, tc.count, tc.exact)
		if s.ProcessesStarted != tc.started || s.ProcessesStartedSource != tc.source || s.ProcessesStartedMin != tc.min || s.ProcessesStartedMax != tc.max {
			t.Errorf("%s: started %d %q, bounds %d to %d; want %d %q, %d to %d", tc.name,
				s.ProcessesStarted, s.ProcessesStartedSource, s.ProcessesStartedMin, s.ProcessesStartedMax, tc.started, tc.source, tc.min, tc.max)
		}
		if got := s.ProcessesText(); got != tc.text {
			t.Errorf("%s: ProcessesText %q, want %q", tc.name, got, tc.text)
		}
	}
	one := Totals{Processes: 1}
	if got := one.ProcessesText(); got != "1 process seen in samples" {
		t.Errorf("one process: %q", got)
	}
}
