package watch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/alert"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
)

// ErrNoProcess means the --pid process to watch does not exist.
var ErrNoProcess = capture.ErrNoProcess

// Config says what to watch and how. Zero values take the defaults named
// on each field.
type Config struct {
	// PID watches a running process and its descendants; Argv starts a
	// command instead. Exactly one is set.
	PID  int
	Argv []string
	// Cwd is the command's working directory (default perfcap's own).
	Cwd string
	// Bundle is where the bundle is written (default
	// ./perfcap-watch-YYYYMMDD-HHMMSS-NAME.tar.zst); SpoolDir where the
	// samples are spooled (default the bundle's path with .spool).
	Bundle   string
	SpoolDir string
	// KeepSpool keeps the spool after the bundle is written.
	KeepSpool bool
	// Force replaces a file at Bundle; without it the bundle takes the
	// next free name (NAME-2.tar.zst), which Result.Bundle gives.
	Force bool
	// Interval is the sampling interval (default 1 s); Duration ends the
	// watch after that long (0: until the process ends or Stop).
	Interval time.Duration
	Duration time.Duration
	// PSS also reads PSS and USS; Restart starts the command again when
	// it exits by itself.
	PSS     bool
	Restart bool
	// Warmup, Bucket and MinGrowth (bytes/s) tune the growth verdict; see
	// trend.Options.
	Warmup, Bucket time.Duration
	MinGrowth      float64
	// Alerts are the rules; AlertSpecs their text as the user gave it.
	Alerts     []alert.Rule
	AlertSpecs []string
	// OnAlert is run with sh when an alert fires; PprofURL is fetched
	// into every snapshot.
	OnAlert  string
	PprofURL string
	// SnapshotEvery also writes a snapshot bundle that often;
	// SnapshotPerf records perf for that long in each snapshot (0: none).
	SnapshotEvery time.Duration
	SnapshotPerf  time.Duration
	// Redactor redacts command lines and logs; RedactPatterns are the
	// user's extra patterns, kept in the spool for `perfcap bundle`.
	Redactor       *redact.Redactor
	RedactPatterns []string
	// LogHead and LogTail bound the command's output kept.
	LogHead, LogTail int64
	// Lang is report.md's language, zh (default) or en.
	Lang string
	// NoFacts skips collecting env.json.
	NoFacts bool
	// Version is perfcap's, for the manifests.
	Version string
	// Now is the clock for the start and the default bundle name.
	Now func() time.Time

	// Stdout and Stderr receive the command's output (default discarded);
	// Messages perfcap's own lines: alerts, snapshots, restarts
	// (default discarded). Quiet leaves out the informative ones.
	Stdout, Stderr, Messages io.Writer
	Quiet                    bool
	// OnSample is called with every sample, on the sampling goroutine.
	OnSample func(capture.Sample)
	// OnSnapshot is called once each snapshot bundle is written, on the
	// snapshot goroutine: it must not block (the next snapshot waits).
	OnSnapshot func(Snapshot)
}

// Snapshot is a snapshot bundle just written.
type Snapshot struct {
	// Path is the bundle's path; Reason why it was taken.
	Path, Reason string
	// PerfFrom and PerfUntil are when its CPU stacks were recorded; zero
	// when it has none (SnapshotPerf 0, or perf could not run).
	PerfFrom, PerfUntil time.Time
}

// Result is what a finished watch wrote and found.
type Result struct {
	// Bundle is the bundle's path, SHA256 and Size its checksum and size;
	// Asked is the path it was asked for, which differs when that was
	// taken.
	Bundle string
	Asked  string
	SHA256 string
	Size   int64
	// Summary is the bundle's summary.json.
	Summary *format.Summary
	// AlertFired is set when any alert fired.
	AlertFired bool
	// Ended says why the watch ended: "duration", "exited" or "signal".
	Ended string
}

// Status is a watch so far, for a caller that reports it while the watch
// runs (perfcap watch --metrics-addr).
type Status struct {
	// Epoch is the watch's start: sample times count from it.
	Epoch time.Time
	// Last is the last sample (zero before the first) and Extra its open
	// files and, with PSS, its PSS and USS.
	Last  format.TimelineRow
	Extra format.WatchRow
	// Samples counts the samples taken, Restarts the command's restarts,
	// AlertsFired the --alert rules that fired.
	Samples, Restarts, AlertsFired int
	// Growth is the verdict on the tree's RSS so far, analysed again at
	// most once per fit bucket.
	Growth trend.Result
}

