package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/compare"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/termsafe"
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

// readBundle reads a bundle's manifest and summary.json, and env.json
// with withEnv, in one pass, each bounded in size and in what decoding it
// may allocate.
func readBundle(path string, withEnv bool) (bundle.Manifest, *format.Summary, map[string][]byte, error) {
	want := map[string]int64{"summary.json": format.MaxSummarySize}
	if withEnv {
		want["env.json"] = facts.MaxJSONSize
	}
	m, files, err := bundle.ReadJSONFiles(path, want)
	if err != nil {
		return bundle.Manifest{}, nil, nil, err
	}
	sum, err := format.ReadSummary(bytes.NewReader(files["summary.json"]))
	if err != nil {
		return bundle.Manifest{}, nil, nil, fmt.Errorf("%s: %w", termsafe.Text(path), err)
	}
	return m, sum, files, nil
}

// runInspect prints a bundle's manifest and summary. Every string in them
// came from the bundle, so each is escaped (termsafe), and every figure
// outside its range (see format.ValidBytes) reads "invalid" rather than "-8.0 EiB".
func runInspect(opts *inspectOptions) error {
	if listed, err := bundle.ReadManifest(opts.path); err == nil && isDiffBundle(listed) {
		return inspectDiff(opts, listed)
	}
	m, sum, files, err := readBundle(opts.path, false)
	if err != nil {
		return err
	}
	if opts.asJSON {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Manifest bundle.Manifest `json:"manifest"`
			Summary  json.RawMessage `json:"summary"`
		}{m, files["summary.json"]}); err != nil {
			return err
		}
		_, err := opts.io.Out.Write(termsafe.JSON(b.Bytes()))
		return err
	}
	s := sum.Totals
	tw := tabwriter.NewWriter(opts.io.Out, 0, 4, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s:\t%s\n", k, fmt.Sprintf(format, a...)) }
	row("command", "%s", showArgv(m.Command))
	row("directory", "%s", show(m.Cwd))
	row("started", "%s", m.Started.Local().Format(time.RFC3339))
	row("exit", "%s", describeExit(m.Exit, m.Interrupted))
	row("wall", "%s", showSeconds(s.WallSeconds))
	if report.CPUPercentMeasurable(s) || !format.ValidSeconds(s.WallSeconds) {
		row("cpu", "%s user, %s sys (%s of one core)", showSeconds(s.UserSeconds), showSeconds(s.SysSeconds), showPercent(s.CPUPercent))
	} else {
		row("cpu", "%s user, %s sys (no %% of a core: the run was under %.0f ms)", showSecs(s.UserSeconds, 4), showSecs(s.SysSeconds, 4), report.MinWallForCPUPercent*1000)
	}
	row("peak rss", "%s tree, %s largest process (pid %s)", showBytes(s.PeakRSSBytes), showBytes(s.MaxProcessRSSBytes), showCount(s.MaxProcessRSSPID))
	row("processes", "%s, at most %s at once, %s", showProcesses(s), showCount(s.MaxProcesses), showPlural(s.MaxThreads, "thread", "threads"))
	if s.FirstOutputSeconds != -1 {
		row("first output", "%s", showSeconds(s.FirstOutputSeconds))
	}
	interval := showSeconds(s.IntervalSeconds)
	if format.ValidSeconds(s.IntervalSeconds) {
		interval = time.Duration(s.IntervalSeconds * float64(time.Second)).String()
	}
	row("samples", "%s every %s (%s of %s on schedule)", showCount(s.Samples), interval, showCount(s.OnSchedule), showCount(s.ExpectedSamples))
	if ws := sum.Watch; ws != nil {
		g := ws.Growth
		row("watch", "%s, ended: %s; %s, %s, %s; fds %s (max %s)", show(ws.Mode), show(ws.Ended), showPlural(ws.Restarts, "restart", "restarts"),
			report.Plural(int64(len(ws.Alerts)), "alert", "alerts"), report.Plural(int64(len(ws.Snapshots)), "snapshot", "snapshots"), showCount(ws.LastFDs), showCount(ws.MaxFDs))
		row("memory", "%s %s MiB/h (%s to %s) since %s; RSS %s → %s", show(g.Verdict), showRate(g.MiBPerHour, "%+.3g"), showRate(g.LowMiBPerHour, "%.3g"), showRate(g.HighMiBPerHour, "%.3g"),
			showElapsed(g.Since.Seconds()), showBytes(ws.FirstRSSBytes), showBytes(ws.LastRSSBytes))
		for _, a := range ws.Alerts {
			row("alert", "%s at %s: %s (snapshot %s)", show(a.Rule), showElapsed(a.T), show(a.Message), show(filepath.Base(a.Snapshot)))
		}
	}
	row("perfcap", "%s", show(m.PerfcapVersion))
	for _, w := range s.Warnings {
		row("warning", "%s", show(w))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return printFiles(opts.io.Out, m.Files)
}

// inspectDiff prints what a `perfcap diff -o` bundle is and holds; its
// comparison is diff.json (`perfcap inspect --json` prints it), its report
// `perfcap report`'s.
func inspectDiff(opts *inspectOptions, m bundle.Manifest) error {
	if opts.asJSON {
		m, files, err := bundle.ReadJSONFiles(opts.path, map[string]int64{compare.DiffJSON: format.MaxSummarySize})
		if err != nil {
			return err
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Manifest bundle.Manifest `json:"manifest"`
			Diff     json.RawMessage `json:"diff"`
		}{m, files[compare.DiffJSON]}); err != nil {
			return err
		}
		_, err = opts.io.Out.Write(termsafe.JSON(b.Bytes()))
		return err
	}
	tw := tabwriter.NewWriter(opts.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "kind:\ta comparison written by perfcap diff -o; perfcap report %s prints its report\n", show(opts.path))
	fmt.Fprintf(tw, "command:\t%s\n", showArgv(m.Command))
	fmt.Fprintf(tw, "directory:\t%s\n", show(m.Cwd))
	fmt.Fprintf(tw, "created:\t%s\n", m.Created.Local().Format(time.RFC3339))
	fmt.Fprintf(tw, "perfcap:\t%s\n", show(m.PerfcapVersion))
	if err := tw.Flush(); err != nil {
		return err
	}
	return printFiles(opts.io.Out, m.Files)
}

