package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/internal/iostreams"
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
	// now is the clock for the bundle's name; tests may fix it.
	now func() time.Time
}

func addRunFlags(cmd *cobra.Command, opts *runOptions) {
	f := cmd.Flags()
	f.StringVarP(&opts.output, "output", "o", "", "write the bundle to `PATH` (default ./perfcap-YYYYMMDD-HHMMSS-NAME.tar.zst)")
	f.DurationVar(&opts.interval, "interval", capture.DefaultInterval, "sample the process tree every `DURATION` (10ms to 1h)")
	f.StringVar(&opts.logLimit, "log-limit", "1MiB,4MiB", "keep the first HEAD and last TAIL bytes of each output stream (`HEAD,TAIL`, or one size split 1:4)")
	f.StringArrayVar(&opts.redact, "redact", nil, "also redact text matching `REGEX` in the command line, environment and logs (repeatable)")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "no live status line and no summary on stderr")
	f.BoolVar(&opts.noPTY, "no-pty", false, "give the command pipes even when perfcap's output is a terminal")
	f.StringArrayVar(&opts.metrics, "metric", nil, "take `NAME=REGEX` from the command's output into the metrics (first group or whole match; repeatable)")
	f.StringArrayVar(&opts.attach, "attach", nil, "add the files matching `GLOB` to the bundle under attach/ (repeatable)")
	f.StringVar(&opts.lang, "lang", "zh", "language of report.md: zh or en")
	f.StringVar(&opts.template, "template", "", "fill report.md from your own Go text/template `FILE`")
	f.BoolVar(&opts.github, "github", false, "also write a .zip beside the bundle that GitHub accepts as an attachment")
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

