package metrics

import (
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/watch"
)

// WatchSource is what a WatchExporter reads at each scrape; a
// *watch.Watch is one.
type WatchSource interface {
	Status() watch.Status
}

// WatchOptions says what a watch's series are labelled with.
type WatchOptions struct {
	// Command is the watched command line, already redacted
	// (watch.Watch.Command).
	Command []string
	// PID is the watched process in pid mode; 0 for a command perfcap
	// started, whose pid label is then that of the command's current run.
	PID int
	// PSS exports PSS and USS (perfcap watch --pss).
	PSS bool
	// Labels are the user's --label pairs, checked by ParseLabels.
	Labels map[string]string
}

// WatchLabels are the labels a WatchExporter sets itself.
var WatchLabels = []string{"command", "pid"}

// Verdicts are the values of the verdict label of
// perfcap_watch_rss_growth_verdict, one series each.
var Verdicts = []string{trend.Growing, trend.Flat, trend.Inconclusive}

// WatchExporter is a prometheus.Collector for one running watch. It
// exports nothing before the first sample.
type WatchExporter struct {
	opts WatchOptions
	self int

	mu  sync.Mutex
	src WatchSource
	// cpu counts the tree's CPU seconds since the watch began; rootPID is
	// the command's current process in command mode.
	cpu     treeCPU
	rootPID int

	rss, pss, uss, cpuSec, procs, threads, fds, samples, restarts, alerts *prometheus.Desc
	rate, low, high, threshold, verdict, lastSample                       *prometheus.Desc
}

// NewWatchExporter returns the exporter of a watch; Attach gives it the
// watch once New made it, and Observe must be the watch's OnSample hook.
func NewWatchExporter(opts WatchOptions) *WatchExporter {
	e := &WatchExporter{opts: opts, self: os.Getpid(), cpu: treeCPU{pidMode: opts.PID != 0}}
	constant := prometheus.Labels{}
	for k, v := range opts.Labels {
		constant[k] = v
	}
	constant["command"] = commandLabel(opts.Command)
	desc := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc("perfcap_watch_"+name, help, append([]string{"pid"}, extra...), constant)
	}
	e.rss = desc("rss_bytes", "Resident set size of the watched process tree (the process and its descendants).")
	e.pss = desc("pss_bytes", "Proportional set size of the tree, from smaps_rollup (perfcap watch --pss).")
	e.uss = desc("uss_bytes", "Unique set size (private pages) of the tree, from smaps_rollup (perfcap watch --pss).")
	e.cpuSec = desc("cpu_seconds_total", "User and system CPU the tree used since the watch began, ended processes included.")
	e.procs = desc("processes", "Live processes in the tree.")
	e.threads = desc("threads", "Threads of the tree's live processes.")
	e.fds = desc("open_fds", "Open file descriptors of the tree.")
	e.samples = desc("samples_total", "Samples taken.")
	e.restarts = desc("restarts_total", "Times the command was started again (perfcap watch --restart).")
	e.alerts = desc("alerts_fired_total", "--alert rules that fired (each fires at most once a watch).")
	e.rate = desc("rss_growth_bytes_per_hour", "Theil-Sen rate of the tree's post-GC RSS floor after the warm-up; absent until enough fit buckets.")
	e.low = desc("rss_growth_lower_bytes_per_hour", "Lower bound of the rate's confidence interval (99 % by default).")
	e.high = desc("rss_growth_upper_bytes_per_hour", "Upper bound of the rate's confidence interval (99 % by default).")
	e.threshold = desc("rss_growth_threshold_bytes_per_hour", "The slowest growth the verdict calls growing (--min-growth).")
	e.verdict = desc("rss_growth_verdict", "1 for the current memory-growth verdict, 0 for the others.", "verdict")
	e.lastSample = desc("last_sample_timestamp_seconds", "Unix time of the sample the other figures come from.")
	return e
}

// Attach sets the watch the exporter reads.
func (e *WatchExporter) Attach(src WatchSource) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.src = src
}

