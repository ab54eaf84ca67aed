package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/alert"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/units"
	"github.com/perfcap/perfcap/metrics"
	"github.com/perfcap/perfcap/watch"
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
	force         bool
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
	metricsAddr   string
	labels        []string
	pyroscope     string
	tenant        string
	// getenv reads the Pyroscope credentials; tests replace it.
	getenv func(string) string
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
	f.BoolVar(&opts.force, "force", false, "replace a file at the bundle's path (default: take the next free name, NAME-2.tar.zst)")
	f.DurationVar(&opts.interval, "interval", time.Second, "sample every `DURATION` (10ms to 1h)")
	f.DurationVar(&opts.duration, "duration", 0, "stop after `DURATION` (default: until the process ends or Ctrl-C)")
	f.BoolVar(&opts.pss, "pss", false, "also read PSS and USS from /proc/PID/smaps_rollup (costs more per sample)")
	f.BoolVar(&opts.restart, "restart", false, "start COMMAND again when it exits (not when perfcap stops it)")
	f.DurationVar(&opts.warmup, "warmup", 0, "leave the first `DURATION` out of the growth verdict (default: half of a watch under 10m, else the longer of 5m and 10% of the watch)")
	f.DurationVar(&opts.bucket, "trend-bucket", 0, "fit the growth on the minimum RSS of buckets this wide, longer than a GC cycle (default: a tenth of the watch after its warm-up, at most 30s, and at least the longest RSS cycle seen)")
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
	f.StringVar(&opts.metricsAddr, "metrics-addr", "", "serve Prometheus metrics of the watch on http://`HOST:PORT`/metrics (a port alone: 127.0.0.1)")
	f.StringArrayVar(&opts.labels, "label", nil, "add the label `NAME=VALUE` to the --metrics-addr series and the --pyroscope profiles (repeatable)")
	f.StringVar(&opts.pyroscope, "pyroscope", "", "upload each snapshot's CPU profile to the Pyroscope server at `URL` (/ingest), in the background")
	f.StringVar(&opts.tenant, "pyroscope-tenant", "", "send `ID` as X-Scope-OrgID to a multi-tenant Pyroscope (default $PERFCAP_PYROSCOPE_TENANT)")
	return cmd
}

func runWatch(ctx context.Context, opts *watchOptions) error {
	cfg, err := opts.config()
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	xopts := metrics.WatchExportOptions{Addr: opts.metricsAddr, Pyroscope: opts.pyroscope, Tenant: opts.tenant, Labels: opts.labels,
		PID: opts.pid, PSS: opts.pss, SnapshotPerf: opts.snapshotPerf, Getenv: opts.getenv, Quiet: opts.quiet}
	if err := xopts.Check(); err != nil {
		return &codeError{code: exitError, err: err}
	}
	// One P: perfcap needs no parallelism, and a week of ticks on one P
	// costs less (see runRun).
	runtime.GOMAXPROCS(1)
	// Signals: INT/TERM/HUP/QUIT end the watch (forwarded to a command
	// perfcap started), USR1 asks for a snapshot.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, append([]os.Signal{syscall.SIGUSR1}, capture.ForwardedSignals...)...)
	defer signal.Stop(sigs)

	var status *statusLine
	cfg.Stdout, cfg.Stderr, cfg.Messages = opts.io.Out, opts.io.ErrOut, opts.io.ErrOut
	if opts.io.ErrTTY != nil && !opts.quiet {
		status = newStatusLine(opts.io.ErrOut, opts.io.ErrWidth())
		cfg.Stderr = status.wrap(cfg.Stderr)
		cfg.Messages = cfg.Stderr
		if opts.io.OutTTY != nil {
			cfg.Stdout = status.wrap(cfg.Stdout)
		}
		cfg.OnSample = status.update
	}
	xopts.Messages = cfg.Messages
	exports := metrics.NewWatchExports(xopts)
	exports.Hook(&cfg)
	w, err := watch.New(cfg)
	if errors.Is(err, watch.ErrNoProcess) {
		return &codeError{code: exitInvalid, err: err}
	}
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	if status != nil {
		status.suffix = w.StatusSuffix
	}
	if !opts.quiet {
		what := strings.Join(w.Command(), " ")
		if opts.pid != 0 {
			what = fmt.Sprintf("pid %d (%s)", opts.pid, w.Target().Name)
		}
		fmt.Fprintf(opts.io.ErrOut, "perfcap: watching %s every %v; spool %s\nperfcap: Ctrl-C (or SIGTERM) ends the watch and writes %s; kill -USR1 %d writes a snapshot\n",
			what, cfg.Interval, w.SpoolDir(), w.Bundle(), os.Getpid())
	}
	exports.Start(w)
	defer exports.Close()
	if opts.pyroscope != "" && !opts.quiet && opts.snapshotEvery == 0 && len(opts.alerts) == 0 {
		fmt.Fprintf(cfg.Messages, "perfcap: --pyroscope uploads the CPU profile of each snapshot; without --snapshot-every or --alert only kill -USR1 %d takes one\n", os.Getpid())
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				if sig == syscall.SIGUSR1 {
					w.Snapshot("SIGUSR1")
				} else {
					w.Stop(sig)
				}
			}
		}
	}()
	if status == nil && !opts.quiet && opts.progress > 0 {
		go printProgress(w, opts.progress, cfg.Messages, done)
	}
	res, err := w.Run(ctx)
	if status != nil {
		status.stop()
	}
	if err != nil {
		return err
	}
	if res.Bundle != res.Asked {
		fmt.Fprintf(opts.io.ErrOut, "perfcap: %s already exists; this bundle is %s (--force replaces)\n", res.Asked, res.Bundle)
	}
	if !opts.quiet {
		printWatchSummary(opts.io.ErrOut, res.Bundle, res.Summary, res.SHA256, res.Size)
	}
	if res.AlertFired {
		return &codeError{code: exitAlert}
	}
	if opts.pid == 0 && !opts.restart && res.Ended == "exited" && res.Summary.ExitCode != 0 {
		return &codeError{code: res.Summary.ExitCode}
	}
	return nil
}

