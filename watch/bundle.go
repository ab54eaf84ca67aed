package watch

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/assemble"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/bundle/timeline"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/units"
)

// maxWatchProcesses bounds the ended processes a watch bundle lists: a
// server that forks a process a second for a week would otherwise make
// processes.csv, and perfcap's memory while writing it, grow without end.
const maxWatchProcesses = 10000

// spoolBundle is one bundle made from a spool: at the end of a watch, for
// a snapshot, or to recover a spool left by a watch that did not finish.
type spoolBundle struct {
	dir string // the spool
	out string // the bundle to write
	// force replaces a file at out; without it the bundle takes the next
	// free name, which written holds once write succeeded.
	force   bool
	written string
	meta    spool.Meta
	red     *redact.Redactor
	lang    string
	// ended is format.Watch.Ended.
	ended string
	// snapshot is set for a snapshot bundle.
	snapshot *format.SnapshotRef
	exit     bundle.Exit
	// add puts extra files into the bundle (a snapshot's evidence).
	add func(w *bundle.Writer, sum *format.Summary)
	// perfcapCPU is perfcap's own CPU over the watch, when known.
	perfcapCPU float64
	warnings   []string
}

// trendOptions turns the spool's settings into trend.Options, for the
// verdict on the samples as they are (a bundle's).
func trendOptions(m spool.Meta) trend.Options {
	return trend.Options{
		Warmup:      time.Duration(m.WarmupSeconds * float64(time.Second)),
		BucketWidth: time.Duration(m.BucketSeconds * float64(time.Second)),
		MinRate:     m.MinGrowthBytesPerSec,
	}
}

// liveTrendOptions are trendOptions for the analyses a running watch
// makes (growth alerts, progress lines): the automatic settings follow the
// planned length of the watch (--duration), or that of a long watch when
// there is none, not the minutes seen so far, so that a warm-up ramp or
// the first half of a slow GC cycle never pages anyone.
func liveTrendOptions(m spool.Meta) trend.Options {
	o := trendOptions(m)
	o.Length = trend.LongWatch
	if m.DurationSeconds > 0 {
		o.Length = time.Duration(m.DurationSeconds * float64(time.Second))
	}
	return o
}

