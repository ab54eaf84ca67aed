package main

import (
	"fmt"
	"io"

	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/units"
)

// printSummary writes the few lines a user reads after a run; path is
// the bundle, "" when none was written.
func printSummary(w io.Writer, path string, s *format.Totals) {
	fmt.Fprintf(w, "perfcap: wall %.2fs  cpu %.2fs user + %.2fs sys (%.0f%%)  peak rss %s (largest process %s)  exit %d",
		s.WallSeconds, s.UserSeconds, s.SysSeconds, s.CPUPercent,
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
