package watch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/alert"
	"github.com/perfcap/perfcap/capture/procfs"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/units"
)

// recentWindow is how many samples a watch keeps at full resolution in
// memory, for the live status; older ones live in the spool and, bucketed,
// in the trend series.
const recentWindow = 600

// watcher is the per-sample path of a watch: every sample goes to the
// spool, into the bounded trend series and past the alert rules. Samples
// arrive from the sampling goroutine; snapshots read the state from
// another, hence the lock.
type watcher struct {
	mu     sync.Mutex
	spool  *spool.Writer
	series *trend.Series
	topts  trend.Options
	recent [recentWindow]recentPoint
	nrec   int

	rules []alertState
	// analyzeEvery is how often, in sample time, growth rules re-run the
	// trend analysis: once per fit bucket, and never more often than a
	// sample (interval); lastAnalyze is when it last ran.
	analyzeEvery, interval, lastAnalyze float64
	growth                              trend.Result
	growingRuns                         int // consecutive analyses that said growing

	// extra measures what a Sample lacks (fds, PSS); tests replace it.
	extra func(capture.Sample) (format.WatchRow, error)
	// extraWarned is set once a failure of extra was reported.
	extraWarned bool
	// argv reads and redacts a new process's command line; nil records
	// none. prevPIDs and curPIDs are the pids of the last two samples, to
	// tell new processes; procEvents counts the command lines recorded.
	argv              func(pid int) []string
	prevPIDs, curPIDs map[int]bool
	procEvents        int

	last     capture.Sample
	lastX    format.WatchRow
	peakRSS  uint64
	samples  int
	restarts int
	spoolErr error
	// shown is the verdict status last gave and shownAt the sample time
	// it was analysed at; shownOK is set once it has been.
	shown   trend.Result
	shownAt float64
	shownOK bool

	// fire receives a fired alert; it must not block.
	fire func(a format.Alert)
	warn io.Writer
}

// recentPoint is one sample kept at full resolution.
type recentPoint struct {
	t   float64
	rss uint64
}

// alertState is one --alert rule and whether it fired.
type alertState struct {
	rule  alert.Rule
	fired bool
}

func newWatcher(sp *spool.Writer, rules []alert.Rule, topts trend.Options, interval time.Duration, pss bool) *watcher {
	w := &watcher{spool: sp, topts: topts, series: trend.NewSeries(interval), interval: interval.Seconds()}
	for _, r := range rules {
		w.rules = append(w.rules, alertState{rule: r})
	}
	// A fit bucket completes once per width: analysing more often would
	// find nothing new. An automatic width is known after the first
	// analysis that fits; until then, the width the watch's length (its
	// second half) suggests.
	bw := topts.BucketWidth
	if bw == 0 {
		bw = trend.AutoBucket(topts.Length/2, 0)
	}
	w.analyzeEvery = max(bw.Seconds(), w.interval)
	w.extra = func(s capture.Sample) (format.WatchRow, error) { return measureExtra(s, pss) }
	return w
}

// measureExtra counts the open file descriptors of the tree's processes
// and, with pss, sums their PSS and USS. Processes that ended or cannot be
// read (another user's, without privileges) count as nothing; the first
// refusal is returned, so the watch can say the figures are partial.
func measureExtra(s capture.Sample, pss bool) (format.WatchRow, error) {
	var x format.WatchRow
	var refused error
	keep := func(err error) {
		if refused == nil && errors.Is(err, os.ErrPermission) {
			refused = err
		}
	}
	for i := range s.Procs {
		pid := s.Procs[i].PID
		n, err := procfs.CountFDs("", pid)
		if err == nil {
			x.FDs += n
		}
		keep(err)
		if pss {
			r, err := procfs.ReadSmapsRollup("", pid)
			if err == nil {
				x.PSS += r.Pss
				x.USS += r.USS()
				x.HavePSS = true
			}
			keep(err)
		}
	}
	return x, refused
}