// write makes the bundle. It streams through the spool's files, so its
// memory does not depend on the length of the watch. It returns the
// summary and the SHA-256 and size of the archive.
func (wb *spoolBundle) write() (sum *format.Summary, sha string, size int64, err error) {
	w, err := bundle.NewWriterWith(wb.out, bundle.WriterOptions{Force: wb.force, Redactor: wb.red})
	if err != nil {
		return nil, "", 0, fmt.Errorf("cannot write the bundle: %w; choose another place with -o PATH", err)
	}
	defer func() {
		if err != nil {
			_ = w.Abort()
		}
	}()
	for _, name := range []string{format.TimelineFile, format.ProcessSamplesFile, format.WatchFile} {
		if err := copyRows(w, wb.dir, name); err != nil {
			return nil, "", 0, err
		}
	}
	var env *facts.Facts
	if b, err := os.ReadFile(filepath.Join(wb.dir, spool.EnvFile)); err == nil {
		if env, err = facts.Read(bytes.NewReader(b)); err != nil {
			wb.warnings = append(wb.warnings, fmt.Sprintf("the spool's %v", err))
		} else if err := w.AddBytes("env.json", b); err != nil {
			return nil, "", 0, err
		}
	}
	events, evErr := spool.ReadEvents(wb.dir)
	if evErr != nil {
		wb.warnings = append(wb.warnings, evErr.Error())
	}

	sum = &format.Summary{}
	ws := &format.Watch{Mode: wb.meta.Mode, PID: wb.meta.PID, Ended: wb.ended, Recovered: wb.ended == "recovered", Snapshot: wb.snapshot}
	sum.Watch = ws
	if err := wb.scanTimeline(w, sum); err != nil {
		return nil, "", 0, err
	}
	procs, dropped, cpu, err := scanProcessSamples(filepath.Join(w.Dir(), format.ProcessSamplesFile), wb.meta, argvOf(events))
	if err != nil {
		wb.warnings = append(wb.warnings, err.Error())
	}
	ws.ProcessesDropped = dropped
	sum.UserSeconds, sum.SysSeconds = cpu.user, cpu.sys
	wb.fillProcesses(sum, procs)
	if err := writeProcesses(w, procs); err != nil {
		return nil, "", 0, err
	}
	if err := wb.scanWatch(w, ws); err != nil {
		wb.warnings = append(wb.warnings, err.Error())
	}
	wb.fromEvents(sum, events)
	for _, stream := range []string{"stdout", "stderr"} {
		lc, ok, err := spool.ReadLog(wb.dir, stream)
		if err != nil {
			wb.warnings = append(wb.warnings, fmt.Sprintf("%s.log: %v", stream, err))
		}
		if !ok {
			continue
		}
		f, err := w.Create(stream + ".log")
		if err != nil {
			return nil, "", 0, err
		}
		_, err = lc.WriteFiltered(f, wb.red.String)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, "", 0, err
		}
	}
	if wb.add != nil {
		wb.add(w, sum)
	}
	title := "perfcap watch " + strings.Join(wb.meta.Command, " ")
	decorate := func(o *timeline.Options) { decorateTimeline(o, ws, events) }
	switch {
	case wb.meta.Kind == "run":
		// The staging directory of a run perfcap did not finish: a run's
		// bundle, whose command's end nobody saw.
		title, decorate = "perfcap -- "+strings.Join(wb.meta.Command, " "), func(*timeline.Options) {}
		sum.Watch = nil
		sum.ExitCode, sum.Signal, sum.Interrupted = -1, "", true
		wb.exit = bundle.Exit{Code: -1}
		sum.Warnings = append(sum.Warnings, "perfcap was killed before the command ended: the exit status is unknown, the figures cover the run up to the last rows flushed (every 2 s), and the logs end there too")
	case wb.meta.Mode == "pid":
		title = fmt.Sprintf("perfcap watch --pid %d (%s)", wb.meta.PID, strings.Join(wb.meta.Command, " "))
		fallthrough
	default:
		sum.Warnings = append(sum.Warnings, watchWarnings(ws)...)
	}
	sum.Warnings = append(sum.Warnings, wb.warnings...)
	if err := assemble.TimelineSVG(w, title, decorate, assemble.CountProcesses(&sum.Totals)); err != nil {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("timeline.svg: %v", err))
	}
	if err := w.AddJSON("summary.json", sum); err != nil {
		return nil, "", 0, err
	}
	m := bundle.Manifest{
		PerfcapVersion: wb.meta.PerfcapVersion,
		Created:        time.Now().UTC(),
		Command:        wb.meta.Command,
		Cwd:            wb.meta.Cwd,
		Started:        wb.meta.Started.UTC(),
		Ended:          wb.meta.Started.Add(time.Duration(sum.WallSeconds * float64(time.Second))).UTC(),
		Exit:           wb.exit,
		Interrupted:    sum.Interrupted,
	}
	if _, err := assemble.Report(w, assemble.ReportInput{Manifest: m, Summary: sum, Facts: env, Lang: wb.lang}); err != nil {
		return nil, "", 0, err
	}
	if err := w.Close(m); err != nil {
		return nil, "", 0, fmt.Errorf("writing the bundle %s: %w", wb.out, err)
	}
	sha, size = w.Archive()
	wb.written = w.Path()
	return sum, sha, size, nil
}

// copyRows copies a spool CSV file's complete rows into the bundle.
func copyRows(w *bundle.Writer, dir, name string) error {
	r, err := spool.OpenRows(dir, name)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the spool: %w", err)
	}
	defer r.Close()
	f, err := w.Create(name)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copying %s from the spool: %w", name, err)
	}
	return nil
}

