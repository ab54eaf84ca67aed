package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Confidence is the level of the confidence intervals perfcap computes
// itself (repeated Go runs), as benchstat's default.
const Confidence = 0.95

// ParseGo reads Go benchmark output (`go test -bench`) from r with
// golang.org/x/perf/benchfmt, the reference reader of the Go benchmark data
// format. Only lines Go's testing package could have written reach it (see
// goLines): other tools' output in the same stream (Criterion's
// "Benchmarking NAME: Warming up", hyperfine's "Benchmark 1: CMD") is
// skipped without a word, while a malformed Go result line becomes a
// warning naming its position (name:line), never an error.
//
// The runs of one benchmark (go test -count N; one benchmark is one name
// in one package on one platform: pkg, goos, goarch, cpu) give one Result, in
// the order benchmarks first appear: ID is the full name as printed
// ("BenchmarkFoo/n=10-8"), Package the "pkg:" line, Values each run's
// ns/op, and Estimate their median. With enough runs for a 95 % interval
// of the median (six; benchmath.AssumeNothing, as benchstat) Low and High
// are that interval and Interval is "ci"; with fewer, Low and High equal
// the median and Interval is "". Every other unit goes into Extra under
// its printed name ("B/op", "allocs/op", "MB/s") as the median over the
// runs, and into ExtraValues run by run.
//
// When raw is not nil, the result lines and their configuration lines are
// written to it in the benchmark format (benchfmt.Writer), which benchstat
// reads. The error is only for a failing reader or writer.
func ParseGo(r io.Reader, name string, raw io.Writer) (results []Result, warns []string, err error) {
	lines := newGoLines(r, name)
	br := benchfmt.NewReader(lines, name)
	var bw *benchfmt.Writer
	if raw != nil {
		bw = benchfmt.NewWriter(raw)
	}
	var runs []*goRuns
	byKey := map[string]*goRuns{}
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			warns = append(warns, rec.Error())
		case *benchfmt.Result:
			if bw != nil {
				if err := bw.Write(rec); err != nil {
					return nil, warns, fmt.Errorf("writing go benchmarks from %s: %w", name, err)
				}
			}
			key := goKey(rec)
			g, ok := byKey[key]
			if !ok {
				g = &goRuns{id: "Benchmark" + string(rec.Name.Full()), pkg: rec.GetConfig("pkg"), extra: map[string][]float64{}}
				byKey[key] = g
				runs = append(runs, g)
			}
			g.add(rec)
		}
	}
	warns = append(lines.warn.all(), warns...)
	if e := br.Err(); e != nil {
		return nil, warns, fmt.Errorf("reading go benchmarks from %s: %w", name, e)
	}
	for _, g := range runs {
		results = append(results, g.result(name))
	}
	return results, warns, nil
}

// goKey identifies a benchmark: its name in its package for its
// platform. Other configuration lines do not split runs: any tool may
// print "note: ..." between them.
func goKey(rec *benchfmt.Result) string {
	var b strings.Builder
	b.Write(rec.Name.Full())
	for _, k := range []string{"pkg", "goos", "goarch", "cpu"} {
		fmt.Fprintf(&b, "\x00%s", rec.GetConfig(k))
	}
	return b.String()
}

// goRuns gathers the runs of one Go benchmark.
type goRuns struct {
	id, pkg string
	ns      []float64 // ns/op per run that reported a time
	n       int       // runs
	units   []string  // Extra units in first-seen order
	extra   map[string][]float64
}

// add records one run; a unit a line repeats counts once, the first.
func (g *goRuns) add(rec *benchfmt.Result) {
	g.n++
	seen := map[string]bool{}
	for _, v := range rec.Values {
		if seen[v.Unit] {
			continue
		}
		seen[v.Unit] = true
		if v.Unit == "sec/op" {
			ns := v.Value * 1e9
			if v.OrigUnit == "ns/op" {
				ns = v.OrigValue // exact, as printed
			}
			g.ns = append(g.ns, ns)
			continue
		}
		unit, value := v.Unit, v.Value
		if v.OrigUnit != "" {
			unit, value = v.OrigUnit, v.OrigValue
		}
		if _, ok := g.extra[unit]; !ok {
			g.units = append(g.units, unit)
		}
		g.extra[unit] = append(g.extra[unit], value)
	}
}

func (g *goRuns) result(source string) Result {
	r := Result{Tool: "go", ID: g.id, Package: g.pkg, Source: source, N: g.n}
	if len(g.ns) > 0 {
		s := summarize(g.ns)
		r.Estimate, r.Low, r.High = s.Center, s.Center, s.Center
		if s.finite() {
			// The level asked for, as benchstat labels it; the order
			// statistics' own level is at least that.
			r.Low, r.High, r.Interval, r.Confidence = s.Lo, s.Hi, "ci", Confidence
		}
		r.Values = capValues(g.ns)
	}
	for _, unit := range g.units {
		vs := g.extra[unit]
		if r.Extra == nil {
			r.Extra = map[string]float64{}
		}
		r.Extra[unit] = summarize(vs).Center
		if g.n > 1 {
			if r.ExtraValues == nil {
				r.ExtraValues = map[string][]float64{}
			}
			r.ExtraValues[unit] = capValues(vs)
		}
	}
	return r
}

// summary is benchmath's summary of a sample: the median and its
// confidence interval at level Confidence.
type summary struct{ benchmath.Summary }

func (s summary) finite() bool { return !math.IsInf(s.Lo, 0) && !math.IsInf(s.Hi, 0) }

// summarize computes the median of values and its 95 % interval as
// benchstat does; values are not modified.
func summarize(values []float64) summary {
	sample := benchmath.NewSample(slices.Clone(values), &benchmath.DefaultThresholds)
	return summary{benchmath.AssumeNothing.Summary(sample, Confidence)}
}

// MinRunsForInterval is the least number of runs whose median has a 95 %
// confidence interval (benchstat prints "± ∞" below it): 6.
var MinRunsForInterval = func() int {
	for n := 2; ; n++ {
		if summarize(make([]float64, n)).finite() {
			return n
		}
	}
}()

func capValues(v []float64) []float64 {
	return slices.Clone(v[:min(len(v), MaxValues)])
}
