package assemble

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
)

// Bench reads benchmark results out of the command's output while
// it runs, and out of the files the benchmark tools wrote once it ended.
type Bench struct {
	console          *bench.ConsoleParser
	outRules, errRul *bench.MetricMatcher
	// splitter cuts the run into the harness's phases, from stdout's
	// lines and their times; phases is what it found once the run ended.
	splitter *bench.PhaseSplitter
	phases   []bench.Phase
	// redact cleans what the bundle keeps of the output and the tools'
	// files (a hyperfine command line may hold a token); nil keeps it as is.
	redact func(string) string
}

// NewBench returns a Bench applying the --metric rules, redacting what it
// keeps with redact (nil: as it is; the bundle writer redacts again).
func NewBench(rules []bench.MetricRule, redact func(string) string) *Bench {
	return &Bench{
		redact:   redact,
		console:  bench.NewConsoleParser("stdout"),
		outRules: bench.NewMetricMatcher("stdout", rules),
		errRul:   bench.NewMetricMatcher("stderr", rules),
		splitter: bench.NewPhaseSplitter(),
	}
}

// Line takes one line of the command's output with its times
// (capture.Options.OnLine): the harnesses print their progress on stdout.
func (b *Bench) Line(l capture.Line) {
	if l.Stream == 1 {
		b.splitter.Line(l.Start, l.End, l.Text)
	}
}

// EndPhases ends the phases at end, the run's length in seconds, once the
// output is drained, and returns them; Finish writes them to phases.csv.
// procs are the run's processes: a Go benchmark whose start testing did
// not print starts when its test binary (run with -test.bench) did.
func (b *Bench) EndPhases(end float64, procs []capture.Process) []bench.Phase {
	var starts []float64
	for _, p := range procs {
		if slices.ContainsFunc(p.Argv, func(a string) bool { return strings.HasPrefix(a, "-test.bench=") }) {
			starts = append(starts, p.Start)
		}
	}
	b.splitter.Close(end, starts)
	b.phases = b.splitter.Phases()
	return b.phases
}

// Windows returns where each benchmark was measured, from what EndPhases
// found (assemble.PerfInput.Benchmarks).
func (b *Bench) Windows() []bench.BenchWindow { return bench.MeasureWindows(b.phases) }

// Stdout and Stderr are the writers the streams are copied into.
func (b *Bench) Stdout(log io.Writer) io.Writer {
	return io.MultiWriter(log, b.console, b.outRules)
}

func (b *Bench) Stderr(log io.Writer) io.Writer {
	return io.MultiWriter(log, b.errRul)
}

// Finish gathers every result and keeps the tools' own files under
// bench/: the console's results; Criterion's files written since started
// (bench/criterion/, copied as they are); the Go benchmark lines of the
// kept stdout (bench/go/bench.txt, in the benchmark format benchstat
// reads); and every file hyperfine exported (--export-json, -csv,
// -markdown, ... named on the command line and written during the run:
// bench/hyperfine/NAME), whose JSON gives results; and phases.csv, the
// phases EndPhases found. Results' ids, the Go lines and the hyperfine
// files are redacted. Problems become warnings.
func (b *Bench) Finish(w *bundle.Writer, argv []string, started time.Time, machine *facts.Facts, stdoutLog []byte) (results []bench.Result, metrics []bench.Metric, warnings []string) {
	_ = b.console.Close()
	_ = b.outRules.Close()
	_ = b.errRul.Close()
	results = b.console.Results()
	warnings = append(warnings, b.console.Warnings()...)
	metrics = append(b.outRules.Metrics(), b.errRul.Metrics()...)
	warnings = append(warnings, b.outRules.Warnings()...)
	warnings = append(warnings, b.errRul.Warnings()...)

	// Criterion's files: the source of truth when the run wrote them.
	root := ""
	if machine != nil && machine.Cargo != nil && machine.Cargo.WorkspaceRoot != "" {
		root = filepath.Dir(machine.Cargo.WorkspaceRoot)
	}
	if root == "" {
		root, _ = os.Getwd()
	}
	env := map[string]string{}
	for _, k := range []string{"CRITERION_HOME", "CARGO_TARGET_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	dir := bench.CriterionDir(env, root)
	files, err := bench.CriterionFiles(dir, started)
	if err != nil {
		warnings = append(warnings, err.Error())
	}
	if len(files) > 0 {
		fromFiles, err := bench.ReadCriterion(files)
		if err != nil {
			warnings = append(warnings, err.Error())
		}
		if len(fromFiles) > 0 {
			results = mergeResults(fromFiles, results)
		}
		for _, f := range files {
			rel, err := filepath.Rel(dir, f)
			if err != nil {
				continue
			}
			if err := w.AddFile("bench/criterion/"+filepath.ToSlash(rel), f); err != nil {
				warnings = append(warnings, fmt.Sprintf("bench/criterion/%s: %v", rel, err))
			}
		}
	}
	var goRaw bytes.Buffer
	goResults, warns, err := bench.ParseGo(bytes.NewReader(stdoutLog), "stdout.log", &goRaw)
	warnings = append(warnings, warns...)
	if err != nil {
		warnings = append(warnings, err.Error())
	}
	results = append(results, goResults...)
	if len(goResults) > 0 {
		if err := w.AddBytes("bench/go/bench.txt", []byte(b.clean(goRaw.String()))); err != nil {
			warnings = append(warnings, fmt.Sprintf("bench/go/bench.txt: %v", err))
		}
	}
	hr, hwarns := b.hyperfine(w, argv, started)
	results = append(results, hr...)
	warnings = append(warnings, hwarns...)
	warnings = append(warnings, b.splitter.Warnings()...)
	if len(b.phases) > 0 {
		if err := writePhases(w, b.phases); err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: %v", format.PhasesFile, err))
		}
	}
	for i := range results {
		results[i].ID = b.clean(results[i].ID)
	}
	return results, metrics, warnings
}