// Watch is one watch, from New to the end of Run.
type Watch struct {
	cfg    Config
	target capture.ProcessInfo
	meta   spool.Meta
	sp     *spool.Writer
	w      *watcher
	red    *redact.Redactor
	epoch  time.Time
	bundle string
	dir    string
	cwd    string

	snaps   chan snapshotReq
	snapWG  sync.WaitGroup
	pending sync.WaitGroup // alerts waiting for room in snaps
	snapN   int
	snapMu  sync.Mutex
	alerted bool
	// foreign starts perfcap's own children while a command runs.
	foreign  func(*exec.Cmd) error
	foreignM sync.Mutex
	// factsDone is set once env.json is collected (command mode: during
	// the first run, as perfcap run does).
	factsDone bool

	// stop is closed when the watch is told to stop (Stop); stopOnce
	// guards it, cancel ends the sampling of a pid watch, fwd carries the
	// signal to a command, and finishing is set once the loop has ended.
	stop      chan struct{}
	stopOnce  sync.Once
	cancelMu  sync.Mutex
	cancel    context.CancelFunc
	fwd       chan os.Signal
	finishing chan struct{}
}

// New checks cfg, finds the process to watch and creates the spool.
func New(cfg Config) (*Watch, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.fillDefaults()
	wt := &Watch{cfg: cfg, red: cfg.Redactor, epoch: cfg.Now(), cwd: cfg.Cwd,
		stop: make(chan struct{}), fwd: make(chan os.Signal, 4), finishing: make(chan struct{})}
	if cfg.PID != 0 {
		t, err := capture.ReadProcessInfo("", cfg.PID)
		if err != nil {
			return nil, fmt.Errorf("no process %d to watch (%w); list processes with `ps -e`", cfg.PID, err)
		}
		wt.target = t
	}
	name, command := wt.naming()
	wt.bundle = cmp.Or(cfg.Bundle, bundle.DefaultName("watch", wt.epoch, name))
	wt.dir = cmp.Or(cfg.SpoolDir, bundle.Stem(wt.bundle)+".spool")
	abs, _ := filepath.Abs(wt.bundle)
	wt.meta = spool.Meta{
		PerfcapVersion: cfg.Version, Mode: "command", Command: command, Cwd: wt.cwd,
		Started: wt.epoch.UTC(), Bundle: abs, IntervalSeconds: cfg.Interval.Seconds(),
		DurationSeconds: cfg.Duration.Seconds(), WarmupSeconds: cfg.Warmup.Seconds(),
		BucketSeconds: cfg.Bucket.Seconds(), MinGrowthBytesPerSec: cfg.MinGrowth,
		Alerts: cfg.AlertSpecs, PSS: cfg.PSS, Restart: cfg.Restart, Lang: cfg.Lang,
		Redact: cfg.RedactPatterns,
	}
	if cfg.PID != 0 {
		wt.meta.Mode, wt.meta.PID, wt.meta.PIDStartTicks = "pid", wt.target.PID, wt.target.StartTicks
	}
	sp, err := spool.Create(wt.dir, wt.meta)
	if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.ENOTDIR) {
		err = fmt.Errorf("%w; choose another place with --dir DIR (and -o PATH for the bundle)", err)
	}
	if err != nil {
		return nil, err
	}
	wt.sp = sp
	wt.w = newWatcher(sp, cfg.Alerts, liveTrendOptions(wt.meta), cfg.Interval, cfg.PSS)
	wt.w.warn = cfg.Messages
	wt.w.argv = func(pid int) []string {
		info, err := capture.ReadProcessInfo("", pid)
		if err != nil {
			return nil
		}
		return wt.red.Argv(info.Argv)
	}
	wt.w.fire = wt.onAlert
	wt.snaps = make(chan snapshotReq, 4)
	return wt, nil
}

