package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/termsafe"
	"github.com/perfcap/perfcap/internal/units"
)

// ReadBundle reads a bundle's manifest and summary.json, and env.json
// with withEnv, in one pass, each bounded in size and in what decoding it
// may allocate. files holds the raw JSON of each.
func ReadBundle(path string, withEnv bool) (m bundle.Manifest, sum *format.Summary, files map[string][]byte, err error) {
	want := map[string]int64{format.SummaryFile: format.MaxSummarySize}
	if withEnv {
		want["env.json"] = facts.MaxJSONSize
	}
	m, files, err = bundle.ReadJSONFiles(path, want)
	if err != nil {
		return bundle.Manifest{}, nil, nil, err
	}
	sum, err = format.ReadSummary(bytes.NewReader(files[format.SummaryFile]))
	if err != nil {
		return bundle.Manifest{}, nil, nil, fmt.Errorf("%s: %w", termsafe.Text(path), err)
	}
	return m, sum, files, nil
}

// WriteInspect writes what `perfcap inspect` prints of a run's or a
// watch's bundle: its manifest and summary, then its files. Every string
// came from the bundle, so each is escaped (termsafe) and cut, and every
// figure outside its range (format.ValidBytes and the others) reads
// "invalid (v)" rather than "-8.0 EiB".
func WriteInspect(w io.Writer, m bundle.Manifest, sum *format.Summary) error {
	s := sum.Totals
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s:\t%s\n", k, fmt.Sprintf(format, a...)) }
	row("command", "%s", ShowArgv(m.Command))
	row("directory", "%s", Show(m.Cwd))
	row("started", "%s", m.Started.Local().Format(time.RFC3339))
	row("exit", "%s", describeExit(m.Exit, m.Interrupted))
	row("wall", "%s", showSeconds(s.WallSeconds))
	if CPUPercentMeasurable(s) || !format.ValidSeconds(s.WallSeconds) {
		row("cpu", "%s user, %s sys (%s of one core)", showSeconds(s.UserSeconds), showSeconds(s.SysSeconds), showPercent(s.CPUPercent))
	} else {
		row("cpu", "%s user, %s sys (no %% of a core: the run was under %.0f ms)", showSecs(s.UserSeconds, 4), showSecs(s.SysSeconds, 4), MinWallForCPUPercent*1000)
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
		row("watch", "%s, ended: %s; %s, %s, %s; fds %s (max %s)", Show(ws.Mode), Show(ws.Ended), showPlural(ws.Restarts, "restart", "restarts"),
			Plural(int64(len(ws.Alerts)), "alert", "alerts"), Plural(int64(len(ws.Snapshots)), "snapshot", "snapshots"), showCount(ws.LastFDs), showCount(ws.MaxFDs))
		row("memory", "%s %s MiB/h (%s to %s) since %s; RSS %s → %s", Show(g.Verdict), showRate(g.MiBPerHour, "%+.3g"), showRate(g.LowMiBPerHour, "%.3g"), showRate(g.HighMiBPerHour, "%.3g"),
			showElapsed(g.Since.Seconds()), showBytes(ws.FirstRSSBytes), showBytes(ws.LastRSSBytes))
		for _, a := range ws.Alerts {
			row("alert", "%s at %s: %s (snapshot %s)", Show(a.Rule), showElapsed(a.T), Show(a.Message), Show(filepath.Base(a.Snapshot)))
		}
	}
	row("perfcap", "%s", Show(m.PerfcapVersion))
	for _, w := range s.Warnings {
		row("warning", "%s", Show(w))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return WriteFiles(w, m.Files)
}

// WriteInspectDiff writes what `perfcap inspect` prints of a `perfcap
// diff -o` bundle at path: what it is and holds (its comparison is
// diff.json, its report `perfcap report`'s).
func WriteInspectDiff(w io.Writer, path string, m bundle.Manifest) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "kind:\ta comparison written by perfcap diff -o; perfcap report %s prints its report\n", Show(path))
	fmt.Fprintf(tw, "command:\t%s\n", ShowArgv(m.Command))
	fmt.Fprintf(tw, "directory:\t%s\n", Show(m.Cwd))
	fmt.Fprintf(tw, "created:\t%s\n", m.Created.Local().Format(time.RFC3339))
	fmt.Fprintf(tw, "perfcap:\t%s\n", Show(m.PerfcapVersion))
	if err := tw.Flush(); err != nil {
		return err
	}
	return WriteFiles(w, m.Files)
}

// WriteFiles lists files with their sizes right-aligned, row by row: a
// tabwriter would hold all of a manifest's 100,000 paths until the end.
func WriteFiles(w io.Writer, files []bundle.File) error {
	width := 0
	for _, f := range files {
		width = max(width, len(units.FormatSize(f.Size)))
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "\n%s:\n", Plural(int64(len(files)), "file", "files"))
	for _, f := range files {
		fmt.Fprintf(bw, "  %*s  %s\n", width, units.FormatSize(f.Size), Show(f.Path))
	}
	return bw.Flush()
}

// MaxShown is how much of one string Show shows: a summary view has no
// use for more, and a hostile bundle's megabytes would be copied at every
// step of printing them.
const MaxShown = 4096

// Show returns s, read from a bundle, escaped for the terminal and cut
// after MaxShown bytes.
func Show(s string) string {
	if len(s) <= MaxShown {
		return termsafe.Text(s)
	}
	cut := MaxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d more bytes)", termsafe.Text(s[:cut]), len(s)-cut)
}

// ShowArgv writes a command line with each word escaped on its own, so a
// word holding a newline or an escape sequence cannot fake another line;
// it is cut as Show cuts a string.
func ShowArgv(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if b.Len() > MaxShown {
			fmt.Fprintf(&b, " … (%d more words)", len(argv)-i)
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Show(a))
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

// showPlural is Plural for a count from a bundle.
func showPlural(v int, one, many string) string {
	if !format.ValidCount(v) {
		return invalid(v) + " " + many
	}
	return Plural(int64(v), one, many)
}

// showRate writes a rate that may be negative, as long as it is finite.
func showRate(v float64, format string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return invalid(v)
	}
	return fmt.Sprintf(format, v)
}

func invalid(v any) string { return fmt.Sprintf("invalid (%v)", v) }
