package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/assemble"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/compare"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/units"
)

// runOptions are the flags of `perfcap run` (and of perfcap itself).
type runOptions struct {
	io       *iostreams.IOStreams
	argv     []string
	output   string
	interval time.Duration
	logLimit string
	redact   []string
	quiet    bool
	noPTY    bool
	perf     perfFlags
	metrics  []string
	attach   []string
	lang     string
	template string
	github   bool
	force    bool
	baseline string
	// push says where the bundle goes once written (--push, --pyroscope).
	push pushOptions
	// now is the clock for the bundle's name; tests may fix it.
	now func() time.Time
}

func addRunFlags(cmd *cobra.Command, opts *runOptions) {
	f := cmd.Flags()
	f.StringVarP(&opts.output, "output", "o", "", "write the bundle to `PATH`, or into PATH when it is a directory (default ./perfcap-YYYYMMDD-HHMMSS-NAME.tar.zst)")
	f.DurationVar(&opts.interval, "interval", capture.DefaultInterval, "sample the process tree every `DURATION` (10ms to 1h)")
	f.StringVar(&opts.logLimit, "log-limit", "1MiB,4MiB", "keep the first HEAD and last TAIL bytes of each output stream (`HEAD,TAIL`, or one size split 1:4)")
	f.StringArrayVar(&opts.redact, "redact", nil, "also redact text matching `REGEX` in the command line, environment and logs (repeatable)")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "no live status line and no summary on stderr")
	f.BoolVar(&opts.noPTY, "no-pty", false, "give the command pipes even when perfcap's output is a terminal")
	f.StringArrayVar(&opts.metrics, "metric", nil, "take `NAME=REGEX` from the command's output into the metrics (first group or whole match; repeatable)")
	f.StringArrayVar(&opts.attach, "attach", nil, "add the files matching `GLOB` to the bundle under attach/ (repeatable)")
	f.StringVar(&opts.lang, "lang", "zh", "language of report.md: zh or en")
	f.StringVar(&opts.template, "template", "", "fill report.md from your own Go text/template `FILE`")
	f.StringVar(&opts.baseline, "baseline", "", "compare with an earlier run's `BUNDLE` in report.md's regression sections (as perfcap diff does)")
	f.BoolVar(&opts.github, "github", false, "also write a .zip beside the bundle that GitHub accepts as an attachment")
	f.BoolVar(&opts.force, "force", false, "replace a file at the bundle's path (default: take the next free name, NAME-2.tar.zst)")
	f.StringVar(&opts.push.gateway, "push", "", "once the bundle is written, send its figures to the Prometheus Pushgateway at `URL`, as perfcap push does")
	addPushFlags(cmd, &opts.push)
	addPerfFlags(cmd, &opts.perf)
}