// validate checks what New cannot default.
func (c *Config) validate() error {
	switch {
	case c.PID != 0 && len(c.Argv) > 0:
		return errors.New("give either --pid PID or -- COMMAND, not both")
	case c.PID == 0 && len(c.Argv) == 0:
		return errors.New("nothing to watch: give --pid PID or -- COMMAND (see `perfcap watch --help`)")
	case c.PID < 0:
		return fmt.Errorf("--pid %d: a pid is a positive number; list processes with `ps -e`", c.PID)
	case c.Restart && c.PID != 0:
		return errors.New("--restart needs -- COMMAND: perfcap cannot restart a process it did not start")
	case c.Interval != 0 && (c.Interval < capture.MinInterval || c.Interval > capture.MaxInterval):
		return fmt.Errorf("--interval %v is outside %v to %v; try --interval 1s", c.Interval, capture.MinInterval, capture.MaxInterval)
	case c.Duration < 0, c.Warmup < 0, c.Bucket < 0, c.SnapshotEvery < 0, c.SnapshotPerf < 0:
		return errors.New("durations must not be negative")
	case c.Lang != "" && c.Lang != "zh" && c.Lang != "en":
		return fmt.Errorf("--lang %q: perfcap writes reports in zh or en; try --lang en", c.Lang)
	}
	return nil
}