// sample takes one sample through the whole path.
func (w *watcher) sample(s capture.Sample) {
	x, xerr := w.extra(s)
	w.mu.Lock()
	defer w.mu.Unlock()
	if xerr != nil && !w.extraWarned {
		w.extraWarned = true
		msg := fmt.Sprintf("open files and PSS of some processes are not counted: %v; run perfcap as the processes' user or as root", xerr)
		if w.warn != nil {
			fmt.Fprintf(w.warn, "perfcap: %s\n", msg)
		}
		_ = w.spool.Event(spool.Event{T: s.T, Kind: "warning", Detail: msg})
	}
	if err := w.spool.Sample(s, x); err != nil && w.spoolErr == nil {
		w.spoolErr = err
		if w.warn != nil {
			fmt.Fprintf(w.warn, "perfcap: writing the spool failed: %v; the watch goes on, but a crash from now on loses samples\n", err)
		}
	}
	if s.Processes > 0 && s.TreeRSS > 0 {
		// A sample of no process (the command between exit and restart),
		// or of one caught in exec before it has pages, says nothing
		// about the memory of one.
		w.series.Add(time.Duration(s.T*float64(time.Second)), s.TreeRSS)
	}
	w.recent[w.nrec%recentWindow] = recentPoint{t: s.T, rss: s.TreeRSS}
	w.nrec++
	w.noteNewProcesses(s)
	buf := w.last.Procs[:0] // reused: a sample costs no allocation here
	w.last, w.lastX = s, x
	w.last.Procs = append(buf, s.Procs...)
	w.peakRSS = max(w.peakRSS, s.TreeRSS)
	w.samples++
	w.checkAlerts(s, x)
}

// noteNewProcesses records the command line of each process not in the
// previous sample (a pid that comes back after a gap is a new process),
// up to maxWatchProcesses of them, for processes.csv.
func (w *watcher) noteNewProcesses(s capture.Sample) {
	if w.argv == nil {
		return
	}
	if w.curPIDs == nil {
		w.prevPIDs, w.curPIDs = map[int]bool{}, map[int]bool{}
	}
	w.prevPIDs, w.curPIDs = w.curPIDs, w.prevPIDs
	clear(w.curPIDs)
	for i := range s.Procs {
		pid := s.Procs[i].PID
		w.curPIDs[pid] = true
		if w.prevPIDs[pid] || w.procEvents >= maxWatchProcesses {
			continue
		}
		w.procEvents++
		if argv := w.argv(pid); argv != nil {
			_ = w.spool.Note(spool.Event{T: s.T, Kind: "process", PID: pid, Argv: argv})
		}
	}
}

// checkAlerts fires each rule at most once per watch.
func (w *watcher) checkAlerts(s capture.Sample, x format.WatchRow) {
	if len(w.rules) == 0 {
		return
	}
	v := alert.Values{
		RSS: float64(s.TreeRSS), PSS: float64(x.PSS), USS: float64(x.USS), HavePSS: x.HavePSS,
		FDs: float64(x.FDs), Threads: float64(s.Threads), Processes: float64(s.Processes),
		CPUPercent: s.TreeCPUPercent,
	}
	// The analysis costs up to ~10 ms (Theil–Sen over 512 buckets): it
	// runs once per fit bucket (30 s from a 10-minute watch on, by
	// default), and no more often than every 1 % of the watch so far, so a
	// week costs some hundreds of runs.
	if w.needGrowth() && s.T-w.lastAnalyze >= max(w.analyzeEvery, s.T/100) {
		w.lastAnalyze = s.T
		w.growth = w.series.Analyze(w.topts)
		if w.topts.BucketWidth == 0 && w.growth.BucketWidth > 0 {
			w.analyzeEvery = max(w.growth.BucketWidth.Seconds(), w.interval)
		}
		if w.growth.Verdict == trend.Growing {
			w.growingRuns++
		} else {
			w.growingRuns = 0
		}
	}
	// A growth alert needs two analyses in a row to say growing: each has
	// a 1 % chance of a false trend on a flat series, and a week's watch
	// analyses hundreds of times.
	if w.growingRuns >= 2 {
		v.Growth, v.HaveGrowth = w.growth.SlopeBytesPerSec, true
	}
	for i := range w.rules {
		a := &w.rules[i]
		if a.fired {
			continue
		}
		ok, val := a.rule.Check(v)
		if !ok {
			continue
		}
		a.fired = true
		fa := format.Alert{Rule: a.rule.String(), T: s.T, Value: val, Message: a.rule.Describe(val)}
		// Recorded at once: a perfcap killed while the snapshot is being
		// written still leaves the alert in the spool.
		_ = w.spool.Event(spool.Event{T: s.T, Kind: "alert", Rule: fa.Rule, Detail: fa.Message})
		if w.fire != nil {
			w.fire(fa)
		}
	}
}