func newRunCmd(io *iostreams.IOStreams) *cobra.Command {
	opts := &runOptions{io: io}
	cmd := &cobra.Command{
		Use:   "run [flags] -- COMMAND [ARGS...]",
		Short: "Run a command and capture a bundle (the same as perfcap -- COMMAND)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.argv = args
			return runRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().SetInterspersed(false)
	addRunFlags(cmd, opts)
	return cmd
}

// runPlan is what runRun checked and parsed from the flags.
type runPlan struct {
	perf       capture.PerfOptions // checked; Dir is set per run
	head, tail int64
	red        *redact.Redactor
	rules      []bench.MetricRule
	// baseline is --baseline's bundle, read before the command runs.
	baseline *compare.Run
}

// check validates the flags before anything runs.
func (opts *runOptions) check(ctx context.Context) (*runPlan, error) {
	bad := func(err error) error { return &codeError{code: exitError, err: err} }
	if opts.interval < capture.MinInterval || opts.interval > capture.MaxInterval {
		return nil, bad(fmt.Errorf("--interval %v is outside %v to %v; try --interval 100ms", opts.interval, capture.MinInterval, capture.MaxInterval))
	}
	p := &runPlan{}
	var err error
	if p.head, p.tail, err = units.ParseLogLimit(opts.logLimit); err != nil {
		return nil, bad(fmt.Errorf("--log-limit: %w", err))
	}
	if p.red, err = redact.New(opts.redact); err != nil {
		return nil, bad(fmt.Errorf("--redact: %w", err))
	}
	if opts.template != "" {
		if _, err := os.Stat(opts.template); err != nil {
			return nil, bad(fmt.Errorf("--template: %w", err))
		}
	}
	if opts.lang != "zh" && opts.lang != "en" {
		return nil, bad(fmt.Errorf("--lang %q: perfcap writes reports in zh or en; try --lang en", opts.lang))
	}
	for _, m := range opts.metrics {
		rule, err := bench.ParseMetricRule(m)
		if err != nil {
			return nil, bad(fmt.Errorf("--metric: %w", err))
		}
		p.rules = append(p.rules, rule)
	}
	if !opts.perf.off {
		p.perf = capture.PerfOptions{Freq: opts.perf.freq, CallGraph: opts.perf.callGraph, Event: opts.perf.event, MaxSize: opts.perf.maxSize}
		if err := capture.CheckPerfOptions(ctx, &p.perf); err != nil {
			return nil, bad(err)
		}
	}
	if opts.baseline != "" {
		if p.baseline, err = compare.Load(opts.baseline); err != nil {
			return nil, bad(fmt.Errorf("--baseline: %w", err))
		}
	}
	if err := opts.push.check(); err != nil {
		return nil, bad(err)
	}
	return p, nil
}

func runRun(ctx context.Context, opts *runOptions) (err error) {
	plan, err := opts.check(ctx)
	if err != nil {
		return err
	}
	// perfcap needs no parallelism of its own while it watches a command,
	// and with one P the Go scheduler wakes no spinning thread on each
	// sampling tick: about 15 % less CPU and context switches, measured.
	runtime.GOMAXPROCS(1)

	// Signals are caught from here to the end: during the run they go to
	// the command, while the bundle is written they are only noted, so an
	// impatient second Ctrl-C cannot leave a half-written bundle.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, capture.ForwardedSignals...)
	defer signal.Stop(sigs)

	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	now := time.Now
	if opts.now != nil {
		now = opts.now
	}
	// The environment's secrets are learned first, so that they are
	// hidden wherever they appear (the name, the logs, the files).
	plan.red.Env(os.Environ())
	path := bundle.OutputPath(opts.output, "", now(), plan.red.Argv(opts.argv)[0])
	s, err := assemble.NewSession(opts.sessionConfig(plan, path, cwd, sigs))
	if err != nil {
		return placeError(err)
	}
	defer func() {
		if err != nil {
			s.Abort()
		}
	}()
	defer s.Close()
	res, err := s.Capture(ctx)
	if err != nil {
		return placeError(err)
	}
	done := make(chan struct{})
	stopNotes := sync.OnceFunc(func() { close(done) })
	defer stopNotes()
	go noteSignals(sigs, done, opts.io.ErrOut)
	// From here the command has run: its result is never lost.
	d, err := s.Finish(res)
	if err != nil {
		return failed(opts, s, res, err)
	}
	if !opts.quiet {
		printSummary(opts.io.ErrOut, s.Path(), &res.Summary)
		sha, size := s.Archive()
		fmt.Fprintf(opts.io.ErrOut, "perfcap: sha256 %s  %s (%s)\n", sha, filepath.Base(s.Path()), units.FormatSize(size))
		fmt.Fprintf(opts.io.ErrOut, "perfcap: suggested issue title: %s  (labels: %s)\n", report.Title(d), strings.Join(report.Labels(), ", "))
	}
	if s.Path() != path {
		fmt.Fprintf(opts.io.ErrOut, "perfcap: %s already exists; this bundle is %s (--force replaces)\n", path, s.Path())
	}
	if opts.push.enabled() {
		stopNotes() // the bundle is written: a signal now only abandons the push
		opts.push.io, opts.push.path, opts.push.quiet = opts.io, s.Path(), opts.quiet
		pushBundle(ctx, &opts.push, sigs)
	}
	if opts.github {
		if err := exportGitHub(opts.io, s.Path(), zipName(s.Path())); err != nil {
			return fmt.Errorf("the bundle %s is written, but not the GitHub .zip: %w", s.Path(), err)
		}
	}
	if res.Summary.ExitCode != 0 {
		return &codeError{code: res.Summary.ExitCode}
	}
	return nil
}

// sessionConfig configures the run engine from the checked flags: the
// live status line (on a terminal, without --quiet) wraps the command's
// output, and the engine's warnings go to stderr.
func (opts *runOptions) sessionConfig(plan *runPlan, path, cwd string, sigs chan os.Signal) assemble.SessionConfig {
	stderrOut := opts.io.ErrOut
	cfg := assemble.SessionConfig{
		Argv: opts.argv, Cwd: cwd, Path: path, Force: opts.force, Version: version,
		Interval: opts.interval, Redactor: plan.red, RedactRules: opts.redact,
		Head: plan.head, Tail: plan.tail, Rules: plan.rules,
		KeepPerfData: opts.perf.keepData, NoInline: opts.perf.noInline,
		Attach: opts.attach, Lang: opts.lang, Template: opts.template, Baseline: plan.baseline,
		Stdin: opts.io.In, Stdout: opts.io.Out, Stderr: opts.io.ErrOut, Signals: sigs,
		Warn: warnTo(stderrOut),
		Error: func(err error) {
			var be *assemble.BaselineError
			if errors.As(err, &be) {
				fmt.Fprintf(stderrOut, "perfcap: --baseline: %v; report.md leaves the regression sections blank\n", be.Err)
				return
			}
			fmt.Fprintf(stderrOut, "perfcap: %v\n", err)
		},
	}
	if !opts.perf.off {
		perf := plan.perf
		cfg.Perf = &perf
	}
	if opts.io.ErrTTY != nil && !opts.quiet {
		status := newStatusLine(opts.io.ErrOut, opts.io.ErrWidth())
		cfg.Stderr = status.wrap(cfg.Stderr)
		if opts.io.OutTTY != nil {
			cfg.Stdout = status.wrap(cfg.Stdout)
		}
		cfg.OnSample, cfg.OnCommandEnd = status.update, status.stop
	}
	if !opts.noPTY {
		cfg.StdoutTTY, cfg.StderrTTY = opts.io.OutTTY, opts.io.ErrTTY
	}
	return cfg
}

// placeError says the bundle cannot be written where -o asks and what to do.
func placeError(err error) error {
	var pe *assemble.PlaceError
	if !errors.As(err, &pe) {
		return err
	}
	if pe.Beside {
		return fmt.Errorf("cannot write beside the bundle: %w; choose another place with -o PATH", pe.Err)
	}
	return fmt.Errorf("cannot write the bundle: %w; choose another place with -o PATH", pe.Err)
}

// pushBundle sends the written bundle where --push and --pyroscope say.
// Whatever happens is a warning: the bundle is written and the exit code
// stays the command's. A signal abandons the push at once.
func pushBundle(ctx context.Context, opts *pushOptions, sigs <-chan os.Signal) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case sig := <-sigs:
			fmt.Fprintf(opts.io.ErrOut, "perfcap: %v received; the push is abandoned (the bundle is written)\n", sig)
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := opts.send(ctx); err != nil {
		fmt.Fprintf(opts.io.ErrOut, "perfcap: warning: nothing pushed: %v; the bundle is unchanged\n", err)
	}
}

// failed reports a bundle that could not be written (a full disk, a
// read-only directory): the command's result first, then where everything
// measured is kept and the command that packs it. perfcap exits with the
// command's non-zero code (a failing benchmark must still fail CI), else
// with 125.
func failed(opts *runOptions, s *assemble.Session, res *capture.Result, err error) error {
	printSummary(opts.io.ErrOut, "", &res.Summary)
	dir := s.Dir()
	msg := fmt.Errorf("writing the bundle failed: %w; everything measured is kept in %s: once there is room, pack it with `perfcap bundle %s`", err, dir, dir)
	code := exitError
	if res.Summary.ExitCode != 0 {
		code = res.Summary.ExitCode
	}
	return &codeError{code: code, err: msg}
}

// noteSignals tells the user why perfcap does not stop at once while it
// writes the bundle.
func noteSignals(sigs <-chan os.Signal, done <-chan struct{}, w io.Writer) {
	for {
		select {
		case <-done:
			return
		case sig := <-sigs:
			fmt.Fprintf(w, "perfcap: %v received; finishing the bundle so nothing is lost (a moment)\n", sig)
		}
	}
}
