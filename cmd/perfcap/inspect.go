package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/units"
)

type inspectOptions struct {
	io     *iostreams.IOStreams
	path   string
	asJSON bool
}

func newInspectCmd(io *iostreams.IOStreams) *cobra.Command {
	opts := &inspectOptions{io: io}
	cmd := &cobra.Command{
		Use:   "inspect BUNDLE",
		Short: "Print a bundle's manifest and summary",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.path = args[0]
			return runInspect(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.asJSON, "json", false, "print {\"manifest\": ..., \"summary\": ...} as JSON")
	return cmd
}

func runInspect(opts *inspectOptions) error {
	m, err := bundle.ReadManifest(opts.path)
	if err != nil {
		return err
	}
	raw, err := bundle.ReadFile(opts.path, "summary.json")
	if err != nil {
		return err
	}
	var sum format.Summary
	if err := json.Unmarshal(raw, &sum); err != nil {
		return fmt.Errorf("%s: summary.json: %w", opts.path, err)
	}
	s := sum.Totals
	if opts.asJSON {
		enc := json.NewEncoder(opts.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Manifest bundle.Manifest `json:"manifest"`
			Summary  json.RawMessage `json:"summary"`
		}{m, raw})
	}
	tw := tabwriter.NewWriter(opts.io.Out, 0, 4, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s:\t%s\n", k, fmt.Sprintf(format, a...)) }
	row("command", "%s", strings.Join(m.Command, " "))
	row("directory", "%s", m.Cwd)
	row("started", "%s", m.Started.Local().Format(time.RFC3339))
	row("exit", "%s", describeExit(m.Exit, m.Interrupted))
	row("wall", "%.3f s", s.WallSeconds)
	if report.CPUPercentMeasurable(s) {
		row("cpu", "%.3f s user, %.3f s sys (%.0f%% of one core)", s.UserSeconds, s.SysSeconds, s.CPUPercent)
	} else {
		row("cpu", "%.4f s user, %.4f s sys (no %% of a core: the run was under %.0f ms)", s.UserSeconds, s.SysSeconds, report.MinWallForCPUPercent*1000)
	}
	row("peak rss", "%s tree, %s largest process (pid %d)", units.FormatSize(int64(s.PeakRSSBytes)), units.FormatSize(int64(s.MaxProcessRSSBytes)), s.MaxProcessRSSPID)
	row("processes", "%s, at most %d at once, %s", s.ProcessesText(), s.MaxProcesses, report.Plural(int64(s.MaxThreads), "thread", "threads"))
	if s.FirstOutputSeconds >= 0 {
		row("first output", "%.3f s", s.FirstOutputSeconds)
	}
	row("samples", "%d every %v (%d of %d on schedule)", s.Samples, time.Duration(s.IntervalSeconds*float64(time.Second)), s.OnSchedule, s.ExpectedSamples)
	if ws := sum.Watch; ws != nil {
		g := ws.Growth
		row("watch", "%s, ended: %s; %s, %s, %s; fds %d (max %d)", ws.Mode, ws.Ended, report.Plural(int64(ws.Restarts), "restart", "restarts"),
			report.Plural(int64(len(ws.Alerts)), "alert", "alerts"), report.Plural(int64(len(ws.Snapshots)), "snapshot", "snapshots"), ws.LastFDs, ws.MaxFDs)
		row("memory", "%s %+.3g MiB/h (%.3g to %.3g) since %s; RSS %s → %s", g.Verdict, g.MiBPerHour, g.LowMiBPerHour, g.HighMiBPerHour,
			units.FormatElapsed(g.Since.Seconds()), units.FormatSize(int64(ws.FirstRSSBytes)), units.FormatSize(int64(ws.LastRSSBytes)))
		for _, a := range ws.Alerts {
			row("alert", "%s at %s: %s (snapshot %s)", a.Rule, units.FormatElapsed(a.T), a.Message, filepath.Base(a.Snapshot))
		}
	}
	row("perfcap", "%s", m.PerfcapVersion)
	for _, w := range s.Warnings {
		row("warning", "%s", w)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(opts.io.Out, "\n%s:\n", report.Plural(int64(len(m.Files)), "file", "files"))
	tw = tabwriter.NewWriter(opts.io.Out, 0, 4, 2, ' ', tabwriter.AlignRight)
	for _, f := range m.Files {
		fmt.Fprintf(tw, "  %s\t  %s\t\n", units.FormatSize(f.Size), f.Path)
	}
	return tw.Flush()
}

// describeExit says how the command ended, in words.
func describeExit(e bundle.Exit, interrupted bool) string {
	if e.Code < 0 && e.Signal == "" {
		return "unknown: perfcap was killed before the command ended"
	}
	s := fmt.Sprintf("code %d", e.Code)
	if e.Signal != "" {
		s += " (killed by " + e.Signal + ")"
	}
	if interrupted {
		s += ", interrupted"
	}
	return s
}
