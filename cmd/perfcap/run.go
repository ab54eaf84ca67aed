package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
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
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/compare"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
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
	path := bundlePath(opts.output, "", now(), plan.red.Argv(opts.argv)[0])
	w, err := bundle.NewWriterWith(path, bundle.WriterOptions{Force: opts.force, Skip: spool.IsPrivate, Redactor: plan.red})
	if err != nil {
		return fmt.Errorf("cannot write the bundle: %w; choose another place with -o PATH", err)
	}
	keepStaged := false
	defer func() {
		if err != nil && !keepStaged {
			_ = w.Abort()
		}
	}()
	rec, err := assemble.NewRecorder(w, plan.red, plan.head, plan.tail)
	if err != nil {
		return err
	}
	defer rec.Close()
	// If perfcap dies (SIGKILL, the OOM killer) or cannot pack, the
	// staging directory is a spool `perfcap bundle` turns into the bundle.
	unmark, unlock := func() error { return nil }, func() error { return nil }
	if abs, aerr := filepath.Abs(path); aerr == nil {
		if release, unl, err := spool.Mark(w.Dir(), spool.Meta{PerfcapVersion: version, Kind: "run", Mode: "command", Command: plan.red.Argv(opts.argv),
			Cwd: cwd, Started: time.Now().UTC(), Bundle: abs, IntervalSeconds: opts.interval.Seconds(), Lang: opts.lang,
			Redact: opts.redact}); err == nil {
			unmark, unlock = release, unl
		}
	}

	rs := &runState{opts: opts, plan: plan, w: w, rec: rec, path: path, cwd: cwd}
	res, err := rs.capture(ctx, sigs)
	if err != nil {
		_ = unmark()
		return err
	}
	done := make(chan struct{})
	stopNotes := sync.OnceFunc(func() { close(done) })
	defer stopNotes()
	go noteSignals(sigs, done, opts.io.ErrOut)
	// From here the command has run: its result is never lost.
	if err := rs.finish(ctx, res); err != nil {
		keepStaged = true
		_ = unlock() // recoverable now, by `perfcap bundle`
		return rs.failed(res, err)
	}
	_ = unmark()
	if w.Path() != path {
		fmt.Fprintf(opts.io.ErrOut, "perfcap: %s already exists; this bundle is %s (--force replaces)\n", path, w.Path())
	}
	if opts.push.enabled() {
		stopNotes() // the bundle is written: a signal now only abandons the push
		opts.push.io, opts.push.path, opts.push.quiet = opts.io, w.Path(), opts.quiet
		pushBundle(ctx, &opts.push, sigs)
	}
	if opts.github {
		if err := exportGitHub(opts.io, w.Path(), zipName(w.Path())); err != nil {
			return fmt.Errorf("the bundle %s is written, but not the GitHub .zip: %w", w.Path(), err)
		}
	}
	if res.Summary.ExitCode != 0 {
		return &codeError{code: res.Summary.ExitCode}
	}
	return nil
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
func (rs *runState) failed(res *capture.Result, err error) error {
	opts := rs.opts
	printSummary(opts.io.ErrOut, "", &res.Summary)
	dir := rs.w.Dir()
	msg := fmt.Errorf("writing the bundle failed: %w; everything measured is kept in %s: once there is room, pack it with `perfcap bundle %s`", err, dir, dir)
	code := exitError
	if res.Summary.ExitCode != 0 {
		code = res.Summary.ExitCode
	}
	return &codeError{code: code, err: msg}
}

// bundlePath is where a bundle asked for with -o out goes: out itself;
// inside out under the default name when out is an existing directory (as
// cp does); the default name in the current directory when out is empty.
func bundlePath(out, kind string, t time.Time, argv0 string) string {
	if out == "" {
		return bundle.DefaultName(kind, t, argv0)
	}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return filepath.Join(out, bundle.DefaultName(kind, t, argv0))
	}
	return out
}

// runState is one run between its start and its bundle.
type runState struct {
	opts      *runOptions
	plan      *runPlan
	w         *bundle.Writer
	rec       *assemble.Recorder
	path, cwd string
	machine   *facts.Facts
	benches   *assemble.Bench
	// perfSum holds what the perf step found (perf.data is folded before
	// its directory goes), until the summary is made.
	perfSum *format.Summary
}

