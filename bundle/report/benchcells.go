package report

import (
	"fmt"

	"github.com/perfcap/perfcap/capture/bench"
)

// benchStatistic names what a benchmark's estimate is, when the tool's
// own figure needs saying: "median of 5 runs" (repeated Go runs), "mean
// of 10 runs" (hyperfine), "one run"; "" for Criterion and libtest, whose
// figure is the tool's own estimate.
func benchStatistic(r bench.Result, lang string) string {
	zh := lang == "zh"
	switch {
	case r.Tool == "go" && r.N > 1:
		return pick(zh, fmt.Sprintf("median of %d runs", r.N), fmt.Sprintf("%d 次运行的中位数", r.N))
	case r.Tool == "hyperfine" && r.N > 1:
		return pick(zh, fmt.Sprintf("mean of %d runs", r.N), fmt.Sprintf("%d 次运行的均值", r.N))
	case (r.Tool == "go" || r.Tool == "hyperfine") && r.N == 1:
		return pick(zh, "one run", "单次运行")
	}
	return ""
}

// benchSpread says how far a benchmark's estimate can be trusted, labelled
// with what it is: a confidence interval, libtest's deviation, hyperfine's
// standard deviation and range, the range of too few Go runs for an
// interval. A single value is never shown as an interval: "—" when there
// is nothing else to say.
func benchSpread(r bench.Result, lang string) string {
	zh := lang == "zh"
	interval := r.Interval
	if interval == "" {
		// Bundles written before the interval kind was recorded.
		interval = map[string]string{"criterion": "ci", "libtest": "deviation"}[r.Tool]
	}
	switch {
	case interval == "ci" && r.Low < r.High:
		level := pick(zh, "CI", "置信区间")
		if r.Confidence > 0 {
			level = fmt.Sprintf("%.0f%% %s", 100*r.Confidence, level)
		}
		return fmt.Sprintf("%s [%s, %s]", level, formatNS(r.Low), formatNS(r.High))
	case interval == "deviation" && r.High > r.Estimate:
		return pick(zh, fmt.Sprintf("± %s (libtest deviation)", formatNS(r.High-r.Estimate)),
			fmt.Sprintf("± %s（libtest 偏差）", formatNS(r.High-r.Estimate)))
	case r.Tool == "hyperfine":
		sd, hasSD := r.Extra["stddev_ns"]
		lo, hasLo := r.Extra["min_ns"]
		hi, hasHi := r.Extra["max_ns"]
		var s string
		if hasSD && r.N != 1 {
			s = fmt.Sprintf("± %s (σ)", formatNS(sd))
		}
		if hasLo && hasHi && lo < hi {
			if s != "" {
				s += pick(zh, "; ", "；")
			}
			s += pick(zh, "range ", "范围 ") + formatNS(lo) + " … " + formatNS(hi)
		}
		if s != "" {
			return s
		}
	case r.Tool == "go" && r.N > 1 && len(r.Values) > 1:
		lo, hi := r.Values[0], r.Values[0]
		for _, v := range r.Values {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo < hi {
			return pick(zh, fmt.Sprintf("range %s … %s (a 95%% CI needs ≥ %d runs)", formatNS(lo), formatNS(hi), bench.MinRunsForInterval),
				fmt.Sprintf("范围 %s … %s（95%% 置信区间至少需要 %d 次运行）", formatNS(lo), formatNS(hi), bench.MinRunsForInterval))
		}
	}
	return "—"
}

func pick(zh bool, en, zhText string) string {
	if zh {
		return zhText
	}
	return en
}
