package bench

import (
	"fmt"
	"strings"
)

// The kinds of Phase.
const (
	// PhaseWarmup is Criterion's warm-up of a benchmark.
	PhaseWarmup = "warmup"
	// PhaseMeasure is the time a harness spent measuring a benchmark:
	// Criterion's sample collection, a Go benchmark's runs (the ones
	// that find b.N included), a libtest bench.
	PhaseMeasure = "measure"
	// PhaseAnalysis is Criterion's statistics on a benchmark's samples.
	PhaseAnalysis = "analysis"
)

// MaxPhases bounds the phases a PhaseSplitter keeps; later ones are
// counted in a warning.
const MaxPhases = 100_000

// maxPhaseName bounds a benchmark's name in a Phase.
const maxPhaseName = 1 << 10

// Phase is a stretch of a run a benchmark harness spent on one benchmark.
type Phase struct {
	// Tool is "criterion", "go" or "libtest"; Benchmark the benchmark's
	// id, as its Result has it.
	Tool, Benchmark string
	// Kind is PhaseWarmup, PhaseMeasure or PhaseAnalysis.
	Kind string
	// Start and End are seconds since the command started.
	Start, End float64
	// Approximate is set when the harness did not say when the phase
	// began (a Go or libtest result line that came whole): it then
	// starts where the previous line of the same tool ended.
	Approximate bool
}

// PhaseSplitter cuts a run's timeline into Phases from the harness's
// output lines and the times they came. Feed it the command's stdout line
// by line, in order, with Line, then call Close. Its memory is bounded by
// MaxPhases, whatever the lines hold.
//
//   - Criterion prints "Benchmarking X: Warming up for …", "Benchmarking
//     X: Collecting N samples in estimated …" and "Benchmarking X:
//     Analyzing" as each phase begins: each ends where the next begins,
//     and the analysis at X's result line ("X time: […]").
//   - Go's testing prints a benchmark's name when it starts and the rest
//     of its result line when it ends, so a result line that came in two
//     pieces spans the benchmark's run; with -v the name comes alone on a
//     line first. A result line that came whole starts where the
//     previous Go line (a result, or the goos:/pkg: header) ended.
//   - libtest prints "test NAME ... " when a bench starts and "bench: N
//     ns/iter" when it ends, on the same line; a line that came whole
//     starts where the previous libtest line ended.
type PhaseSplitter struct {
	phases  []Phase
	dropped int

	crit *Phase // Criterion's open phase

	goAnchor   float64 // where the previous Go line ended; <0: none
	goName     string  // a name go test -v printed alone
	goNameAt   float64
	testAnchor float64 // where the previous libtest line ended; <0: none
}

// NewPhaseSplitter returns an empty PhaseSplitter.
func NewPhaseSplitter() *PhaseSplitter {
	return &PhaseSplitter{goAnchor: -1, testAnchor: -1}
}

// Line takes one output line, which began coming at start and ended at
// end, in seconds since the command started.
func (s *PhaseSplitter) Line(start, end float64, text string) {
	if !(start >= 0) || !(end >= 0) {
		return // NaN or before the start: not a time of this run
	}
	end = max(start, end)
	t := strings.TrimSpace(stripANSI(text))
	switch {
	case strings.HasPrefix(t, "Benchmarking "):
		s.criterion(t[len("Benchmarking "):], start)
	case s.crit != nil && s.crit.Kind == PhaseAnalysis && strings.Contains(t, "time:") && strings.Contains(t, "["):
		s.endCriterion(start)
	case strings.HasPrefix(t, "test "):
		s.libtest(t, start, end)
	case strings.HasPrefix(t, "running ") && (strings.HasSuffix(t, " tests") || strings.HasSuffix(t, " test")):
		s.testAnchor = end
	default:
		s.goLine(t, start, end)
	}
}

// criterionSteps are the status suffixes of Criterion's "Benchmarking
// X: …" lines, and the phase each begins ("" ends the open one).
var criterionSteps = []struct{ sep, kind string }{
	{": Warming up for ", PhaseWarmup},
	{": Collecting ", PhaseMeasure},
	{": Profiling for ", PhaseMeasure},
	{": Analyzing", PhaseAnalysis},
	{": Complete", ""},
}

// criterion reads a Criterion status line, rest following "Benchmarking ".
func (s *PhaseSplitter) criterion(rest string, at float64) {
	s.endCriterion(at)
	for _, step := range criterionSteps {
		i := strings.LastIndex(rest, step.sep)
		if i <= 0 || (step.kind == PhaseAnalysis && i+len(step.sep) != len(rest)) {
			continue
		}
		if step.kind != "" {
			s.crit = &Phase{Tool: "criterion", Benchmark: phaseName(rest[:i]), Kind: step.kind, Start: at}
		}
		return
	}
	// "Benchmarking X" alone: X begins, no phase yet.
}

