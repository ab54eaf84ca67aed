package bench

// Result is one benchmark's measurement, whatever tool produced it.
type Result struct {
	// Tool is "criterion", "libtest", "go" or "hyperfine".
	Tool string `json:"tool"`
	// ID is the benchmark's name as the tool prints it ("fib 20",
	// "group/function/param", "BenchmarkFoo-8").
	ID string `json:"id"`
	// Estimate is the point estimate of the time per iteration in
	// nanoseconds; Low and High bound its confidence interval when the
	// tool gives one (Criterion), else they equal Estimate. For libtest,
	// High-Low is twice the "+/-" deviation.
	Estimate float64 `json:"estimate_ns"`
	Low      float64 `json:"low_ns"`
	High     float64 `json:"high_ns"`
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
	// Extra holds other per-benchmark metrics (Go's B/op, allocs/op...).
	Extra map[string]float64 `json:"extra,omitempty"`
}

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