// config turns the flags into the watch's Config.
func (opts *watchOptions) config() (watch.Config, error) {
	cfg := watch.Config{
		PID: opts.pid, Argv: opts.argv, SpoolDir: opts.dir, KeepSpool: opts.keepSpool, Force: opts.force,
		Interval: opts.interval, Duration: opts.duration, PSS: opts.pss, Restart: opts.restart,
		Warmup: opts.warmup, Bucket: opts.bucket, AlertSpecs: opts.alerts,
		OnAlert: opts.onAlert, PprofURL: opts.pprofURL, SnapshotEvery: opts.snapshotEvery, SnapshotPerf: opts.snapshotPerf,
		RedactPatterns: opts.redact, Lang: opts.lang, NoFacts: opts.noFacts, Version: version, Now: opts.now, Quiet: opts.quiet,
	}
	if opts.interval == 0 {
		return cfg, fmt.Errorf("--interval 0 is outside %v to %v; try --interval 1s", capture.MinInterval, capture.MaxInterval)
	}
	for _, spec := range opts.alerts {
		r, err := alert.Parse(spec)
		if err != nil {
			return cfg, err
		}
		cfg.Alerts = append(cfg.Alerts, r)
	}
	if opts.minGrowth != "" {
		r, err := alert.Parse("growth>" + opts.minGrowth)
		if err != nil {
			return cfg, fmt.Errorf("--min-growth %q: want a rate like 1MiB/h or 10MiB/d", opts.minGrowth)
		}
		cfg.MinGrowth = r.Threshold
	}
	var err error
	if cfg.LogHead, cfg.LogTail, err = units.ParseLogLimit(opts.logLimit); err != nil {
		return cfg, fmt.Errorf("--log-limit: %v", err)
	}
	if cfg.Redactor, err = redact.New(opts.redact); err != nil {
		return cfg, fmt.Errorf("--redact: %v", err)
	}
	cfg.Redactor.Env(os.Environ()) // learn the environment's secrets first
	if opts.output != "" {
		now := time.Now
		if opts.now != nil {
			now = opts.now
		}
		name := "pid" + strconv.Itoa(opts.pid)
		if len(opts.argv) > 0 {
			name = cfg.Redactor.Argv(opts.argv)[0]
		}
		cfg.Bundle = bundle.OutputPath(opts.output, "watch", now(), name)
	}
	return cfg, nil
}

// printProgress prints a progress line with the verdict so far every
// period until done (CI logs of a soak test, without a terminal).
func printProgress(w *watch.Watch, period time.Duration, out io.Writer, done <-chan struct{}) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-w.Sampled():
			return
		case <-tick.C:
			fmt.Fprintln(out, w.ProgressLine())
		}
	}
}