// endCriterion ends Criterion's open phase at t.
func (s *PhaseSplitter) endCriterion(t float64) {
	if s.crit == nil {
		return
	}
	p := *s.crit
	s.crit = nil
	p.End = max(p.Start, t)
	s.add(p)
}

// libtest reads a line of libtest's: a bench result, or another test's
// line, which moves the anchor.
func (s *PhaseSplitter) libtest(t string, start, end float64) {
	m := libtestRe.FindStringSubmatch(t)
	if m == nil {
		if strings.Contains(t, " ... ") {
			s.testAnchor = end
		}
		return
	}
	p := Phase{Tool: "libtest", Benchmark: phaseName(m[1]), Kind: PhaseMeasure, Start: start, End: end}
	if start == end {
		p.Approximate = true
		p.Start = s.testAnchor
	}
	s.testAnchor = end
	if p.Start >= 0 {
		s.add(p)
	}
}

// goLine reads what may be a line of Go's testing: the goos:/pkg:
// header, a name alone (-v), a result.
func (s *PhaseSplitter) goLine(t string, start, end float64) {
	b := []byte(t)
	if isGoConfigLine(b) {
		for _, k := range []string{"goos:", "goarch:", "pkg:", "cpu:"} {
			if strings.HasPrefix(t, k) {
				s.goAnchor, s.goName = end, ""
			}
		}
		return
	}
	if !isGoResultLine(b) {
		return
	}
	fields := strings.Fields(t)
	if len(fields) == 1 {
		s.goName, s.goNameAt = fields[0], start
		return
	}
	if !isDigits([]byte(fields[1])) {
		return
	}
	p := Phase{Tool: "go", Benchmark: phaseName(fields[0]), Kind: PhaseMeasure, Start: start, End: end}
	if s.goName != "" && goNameOf(fields[0], s.goName) {
		p.Start = min(p.Start, s.goNameAt)
	} else if start == end {
		p.Approximate = true
		p.Start = s.goAnchor
	}
	s.goAnchor, s.goName = end, ""
	if p.Start >= 0 {
		s.add(p)
	}
}

// goNameOf reports whether the result name full ("BenchmarkX/y-2") is the
// benchmark -v announced as name ("BenchmarkX/y"): the same, or with
// Go's -GOMAXPROCS suffix.
func goNameOf(full, name string) bool {
	rest, ok := strings.CutPrefix(full, name)
	if !ok {
		return false
	}
	return rest == "" || rest[0] == '-' && isDigits([]byte(rest[1:]))
}

// phaseName bounds a benchmark's name.
func phaseName(s string) string {
	if len(s) <= maxPhaseName {
		return s
	}
	return strings.ToValidUTF8(s[:maxPhaseName], "")
}

// add keeps p, its start no later than its end: an anchor from a line
// whose clock ran ahead is not a time the phase can begin.
func (s *PhaseSplitter) add(p Phase) {
	p.Start = min(p.Start, p.End)
	if len(s.phases) >= MaxPhases {
		s.dropped++
		return
	}
	s.phases = append(s.phases, p)
}

// Close ends a phase still open at end, the run's end.
func (s *PhaseSplitter) Close(end float64) {
	if s.crit != nil && end >= 0 {
		s.endCriterion(end)
	}
	s.crit = nil
}

// Phases returns the phases found, in the order they began.
func (s *PhaseSplitter) Phases() []Phase { return s.phases }

// Warnings says what was left out.
func (s *PhaseSplitter) Warnings() []string {
	if s.dropped == 0 {
		return nil
	}
	return []string{fmt.Sprintf("benchmark phases: %d past the first %d left out", s.dropped, MaxPhases)}
}

// Span is a stretch of time, in seconds.
type Span struct{ Start, End float64 }

// BenchWindow is where a run measured one benchmark: the spans of its
// measure phases (one per run of a Go benchmark with -count).
type BenchWindow struct {
	Tool, Benchmark string
	Spans           []Span
}

// MeasureWindows gathers the measure phases of each benchmark, in the
// order the benchmarks were first measured.
func MeasureWindows(phases []Phase) []BenchWindow {
	var out []BenchWindow
	at := map[[2]string]int{}
	for _, p := range phases {
		if p.Kind != PhaseMeasure {
			continue
		}
		k := [2]string{p.Tool, p.Benchmark}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, BenchWindow{Tool: p.Tool, Benchmark: p.Benchmark})
		}
		out[i].Spans = append(out[i].Spans, Span{p.Start, p.End})
	}
	return out
}
