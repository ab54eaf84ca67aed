package bench

// Result is one benchmark's measurement, whatever tool produced it.
type Result struct {
	// Tool is "criterion", "libtest", "go" or "hyperfine".
	Tool string `json:"tool"`
	// ID is the benchmark's name as the tool prints it ("fib 20",
	// "group/function/param", "BenchmarkFoo-8").
	ID string `json:"id"`
	// Package is the Go package of a Go benchmark (its "pkg:" line), so
	// that benchmarks of the same name in two packages stay apart.
	Package string `json:"package,omitempty"`
	// Estimate is the point estimate of the time per iteration in
	// nanoseconds: Criterion's typical estimate, the median of repeated Go
	// runs (go test -count N), hyperfine's mean, libtest's figure. Low and
	// High bound it as Interval says; when Interval is "" they equal
	// Estimate and no interval is known.
	Estimate float64 `json:"estimate_ns"`
	Low      float64 `json:"low_ns"`
	High     float64 `json:"high_ns"`
	// Interval says what Low and High are: "ci" a confidence interval of
	// Estimate at level Confidence (Criterion; Go with enough runs, as
	// benchstat computes it), "deviation" libtest's "+/-" around Estimate,
	// or "" for none (one Go run, too few Go runs for a 95 % interval,
	// hyperfine, whose spread is in Extra as stddev_ns, min_ns, max_ns).
	Interval string `json:"interval,omitempty"`
	// Confidence is the level of a "ci" interval: Criterion's
	// confidence_level, 0.95 for Go runs (the interval between two order
	// statistics covers at least that); 0 when unknown (Criterion's console).
	Confidence float64 `json:"confidence,omitempty"`
	// N counts the measurements Estimate summarises: Go runs of the
	// benchmark, hyperfine runs, Criterion samples; 0 when unknown.
	N int `json:"n,omitempty"`
	// Values are those measurements in nanoseconds per iteration, in the
	// order the tool reported them (at most MaxValues): each Go run's
	// ns/op, hyperfine's times, Criterion's samples (time/iterations from
	// sample.json). They are what a later comparison of two bundles needs.
	Values []float64 `json:"values_ns,omitempty"`
	// Throughput, when reported, is a rate with its unit
	// ("elem/s", "B/s", "MiB/s" as printed).
	Throughput *Throughput `json:"throughput,omitempty"`
	// Change is the comparison with a baseline, when the tool made one.
	Change *Change `json:"change,omitempty"`
	// Outliers is Criterion's "Found N outliers among M measurements".
	Outliers *Outliers `json:"outliers,omitempty"`
	// Source says where the figures came from: "stdout" or a file path
	// relative to the working directory.
	Source string `json:"source"`
	// Extra holds other per-benchmark metrics (Go's B/op, allocs/op...;
	// the median over the runs for repeated Go runs).
	Extra map[string]float64 `json:"extra,omitempty"`
	// ExtraValues holds, for repeated Go runs, each Extra metric's value
	// per run, in run order.
	ExtraValues map[string][]float64 `json:"extra_values,omitempty"`
}

// MaxValues bounds Result.Values and each ExtraValues list, so that a
// summary stays small whatever the number of runs; the raw files under
// bench/ keep every measurement.
const MaxValues = 10000

// Throughput is a rate: Low, Estimate, High in Unit per second.
type Throughput struct {
	Low      float64 `json:"low"`
	Estimate float64 `json:"estimate"`
	High     float64 `json:"high"`
	Unit     string  `json:"unit"`
}

// Change is a comparison with a baseline: relative change of the time
// (-0.05 is 5 % faster) with its interval, the p value and the verdict.
type Change struct {
	Low      float64 `json:"low"`
	Estimate float64 `json:"estimate"`
	High     float64 `json:"high"`
	P        float64 `json:"p,omitempty"`
	// Verdict is "regressed", "improved", "no change" or "within noise".
	Verdict string `json:"verdict,omitempty"`
}

// Outliers counts measurements Criterion classified as outliers.
type Outliers struct {
	Found      int `json:"found"`
	Among      int `json:"among"`
	LowSevere  int `json:"low_severe,omitempty"`
	LowMild    int `json:"low_mild,omitempty"`
	HighMild   int `json:"high_mild,omitempty"`
	HighSevere int `json:"high_severe,omitempty"`
}

// Metric is a number taken from the command's output by a --metric
// NAME=REGEX rule.
type Metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	// Text is the matched text, Line its line number in the stream.
	Text   string `json:"text"`
	Stream string `json:"stream"`
	Line   int    `json:"line"`
}