// capture runs the command with the live status line, recording into
// the bundle's staging area.
func (rs *runState) capture(ctx context.Context, sigs chan os.Signal) (*capture.Result, error) {
	opts := rs.opts
	var status *statusLine
	stdout, stderr := opts.io.Out, opts.io.ErrOut
	if opts.io.ErrTTY != nil && !opts.quiet {
		status = newStatusLine(opts.io.ErrOut, opts.io.ErrWidth())
		stderr = status.wrap(stderr)
		if opts.io.OutTTY != nil {
			stdout = status.wrap(stdout)
		}
	}
	envVars := rs.plan.red.Env(os.Environ())
	rs.benches = assemble.NewBench(rs.plan.rules, rs.plan.red.String)
	copts := capture.Options{
		Argv: opts.argv, Dir: rs.cwd, Stdin: opts.io.In, Stdout: stdout, Stderr: stderr,
		StdoutLog: rs.benches.Stdout(rs.rec.StdoutLog),
		StderrLog: rs.benches.Stderr(rs.rec.StderrLog),
		OnLine:    rs.benches.Line,
		Interval:  opts.interval,
		Signals:   sigs,
		OnSample: func(s capture.Sample) {
			rs.rec.Sample(s)
			if status != nil {
				status.update(s)
			}
		},
		Probes: func(run func(*exec.Cmd) error) {
			rs.machine = facts.Collect(ctx, facts.Options{Dir: rs.cwd, Command: opts.argv, Env: envVars, Run: run})
		},
	}
	if !opts.noPTY {
		copts.StdoutTTY, copts.StderrTTY = opts.io.OutTTY, opts.io.ErrTTY
	}
	if !opts.perf.off {
		dir, err := perfDir(rs.path)
		if err != nil {
			return nil, fmt.Errorf("cannot write beside the bundle: %w; choose another place with -o PATH", err)
		}
		defer os.RemoveAll(dir)
		perf := rs.plan.perf
		perf.Dir = dir
		if !opts.perf.keepData {
			// In chunks, read as the command runs, into the staging
			// directory, where a killed perfcap leaves them for
			// `perfcap bundle`.
			perf.Spool, perf.NoInline = filepath.Join(rs.w.Dir(), format.PerfChunksDir), opts.perf.noInline
		}
		copts.Perf = &perf
		res, err := rs.run(ctx, copts, status)
		if err == nil && res.Perf != nil {
			// perf.data lives in dir, removed on return: fold it now.
			rs.foldPerf(ctx, res)
		}
		return res, err
	}
	return rs.run(ctx, copts, status)
}

// run runs the command and, the moment it ends, puts everything measured
// on disk, before any post-processing (stopping perf, perf script).
func (rs *runState) run(ctx context.Context, copts capture.Options, status *statusLine) (*capture.Result, error) {
	copts.OnExit = func() {
		if err := rs.rec.SyncRows(); err != nil {
			fmt.Fprintf(rs.opts.io.ErrOut, "perfcap: %v\n", err)
		}
	}
	res, err := capture.Run(ctx, copts)
	if status != nil {
		status.stop()
	}
	if err == nil {
		rs.benches.EndPhases(res.Ended.Sub(res.Started).Seconds(), res.Processes)
	}
	if serr := rs.rec.Settle(); err == nil && serr != nil {
		fmt.Fprintf(rs.opts.io.ErrOut, "perfcap: %v\n", serr)
	}
	return res, err
}

// foldPerf turns perf.data into the bundle's perf/ files.
func (rs *runState) foldPerf(ctx context.Context, res *capture.Result) {
	defer res.Perf.Close()
	rs.perfSum = &format.Summary{} // its Warnings are perf's alone
	for _, msg := range res.Perf.ChunkWarnings {
		warnTo(rs.opts.io.ErrOut)(msg)
	}
	assemble.Perf(ctx, rs.w, assemble.PerfInput{
		Recording: res.Perf.PerfRecording, Data: res.Perf.Data, Log: res.Perf.Log, Keep: rs.opts.perf.keepData,
		ChunkDir: res.Perf.ChunkDir, Chunks: res.Perf.Chunks, ChunkInline: res.Perf.ChunkInline,
		Title:      "perfcap -- " + strings.Join(rs.plan.red.Argv(rs.opts.argv), " "),
		ShallowFix: "rerun with --call-graph dwarf, or build Rust with RUSTFLAGS=-Cforce-frame-pointers=yes",
		Read: flame.PerfDataOptions{Fold: flame.FoldOptions{Annotate: true}, Warn: warnTo(rs.opts.io.ErrOut),
			NoInline: rs.opts.perf.noInline, Binaries: res.Perf.Binaries},
		UserCode:   assemble.UserCode(rs.machine, rs.cwd, os.Getenv),
		Benchmarks: rs.benches.Windows(),
		ClockStart: res.Perf.ClockStart,
	}, rs.perfSum)
}

