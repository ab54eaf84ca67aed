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
	// began: a libtest line that came whole starts where the previous
	// line of libtest ended, the first Go benchmark of a test binary
	// when the binary started.
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
//   - Go's testing runs nothing between two benchmarks but the next
//     one: a benchmark is measured from where the previous result line
//     ended to where its own ends (its name is printed when it starts
//     only for a classic b.N loop; with b.Loop its first call measures
//     it before anything is printed). With -v, its name comes alone on a
//     line before it starts. The first benchmark of a test binary starts
//     where Close's starts say (when the binary started).
//   - libtest prints "test NAME ... " when a bench starts and "bench: N
//     ns/iter" when it ends, on the same line; a line that came whole
//     starts where the previous libtest line ended.
type PhaseSplitter struct {
	phases  []Phase
	dropped int

	crit *Phase // Criterion's open phase

	goAnchor   float64 // where the previous Go result ended; <0: none
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

// goLine reads what may be a line of Go's testing: a name alone (-v), a
// result, the end of a test binary's output.
func (s *PhaseSplitter) goLine(t string, start, end float64) {
	if t == "PASS" || t == "FAIL" || strings.HasPrefix(t, "ok ") || strings.HasPrefix(t, "FAIL\t") {
		s.goAnchor, s.goName = -1, "" // the next benchmark is another binary's
		return
	}
	if !strings.HasPrefix(t, "Benchmark") || !isGoResultLine([]byte(t)) {
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
	p := Phase{Tool: "go", Benchmark: phaseName(fields[0]), Kind: PhaseMeasure, Start: s.goAnchor, End: end}
	if s.goName != "" && goNameOf(fields[0], s.goName) {
		p.Start = s.goNameAt
	} else if s.goAnchor < 0 {
		p.Approximate = true // Close places it
	}
	s.goAnchor, s.goName = end, ""
	s.add(p)
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
// whose clock ran ahead is not a time the phase can begin. A start of −1
// is for Close to find.
func (s *PhaseSplitter) add(p Phase) {
	p.Start = min(p.Start, p.End)
	if len(s.phases) >= MaxPhases {
		s.dropped++
		return
	}
	s.phases = append(s.phases, p)
}

// Close ends a phase still open at end, the run's end. The first Go
// benchmark of a test binary (without -v) starts at the latest of starts
// (when the test binaries started) before it and after the phase before
// it; with none, it is left out.
func (s *PhaseSplitter) Close(end float64, starts []float64) {
	if s.crit != nil && end >= 0 {
		s.endCriterion(end)
	}
	s.crit = nil
	kept := s.phases[:0]
	for _, p := range s.phases {
		if p.Start < 0 {
			after := 0.0
			if len(kept) > 0 {
				after = kept[len(kept)-1].End
			}
			for _, t := range starts {
				if t >= after && t < p.End && t > p.Start {
					p.Start = t
				}
			}
			if p.Start < 0 {
				continue
			}
		}
		kept = append(kept, p)
	}
	s.phases = kept
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
	// Approximate is set when a span's start is (see Phase).
	Approximate bool
}

// Seconds is the time the spans cover, summed.
func (w *BenchWindow) Seconds() float64 {
	var s float64
	for _, sp := range w.Spans {
		s += sp.End - sp.Start
	}
	return s
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
		out[i].Approximate = out[i].Approximate || p.Approximate
	}
	return out
}
