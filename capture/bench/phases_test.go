package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// timedLines cuts out as the capture does (at '\n' and '\r', empty lines
// dropped) and stamps line i with the time i, start and end alike: each
// line came whole.
func timedLines(out []byte) (lines []string) {
	for _, l := range strings.FieldsFunc(string(out), func(r rune) bool { return r == '\n' || r == '\r' }) {
		lines = append(lines, l)
	}
	return lines
}

// split runs a PhaseSplitter over lines, line i coming whole at time i.
func split(lines []string) []Phase {
	s := NewPhaseSplitter()
	for i, l := range lines {
		s.Line(float64(i), float64(i), l)
	}
	s.Close(float64(len(lines)), nil)
	return s.Phases()
}

// goldenIDs returns the tool/id of every result in the directory's
// results.golden.json.
func goldenIDs(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "results.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Results []Result }
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range g.Results {
		ids = append(ids, r.Tool+"/"+r.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestPhasesOfRecordedOutputs splits every tool's real output: each
// benchmark the tool reported gets a measure window, under the id its
// result has, and nothing else; hyperfine's output gives none.
func TestPhasesOfRecordedOutputs(t *testing.T) {
	for _, out := range recordedOutputs(t) {
		t.Run(out.path, func(t *testing.T) {
			phases := split(timedLines(out.data))
			var got []string
			for _, w := range MeasureWindows(phases) {
				got = append(got, w.Tool+"/"+w.Benchmark)
			}
			slices.Sort(got)
			var want []string
			if out.tool != "hyperfine" {
				want = goldenIDs(t, filepath.Dir(out.path))
			}
			if !slices.Equal(got, want) {
				t.Errorf("measure windows of %v, want %v", got, want)
			}
			for i, p := range phases {
				if p.Tool != out.tool || p.End < p.Start || p.Start < 0 {
					t.Errorf("phase %+v in %s's output", p, out.tool)
				}
				if i > 0 && p.Start < phases[i-1].End {
					t.Errorf("phase %+v overlaps %+v", p, phases[i-1])
				}
			}
		})
	}
}

// TestCriterionPhases checks the phases of a real Criterion run, piped
// and through a terminal ('\r'-separated status lines, colours): for each
// benchmark, warm-up, then measure, then analysis, each ending where the
// next begins, the analysis at the result line.
func TestCriterionPhases(t *testing.T) {
	for _, name := range []string{"names-first", "tty-compared"} {
		data, err := os.ReadFile(filepath.Join("testdata/criterion-0.3", name, "stdout.txt"))
		if err != nil {
			t.Fatal(err)
		}
		lines := timedLines(data)
		phases := split(lines)
		if len(phases)%3 != 0 || len(phases) == 0 {
			t.Fatalf("%s: %d phases, want three per benchmark: %+v", name, len(phases), phases)
		}
		for i := 0; i < len(phases); i += 3 {
			w, m, a := phases[i], phases[i+1], phases[i+2]
			if w.Kind != PhaseWarmup || m.Kind != PhaseMeasure || a.Kind != PhaseAnalysis ||
				w.Benchmark != m.Benchmark || m.Benchmark != a.Benchmark {
				t.Fatalf("%s: phases %+v %+v %+v, want warm-up, measure, analysis of one benchmark", name, w, m, a)
			}
			if w.End != m.Start || m.End != a.Start || w.Approximate || m.Approximate {
				t.Errorf("%s: %s: phases do not follow each other: %+v %+v %+v", name, w.Benchmark, w, m, a)
			}
			for _, p := range []Phase{w, m, a} {
				if !strings.Contains(lines[int(p.Start)], "Benchmarking "+p.Benchmark+":") {
					t.Errorf("%s: %s %s starts at line %q", name, p.Benchmark, p.Kind, lines[int(p.Start)])
				}
			}
			if end := lines[int(a.End)]; !strings.Contains(end, "time:") {
				t.Errorf("%s: %s's analysis ends at line %q, want its result line", name, a.Benchmark, end)
			}
		}
	}
}

// TestGoPhases: a Go benchmark runs from the end of the previous result
// line to the end of its own; the first of a binary from when the binary
// started; with -v, from its name's line.
func TestGoPhases(t *testing.T) {
	data, err := os.ReadFile("testdata/go/count-5/stdout.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := timedLines(data)
	s := NewPhaseSplitter()
	for i, l := range lines {
		s.Line(float64(i), float64(i), l)
	}
	s.Close(float64(len(lines)), []float64{0.5, 2.5, 99})
	got := s.Phases()
	if len(got) != 15 || got[0].Start != 2.5 || got[0].End != 4 || !got[0].Approximate {
		t.Fatalf("phases %+v, want 15, the first from the binary's start (2.5) to its line (4)", got)
	}
	for i, p := range got[1:] {
		if p.Start != got[i].End || p.Approximate {
			t.Errorf("%+v starts elsewhere than where %+v ended", p, got[i])
		}
	}
	ws := MeasureWindows(got)
	if len(ws) != 3 || len(ws[0].Spans) != 5 {
		t.Errorf("windows %+v, want 3 benchmarks of 5 runs", ws)
	}

	data, err = os.ReadFile("testdata/go/count-1-v/stdout.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines = timedLines(data)
	for _, p := range split(lines) {
		if p.Approximate || !strings.HasSuffix(p.Benchmark, "-2") || lines[int(p.Start)] != strings.TrimSuffix(p.Benchmark, "-2") {
			t.Errorf("-v: %+v starts at line %q, want its name's line", p, lines[int(p.Start)])
		}
	}
}

// TestLibtestPhases: a bench line that came in two pieces ("test NAME
// ... " when it started) spans them.
func TestLibtestPhases(t *testing.T) {
	data, err := os.ReadFile("testdata/libtest/rust-1.95-bootstrap/stdout.txt")
	if err != nil {
		t.Fatal(err)
	}
	s := NewPhaseSplitter()
	for i, l := range timedLines(data) {
		s.Line(float64(i)-0.25, float64(i), l)
	}
	got := s.Phases()
	if len(got) != 2 || got[0].Benchmark != "tests::interpret_10k" || got[0].End-got[0].Start != 0.25 || got[0].Approximate {
		t.Errorf("phases %+v, want the two benches, each over its line's time", got)
	}
}

// TestPhaseSplitterBounds: times that are no times of the run are
// ignored, names and phase counts are bounded.
func TestPhaseSplitterBounds(t *testing.T) {
	s := NewPhaseSplitter()
	s.Line(-1, 2, "Benchmarking x: Collecting 1 samples")
	long := strings.Repeat("é", maxPhaseName)
	s.Line(1, 1, "Benchmarking "+long+": Collecting 1 samples")
	s.Close(2, nil)
	ps := s.Phases()
	if len(ps) != 1 || len(ps[0].Benchmark) > maxPhaseName || !strings.HasPrefix(long, ps[0].Benchmark) {
		t.Fatalf("phases %+v", ps)
	}
	for i := range MaxPhases + 5 {
		s.Line(float64(i), float64(i), "test b ... bench: 1 ns/iter (+/- 0)")
	}
	if len(s.Phases()) != MaxPhases || len(s.Warnings()) != 1 {
		t.Errorf("%d phases, warnings %q", len(s.Phases()), s.Warnings())
	}
}

// TestGoBinaries: each test binary's first benchmark starts when that
// binary started, not where the previous binary's last result ended.
func TestGoBinaries(t *testing.T) {
	s := NewPhaseSplitter()
	for i, l := range []string{"goos: linux", "BenchmarkA-2 \t 10\t 5 ns/op", "PASS", "ok  \ta\t1.0s",
		"goos: linux", "BenchmarkB-2 \t 10\t 5 ns/op", "BenchmarkC-2 \t 10\t 5 ns/op", "PASS"} {
		s.Line(float64(i), float64(i), l)
	}
	s.Close(8, []float64{0.5, 3.5})
	var got []Span
	for _, p := range s.Phases() {
		got = append(got, Span{p.Start, p.End})
	}
	if want := []Span{{0.5, 1}, {3.5, 5}, {5, 6}}; !slices.Equal(got, want) {
		t.Errorf("spans %v, want %v", got, want)
	}
	s = NewPhaseSplitter()
	s.Line(1, 1, "BenchmarkA-2 \t 10\t 5 ns/op")
	s.Line(2, 2, "BenchmarkB-2 \t 10\t 5 ns/op")
	s.Close(3, nil)
	if got := s.Phases(); len(got) != 1 || got[0].Benchmark != "BenchmarkB-2" {
		t.Errorf("without starts: %+v, want the first left out", got)
	}
}