// finish writes the run's bundle: benchmarks, attachments, perf, the
// samples and logs, the report; then prints what it found.
func (rs *runState) finish(ctx context.Context, res *capture.Result) error {
	opts, w := rs.opts, rs.w
	m := bundle.Manifest{
		PerfcapVersion: version,
		Created:        time.Now().UTC(),
		Command:        rs.plan.red.Argv(opts.argv),
		Cwd:            rs.cwd,
		Started:        res.Started.UTC(),
		Ended:          res.Ended.UTC(),
		Exit:           bundle.Exit{Code: res.Summary.ExitCode, Signal: res.Summary.Signal},
		Interrupted:    res.Summary.Interrupted,
	}
	sum := format.Summary{Totals: res.Summary}
	var benchWarnings []string
	sum.Benchmarks, sum.Metrics, benchWarnings = rs.benches.Finish(w, opts.argv, res.Started, rs.machine, rs.rec.StdoutKept())
	sum.Warnings = append(sum.Warnings, benchWarnings...)
	attached, attachErr := assemble.Attachments(w, opts.attach)
	sum.Attachments = attached
	if attachErr != nil {
		sum.Warnings = append(sum.Warnings, attachErr.Error())
	}
	if rs.perfSum != nil {
		sum.Perf = rs.perfSum.Perf
		sum.Warnings = append(sum.Warnings, rs.perfSum.Warnings...)
	}
	title := "perfcap -- " + strings.Join(m.Command, " ")
	if err := rs.rec.Finish(res, &sum, rs.machine, rs.plan.red, title); err != nil {
		return fmt.Errorf("writing the bundle: %w", err)
	}
	in := assemble.ReportInput{Manifest: m, Summary: &sum, Facts: rs.machine, Lang: opts.lang, Template: opts.template}
	if base := rs.plan.baseline; base != nil {
		cur := &compare.Run{Path: w.NextPath(), Manifest: m, Summary: &sum, Facts: rs.machine, Stacks: stagedStacks(w)}
		comparison, err := compare.Baseline(base, cur, compare.Options{})
		if err != nil {
			// The run's bundle matters more than the comparison.
			fmt.Fprintf(opts.io.ErrOut, "perfcap: --baseline: %v; report.md leaves the regression sections blank\n", err)
		}
		in.Comparison = comparison
	}
	d, err := assemble.Report(w, in)
	if err != nil && opts.template == "" {
		return fmt.Errorf("writing the bundle: %w", err)
	}
	if err != nil {
		// The run's evidence matters more than the user's template.
		fmt.Fprintf(opts.io.ErrOut, "perfcap: %v\n", err)
	}
	// Everything is staged: if packing fails or perfcap is killed now,
	// `perfcap bundle` packs the staged files as they are.
	if err := w.AddJSON(spool.PendingManifestFile, m); err != nil {
		return err
	}
	if err := w.Close(m); err != nil {
		return err
	}
	if !opts.quiet {
		printSummary(opts.io.ErrOut, w.Path(), &res.Summary)
		sha, size := w.Archive()
		fmt.Fprintf(opts.io.ErrOut, "perfcap: sha256 %s  %s (%s)\n", sha, filepath.Base(w.Path()), units.FormatSize(size))
		fmt.Fprintf(opts.io.ErrOut, "perfcap: suggested issue title: %s  (labels: %s)\n", report.Title(d), strings.Join(report.Labels(), ", "))
	}
	return nil
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

// stagedStacks reads the folded stacks the run staged, nil without.
func stagedStacks(w *bundle.Writer) []flame.Stack {
	f, err := os.Open(filepath.Join(w.Dir(), "perf", "folded.txt"))
	if err != nil {
		return nil
	}
	defer f.Close()
	stacks, err := flame.ReadFolded(f)
	if err != nil {
		return nil
	}
	return stacks
}
