package assemble

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/compare"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
)

// SessionConfig configures one run of a command into a bundle: what to
// run, where the bundle goes, what to record, and the caller's hooks.
type SessionConfig struct {
	// Argv is the command as given (unredacted: it is what runs).
	Argv []string
	// Cwd is the command's working directory.
	Cwd string
	// Path is where the bundle goes; with Force a file there is replaced,
	// else the bundle takes the next free name (see bundle.Writer.Path).
	Path  string
	Force bool
	// Version is perfcap's version, written into the manifest and spool.
	Version string
	// Interval is the sampling period.
	Interval time.Duration
	// Redactor hides secrets; RedactRules are its user rules, kept in the
	// spool's metadata so `perfcap bundle` can redact as the run did.
	Redactor    *redact.Redactor
	RedactRules []string
	// Head and Tail bound each output stream's log.
	Head, Tail int64
	// Rules take metrics from the command's output.
	Rules []bench.MetricRule
	// Perf, when set, records CPU stacks (checked by
	// capture.CheckPerfOptions; Dir is set per run). KeepPerfData puts
	// perf.data itself into the bundle; NoInline leaves inlined functions
	// out of the stacks.
	Perf                   *capture.PerfOptions
	KeepPerfData, NoInline bool
	// Attach are the globs of files to add under attach/.
	Attach []string
	// Lang and Template choose report.md's language or template.
	Lang, Template string
	// Baseline, when set, is an earlier run compared with this one in
	// report.md.
	Baseline *compare.Run
	// Stdin, Stdout, Stderr, StdoutTTY and StderrTTY are handed to the
	// command as capture.Options describes.
	Stdin                *os.File
	Stdout, Stderr       io.Writer
	StdoutTTY, StderrTTY *os.File
	// Signals are forwarded to the command while it runs.
	Signals chan os.Signal
	// OnSample, when set, sees every sample (a live status line).
	OnSample func(capture.Sample)
	// OnCommandEnd, when set, is called once capture.Run has returned.
	OnCommandEnd func()
	// Warn receives warnings (perf's chunks, unreadable stacks); Error
	// receives errors that do not stop the run (a *BaselineError, a failed
	// template, a failed sync of the samples). Both must be set.
	Warn  func(string)
	Error func(error)
}

// PlaceError says the bundle, or the perf files beside it, cannot be
// written at the place asked for.
type PlaceError struct {
	// Beside is true for perf's directory beside the bundle.
	Beside bool
	Err    error
}

func (e *PlaceError) Error() string { return e.Err.Error() }
func (e *PlaceError) Unwrap() error { return e.Err }

// BaselineError says the run could not be compared with its baseline;
// report.md then leaves the regression sections blank.
type BaselineError struct{ Err error }

func (e *BaselineError) Error() string { return e.Err.Error() }
func (e *BaselineError) Unwrap() error { return e.Err }

// Session is one run of a command between its start and its bundle:
// NewSession stages the bundle, Capture runs the command, Finish writes
// and packs the bundle. From the moment the command has run, its result
// is never lost: a Finish that fails leaves the staging directory as a
// spool `perfcap bundle` packs.
type Session struct {
	cfg     SessionConfig
	w       *bundle.Writer
	rec     *Recorder
	machine *facts.Facts
	benches *Bench
	// perfSum holds what the perf step found (perf.data is folded before
	// its directory goes), until the summary is made.
	perfSum        *format.Summary
	unmark, unlock func() error
	kept           bool
}

// NewSession stages a bundle at cfg.Path and marks its staging directory
// as a spool, so that a perfcap killed from now on leaves it recoverable.
func NewSession(cfg SessionConfig) (*Session, error) {
	w, err := bundle.NewWriterWith(cfg.Path, bundle.WriterOptions{Force: cfg.Force, Skip: spool.IsPrivate, Redactor: cfg.Redactor})
	if err != nil {
		return nil, &PlaceError{Err: err}
	}
	rec, err := NewRecorder(w, cfg.Redactor, cfg.Head, cfg.Tail)
	if err != nil {
		_ = w.Abort()
		return nil, err
	}
	s := &Session{cfg: cfg, w: w, rec: rec, unmark: func() error { return nil }, unlock: func() error { return nil }}
	// If perfcap dies (SIGKILL, the OOM killer) or cannot pack, the
	// staging directory is a spool `perfcap bundle` turns into the bundle.
	if abs, aerr := filepath.Abs(cfg.Path); aerr == nil {
		if release, unl, err := spool.Mark(w.Dir(), spool.Meta{PerfcapVersion: cfg.Version, Kind: "run", Mode: "command", Command: cfg.Redactor.Argv(cfg.Argv),
			Cwd: cfg.Cwd, Started: time.Now().UTC(), Bundle: abs, IntervalSeconds: cfg.Interval.Seconds(), Lang: cfg.Lang,
			Redact: cfg.RedactRules}); err == nil {
			s.unmark, s.unlock = release, unl
		}
	}
	return s, nil
}

