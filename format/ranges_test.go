package format

import (
	"math"
	"slices"
	"testing"
)

func TestSummaryProblems(t *testing.T) {
	ok := &Summary{Totals: Totals{WallSeconds: 1.5, CPUPercent: 180, PeakRSSBytes: 1 << 30, Samples: 10, FirstOutputSeconds: -1}}
	if bad := ok.Problems(); len(bad) != 0 {
		t.Errorf("a plausible summary has problems %q", bad)
	}
	hostile := &Summary{Totals: Totals{WallSeconds: math.NaN(), CPUPercent: -1, PeakRSSBytes: 1 << 63, Samples: -3, StdoutBytes: -1, FirstOutputSeconds: -1}}
	want := []string{"cpu_percent = -1", "peak_rss_bytes = 9223372036854775808", "samples = -3", "stdout_bytes = -1", "wall_seconds = NaN"}
	if got := hostile.Problems(); !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
}
