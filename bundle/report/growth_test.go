package report

import (
	"strings"
	"testing"
)

// A watch's verdict fills the observed-problem line and a metrics row, in
// the report's language; a run without one shows neither.
func TestMemoryGrowthFigures(t *testing.T) {
	g := &Growth{Detected: true, Verdict: "growing", BytesPerSecond: 10 << 20 / 3600.0,
		LowBytesPerSecond: 9 << 20 / 3600.0, HighBytesPerSecond: 11 << 20 / 3600.0,
		SinceSeconds: 300, UntilSeconds: 3600, Reason: "significant rise (p=1e-09) of at least 9 MiB/h, above 1 MiB/h"}
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"zh", []string{"- 内存增长判定: 增长（growing），斜率 +10 MiB/h（区间 +9 MiB/h 至 +11 MiB/h）", "| 内存增长 | +10 MiB/h（增长（growing）） |"}},
		{"en", []string{"- Memory growth: growing, slope +10 MiB/h (interval +9 MiB/h to +11 MiB/h)", "| Memory growth | +10 MiB/h (growing) |"}},
	} {
		d := fixture()
		d.MemoryGrowth = g
		doc := renderString(t, d, tc.lang)
		for _, w := range tc.want {
			if !strings.Contains(doc, w) {
				t.Errorf("%s report lacks %q", tc.lang, w)
			}
		}
		d = fixture()
		if doc := renderString(t, d, tc.lang); strings.Contains(doc, "MiB/h") {
			t.Errorf("%s report of a run shows a growth rate", tc.lang)
		}
	}
}
