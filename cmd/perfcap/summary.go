package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture"
)

// printSummary writes the few lines a user reads after a run.
func printSummary(w io.Writer, path string, s *capture.Summary) {
	fmt.Fprintf(w, "perfcap: wall %.2fs  cpu %.2fs user + %.2fs sys (%.0f%%)  peak rss %s (largest process %s)  exit %d",
		s.WallSeconds, s.UserSeconds, s.SysSeconds, s.CPUPercent,
		capture.FormatSize(int64(s.PeakRSSBytes)), capture.FormatSize(int64(s.MaxProcessRSSBytes)), s.ExitCode)
	if s.Signal != "" {
		fmt.Fprintf(w, " (%s)", s.Signal)
	}
	fmt.Fprintln(w)
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "perfcap: warning: %s\n", warn)
	}
	fmt.Fprintf(w, "perfcap: bundle %s\n", path)
}

// plainReport is report.md: the run's figures and the machine, in plain
// Markdown, until the issue template is filled in full.
func plainReport(m *bundle.Manifest, res *capture.Result, perf *perfSummary, facts *capture.Facts) []byte {
	var b bytes.Buffer
	s := &res.Summary
	fmt.Fprintf(&b, "# perfcap: `%s`\n\n", strings.Join(m.Command, " "))
	fmt.Fprintf(&b, "Run in `%s`, started %s, %s.\n\n", m.Cwd, m.Started.Format(time.RFC3339), describeExit(m.Exit, m.Interrupted))
	b.WriteString("| metric | value | how it was measured |\n|---|---|---|\n")
	row := func(k, v, how string) { fmt.Fprintf(&b, "| %s | %s | %s |\n", k, v, how) }
	row("wall time", fmt.Sprintf("%.3f s", s.WallSeconds), "monotonic clock, start to exit")
	row("CPU", fmt.Sprintf("%.3f s user + %.3f s sys (%.0f%% of one core)", s.UserSeconds, s.SysSeconds, s.CPUPercent), "rusage of every reaped process of the tree")
	row("peak RSS (tree)", capture.FormatSize(int64(s.PeakRSSBytes)), fmt.Sprintf("largest summed RSS over %d samples", s.Samples))
	row("peak RSS (one process)", capture.FormatSize(int64(s.MaxProcessRSSBytes)), s.MaxProcessRSSSource)
	if s.FirstOutputSeconds >= 0 {
		row("first output", fmt.Sprintf("%.3f s", s.FirstOutputSeconds), "start to the first byte on stdout or stderr")
	}
	row("page faults", fmt.Sprintf("%d minor, %d major", s.MinorFaults, s.MajorFaults), "rusage")
	row("context switches", fmt.Sprintf("%d voluntary, %d involuntary", s.VoluntaryContextSwitches, s.InvoluntaryContextSwitch), "rusage")
	row("processes", fmt.Sprintf("%d (at most %d at once)", s.Processes, s.MaxProcesses), "/proc samples")
	row("machine CPU by others", fmt.Sprintf("%.1f%%", s.OtherCPUPercent), "/proc/stat minus the tree's CPU")
	if perf != nil && perf.Hot != nil {
		fmt.Fprintf(&b, "\n## Hot functions\n\n%d CPU samples (%s at %d Hz, call graph %s); flamegraph in `perf/flame.svg`.\n\n| self | total | function |\n|---|---|---|\n",
			perf.Samples, perf.Event, perf.Freq, perf.CallGraph)
		for _, f := range perf.Hot.BySelf {
			fmt.Fprintf(&b, "| %.1f%% | %.1f%% | `%s` |\n", f.SelfShare*100, f.TotalShare*100, f.Name)
		}
	}
	if len(s.Warnings) > 0 {
		b.WriteString("\n## Warnings\n\n")
		for _, w := range s.Warnings {
			fmt.Fprintf(&b, "- %s\n", w)
		}
	}
	if facts != nil {
		b.WriteString("\n## Environment\n\n```\n")
		_ = facts.WriteText(&b)
		b.WriteString("```\n")
	}
	b.WriteString("\n## Files\n\n`summary.json` (totals), `timeline.csv` (tree per sample), `process_samples.csv` (each process per sample), `processes.csv` (each process), `env.json` (machine and toolchain), `stdout.log`, `stderr.log`; with perf: `perf/flame.svg`, `perf/folded.txt`, `perf/profile.pb.gz`, `perf/perf.log`.\n")
	return b.Bytes()
}
