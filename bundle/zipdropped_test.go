package bundle

import (
	"strings"
	"testing"
)

// TestDroppedText: one line, the largest files named first, the rest counted.
func TestDroppedText(t *testing.T) {
	one := ZipReport{Dropped: []File{{Path: "perf/perf.data", Size: 30 << 20}}}
	if got := one.DroppedText(); !strings.Contains(got, "perf/perf.data (30.0 MiB)") {
		t.Errorf("one file: %q", got)
	}
	many := ZipReport{Dropped: []File{{Path: "a", Size: 1}, {Path: "b\nfake", Size: 5 << 20}, {Path: "c", Size: 3 << 20}, {Path: "d", Size: 4 << 20}, {Path: "e", Size: 2}}}
	got := many.DroppedText()
	if strings.Contains(got, "\n") || !strings.Contains(got, `5 files, 12.0 MiB in all ("b\nfake" 5.0 MiB, d 4.0 MiB, c 3.0 MiB, and 2 more)`) {
		t.Errorf("five files: %q", got)
	}
}
