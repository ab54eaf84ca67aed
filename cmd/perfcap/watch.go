package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/alert"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/units"
)

// exitAlert is watch's exit code when an alert fired.
const exitAlert = 3

// watchOptions are the flags of `perfcap watch`.
type watchOptions struct {
	io            *iostreams.IOStreams
	argv          []string
	pid           int
	output        string
	dir           string
	keepSpool     bool
	interval      time.Duration
	duration      time.Duration
	pss           bool
	restart       bool
	warmup        time.Duration
	bucket        time.Duration
	minGrowth     string
	alerts        []string
	onAlert       string
	pprofURL      string
	snapshotEvery time.Duration
	snapshotPerf  time.Duration
	progress      time.Duration
	redact        []string
	logLimit      string
	lang          string
	quiet         bool
	noFacts       bool
	// now is the clock for the bundle's name; tests may fix it.
	now func() time.Time
}

func newWatchCmd(io *iostreams.IOStreams) *cobra.Command {
	opts := &watchOptions{io: io}
	cmd := &cobra.Command{
		Use:   "watch [flags] (--pid PID | -- COMMAND [ARGS...])",
		Short: "Watch a long-running process for hours or days: is its memory growing?",
		Long: `perfcap watch samples the RSS, CPU, threads and open files of a running
process tree (--pid) or of a command it starts, for --duration or until the
process ends or perfcap gets SIGINT/SIGTERM, then writes a bundle whose
summary says whether memory is growing, how fast and since when.

Samples are spooled to disk as they are taken: if perfcap is killed, run
perfcap bundle DIR to turn the spool into the bundle. kill -USR1 writes a
snapshot bundle without stopping the watch.

Exit codes: 0 the watch ended and no alert fired; 3 an alert fired; with
-- COMMAND (no --restart), the command's own non-zero exit code when it
failed and no alert fired; 1 the --pid process does not exist; 125 perfcap
failed.`,
		Example: `  perfcap watch --pid 4242 --duration 24h --alert 'rss>2GiB'
  perfcap watch --restart --alert 'growth>50MiB/h' --pprof-url http://127.0.0.1:6060/debug/pprof/heap -- ./server
  kill -USR1 $(pgrep -f 'perfcap watch')    # a snapshot bundle now`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.argv = args
			return runWatch(cmd.Context(), opts)
		},
	}
	cmd.Flags().SetInterspersed(false)
	f := cmd.Flags()
	f.IntVarP(&opts.pid, "pid", "p", 0, "watch the running process `PID` and its descendants")
	f.StringVarP(&opts.output, "output", "o", "", "write the bundle to `PATH` (default ./perfcap-watch-YYYYMMDD-HHMMSS-NAME.tar.zst)")
	f.StringVar(&opts.dir, "dir", "", "spool samples to `DIR` (default: the bundle's path with .spool instead of .tar.zst)")
	f.BoolVar(&opts.keepSpool, "keep-spool", false, "keep the spool directory after the bundle is written")
	f.DurationVar(&opts.interval, "interval", time.Second, "sample every `DURATION` (10ms to 1h)")
	f.DurationVar(&opts.duration, "duration", 0, "stop after `DURATION` (default: until the process ends or Ctrl-C)")
	f.BoolVar(&opts.pss, "pss", false, "also read PSS and USS from /proc/PID/smaps_rollup (costs more per sample)")
	f.BoolVar(&opts.restart, "restart", false, "start COMMAND again when it exits (not when perfcap stops it)")
	f.DurationVar(&opts.warmup, "warmup", 0, "leave the first `DURATION` out of the growth verdict (default: the longer of 5m and 10% of the watch)")
	f.DurationVar(&opts.bucket, "trend-bucket", 0, "fit the growth on the minimum RSS of buckets this wide, longer than a GC cycle (default 30s)")
	f.StringVar(&opts.minGrowth, "min-growth", "", "the slowest growth worth calling growing, as a `RATE` like 1MiB/h (default: the larger of 1MiB/h and 0.5%/h of the mean RSS)")
	f.StringArrayVar(&opts.alerts, "alert", nil, "fire once when `RULE` holds: rss>2GiB, growth>50MiB/h, fds>1000, pss>..., threads>..., cpu>150 (repeatable)")
	f.StringVar(&opts.onAlert, "on-alert", "", "run `CMD` with sh when an alert fires; $1 and $PERFCAP_SNAPSHOT are the snapshot bundle, $PERFCAP_ALERT the alert")
	f.StringVar(&opts.pprofURL, "pprof-url", "", "fetch a Go heap profile from `URL` (/debug/pprof/heap) into every snapshot")
	f.DurationVar(&opts.snapshotEvery, "snapshot-every", 0, "also write a snapshot bundle every `DURATION`")
	f.DurationVar(&opts.snapshotPerf, "snapshot-perf", 5*time.Second, "record CPU stacks with perf for `DURATION` in each snapshot (0: none)")
	f.DurationVar(&opts.progress, "progress", 10*time.Minute, "without a terminal, print a progress line with the verdict so far every `DURATION` (0: never)")
	f.StringArrayVar(&opts.redact, "redact", nil, "also redact text matching `REGEX` in command lines and logs (repeatable)")
	f.StringVar(&opts.logLimit, "log-limit", "256KiB,1MiB", "keep the first HEAD and last TAIL bytes of the command's output (`HEAD,TAIL`)")
	f.StringVar(&opts.lang, "lang", "zh", "language of report.md: zh or en")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "no live status line and no summary on stderr")
	f.BoolVar(&opts.noFacts, "no-facts", false, "do not collect the machine's facts (env.json)")
	return cmd
}