func (b *Bench) clean(s string) string {
	if b.redact == nil {
		return s
	}
	return b.redact(s)
}

// mtimeSlack is how far a file's modification time may lag behind the
// clock perfcap reads: file systems stamp files with a coarse clock, one
// kernel tick behind at most.
const mtimeSlack = 50 * time.Millisecond

// hyperfine keeps the files a hyperfine command line exported to under
// bench/hyperfine/ (by base name, numbered when two share one) and reads
// the results of the JSON ones. A file that is missing or older than the
// run was not written by it, and an empty one is what hyperfine leaves
// when a command fails: a warning says so and it is left out.
func (b *Bench) hyperfine(w *bundle.Writer, argv []string, started time.Time) (results []bench.Result, warnings []string) {
	seen := map[string]bool{}
	for _, e := range bench.HyperfineExports(argv) {
		fi, err := os.Stat(e.Path)
		switch {
		case err != nil:
			warnings = append(warnings, fmt.Sprintf("hyperfine --export-%s %q: %v; hyperfine did not write it", e.Format, e.Path, err))
			continue
		case fi.ModTime().Before(started.Add(-mtimeSlack)):
			warnings = append(warnings, fmt.Sprintf("hyperfine --export-%s %q was not written by this run (modified %s, before it started); left out", e.Format, e.Path, fi.ModTime().Format(time.RFC3339)))
			continue
		case !fi.Mode().IsRegular():
			continue
		case fi.Size() == 0:
			warnings = append(warnings, fmt.Sprintf("hyperfine --export-%s %q is empty: hyperfine stopped before writing results; left out", e.Format, e.Path))
			continue
		}
		if e.Format == "json" {
			hr, err := bench.ParseHyperfine(e.Path)
			if err != nil {
				warnings = append(warnings, err.Error())
			}
			results = append(results, hr...)
		}
		data, err := os.ReadFile(e.Path)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("hyperfine --export-%s %q: %v", e.Format, e.Path, err))
			continue
		}
		name := "bench/hyperfine/" + filepath.Base(e.Path)
		for i := 2; seen[name]; i++ {
			name = fmt.Sprintf("bench/hyperfine/%d-%s", i, filepath.Base(e.Path))
		}
		seen[name] = true
		if err := w.AddBytes(name, []byte(b.clean(string(data)))); err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: %v", name, err))
		}
	}
	return results, warnings
}

// mergeResults keeps the file results and adds console results for ids the
// files do not have (a console-only verdict or outlier line is kept on the
// file result of the same id).
func mergeResults(files, console []bench.Result) []bench.Result {
	byID := map[string]*bench.Result{}
	for i := range files {
		byID[files[i].ID] = &files[i]
	}
	out := files
	for _, c := range console {
		f, ok := byID[c.ID]
		if !ok {
			out = append(out, c)
			continue
		}
		if f.Outliers == nil {
			f.Outliers = c.Outliers
		}
		if f.Change != nil && c.Change != nil {
			f.Change.P, f.Change.Verdict = c.Change.P, c.Change.Verdict
		} else if f.Change == nil {
			f.Change = c.Change
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Attachments copies the user's --attach files (globs) into attach/.
func Attachments(w *bundle.Writer, patterns []string) (names []string, err error) {
	seen := map[string]bool{}
	for _, p := range patterns {
		matches, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("--attach %q: %w", p, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("--attach %q matches no file", p)
		}
		for _, m := range matches {
			fi, err := os.Stat(m)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			name := "attach/" + filepath.Base(m)
			for i := 2; seen[name]; i++ {
				name = fmt.Sprintf("attach/%d-%s", i, filepath.Base(m))
			}
			seen[name] = true
			if err := w.AddFile(name, m); err != nil {
				return nil, err
			}
			names = append(names, name)
		}
	}
	return names, nil
}

// writePhases stages phases.csv.
func writePhases(w *bundle.Writer, phases []bench.Phase) error {
	f, err := w.Create(format.PhasesFile)
	if err != nil {
		return err
	}
	if err := format.WritePhases(f, phases); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