// Close releases the session's logs; it does not remove the bundle.
func (s *Session) Close() { s.rec.Close() }

// Abort removes the staged bundle, unless a failed Finish kept it for
// `perfcap bundle`.
func (s *Session) Abort() {
	if !s.kept {
		_ = s.w.Abort()
	}
}

// Path is where the bundle is written (the next free name without Force).
func (s *Session) Path() string { return s.w.Path() }

// Dir is the staging directory, the spool a failed Finish leaves.
func (s *Session) Dir() string { return s.w.Dir() }

// Archive is the written bundle's SHA-256 and size.
func (s *Session) Archive() (sha string, size int64) { return s.w.Archive() }

// Capture runs the command, recording into the bundle's staging area, and
// folds perf's recording. On error the staged bundle is no spool anymore
// (the caller aborts it).
func (s *Session) Capture(ctx context.Context) (*capture.Result, error) {
	res, err := s.capture(ctx)
	if err != nil {
		_ = s.unmark()
	}
	return res, err
}

func (s *Session) capture(ctx context.Context) (*capture.Result, error) {
	cfg := s.cfg
	envVars := cfg.Redactor.Env(os.Environ())
	s.benches = NewBench(cfg.Rules, cfg.Redactor.String)
	copts := capture.Options{
		Argv: cfg.Argv, Dir: cfg.Cwd, Stdin: cfg.Stdin, Stdout: cfg.Stdout, Stderr: cfg.Stderr,
		StdoutTTY: cfg.StdoutTTY, StderrTTY: cfg.StderrTTY,
		StdoutLog: s.benches.Stdout(s.rec.StdoutLog),
		StderrLog: s.benches.Stderr(s.rec.StderrLog),
		OnLine:    s.benches.Line,
		Interval:  cfg.Interval,
		Signals:   cfg.Signals,
		OnSample: func(smp capture.Sample) {
			s.rec.Sample(smp)
			if cfg.OnSample != nil {
				cfg.OnSample(smp)
			}
		},
		Probes: func(run func(*exec.Cmd) error) {
			s.machine = facts.Collect(ctx, facts.Options{Dir: cfg.Cwd, Command: cfg.Argv, Env: envVars, Run: run})
		},
	}
	if cfg.Perf == nil {
		return s.run(ctx, copts)
	}
	dir, err := perfDir(s.cfg.Path)
	if err != nil {
		return nil, &PlaceError{Beside: true, Err: err}
	}
	defer os.RemoveAll(dir)
	perf := *cfg.Perf
	perf.Dir = dir
	if !cfg.KeepPerfData {
		// In chunks, read as the command runs, into the staging
		// directory, where a killed perfcap leaves them for
		// `perfcap bundle`.
		perf.Spool, perf.NoInline = filepath.Join(s.w.Dir(), format.PerfChunksDir), cfg.NoInline
	}
	copts.Perf = &perf
	res, err := s.run(ctx, copts)
	if err == nil && res.Perf != nil {
		// perf.data lives in dir, removed on return: fold it now.
		s.foldPerf(ctx, res)
	}
	return res, err
}

// perfDir is where perf.data, or the chunks of perf's output, live during
// a run: beside the bundle, not in its staging area, since perf.data
// enters the bundle only on request.
func perfDir(bundlePath string) (string, error) {
	dir, base := filepath.Split(bundlePath)
	if dir == "" {
		dir = "."
	}
	return os.MkdirTemp(dir, "."+base+".perf-*")
}

// run runs the command and, the moment it ends, puts everything measured
// on disk, before any post-processing (stopping perf, perf script).
func (s *Session) run(ctx context.Context, copts capture.Options) (*capture.Result, error) {
	copts.OnExit = func() {
		if err := s.rec.SyncRows(); err != nil {
			s.cfg.Error(err)
		}
	}
	res, err := capture.Run(ctx, copts)
	if s.cfg.OnCommandEnd != nil {
		s.cfg.OnCommandEnd()
	}
	if err == nil {
		s.benches.EndPhases(res.Ended.Sub(res.Started).Seconds(), res.Processes)
	}
	if serr := s.rec.Settle(); err == nil && serr != nil {
		s.cfg.Error(serr)
	}
	return res, err
}