// printFiles lists files with their sizes right-aligned, row by row: a
// tabwriter would hold all of a manifest's 100,000 paths until the end.
func printFiles(w io.Writer, files []bundle.File) error {
	width := 0
	for _, f := range files {
		width = max(width, len(units.FormatSize(f.Size)))
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "\n%s:\n", report.Plural(int64(len(files)), "file", "files"))
	for _, f := range files {
		fmt.Fprintf(bw, "  %*s  %s\n", width, units.FormatSize(f.Size), show(f.Path))
	}
	return bw.Flush()
}

// maxShown is how much of one string inspect shows: a summary view has
// no use for more, and a hostile bundle's megabytes would be copied at
// every step of printing them.
const maxShown = 4096

// show returns s escaped for the terminal, cut after maxShown bytes.
func show(s string) string {
	if len(s) <= maxShown {
		return termsafe.Text(s)
	}
	cut := maxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d more bytes)", termsafe.Text(s[:cut]), len(s)-cut)
}

// showArgv writes a command line with each word escaped on its own, so a
// word holding a newline or an escape sequence cannot fake another line;
// it is cut as show cuts a string.
func showArgv(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if b.Len() > maxShown {
			fmt.Fprintf(&b, " … (%d more words)", len(argv)-i)
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(show(a))
	}
	return b.String()
}

// describeExit says how the command ended, in words.
func describeExit(e bundle.Exit, interrupted bool) string {
	if e.Code < 0 && e.Signal == "" {
		return "unknown: perfcap was killed before the command ended"
	}
	s := fmt.Sprintf("code %d", e.Code)
	if e.Signal != "" {
		s += " (killed by " + termsafe.Text(e.Signal) + ")"
	}
	if interrupted {
		s += ", interrupted"
	}
	return s
}

func showBytes(v uint64) string {
	if !format.ValidBytes(v) {
		return invalid(v)
	}
	return units.FormatSize(int64(v))
}

func showSeconds(v float64) string { return showSecs(v, 3) }

// showSecs writes seconds with digits decimals.
func showSecs(v float64, digits int) string {
	if !format.ValidSeconds(v) {
		return invalid(v)
	}
	return fmt.Sprintf("%.*f s", digits, v)
}

func showElapsed(v float64) string {
	if !format.ValidSeconds(v) {
		return invalid(v)
	}
	return units.FormatElapsed(v)
}

func showPercent(v float64) string {
	if !format.ValidPercent(v) {
		return invalid(v)
	}
	return fmt.Sprintf("%.0f%%", v)
}

func showCount(v int) string {
	if !format.ValidCount(v) {
		return invalid(v)
	}
	return fmt.Sprint(v)
}

// showProcesses is Totals.ProcessesText (how many processes the run
// started, how many samples saw) with every count range-checked.
func showProcesses(s format.Totals) string {
	for _, v := range []int{s.Processes, s.ProcessesStarted, s.ProcessesStartedMin, s.ProcessesStartedMax} {
		if !format.ValidCount(v) {
			return showCount(s.Processes) + " seen in samples"
		}
	}
	return s.ProcessesText()
}

// showPlural is report.Plural for a count from a bundle.
func showPlural(v int, one, many string) string {
	if !format.ValidCount(v) {
		return invalid(v) + " " + many
	}
	return report.Plural(int64(v), one, many)
}

// showRate writes a rate that may be negative, as long as it is finite.
func showRate(v float64, format string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return invalid(v)
	}
	return fmt.Sprintf(format, v)
}

func invalid(v any) string { return fmt.Sprintf("invalid (%v)", v) }
