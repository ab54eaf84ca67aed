package timeline

import (
	"strconv"
	"strings"
	"testing"
)

// TestSubtitleCounts renders the recorded demo run with one, two and all
// of its processes: the subtitle counts them in correct English, and a
// single-sample bucket's tooltip says "1 sample".
func TestSubtitleCounts(t *testing.T) {
	opts := demoOptions(t)
	all := opts.Processes
	if len(all) < 3 {
		t.Fatalf("the demo has %d processes", len(all))
	}
	for _, n := range []int{1, 2, len(all)} {
		opts.Processes = all[:n]
		svg := string(render(t, readFile(t, "testdata/demo-timeline.csv", DefaultBuckets), opts))
		want := ", 1 process, "
		if n > 1 {
			want = ", " + strconv.Itoa(n) + " processes, "
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