// Observe takes one sample: the CPU counter and, for a command, the pid
// label. It is meant as the watch's OnSample hook and does not block on a
// scrape for longer than the scrape copies two numbers.
func (e *WatchExporter) Observe(s capture.Sample) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cpu.add(s)
	if e.opts.PID == 0 {
		// The command is perfcap's child; orphans reparented to perfcap
		// come later in the sampler's order of discovery.
		for i := range s.Procs {
			if s.Procs[i].PPID == e.self {
				e.rootPID = s.Procs[i].PID
				break
			}
		}
	}
}

// Describe sends the descriptors of every series the exporter may export.
func (e *WatchExporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{e.rss, e.pss, e.uss, e.cpuSec, e.procs, e.threads, e.fds, e.samples,
		e.restarts, e.alerts, e.rate, e.low, e.high, e.threshold, e.verdict, e.lastSample} {
		ch <- d
	}
}

// Collect reads the watch's status and sends its series.
func (e *WatchExporter) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	src, cpu, pid := e.src, e.cpu.total(), e.rootPID
	e.mu.Unlock()
	if e.opts.PID != 0 {
		pid = e.opts.PID
	}
	if src == nil {
		return
	}
	st := src.Status()
	if st.Samples == 0 {
		return
	}
	p := strconv.Itoa(pid)
	gauge := func(d *prometheus.Desc, v float64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{p}, extra...)...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, p)
	}
	gauge(e.rss, float64(st.Last.TreeRSS))
	if e.opts.PSS && st.Extra.HavePSS {
		gauge(e.pss, float64(st.Extra.PSS))
		gauge(e.uss, float64(st.Extra.USS))
	}
	counter(e.cpuSec, cpu)
	gauge(e.procs, float64(st.Last.Processes))
	gauge(e.threads, float64(st.Last.Threads))
	gauge(e.fds, float64(st.Extra.FDs))
	counter(e.samples, float64(st.Samples))
	counter(e.restarts, float64(st.Restarts))
	counter(e.alerts, float64(st.AlertsFired))
	g := st.Growth
	// Until is set once the fit ran; before that the rates are zeros
	// that mean nothing, and only the verdict (inconclusive) is exported.
	if g.Until > 0 {
		gauge(e.rate, g.SlopeBytesPerSec*3600)
		gauge(e.low, g.LowBytesPerSec*3600)
		gauge(e.high, g.HighBytesPerSec*3600)
		gauge(e.threshold, g.ThresholdMiBPerHour*(1<<20))
	}
	for _, v := range Verdicts {
		on := 0.0
		if g.Verdict == v {
			on = 1
		}
		gauge(e.verdict, on, v)
	}
	at := st.Epoch.Add(time.Duration(st.Last.T * float64(time.Second)))
	gauge(e.lastSample, float64(at.UnixNano())/1e9)
}

// treeCPU adds up the CPU seconds of a tree's processes as the watch's
// bundle does: each process from when the watch first saw it in pid mode
// (what it used before is not the watch's), from its start for a command's
// processes, and an ended process keeps what it last showed.
type treeCPU struct {
	pidMode bool
	first   bool // the first sample was taken
	ended   float64
	live    map[int]procCPU
	seen    map[int]bool // scratch: the pids of the current sample
}

type procCPU struct{ base, last float64 }

func (c *treeCPU) add(s capture.Sample) {
	if c.live == nil {
		c.live, c.seen = map[int]procCPU{}, map[int]bool{}
	}
	clear(c.seen)
	for i := range s.Procs {
		sp := &s.Procs[i]
		cpu := sp.UserSec + sp.SysSec
		p, ok := c.live[sp.PID]
		if ok && cpu < p.last {
			// Less CPU than before: the pid now names another process.
			c.ended += p.last - p.base
			ok = false
		}
		if !ok {
			p = procCPU{}
			if c.pidMode && !c.first {
				p.base = cpu
			}
		}
		p.last = cpu
		c.live[sp.PID] = p
		c.seen[sp.PID] = true
	}
	for pid, p := range c.live {
		if !c.seen[pid] {
			c.ended += p.last - p.base
			delete(c.live, pid)
		}
	}
	c.first = true
}

func (c *treeCPU) total() float64 {
	t := c.ended
	for _, p := range c.live {
		t += p.last - p.base
	}
	return t
}
