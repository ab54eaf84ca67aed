package trend

import (
	"math"
	"slices"
)

// mannKendall returns the Mann–Kendall statistic S of y (concordant minus
// discordant pairs in time order) and its variance under no trend,
// corrected for ties.
func mannKendall(y []float64) (s, variance float64) {
	n := len(y)
	for i := range n {
		for j := i + 1; j < n; j++ {
			switch {
			case y[j] > y[i]:
				s++
			case y[j] < y[i]:
				s--
			}
		}
	}
	fn := float64(n)
	variance = fn * (fn - 1) * (2*fn + 5)
	sorted := slices.Clone(y)
	slices.Sort(sorted)
	for i := 0; i < n; {
		j := i + 1
		for j < n && sorted[j] == sorted[i] {
			j++
		}
		t := float64(j - i)
		variance -= t * (t - 1) * (2*t + 5)
		i = j
	}
	return s, variance / 18
}

// pValue is the two-sided p-value of S under the normal approximation with
// continuity correction.
func pValue(s, variance float64) float64 {
	if variance <= 0 || s == 0 {
		return 1
	}
	z := (math.Abs(s) - 1) / math.Sqrt(variance)
	return min(1, math.Erfc(z/math.Sqrt2))
}

// theilSen returns the median of the pairwise slopes of (x, y) and Sen's
// confidence interval: with N slopes and c = z·√Var(S), the slopes of rank
// (N−c)/2 and (N+c)/2+1. x must be strictly increasing.
func theilSen(x, y []float64, c float64, scratch *[]float64) (slope, low, high float64) {
	n := len(x)
	if cap(*scratch) < n*(n-1)/2 {
		*scratch = make([]float64, 0, n*(n-1)/2)
	}
	slopes := (*scratch)[:0]
	for i := range n {
		for j := i + 1; j < n; j++ {
			slopes = append(slopes, (y[j]-y[i])/(x[j]-x[i]))
		}
	}
	if len(slopes) == 0 {
		return 0, 0, 0
	}
	slices.Sort(slopes)
	m := len(slopes)
	slope = median(slopes)
	fm := float64(m)
	lo := int(math.Round((fm-c)/2)) - 1
	hi := int(math.Round((fm + c) / 2))
	low = slopes[min(max(lo, 0), m-1)]
	high = slopes[min(max(hi, 0), m-1)]
	return slope, min(low, slope), max(high, slope)
}

// intercept is the Theil–Sen intercept of (x, y) for slope: the median of
// y − slope·x, the fitted value at x = 0. It is 0 for no points.
func intercept(x, y []float64, slope float64) float64 {
	if len(x) == 0 {
		return 0
	}
	res := make([]float64, len(x))
	for i := range x {
		res[i] = y[i] - slope*x[i]
	}
	slices.Sort(res)
	return median(res)
}

// median is the middle of sorted, or the mean of its two middle values;
// sorted must not be empty.
func median(sorted []float64) float64 {
	m := len(sorted)
	if m%2 == 1 {
		return sorted[m/2]
	}
	return (sorted[m/2-1] + sorted[m/2]) / 2
}
