package compare

import (
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// Verdicts of a benchmark comparison, as Benchmark.Verdict holds them.
const (
	// Regressed and Improved are significant changes for the worse and
	// for the better (slower, fewer bytes per second...).
	Regressed = "regressed"
	Improved  = "improved"
	// NoChange means the test found no significant difference: benchstat's
	// "~".
	NoChange = "~"
	// TooFew means there are too few measurements to find a difference:
	// one value on a side (go test -count 1, one hyperfine run), or so
	// few that even completely separated samples could not reach the
	// significance level (benchmath's "need >= 4 samples"). The change is
	// shown, without a claim.
	TooFew = "too few samples"
	// NoRaw means a side kept only the tool's point estimate (libtest,
	// Criterion's console without its files), so nothing can be tested.
	NoRaw = "no raw measurements"
	// OnlyBase and OnlyNew mark a benchmark found in one bundle only.
	OnlyBase = "only in base"
	OnlyNew  = "only in new"
)

// Estimate is one side of a benchmark comparison: the centre of its
// measurements and, when they are enough for one, its confidence interval.
// A single value is never given an interval.
type Estimate struct {
	// Name is the benchmark's name in this bundle, as the tool printed it.
	Name string `json:"name"`
	// Center is the median of the measurements (Statistic "median"), or the
	// tool's own point estimate when the bundle kept no measurements
	// (Statistic "estimate": libtest, Criterion's console).
	Center    float64 `json:"center"`
	Statistic string  `json:"statistic"`
	// Low and High bound the median's confidence interval at level
	// Confidence, computed as benchstat does; absent with fewer than six
	// measurements, where no interval of the median reaches 95 %.
	Low        *float64 `json:"low,omitempty"`
	High       *float64 `json:"high,omitempty"`
	Confidence float64  `json:"confidence,omitempty"`
	// N counts the measurements: Go runs, hyperfine runs, Criterion
	// samples; 1 for a point estimate.
	N int `json:"n"`

	values []float64
}

// summarize makes an Estimate of values, or of the tool's point estimate
// when there are none.
func summarize(name string, values []float64, estimate float64, confidence float64) *Estimate {
	if len(values) == 0 {
		return &Estimate{Name: name, Center: estimate, Statistic: "estimate", N: 1}
	}
	s := benchmath.AssumeNothing.Summary(benchmath.NewSample(slices.Clone(values), &benchmath.DefaultThresholds), confidence)
	e := &Estimate{Name: name, Center: s.Center, Statistic: "median", N: len(values), values: values}
	if len(values) > 1 && !math.IsInf(s.Lo, 0) && !math.IsInf(s.Hi, 0) {
		lo, hi := s.Lo, s.Hi
		e.Low, e.High, e.Confidence = &lo, &hi, confidence
	}
	return e
}

// test compares two sets of measurements with the Mann–Whitney U test,
// as benchstat does (benchmath.AssumeNothing), and returns the p-value and
// whether the difference is significant at alpha (benchstat prints "~"
// when p > alpha). enough is false when the samples are so small that no
// difference could have been significant.
func test(base, new []float64, alpha float64) (p float64, significant, enough bool) {
	th := benchmath.DefaultThresholds
	th.CompareAlpha = alpha
	c := benchmath.AssumeNothing.Compare(benchmath.NewSample(slices.Clone(base), &th), benchmath.NewSample(slices.Clone(new), &th))
	significant = !(c.P > c.Alpha)
	enough = significant || minP(len(base), len(new)) <= alpha
	return c.P, significant, enough
}

// minP is the smallest p-value the two-sided U test can give for samples
// of n1 and n2 values without ties: both orderings of completely
// separated samples, 2/C(n1+n2, n1).
func minP(n1, n2 int) float64 {
	// C(n1+n2, n1) computed in floating point; it only needs to be compared
	// with alpha.
	c := 1.0
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// geomean is the geometric mean of positive values; NaN if one is not.
func geomean(values []float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, v := range values {
		if !(v > 0) {
			return math.NaN()
		}
		sum += math.Log(v)
	}
	return math.Exp(sum / float64(len(values)))
}

// ratioChange is cur/base − 1, or nil when it is not a finite number (a
// zero base, or figures so far apart the ratio overflows).
func ratioChange(base, cur float64) *float64 {
	if base == cur {
		return new(float64)
	}
	c := cur/base - 1
	if base == 0 || math.IsNaN(c) || math.IsInf(c, 0) {
		return nil
	}
	return &c
}
