package flame

import (
	"fmt"
	"strings"
	"testing"
)

// TestFoldWindows folds perf script text whose samples are apart in time
// into windows: each window holds exactly the samples of its spans, in
// the one pass that folds the whole text, with its own profile.
func TestFoldWindows(t *testing.T) {
	var b strings.Builder
	// One sample a second from t=100 to t=109, in main → fN, N the second.
	for i := range 10 {
		fmt.Fprintf(&b, "bench 42/42 %d.000000: 1000000 cpu-clock:\n\t    %x f%d+0x1 (/bin/bench)\n\t    1000 main+0x5 (/bin/bench)\n\n", 100+i, 0x2000+i, i)
	}
	windows := []Window{
		{Spans: []Span{{101, 103}}},             // f1, f2
		{Spans: []Span{{103, 104}, {107, 120}}}, // f3, f7, f8, f9
		{Spans: []Span{{0, 1000}}},              // everything, overlapping the others
		{Spans: []Span{{200, 300}}},             // nothing
		{Spans: []Span{{105, 106}, {105, 106}}}, // f5 once, though two spans hold it
	}
	pd, err := FoldScriptProfile(strings.NewReader(b.String()), "test", PerfDataOptions{Profile: true, Windows: windows})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"f1 f2", "f3 f7 f8 f9", "f0 f1 f2 f3 f4 f5 f6 f7 f8 f9", "", "f5"}
	if len(pd.Windows) != len(want) {
		t.Fatalf("%d windows, want %d", len(pd.Windows), len(want))
	}
	for i, w := range pd.Windows {
		var got []string
		var n int64
		for _, s := range w.Stacks {
			got = append(got, s.Frames[len(s.Frames)-1])
			n += s.Count
		}
		if strings.Join(got, " ") != want[i] || n != int64(len(got)) || w.Stats.Samples != len(got) {
			t.Errorf("window %d holds %q (%d samples), want %q", i, got, n, want[i])
		}
		if (w.Profile != nil) != (len(got) > 0) || w.Profile != nil && len(w.Profile.Sample) != len(got) {
			t.Errorf("window %d: profile %v for %d stacks", i, w.Profile != nil, len(got))
		}
	}
	if pd.Stats.Samples != 10 || len(pd.Stacks) != 10 {
		t.Errorf("the whole fold has %d samples in %d stacks, want 10 in 10", pd.Stats.Samples, len(pd.Stacks))
	}
}