// scanTimeline reads the staged timeline.csv once: the totals and the
// trend series.
func (wb *spoolBundle) scanTimeline(w *bundle.Writer, sum *format.Summary) error {
	f, err := os.Open(filepath.Join(w.Dir(), format.TimelineFile))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s holds no timeline.csv: nothing was sampled", wb.dir)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	s := &sum.Totals
	ws := sum.Watch
	series := trend.NewSeries(time.Duration(wb.meta.IntervalSeconds * float64(time.Second)))
	var tally format.Tally
	r := format.NewTimelineReader(f)
	for r.Scan() {
		row := r.Row()
		tally.Add(row)
		s.WallSeconds = row.T
		if row.Processes > 0 && row.TreeRSS > 0 {
			// As in the watch: no process, no memory to judge.
			series.Add(time.Duration(row.T*float64(time.Second)), row.TreeRSS)
			if series.Samples() == 1 {
				ws.FirstRSSBytes = row.TreeRSS
			}
			ws.LastRSSBytes = row.TreeRSS
		}
	}
	if err := r.Err(); err != nil {
		wb.warnings = append(wb.warnings, fmt.Sprintf("timeline.csv: %v", firstError(err)))
	}
	tally.Fill(s)
	s.IntervalSeconds = wb.meta.IntervalSeconds
	if s.IntervalSeconds > 0 {
		s.ExpectedSamples = int(s.WallSeconds/s.IntervalSeconds) + 1
		s.OnSchedule = min(s.Samples, s.ExpectedSamples)
	}
	s.FirstOutputSeconds = -1
	s.PerfcapCPUSeconds = wb.perfcapCPU
	ws.Growth = series.Analyze(trendOptions(wb.meta))
	return nil
}

// cpuTotals is the CPU the tree used during the watch.
type cpuTotals struct{ user, sys float64 }

// procKey names a process by its pid and the time it was first sampled.
type procKey struct {
	pid int
	t   float64
}

// argvOf maps the "process" events to the processes they name.
func argvOf(events []spool.Event) map[procKey][]string {
	m := map[procKey][]string{}
	for _, e := range events {
		if e.Kind == "process" {
			// The event carries the sample's time as written in the CSV.
			t, _ := strconv.ParseFloat(strconv.FormatFloat(e.T, 'f', 3, 64), 64)
			m[procKey{e.PID, t}] = e.Argv
		}
	}
	return m
}

// procAgg is one process as the samples saw it.
type procAgg struct {
	p capture.Process
	// baseUser and baseSys are the CPU seconds it had used before the
	// watch saw it; user and sys what it used since.
	baseUser, baseSys float64
	user, sys         float64
	lastT             float64
	lastSample        int // the index of the last sample that listed it
}