// watchRun is the state of one watch.
type watchRun struct {
	opts   *watchOptions
	meta   spool.Meta
	sp     *spool.Writer
	w      *watcher
	red    *redact.Redactor
	epoch  time.Time
	bundle string

	snaps    chan snapshotReq
	snapWG   sync.WaitGroup
	pending  sync.WaitGroup // alerts waiting for room in snaps
	snapN    int
	snapMu   sync.Mutex
	alerted  bool
	foreign  func(*exec.Cmd) error // starts perfcap's own children while a command runs
	foreignM sync.Mutex
	// factsDone is set once env.json is collected (command mode: during
	// the first run, as perfcap run does).
	factsDone bool
	// stop is closed when perfcap is told to stop (SIGINT, SIGTERM, ...).
	stop           chan struct{}
	stdout, stderr io.Writer
}

func runWatch(ctx context.Context, opts *watchOptions) (err error) {
	bad := func(format string, a ...any) error {
		return &codeError{code: exitError, err: fmt.Errorf(format, a...)}
	}
	switch {
	case opts.pid != 0 && len(opts.argv) > 0:
		return bad("give either --pid PID or -- COMMAND, not both")
	case opts.pid == 0 && len(opts.argv) == 0:
		return bad("nothing to watch: give --pid PID or -- COMMAND (see `perfcap watch --help`)")
	case opts.pid < 0:
		return bad("--pid %d: a pid is a positive number; list processes with `ps -e`", opts.pid)
	case opts.restart && opts.pid != 0:
		return bad("--restart needs -- COMMAND: perfcap cannot restart a process it did not start")
	case opts.interval < capture.MinInterval || opts.interval > capture.MaxInterval:
		return bad("--interval %v is outside %v to %v; try --interval 1s", opts.interval, capture.MinInterval, capture.MaxInterval)
	case opts.duration < 0, opts.warmup < 0, opts.bucket < 0, opts.snapshotEvery < 0, opts.snapshotPerf < 0:
		return bad("durations must not be negative")
	case opts.lang != "zh" && opts.lang != "en":
		return bad("--lang %q: perfcap writes reports in zh or en; try --lang en", opts.lang)
	}
	var rules []alert.Rule
	for _, spec := range opts.alerts {
		r, err := alert.Parse(spec)
		if err != nil {
			return &codeError{code: exitError, err: err}
		}
		rules = append(rules, r)
	}
	var minGrowth float64
	if opts.minGrowth != "" {
		r, err := alert.Parse("growth>" + opts.minGrowth)
		if err != nil {
			return bad("--min-growth %q: want a rate like 1MiB/h or 10MiB/d", opts.minGrowth)
		}
		minGrowth = r.Threshold
	}
	head, tail, err := units.ParseLogLimit(opts.logLimit)
	if err != nil {
		return bad("--log-limit: %v", err)
	}
	red, err := redact.New(opts.redact)
	if err != nil {
		return bad("--redact: %v", err)
	}
	var target capture.ProcessInfo
	if opts.pid != 0 {
		target, err = capture.ReadProcessInfo("", opts.pid)
		if errors.Is(err, capture.ErrNoProcess) {
			return &codeError{code: exitInvalid, err: fmt.Errorf("no process %d to watch (%v); list processes with `ps -e`", opts.pid, err)}
		}
		if err != nil {
			return err
		}
	}
	// One P: perfcap needs no parallelism, and a week of ticks on one P
	// costs less (see runRun).
	runtime.GOMAXPROCS(1)

	// Signals: INT/TERM/HUP/QUIT end the watch (forwarded to a command
	// perfcap started), USR1 asks for a snapshot.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, append([]os.Signal{syscall.SIGUSR1}, capture.ForwardedSignals...)...)
	defer signal.Stop(sigs)

	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	now := time.Now
	if opts.now != nil {
		now = opts.now
	}
	wr := &watchRun{opts: opts, red: red, epoch: now(), stop: make(chan struct{})}
	name := "pid" + fmt.Sprint(opts.pid)
	command := red.Argv(target.Argv)
	if opts.pid == 0 {
		name = opts.argv[0]
		command = red.Argv(opts.argv)
	} else if len(command) == 0 {
		command = []string{target.Name}
	}
	wr.bundle = opts.output
	if wr.bundle == "" {
		wr.bundle = strings.Replace(defaultBundleName(wr.epoch, name), "perfcap-", "perfcap-watch-", 1)
	}
	dir := opts.dir
	if dir == "" {
		dir = strings.TrimSuffix(strings.TrimSuffix(wr.bundle, ".zst"), ".tar") + ".spool"
	}
	abs, _ := filepath.Abs(wr.bundle)
	wr.meta = spool.Meta{
		PerfcapVersion: version, Mode: "command", Command: command, Cwd: cwd,
		Started: wr.epoch.UTC(), Bundle: abs, IntervalSeconds: opts.interval.Seconds(),
		DurationSeconds: opts.duration.Seconds(), WarmupSeconds: opts.warmup.Seconds(),
		BucketSeconds: opts.bucket.Seconds(), MinGrowthBytesPerSec: minGrowth,
		Alerts: opts.alerts, PSS: opts.pss, Restart: opts.restart, Lang: opts.lang,
		Redact: opts.redact,
	}
	if opts.pid != 0 {
		wr.meta.Mode, wr.meta.PID, wr.meta.PIDStartTicks = "pid", target.PID, target.StartTicks
	}
	wr.sp, err = spool.Create(dir, wr.meta)
	if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.ENOTDIR) {
		err = fmt.Errorf("%w; choose another place with --dir DIR (and -o PATH for the bundle)", err)
	}
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	spoolClosed := false
	defer func() {
		if !spoolClosed {
			_ = wr.sp.Close()
		}
	}()
	wr.w = newWatcher(wr.sp, rules, trendOptions(wr.meta), opts.interval, opts.pss)
	wr.w.warn = opts.io.ErrOut
	wr.w.argv = func(pid int) []string {
		info, err := capture.ReadProcessInfo("", pid)
		if err != nil {
			return nil
		}
		return red.Argv(info.Argv)
	}
	wr.w.fire = wr.onAlert
	wr.snaps = make(chan snapshotReq, 4)
	snapCtx, stopSnaps := context.WithCancel(context.Background())
	defer stopSnaps()
	wr.snapWG.Add(1)
	go wr.snapshotLoop(snapCtx)

	selfBefore := capture.SelfCPUSeconds()

	var factsWG sync.WaitGroup
	if !opts.noFacts && opts.pid != 0 {
		factsWG.Add(1)
		go func() {
			defer factsWG.Done()
			wr.collectFacts(ctx, cwd, command)
		}()
	}
	if !opts.quiet {
		what := fmt.Sprintf("pid %d (%s)", opts.pid, target.Name)
		if opts.pid == 0 {
			what = strings.Join(command, " ")
		}
		fmt.Fprintf(opts.io.ErrOut, "perfcap: watching %s every %v; spool %s\nperfcap: Ctrl-C (or SIGTERM) ends the watch and writes %s; kill -USR1 %d writes a snapshot\n",
			what, opts.interval, dir, wr.bundle, os.Getpid())
	}
	var status *statusLine
	wr.stdout, wr.stderr = opts.io.Out, opts.io.ErrOut
	if opts.io.ErrTTY != nil && !opts.quiet {
		status = newStatusLine(opts.io.ErrOut, opts.io.ErrWidth())
		status.suffix = wr.w.statusSuffix
		wr.stderr = status.wrap(wr.stderr)
		if opts.io.OutTTY != nil {
			wr.stdout = status.wrap(wr.stdout)
		}
	}
	onSample := func(s capture.Sample) {
		wr.w.sample(s)
		if status != nil {
			status.update(s)
		}
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if opts.duration > 0 {
		var c2 context.CancelFunc
		runCtx, c2 = context.WithDeadline(runCtx, wr.epoch.Add(opts.duration))
		defer c2()
	}
	// loopDone ends the goroutines that serve the watch loop.
	loopDone := make(chan struct{})
	endLoop := sync.OnceFunc(func() { close(loopDone) })
	defer endLoop()
	if opts.snapshotEvery > 0 {
		go wr.snapshotTicker(runCtx)
	}
	if status == nil && !opts.quiet && opts.progress > 0 {
		go func() {
			tick := time.NewTicker(opts.progress)
			defer tick.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-loopDone:
					return
				case <-tick.C:
					fmt.Fprintln(wr.stderr, wr.w.progressLine())
				}
			}
		}()
	}
	ended := "exited"
	var exit bundle.Exit
	var logs [2]*spool.LogSpool
	stopped := make(chan string, 1) // why perfcap was told to stop
	fwd := make(chan os.Signal, 4)
	go func() {
		for {
			select {
			case <-loopDone:
				return
			case sig := <-sigs:
				if sig == syscall.SIGUSR1 {
					wr.requestSnapshot(snapshotReq{reason: "SIGUSR1"})
					continue
				}
				select {
				case stopped <- "signal":
					close(wr.stop)
				default:
				}
				if opts.pid != 0 {
					cancel()
					continue
				}
				// The command gets the signal, once: it decides how to
				// stop (a second Ctrl-C is forwarded too), and the watch
				// ends when it exits, without a restart.
				select {
				case fwd <- sig:
				default:
				}
			}
		}
	}()
	if opts.pid != 0 {
		wr.w.event(spool.Event{Kind: "start", PID: target.PID, Detail: "watching " + target.Name})
		exited, err := capture.WatchPID(runCtx, capture.WatchPIDOptions{Process: target, Interval: opts.interval, Epoch: wr.epoch, OnSample: onSample})
		if err != nil {
			return err
		}
		if exited {
			wr.w.event(spool.Event{T: time.Since(wr.epoch).Seconds(), Kind: "exit", PID: target.PID, Detail: "process ended"})
		} else {
			ended = "duration"
		}
	} else {
		logs[0], logs[1] = wr.sp.Log("stdout", head, tail), wr.sp.Log("stderr", head, tail)
		exit, ended, err = wr.runCommand(runCtx, cwd, logs, onSample, fwd)
		for _, l := range logs {
			if err := cmp.Or(l.Err(), l.Close()); err != nil {
				fmt.Fprintf(opts.io.ErrOut, "perfcap: spooling the command's output: %v\n", err)
			}
		}
		if err != nil && exit == (bundle.Exit{}) {
			// The command never started (not found, not executable):
			// there is nothing to keep.
			endLoop()
			_ = wr.sp.Close()
			spoolClosed = true
			_ = os.RemoveAll(dir)
			return err
		}
	}
	endLoop()
	if status != nil {
		status.stop()
	}
	select {
	case why := <-stopped:
		ended = why
	default:
		if ended != "exited" && runCtx.Err() != nil && opts.duration > 0 {
			ended = "duration"
		}
	}
	wr.w.event(spool.Event{T: time.Since(wr.epoch).Seconds(), Kind: "end", Detail: ended})

	// Snapshots in progress finish first: their events belong in the
	// bundle; so do the facts of a short watch (the probes take ~1 s).
	factsWG.Wait()
	wr.pending.Wait()
	stopSnaps()
	wr.snapWG.Wait()
	done := make(chan struct{})
	defer close(done)
	go noteSignals(sigs, done, opts.io.ErrOut)

	if err := wr.sp.Close(); err != nil {
		fmt.Fprintf(opts.io.ErrOut, "perfcap: closing the spool: %v\n", err)
	}
	spoolClosed = true
	wb := &watchBundle{
		dir: dir, out: wr.bundle, meta: wr.meta, red: red, lang: opts.lang, ended: ended, exit: exit,
		perfcapCPU: capture.SelfCPUSeconds() - selfBefore,
	}
	sum, sha, size, err := wb.write()
	if err != nil {
		return fmt.Errorf("%w; the samples are safe in %s: retry with `perfcap bundle %s`", err, dir, dir)
	}
	if !opts.keepSpool {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(opts.io.ErrOut, "perfcap: removing the spool: %v\n", err)
		}
	}
	if !opts.quiet {
		printWatchSummary(opts.io.ErrOut, wr.bundle, sum, sha, size)
	}
	if wr.alertFired() {
		return &codeError{code: exitAlert}
	}
	if opts.pid == 0 && !opts.restart && ended == "exited" && sum.ExitCode != 0 {
		return &codeError{code: sum.ExitCode}
	}
	return nil
}