func runRun(ctx context.Context, opts *runOptions) (err error) {
	if opts.interval < capture.MinInterval || opts.interval > capture.MaxInterval {
		return &codeError{code: exitError, err: fmt.Errorf("--interval %v is outside %v to %v; try --interval 100ms", opts.interval, capture.MinInterval, capture.MaxInterval)}
	}
	head, tail, err := capture.ParseLogLimit(opts.logLimit)
	if err != nil {
		return &codeError{code: exitError, err: fmt.Errorf("--log-limit: %w", err)}
	}
	red, err := redact.New(opts.redact)
	if err != nil {
		return &codeError{code: exitError, err: fmt.Errorf("--redact: %w", err)}
	}
	if opts.template != "" {
		if _, err := os.Stat(opts.template); err != nil {
			return &codeError{code: exitError, err: fmt.Errorf("--template: %w", err)}
		}
	}
	if opts.lang != "zh" && opts.lang != "en" {
		return &codeError{code: exitError, err: fmt.Errorf("--lang %q: perfcap writes reports in zh or en; try --lang en", opts.lang)}
	}
	var rules []bench.MetricRule
	for _, m := range opts.metrics {
		rule, err := bench.ParseMetricRule(m)
		if err != nil {
			return &codeError{code: exitError, err: fmt.Errorf("--metric: %w", err)}
		}
		rules = append(rules, rule)
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
	path := opts.output
	if path == "" {
		path = defaultBundleName(now(), opts.argv[0])
	}
	w, err := bundle.NewWriter(path)
	if err != nil {
		return fmt.Errorf("cannot write the bundle: %w; choose another place with -o PATH", err)
	}
	defer func() {
		if err != nil {
			_ = w.Abort()
		}
	}()

	rec, err := newRecorder(w, red, head, tail)
	if err != nil {
		return err
	}
	defer rec.close()
	// If perfcap dies (SIGKILL, the OOM killer), the staging directory is
	// a spool `perfcap bundle` can turn into the bundle.
	unmark := func() error { return nil }
	if abs, aerr := filepath.Abs(path); aerr == nil {
		if release, err := spool.Mark(w.Dir(), spool.Meta{PerfcapVersion: version, Mode: "command", Command: red.Argv(opts.argv),
			Cwd: cwd, Started: time.Now().UTC(), Bundle: abs, IntervalSeconds: opts.interval.Seconds(), Lang: opts.lang,
			Redact: opts.redact}); err == nil {
			unmark = release
		}
	}
	defer func() { _ = unmark() }()

	stderrIsTTY := opts.io.ErrTTY != nil && !opts.quiet
	var status *statusLine
	stdout, stderr := opts.io.Out, opts.io.ErrOut
	if stderrIsTTY {
		status = newStatusLine(opts.io.ErrOut, opts.io.ErrWidth())
		stderr = status.wrap(stderr)
		if opts.io.OutTTY != nil {
			stdout = status.wrap(stdout)
		}
	}
	var facts *capture.Facts
	env := red.Env(os.Environ())
	benches := newBenchCollector(rules)
	benches.redact = red.String
	copts := capture.Options{
		Argv:      opts.argv,
		Dir:       cwd,
		Stdin:     opts.io.In,
		Stdout:    stdout,
		Stderr:    stderr,
		StdoutLog: benches.stdout(rec.stdoutCap),
		StderrLog: benches.stderr(rec.stderrCap),
		Interval:  opts.interval,
		Signals:   sigs,
		OnSample: func(s capture.Sample) {
			rec.sample(s)
			if status != nil {
				status.update(s)
			}
		},
		Probes: func(run func(*exec.Cmd) error) {
			facts = capture.CollectFacts(ctx, capture.FactsOptions{Dir: cwd, Command: opts.argv, Env: env, Run: run})
		},
	}
	if !opts.noPTY {
		copts.StdoutTTY, copts.StderrTTY = opts.io.OutTTY, opts.io.ErrTTY
	}
	if !opts.perf.off {
		dir, err := perfDir(path)
		if err != nil {
			return fmt.Errorf("cannot write beside the bundle: %w; choose another place with -o PATH", err)
		}
		defer os.RemoveAll(dir)
		copts.Perf = &capture.PerfOptions{Dir: dir, Freq: opts.perf.freq, CallGraph: opts.perf.callGraph,
			Event: opts.perf.event, MaxSize: opts.perf.maxSize}
	}
	res, err := capture.Run(ctx, copts)
	if status != nil {
		status.stop()
	}
	if err != nil {
		return err
	}

	done := make(chan struct{})
	defer close(done)
	go noteSignals(sigs, done, opts.io.ErrOut)

	m := bundle.Manifest{
		PerfcapVersion: version,
		Created:        time.Now().UTC(),
		Command:        red.Argv(opts.argv),
		Cwd:            cwd,
		Started:        res.Started.UTC(),
		Ended:          res.Ended.UTC(),
		Exit:           bundle.Exit{Code: res.Summary.ExitCode, Signal: res.Summary.Signal},
		Interrupted:    res.Summary.Interrupted,
	}
	sum := bundleSummary{Summary: res.Summary}
	var kept bytes.Buffer
	_, _ = rec.stdoutCap.WriteTo(&kept)
	var benchWarnings []string
	sum.Benchmarks, sum.Metrics, benchWarnings = benches.finish(w, opts.argv, res.Started, facts, kept.Bytes())
	sum.Warnings = append(sum.Warnings, benchWarnings...)
	attached, attachErr := addAttachments(w, opts.attach)
	sum.Attachments = attached
	if attachErr != nil {
		sum.Warnings = append(sum.Warnings, attachErr.Error())
	}
	if res.Perf != nil {
		finishPerf(ctx, opts.io, w, res.Perf, opts.perf.keepData, "perfcap -- "+strings.Join(m.Command, " "), &sum,
			nil, "rerun with --call-graph dwarf, or build Rust with RUSTFLAGS=-Cforce-frame-pointers=yes")
		res.Summary = sum.Summary
	}
	if err := unmark(); err != nil {
		return fmt.Errorf("writing the bundle: %w", err)
	}
	unmark = func() error { return nil }
	if err := rec.finish(res, &sum, facts, red, "perfcap -- "+strings.Join(m.Command, " ")); err != nil {
		return fmt.Errorf("writing the bundle: %w", err)
	}
	d := reportData(m, &sum, facts, append(stagedFiles(w.Dir()), bundle.File{Path: "report.md"}), opts.lang)
	d.Bundle.Name = filepath.Base(path)
	var rb bytes.Buffer
	if err := renderReport(&rb, d, opts.lang, opts.template); err != nil {
		// The run's evidence matters more than the user's template.
		fmt.Fprintf(opts.io.ErrOut, "perfcap: %v; report.md uses the built-in template instead\n", err)
		rb.Reset()
		if err := renderReport(&rb, d, opts.lang, ""); err != nil {
			return fmt.Errorf("report.md: %w", err)
		}
	}
	if err := w.AddBytes("report.md", rb.Bytes()); err != nil {
		return fmt.Errorf("writing the bundle: %w", err)
	}
	if err := w.Close(m); err != nil {
		return fmt.Errorf("writing the bundle %s: %w", path, err)
	}
	if !opts.quiet {
		printSummary(opts.io.ErrOut, path, &res.Summary)
		sha, size := w.Archive()
		fmt.Fprintf(opts.io.ErrOut, "perfcap: sha256 %s  %s (%s)\n", sha, filepath.Base(path), capture.FormatSize(size))
		fmt.Fprintf(opts.io.ErrOut, "perfcap: suggested issue title: %s  (labels: %s)\n", report.Title(d), strings.Join(report.Labels(), ", "))
	}
	if opts.github {
		if err := exportGitHub(opts.io, path, zipName(path)); err != nil {
			return fmt.Errorf("the bundle %s is written, but not the GitHub .zip: %w", path, err)
		}
	}
	if res.Summary.ExitCode != 0 {
		return &codeError{code: res.Summary.ExitCode}
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

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// defaultBundleName is ./perfcap-YYYYMMDD-HHMMSS-NAME.tar.zst.
func defaultBundleName(t time.Time, argv0 string) string {
	name := unsafeName.ReplaceAllString(filepath.Base(argv0), "_")
	if name == "" || name == "." || name == ".." {
		name = "command"
	}
	return fmt.Sprintf("perfcap-%s-%s.tar.zst", t.Format("20060102-150405"), name)
}

// recorder streams a run's samples and logs into the bundle's staging area.
type recorder struct {
	w            *bundle.Writer
	timelineFile *os.File
	timelineBuf  *bufio.Writer
	timeline     *capture.TimelineWriter
	procFile     *os.File
	procBuf      *bufio.Writer
	procSamples  *capture.ProcessSampleWriter
	// The logs are captured raw and redacted when written out: redacting
	// only the bytes kept costs far less than redacting a gigabyte stream.
	stdoutCap, stderrCap *capture.LogCapture
	red                  *redact.Redactor
	flushed              time.Time // when the rows were last written out
	err                  error
}

func newRecorder(w *bundle.Writer, red *redact.Redactor, head, tail int64) (*recorder, error) {
	r := &recorder{w: w}
	var err error
	if r.timelineFile, err = w.Create("timeline.csv"); err != nil {
		return nil, err
	}
	r.timelineBuf = bufio.NewWriter(r.timelineFile)
	r.timeline = capture.NewTimelineWriter(r.timelineBuf)
	if r.procFile, err = w.Create("process_samples.csv"); err != nil {
		r.timelineFile.Close()
		return nil, err
	}
	r.procBuf = bufio.NewWriter(r.procFile)
	r.procSamples = capture.NewProcessSampleWriter(r.procBuf)
	r.stdoutCap = capture.NewLogCapture(head, tail)
	r.stderrCap = capture.NewLogCapture(head, tail)
	r.red = red
	return r, nil
}

// sample appends one sample to the CSV files; the first error sticks.
// Rows reach the files every spool.FlushEvery, so a perfcap killed
// mid-run leaves them for `perfcap bundle`.
func (r *recorder) sample(s capture.Sample) {
	if r.err != nil {
		return
	}
	if err := r.timeline.Write(s); err != nil {
		r.err = err
		return
	}
	if r.err = r.procSamples.Write(s); r.err != nil {
		return
	}
	if now := time.Now(); now.Sub(r.flushed) >= spool.FlushEvery {
		r.flushed = now
		for _, flush := range []func() error{r.timeline.Flush, r.timelineBuf.Flush, r.procSamples.Flush, r.procBuf.Flush} {
			if r.err = flush(); r.err != nil {
				return
			}
		}
	}
}

// finish writes everything the run produced into the staging area.
func (r *recorder) finish(res *capture.Result, sum *bundleSummary, facts *capture.Facts, red *redact.Redactor, title string) error {
	if r.err != nil {
		return r.err
	}
	for _, step := range []func() error{
		r.timeline.Flush, r.timelineBuf.Flush, r.timelineFile.Close,
		r.procSamples.Flush, r.procBuf.Flush, r.procFile.Close,
		func() error { return r.writeLog("stdout.log", r.stdoutCap) },
		func() error { return r.writeLog("stderr.log", r.stderrCap) },
		func() error { return r.w.AddJSON("env.json", facts) },
		func() error {
			f, err := r.w.Create("processes.csv")
			if err != nil {
				return err
			}
			if err := capture.WriteProcessesCSV(f, res.Processes, red.Argv); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		},
		func() error {
			if err := addTimelineSVG(r.w, title); err != nil {
				sum.Warnings = append(sum.Warnings, fmt.Sprintf("timeline.svg: %v", err))
			}
			res.Summary = sum.Summary
			return r.w.AddJSON("summary.json", sum)
		},
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (r *recorder) writeLog(name string, c *capture.LogCapture) error {
	f, err := r.w.Create(name)
	if err != nil {
		return err
	}
	if _, err := c.WriteFiltered(f, r.red.String); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// close releases the files if finish was not reached.
func (r *recorder) close() {
	r.timelineFile.Close()
	r.procFile.Close()
}