// scanProcessSamples reads process_samples.csv into one entry per process.
// A pid absent from a sample and listed again later is a new process (the
// pid was reused). CPU counts from the first sample for processes already
// running when a pid watch began. Over maxWatchProcesses, the ended
// processes with the smallest peak RSS are dropped. The error, one line,
// names the first bad row; the good rows are used.
func scanProcessSamples(path string, m spool.Meta, argv map[procKey][]string) (procs []capture.Process, dropped int, cpu cpuTotals, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, cpu, nil
	}
	if err != nil {
		return nil, 0, cpu, err
	}
	defer f.Close()
	live := map[int]*procAgg{}
	var ended []capture.Process
	sampleIdx, lastT, firstT := -1, math.Inf(-1), math.NaN()
	endProc := func(a *procAgg) {
		cpu.user += a.user
		cpu.sys += a.sys
		a.p.End = a.lastT
		ended = append(ended, a.p)
		if len(ended) > 2*maxWatchProcesses {
			slices.SortFunc(ended, func(x, y capture.Process) int { return cmp.Compare(y.PeakRSS, x.PeakRSS) })
			dropped += len(ended) - maxWatchProcesses
			ended = ended[:maxWatchProcesses]
		}
	}
	r := format.NewProcessSampleReader(f)
	for r.Scan() {
		row := r.Row()
		t, pid := row.T, row.PID
		if t != lastT {
			sampleIdx++
			// Processes not listed in the previous sample have ended.
			for pid, a := range live {
				if a.lastSample < sampleIdx-1 {
					endProc(a)
					delete(live, pid)
				}
			}
			lastT = t
			if sampleIdx == 0 {
				firstT = t
			}
		}
		a := live[pid]
		if a != nil && a.lastSample < sampleIdx-1 {
			endProc(a)
			a = nil
		}
		if a == nil {
			a = &procAgg{p: capture.Process{PID: pid, PPID: row.PPID, Name: row.Name, Start: t, End: -1}}
			if m.Mode == "pid" && t == firstT {
				a.baseUser, a.baseSys = row.UserSec, row.SysSec
			}
			a.p.Argv = argv[procKey{pid, t}]
			if a.p.Argv == nil && (pid == m.PID || (m.Mode == "command" && len(live) == 0 && len(ended) == 0)) {
				a.p.Argv = m.Command
			}
			live[pid] = a
		}
		a.lastT, a.lastSample = t, sampleIdx
		a.user, a.sys = max(0, row.UserSec-a.baseUser), max(0, row.SysSec-a.baseSys)
		a.p.CPUSeconds = a.user + a.sys
		a.p.PeakRSS = max(a.p.PeakRSS, row.RSS)
	}
	out := ended
	for _, a := range live {
		if a.lastSample < sampleIdx {
			a.p.End = a.lastT
		}
		cpu.user += a.user
		cpu.sys += a.sys
		out = append(out, a.p)
	}
	slices.SortFunc(out, func(x, y capture.Process) int {
		return cmp.Or(cmp.Compare(x.Start, y.Start), cmp.Compare(x.PID, y.PID))
	})
	return out, dropped, cpu, firstError(r.Err())
}

// firstError is the first of the errors joined in err, for a one-line
// warning.
func firstError(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		if errs := j.Unwrap(); len(errs) > 0 {
			return errs[0]
		}
	}
	return err
}

// fillProcesses fills the summary's process figures.
func (wb *spoolBundle) fillProcesses(sum *format.Summary, procs []capture.Process) {
	s := &sum.Totals
	// Seen in samples: those listed, and those left out of the list.
	s.Processes = len(procs) + sum.Watch.ProcessesDropped
	for _, p := range procs {
		if p.PeakRSS > s.MaxProcessRSSBytes {
			s.MaxProcessRSSBytes, s.MaxProcessRSSPID = p.PeakRSS, p.PID
		}
		if p.End < 0 {
			s.LeftRunning = append(s.LeftRunning, p.PID)
		}
	}
	slices.Sort(s.LeftRunning)
	s.MaxProcessRSSSource = "sampled"
	s.SetCPUShares(runtime.NumCPU())
}