// runCommand runs the command, again after each exit with --restart,
// until it exits for good or ctx ends. It returns the last exit status and
// why the watch ended.
func (wr *watchRun) runCommand(ctx context.Context, cwd string, logs [2]*spool.LogSpool, onSample func(capture.Sample), fwd chan os.Signal) (bundle.Exit, string, error) {
	opts := wr.opts
	var exit bundle.Exit
	backoff := time.Second
	for run := 0; ; run++ {
		started := time.Now()
		res, err := capture.Run(ctx, capture.Options{
			Argv:      opts.argv,
			Dir:       cwd,
			Stdout:    wr.stdout,
			Stderr:    wr.stderr,
			StdoutLog: logs[0],
			StderrLog: logs[1],
			Interval:  opts.interval,
			Epoch:     wr.epoch,
			OnSample:  onSample,
			Signals:   fwd,
			Probes: func(run func(*exec.Cmd) error) {
				wr.foreignM.Lock()
				wr.foreign = run
				wr.foreignM.Unlock()
				if !opts.noFacts && !wr.factsDone {
					wr.factsDone = true
					wr.collectFacts(ctx, cwd, wr.meta.Command)
				}
			},
		})
		wr.foreignM.Lock()
		wr.foreign = nil
		wr.foreignM.Unlock()
		t := time.Since(wr.epoch).Seconds()
		if err != nil {
			if run == 0 {
				return exit, "exited", err
			}
			wr.w.event(spool.Event{T: t, Kind: "exit", Detail: "cannot start: " + err.Error()})
			return exit, "exited", nil
		}
		exit = bundle.Exit{Code: res.Summary.ExitCode, Signal: res.Summary.Signal}
		wr.w.event(spool.Event{T: t, Kind: "exit", Detail: exitDetail(exit.Code, exit.Signal)})
		if ctx.Err() != nil {
			return exit, "duration", nil
		}
		select {
		case <-wr.stop:
			return exit, "signal", nil
		default:
		}
		if !opts.restart {
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
		case <-wr.stop:
			return exit, "signal", nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
		wr.w.event(spool.Event{T: time.Since(wr.epoch).Seconds(), Kind: "restart", Detail: fmt.Sprintf("restart %d after %s", run+1, exitDetail(exit.Code, exit.Signal))})
		if !opts.quiet {
			fmt.Fprintf(opts.io.ErrOut, "perfcap: %s ended (%s); restarting it\n", opts.argv[0], exitDetail(exit.Code, exit.Signal))
		}
	}
}

// collectFacts writes env.json into the spool, once, early.
func (wr *watchRun) collectFacts(ctx context.Context, cwd string, command []string) {
	env := facts.Collect(ctx, facts.Options{Dir: cwd, Command: command, Env: wr.red.Env(os.Environ()), Run: wr.runForeign})
	b, err := json.MarshalIndent(env, "", "  ")
	if err == nil {
		err = wr.sp.AddFile(spool.EnvFile, b)
	}
	if err != nil {
		fmt.Fprintf(wr.opts.io.ErrOut, "perfcap: env.json: %v\n", err)
	}
}

// runForeign runs one of perfcap's own children (a probe, perf, the
// --on-alert command): through Run's reaper while a command runs, so it
// is neither measured nor reaped by mistake.
func (wr *watchRun) runForeign(cmd *exec.Cmd) error {
	wr.foreignM.Lock()
	run := wr.foreign
	wr.foreignM.Unlock()
	if run != nil {
		return run(cmd)
	}
	return cmd.Run()
}

func (wr *watchRun) alertFired() bool {
	wr.snapMu.Lock()
	defer wr.snapMu.Unlock()
	return wr.alerted
}