// needGrowth reports whether a growth rule is still waiting to fire.
func (w *watcher) needGrowth() bool {
	for _, a := range w.rules {
		if !a.fired && a.rule.Metric == "growth" {
			return true
		}
	}
	return false
}

// statusSuffix is the watch's part of the live status line: open files,
// and how RSS moved over the recent window (the last 600 samples).
func (w *watcher) statusSuffix() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	text := fmt.Sprintf("  fds %d", w.lastX.FDs)
	if w.nrec < 2 {
		return text
	}
	newest := w.recent[(w.nrec-1)%recentWindow]
	oldest := w.recent[max(0, w.nrec-recentWindow)%recentWindow]
	delta, sign := int64(newest.rss)-int64(oldest.rss), "+"
	if delta < 0 {
		delta, sign = -delta, "-"
	}
	return text + fmt.Sprintf("  rss %s%s in %s", sign, units.FormatSize(delta), units.FormatElapsed(newest.t-oldest.t))
}

// progressLine is the line a watch without a terminal prints now and then
// (CI logs of a soak test): the last sample, the recent RSS change and
// the verdict so far.
func (w *watcher) progressLine() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.samples == 0 {
		return "perfcap: no sample yet"
	}
	g := w.series.Analyze(w.topts)
	verdict := g.Verdict + " " + g.Rate()
	if g.Verdict == trend.Inconclusive {
		verdict = "inconclusive: " + g.Reason
	}
	return fmt.Sprintf("perfcap: %s  rss %s (peak %s)  procs %d  fds %d  memory %s",
		units.FormatElapsed(w.last.T), units.FormatSize(int64(w.last.TreeRSS)), units.FormatSize(int64(w.peakRSS)),
		w.last.Processes, w.lastX.FDs, verdict)
}

// flush pushes the spool's rows out, so a snapshot reads them.
func (w *watcher) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.spool.Flush(false)
}

// event appends an event to the spool.
func (w *watcher) event(e spool.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e.Kind == "restart" {
		w.restarts++
	}
	if err := w.spool.Event(e); err != nil && w.warn != nil {
		fmt.Fprintf(w.warn, "perfcap: %v\n", err)
	}
}

// lastProcs returns the processes of the last sample.
func (w *watcher) lastProcs() []format.ProcSample {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]format.ProcSample(nil), w.last.Procs...)
}

// status returns the watch so far. The verdict is analysed again at most
// once per fit bucket (as growth alerts are), so a caller asking every
// second costs the sampling goroutine no more than the alerts do.
func (w *watcher) status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := Status{Last: w.last.TimelineRow, Extra: w.lastX, Samples: w.samples, Restarts: w.restarts}
	for _, a := range w.rules {
		if a.fired {
			st.AlertsFired++
		}
	}
	if !w.shownOK || w.last.T-w.shownAt >= w.analyzeEvery {
		w.shown, w.shownAt, w.shownOK = w.series.Analyze(w.topts), w.last.T, true
	}
	st.Growth = w.shown
	return st
}