func writeProcesses(w *bundle.Writer, procs []capture.Process) error {
	f, err := w.Create("processes.csv")
	if err != nil {
		return err
	}
	// Command lines here come from the spool's meta, already redacted.
	err = format.WriteProcesses(f, capture.ProcessRows(procs, nil))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// scanWatch reads the staged watch.csv for the descriptor and PSS figures.
func (wb *spoolBundle) scanWatch(w *bundle.Writer, ws *format.Watch) error {
	f, err := os.Open(filepath.Join(w.Dir(), format.WatchFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := format.NewWatchReader(f)
	for r.Scan() {
		row := r.Row()
		ws.MaxFDs = max(ws.MaxFDs, row.FDs)
		if row.FDs > 0 {
			ws.LastFDs = row.FDs // not the empty sample taken after the exit
		}
		if row.HavePSS {
			ws.PeakPSSBytes = max(ws.PeakPSSBytes, row.PSS)
			ws.PeakUSSBytes = max(ws.PeakUSSBytes, row.USS)
		}
	}
	return r.Err()
}

// fromEvents fills what the events tell: restarts, alerts, snapshots, and
// how the command last exited.
func (wb *spoolBundle) fromEvents(sum *format.Summary, events []spool.Event) {
	ws := sum.Watch
	for _, e := range events {
		switch e.Kind {
		case "restart":
			ws.Restarts++
		case "warning":
			wb.warnings = append(wb.warnings, e.Detail)
		case "alert":
			ws.Alerts = append(ws.Alerts, format.Alert{Rule: e.Rule, T: e.T, Message: e.Detail, Snapshot: e.Path})
		case "snapshot":
			ws.Snapshots = append(ws.Snapshots, format.SnapshotRef{T: e.T, Reason: e.Detail, Path: e.Path, Rule: e.Rule})
			wb.attachSnapshot(ws, e.Rule, e.Path)
		case "exit":
			if wb.exit == (bundle.Exit{}) {
				// Recovered: the last exit the spool knows of.
				sum.ExitCode, sum.Signal = parseExitDetail(e.Detail)
			}
		}
	}
	if s := wb.snapshot; s != nil && s.Rule != "" {
		// This bundle is its alert's snapshot.
		wb.attachSnapshot(ws, s.Rule, s.Path)
	}
	if wb.exit != (bundle.Exit{}) {
		sum.ExitCode, sum.Signal = wb.exit.Code, wb.exit.Signal
	} else {
		wb.exit = bundle.Exit{Code: sum.ExitCode, Signal: sum.Signal}
	}
	sum.Interrupted = wb.ended == "signal" || wb.ended == "recovered"
}

// attachSnapshot names path as the snapshot of the alert on rule (each
// rule fires once).
func (wb *spoolBundle) attachSnapshot(ws *format.Watch, rule, path string) {
	for i := range ws.Alerts {
		if rule != "" && ws.Alerts[i].Rule == rule && ws.Alerts[i].Snapshot == "" {
			ws.Alerts[i].Snapshot = path
		}
	}
}

// parseExitDetail reads what exitDetail wrote.
func parseExitDetail(s string) (int, string) {
	if sig, ok := strings.CutPrefix(s, "signal "); ok {
		if n := unix.SignalNum(sig); n != 0 {
			return 128 + int(n), sig
		}
		return 0, sig
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(s, "exit "))
	return n, ""
}

// watchWarnings says what a reader of the bundle must know first.
func watchWarnings(ws *format.Watch) []string {
	var w []string
	g := ws.Growth
	switch g.Verdict {
	case trend.Growing:
		w = append(w, fmt.Sprintf("memory is growing: %s since %s; %s", g.Rate(), units.FormatElapsed(g.Since.Seconds()), g.Reason))
	case trend.Inconclusive:
		w = append(w, "memory growth is inconclusive: "+g.Reason)
	}
	if ws.Recovered {
		w = append(w, "recovered from the spool of a watch that did not finish: the last few seconds of samples and perfcap's own CPU are missing, and the logs end where the watch was killed")
	}
	if ws.ProcessesDropped > 0 {
		w = append(w, fmt.Sprintf("%s left out of processes.csv (it keeps the %d with the largest RSS); process_samples.csv has them all", report.Plural(int64(ws.ProcessesDropped), "short-lived process is", "short-lived processes are"), maxWatchProcesses))
	}
	return w
}

// decorateTimeline adds the trend line and the events to timeline.svg.
func decorateTimeline(o *timeline.Options, ws *format.Watch, events []spool.Event) {
	g := ws.Growth
	if g.Buckets > 0 && g.Until > g.Since {
		o.Trend = &timeline.Trend{
			Since:     g.Since.Seconds(),
			Until:     g.Until.Seconds(),
			Intercept: g.InterceptBytes,
			Slope:     g.SlopeBytesPerSec,
			Label:     g.Verdict + " " + g.Rate(),
		}
	}
	for _, e := range events {
		switch e.Kind {
		case "restart", "alert", "snapshot":
			label := e.Kind
			if e.Detail != "" {
				label += ": " + e.Detail
			}
			o.Markers = append(o.Markers, timeline.Marker{T: e.T, Label: label, Kind: e.Kind})
		}
	}
}