func (c *Config) fillDefaults() {
	c.Interval = cmp.Or(c.Interval, time.Second)
	c.Lang = cmp.Or(c.Lang, "zh")
	if c.Redactor == nil {
		c.Redactor, _ = redact.New(nil)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Cwd == "" {
		c.Cwd, _ = os.Getwd()
	}
	if c.LogHead == 0 && c.LogTail == 0 {
		c.LogHead, c.LogTail = 256<<10, 1<<20
	}
	c.Stdout = cmp.Or[io.Writer](c.Stdout, io.Discard)
	c.Stderr = cmp.Or[io.Writer](c.Stderr, io.Discard)
	c.Messages = cmp.Or[io.Writer](c.Messages, io.Discard)
}

// naming returns the name the default bundle is made from and the watched
// command line, redacted.
func (wt *Watch) naming() (string, []string) {
	if wt.cfg.PID == 0 {
		command := wt.red.Argv(wt.cfg.Argv)
		return command[0], command
	}
	command := wt.red.Argv(wt.target.Argv)
	if len(command) == 0 {
		command = []string{wt.target.Name}
	}
	return fmt.Sprint("pid", wt.cfg.PID), command
}

// Bundle returns the path the bundle is written to.
func (wt *Watch) Bundle() string { return wt.bundle }

// SpoolDir returns the spool's directory.
func (wt *Watch) SpoolDir() string { return wt.dir }

// Target describes the watched process in pid mode.
func (wt *Watch) Target() capture.ProcessInfo { return wt.target }

// Command returns the watched command line, redacted.
func (wt *Watch) Command() []string { return wt.meta.Command }

// Status returns the watch so far; it is safe to call from any goroutine.
func (wt *Watch) Status() Status {
	st := wt.w.status()
	st.Epoch = wt.epoch
	return st
}

// StatusSuffix is the watch's part of a live status line: open files and
// the RSS change over the last 600 samples.
func (wt *Watch) StatusSuffix() string { return wt.w.statusSuffix() }

// ProgressLine is a line on the watch so far, with the verdict, for logs.
func (wt *Watch) ProgressLine() string { return wt.w.progressLine() }

// Sampled is closed once the watch has stopped sampling (it then writes
// its bundle).
func (wt *Watch) Sampled() <-chan struct{} { return wt.finishing }

// Snapshot asks for a snapshot bundle now; dropped with a message when one
// is already waiting.
func (wt *Watch) Snapshot(reason string) { wt.requestSnapshot(snapshotReq{reason: reason}) }

// Stop ends the watch as a signal from the user does: a pid watch stops
// sampling; a command gets sig, once (it decides how to stop, and a second
// Stop forwards again), and the watch ends when it exits, without a
// restart. Once the watch is writing its bundle, Stop only says so.
func (wt *Watch) Stop(sig os.Signal) {
	select {
	case <-wt.finishing:
		fmt.Fprintf(wt.cfg.Messages, "perfcap: %v received; finishing the bundle so nothing is lost (a moment)\n", sig)
		return
	default:
	}
	wt.stopOnce.Do(func() { close(wt.stop) })
	if wt.cfg.PID != 0 {
		wt.cancelMu.Lock()
		if wt.cancel != nil {
			wt.cancel()
		}
		wt.cancelMu.Unlock()
		return
	}
	select {
	case wt.fwd <- sig:
	default:
	}
}

func (wt *Watch) stopped() bool {
	select {
	case <-wt.stop:
		return true
	default:
		return false
	}
}

// Run watches until the duration passes, the process ends, ctx is done or
// Stop is called, then writes the bundle. The spool is removed once the
// bundle is written (unless KeepSpool); when writing fails, the error says
// how to retry from it.
func (wt *Watch) Run(ctx context.Context) (res *Result, err error) {
	spoolClosed := false
	defer func() {
		if !spoolClosed {
			_ = wt.sp.Close()
		}
	}()
	snapCtx, stopSnaps := context.WithCancel(context.Background())
	defer stopSnaps()
	wt.snapWG.Add(1)
	go wt.snapshotLoop(snapCtx)
	selfBefore := capture.SelfCPUSeconds()

	var factsWG sync.WaitGroup
	if !wt.cfg.NoFacts && wt.cfg.PID != 0 {
		factsWG.Add(1)
		go func() {
			defer factsWG.Done()
			wt.collectFacts(ctx)
		}()
	}
	ended, exit, err := wt.loop(ctx)
	if err != nil && exit == (bundle.Exit{}) && wt.cfg.PID == 0 {
		// The command never started (not found, not executable): there
		// is nothing to keep.
		_ = wt.sp.Close()
		spoolClosed = true
		_ = os.RemoveAll(wt.dir)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	close(wt.finishing)
	wt.w.event(spool.Event{T: time.Since(wt.epoch).Seconds(), Kind: "end", Detail: ended})

	// Snapshots in progress finish first: their events belong in the
	// bundle; so do the facts of a short watch (the probes take ~1 s).
	factsWG.Wait()
	wt.pending.Wait()
	stopSnaps()
	wt.snapWG.Wait()
	if err := wt.sp.Close(); err != nil {
		fmt.Fprintf(wt.cfg.Messages, "perfcap: closing the spool: %v\n", err)
	}
	spoolClosed = true
	sb := &spoolBundle{
		dir: wt.dir, out: wt.bundle, force: wt.cfg.Force, meta: wt.meta, red: wt.red, lang: wt.cfg.Lang, ended: ended, exit: exit,
		perfcapCPU: capture.SelfCPUSeconds() - selfBefore,
	}
	sum, sha, size, err := sb.write()
	if err != nil {
		return nil, fmt.Errorf("%w; the samples are safe in %s: retry with `perfcap bundle %s`", err, wt.dir, wt.dir)
	}
	if !wt.cfg.KeepSpool {
		if err := os.RemoveAll(wt.dir); err != nil {
			fmt.Fprintf(wt.cfg.Messages, "perfcap: removing the spool: %v\n", err)
		}
	}
	return &Result{Bundle: sb.written, Asked: wt.bundle, SHA256: sha, Size: size, Summary: sum, AlertFired: wt.alertFired(), Ended: ended}, nil
}

// loop samples until the watch ends and says why it ended and how the
// command last exited.
func (wt *Watch) loop(ctx context.Context) (ended string, exit bundle.Exit, err error) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	wt.cancelMu.Lock()
	wt.cancel = cancel
	wt.cancelMu.Unlock()
	if wt.stopped() {
		cancel() // stopped before the loop began
	}
	if wt.cfg.Duration > 0 {
		var c2 context.CancelFunc
		runCtx, c2 = context.WithDeadline(runCtx, wt.epoch.Add(wt.cfg.Duration))
		defer c2()
	}
	if wt.cfg.SnapshotEvery > 0 {
		go wt.snapshotTicker(runCtx)
	}
	onSample := func(s capture.Sample) {
		wt.w.sample(s)
		if wt.cfg.OnSample != nil {
			wt.cfg.OnSample(s)
		}
	}
	ended = "exited"
	if wt.cfg.PID != 0 {
		wt.w.event(spool.Event{Kind: "start", PID: wt.target.PID, Detail: "watching " + wt.target.Name})
		exited, err := capture.WatchPID(runCtx, capture.WatchPIDOptions{Process: wt.target, Interval: wt.cfg.Interval, Epoch: wt.epoch, OnSample: onSample})
		if err != nil {
			return "", exit, err
		}
		if exited {
			wt.w.event(spool.Event{T: time.Since(wt.epoch).Seconds(), Kind: "exit", PID: wt.target.PID, Detail: "process ended"})
		} else {
			ended = "duration"
		}
	} else {
		logs := [2]*spool.LogSpool{wt.sp.Log("stdout", wt.cfg.LogHead, wt.cfg.LogTail), wt.sp.Log("stderr", wt.cfg.LogHead, wt.cfg.LogTail)}
		exit, ended, err = wt.runCommand(runCtx, logs, onSample)
		for _, l := range logs {
			if err := cmp.Or(l.Err(), l.Close()); err != nil {
				fmt.Fprintf(wt.cfg.Messages, "perfcap: spooling the command's output: %v\n", err)
			}
		}
		if err != nil {
			return ended, exit, err
		}
	}
	switch {
	case wt.stopped():
		ended = "signal"
	case ended != "exited" && runCtx.Err() != nil && wt.cfg.Duration > 0:
		ended = "duration"
	}
	return ended, exit, nil
}

// runCommand runs the command, again after each exit with Restart, until
// it exits for good or ctx ends. It returns the last exit status and why
// the watch ended.
func (wt *Watch) runCommand(ctx context.Context, logs [2]*spool.LogSpool, onSample func(capture.Sample)) (bundle.Exit, string, error) {
	var exit bundle.Exit
	backoff := time.Second
	for run := 0; ; run++ {
		started := time.Now()
		res, err := capture.Run(ctx, capture.Options{
			Argv: wt.cfg.Argv, Dir: wt.cwd, Stdout: wt.cfg.Stdout, Stderr: wt.cfg.Stderr,
			StdoutLog: logs[0], StderrLog: logs[1], Interval: wt.cfg.Interval, Epoch: wt.epoch,
			OnSample: onSample, Signals: wt.fwd,
			Foreign: func(run func(*exec.Cmd) error) {
				wt.foreignM.Lock()
				wt.foreign = run
				wt.foreignM.Unlock()
			},
			Probes: func(run func(*exec.Cmd) error) {
				if !wt.cfg.NoFacts && !wt.factsDone {
					wt.factsDone = true
					wt.collectFacts(ctx)
				}
			},
		})
		wt.foreignM.Lock()
		wt.foreign = nil
		wt.foreignM.Unlock()
		t := time.Since(wt.epoch).Seconds()
		if err != nil {
			if run == 0 {
				return exit, "exited", err
			}
			wt.w.event(spool.Event{T: t, Kind: "exit", Detail: "cannot start: " + err.Error()})
			return exit, "exited", nil
		}
		exit = bundle.Exit{Code: res.Summary.ExitCode, Signal: res.Summary.Signal}
		wt.w.event(spool.Event{T: t, Kind: "exit", Detail: exitDetail(exit.Code, exit.Signal)})
		if ctx.Err() != nil {
			return exit, "duration", nil
		}
		if wt.stopped() {
			return exit, "signal", nil
		}
		if !wt.cfg.Restart {
			return exit, "exited", nil
		}
		// A command that keeps dying at once is restarted ever more
		// slowly, up to a minute apart.
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
			return exit, "duration", nil
		case <-wt.stop:
			return exit, "signal", nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
		wt.w.event(spool.Event{T: time.Since(wt.epoch).Seconds(), Kind: "restart", Detail: fmt.Sprintf("restart %d after %s", run+1, exitDetail(exit.Code, exit.Signal))})
		if !wt.cfg.Quiet {
			fmt.Fprintf(wt.cfg.Messages, "perfcap: %s ended (%s); restarting it\n", wt.meta.Command[0], exitDetail(exit.Code, exit.Signal))
		}
	}
}

// collectFacts writes env.json into the spool, once, early.
func (wt *Watch) collectFacts(ctx context.Context) {
	env := facts.Collect(ctx, facts.Options{Dir: wt.cwd, Command: wt.meta.Command, Env: wt.red.Env(os.Environ()), Run: wt.runForeign})
	b, err := env.MarshalIndented()
	if err == nil {
		err = wt.sp.AddFile(spool.EnvFile, b)
	}
	if err != nil {
		fmt.Fprintf(wt.cfg.Messages, "perfcap: env.json: %v\n", err)
	}
}

// runForeign runs one of perfcap's own children (a probe, perf, the
// --on-alert command): through Run's reaper while a command runs, so it
// is neither measured nor reaped by mistake.
func (wt *Watch) runForeign(cmd *exec.Cmd) error {
	wt.foreignM.Lock()
	run := wt.foreign
	wt.foreignM.Unlock()
	if run != nil {
		return run(cmd)
	}
	return cmd.Run()
}

func (wt *Watch) alertFired() bool {
	wt.snapMu.Lock()
	defer wt.snapMu.Unlock()
	return wt.alerted
}

// exitDetail and parseExitDetail put an exit status into an event's text
// and back: "exit 3", "signal SIGKILL".
func exitDetail(code int, sig string) string {
	if sig != "" {
		return "signal " + sig
	}
	return fmt.Sprint("exit ", code)
}