// foldPerf turns perf.data into the bundle's perf/ files.
func (s *Session) foldPerf(ctx context.Context, res *capture.Result) {
	defer res.Perf.Close()
	cfg := s.cfg
	s.perfSum = &format.Summary{} // its Warnings are perf's alone
	for _, msg := range res.Perf.ChunkWarnings {
		cfg.Warn(msg)
	}
	Perf(ctx, s.w, PerfInput{
		Recording: res.Perf.PerfRecording, Data: res.Perf.Data, Log: res.Perf.Log, Keep: cfg.KeepPerfData,
		ChunkDir: res.Perf.ChunkDir, Chunks: res.Perf.Chunks, ChunkInline: res.Perf.ChunkInline,
		Title:      "perfcap -- " + strings.Join(cfg.Redactor.Argv(cfg.Argv), " "),
		ShallowFix: "rerun with --call-graph dwarf, or build Rust with RUSTFLAGS=-Cforce-frame-pointers=yes",
		Read: flame.PerfDataOptions{Fold: flame.FoldOptions{Annotate: true}, Warn: cfg.Warn,
			NoInline: cfg.NoInline, Binaries: res.Perf.Binaries},
		UserCode:   UserCode(s.machine, cfg.Cwd, os.Getenv),
		Benchmarks: s.benches.Windows(),
		ClockStart: res.Perf.ClockStart,
	}, s.perfSum)
}

// Finish writes the run's bundle: benchmarks, attachments, perf, the
// samples and logs, the report; then packs it. It returns report.md's
// data (for the issue title). On error the staging directory stays, as a
// spool `perfcap bundle` packs.
func (s *Session) Finish(res *capture.Result) (*report.Data, error) {
	d, err := s.finish(res)
	if err != nil {
		s.kept = true
		_ = s.unlock() // recoverable now, by `perfcap bundle`
		return nil, err
	}
	_ = s.unmark()
	return d, nil
}

func (s *Session) finish(res *capture.Result) (*report.Data, error) {
	cfg, w := s.cfg, s.w
	m := bundle.Manifest{
		PerfcapVersion: cfg.Version,
		Created:        time.Now().UTC(),
		Command:        cfg.Redactor.Argv(cfg.Argv),
		Cwd:            cfg.Cwd,
		Started:        res.Started.UTC(),
		Ended:          res.Ended.UTC(),
		Exit:           bundle.Exit{Code: res.Summary.ExitCode, Signal: res.Summary.Signal},
		Interrupted:    res.Summary.Interrupted,
	}
	sum := s.summary(res)
	title := "perfcap -- " + strings.Join(m.Command, " ")
	if err := s.rec.Finish(res, sum, s.machine, cfg.Redactor, title); err != nil {
		return nil, fmt.Errorf("writing the bundle: %w", err)
	}
	in := ReportInput{Manifest: m, Summary: sum, Facts: s.machine, Lang: cfg.Lang, Template: cfg.Template}
	if base := cfg.Baseline; base != nil {
		cur := &compare.Run{Path: w.NextPath(), Manifest: m, Summary: sum, Facts: s.machine, Stacks: stagedStacks(w)}
		comparison, err := compare.Baseline(base, cur, compare.Options{})
		if err != nil {
			// The run's bundle matters more than the comparison.
			cfg.Error(&BaselineError{Err: err})
		}
		in.Comparison = comparison
	}
	d, err := Report(w, in)
	if err != nil && cfg.Template == "" {
		return nil, fmt.Errorf("writing the bundle: %w", err)
	}
	if err != nil {
		// The run's evidence matters more than the user's template.
		cfg.Error(err)
	}
	// Everything is staged: if packing fails or perfcap is killed now,
	// `perfcap bundle` packs the staged files as they are.
	if err := w.AddJSON(spool.PendingManifestFile, m); err != nil {
		return nil, err
	}
	if err := w.Close(m); err != nil {
		return nil, err
	}
	return d, nil
}

// summary gathers summary.json: the totals, benchmarks and metrics,
// attachments and what perf found, with every step's warnings.
func (s *Session) summary(res *capture.Result) *format.Summary {
	sum := &format.Summary{Totals: res.Summary}
	var benchWarnings []string
	sum.Benchmarks, sum.Metrics, benchWarnings = s.benches.Finish(s.w, s.cfg.Argv, res.Started, s.machine, s.rec.StdoutKept())
	sum.Warnings = append(sum.Warnings, benchWarnings...)
	attached, attachErr := Attachments(s.w, s.cfg.Attach)
	sum.Attachments = attached
	if attachErr != nil {
		sum.Warnings = append(sum.Warnings, attachErr.Error())
	}
	if s.perfSum != nil {
		sum.Perf = s.perfSum.Perf
		sum.Warnings = append(sum.Warnings, s.perfSum.Warnings...)
	}
	return sum
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
