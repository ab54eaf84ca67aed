package timeline

import (
	"strconv"
	"strings"
	"testing"
)

// TestSubtitleCounts renders the recorded demo run with one, two and all
// of its processes: the subtitle counts them in correct English, labelled
// as seen in samples, and a single-sample bucket's tooltip says "1
// sample". Given the summary's count, the subtitle shows that instead.
func TestSubtitleCounts(t *testing.T) {
	opts := demoOptions(t)
	all := opts.Processes
	if len(all) < 3 {
		t.Fatalf("the demo has %d processes", len(all))
	}
	for _, n := range []int{1, 2, len(all)} {
		opts.Processes = all[:n]
		svg := string(render(t, readFile(t, "testdata/demo-timeline.csv", DefaultBuckets), opts))
		want := ", 1 process seen in samples, "
		if n > 1 {
			want = ", " + strconv.Itoa(n) + " processes seen in samples, "
		}
		if !strings.Contains(svg, want) {
			t.Errorf("%d processes: subtitle without %q", n, want)
		}
		if strings.Contains(svg, "(1 samples)") || strings.Contains(svg, " 1 processes") {
			t.Errorf("%d processes: a count of one in the plural", n)
		}
		if !strings.Contains(svg, "(1 sample)") {
			t.Errorf("no single-sample tooltip says \"(1 sample)\"")
		}
	}
}

func TestSubtitleTakesTheSummarysCount(t *testing.T) {
	opts := demoOptions(t)
	opts.ProcessCount = "1501 processes started (perf), 4 seen in samples"
	svg := string(render(t, readFile(t, "testdata/demo-timeline.csv", DefaultBuckets), opts))
	if !strings.Contains(svg, ", 1501 processes started (perf), 4 seen in samples, peak CPU") {
		t.Errorf("the subtitle does not give the summary's count:\n%.600s", svg)
	}
}
