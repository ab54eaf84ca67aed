package main

import (
	"fmt"
	"io"

	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/units"
)

// printSummary writes the few lines a user reads after a run (path is
// the bundle, "" when none was written). The CPU is
// a percentage of one core only when the run was long enough for one
// (report.MinWallForCPUPercent).
func printSummary(w io.Writer, path string, s *format.Totals) {
	share := fmt.Sprintf("%.0f%%", s.CPUPercent)
	if !report.CPUPercentMeasurable(*s) {
		share = fmt.Sprintf("no %% of a core under %.0f ms", report.MinWallForCPUPercent*1000)
	}
	fmt.Fprintf(w, "perfcap: wall %s  cpu %s user + %s sys (%s)  peak rss %s (largest process %s)  exit %d",
		shortSeconds(s.WallSeconds), shortSeconds(s.UserSeconds), shortSeconds(s.SysSeconds), share,
		units.FormatSize(int64(s.PeakRSSBytes)), units.FormatSize(int64(s.MaxProcessRSSBytes)), s.ExitCode)
	if s.Signal != "" {
		fmt.Fprintf(w, " (%s)", s.Signal)
	}
	fmt.Fprintln(w)
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "perfcap: warning: %s\n", warn)
	}
	if path != "" {
		fmt.Fprintf(w, "perfcap: bundle %s\n", path)
	}
}

// shortSeconds writes a duration in seconds as "4.66s", or "3.2ms" under
// a tenth of a second, where two decimals of a second would read 0.00s.
func shortSeconds(s float64) string {
	if s < 0.1 {
		return fmt.Sprintf("%.1fms", s*1000)
	}
	return fmt.Sprintf("%.2fs", s)
}
