package trend

import (
	"fmt"
	"math"
	"time"
)

// The verdicts Analyze gives.
const (
	// Growing means the post-GC floor rises significantly and faster than
	// the minimum meaningful rate.
	Growing = "growing"
	// Flat means no significant rise, or one too small to matter.
	Flat = "flat"
	// Inconclusive means too little data after the warm-up, or a
	// significant rise whose interval straddles the minimum meaningful rate.
	Inconclusive = "inconclusive"
)

// Method names the estimator in Result.Method.
const Method = "theil-sen slope and mann-kendall test of per-bucket minimum RSS"

// mib is one mebibyte in bytes.
const mib = 1 << 20

// Options tunes Analyze. A zero field takes its default; a negative
// Warmup, WarmupFraction, MinRate or MinRelRate means none.
type Options struct {
	// Warmup is the shortest stretch at the start of the watch left out of
	// the fit, while the process fills its caches and heap. Zero chooses
	// it from the watch's length (AutoWarmup): half of a watch shorter
	// than 10 minutes, else 5 minutes.
	Warmup time.Duration
	// WarmupFraction is the share of the watch left out when that is longer
	// than Warmup (default 0.10).
	WarmupFraction float64
	// BucketWidth is the narrowest fit bucket; it must exceed the longest GC
	// cycle for the minimum to see the floor in every bucket. Zero chooses
	// it from the window after the warm-up and the data (AutoBucket): a
	// tenth of the window, at most 30 s, and at least the longest cycle
	// of the RSS seen in the window.
	BucketWidth time.Duration
	// MinRate is the slowest growth, in bytes per second, worth calling
	// growing (default 1 MiB/h).
	MinRate float64
	// MinRelRate is the slowest growth worth calling growing as a fraction
	// of the mean RSS per hour (default 0.005); the larger of the two
	// thresholds applies.
	MinRelRate float64
	// Alpha is the significance level of the Mann–Kendall test; the
	// confidence interval is at level 1−Alpha (default 0.01).
	Alpha float64
	// MaxBuckets caps the fit buckets, bounding the O(n²) Theil–Sen fit
	// (default 512; the 1024 stored buckets cap it anyway).
	MaxBuckets int
	// MinBuckets is the fewest fit buckets a verdict other than
	// inconclusive needs (default 8).
	MinBuckets int
	// Length is the length of watch the automatic warm-up and fit bucket
	// are chosen for, when longer than the samples so far: a watch
	// analysed while it runs passes its planned length (--duration), or
	// 10 minutes when it has none, so that it does not judge its first
	// minutes by the settings of a short watch (an alert would fire on a
	// warm-up ramp or the first half of a slow GC cycle). 0: the samples'
	// span, as for the verdict at the end.
	Length time.Duration
}

// The automatic warm-up and fit bucket (Options.Warmup and BucketWidth
// left zero) follow the length of the watch. From a 10-minute watch on they
// are the fixed defaults they replace (5 minutes, 30 s), so long watches
// are judged as before; a shorter watch leaves out its first half and fits
// ten buckets on the second, so a 40-second watch of an obvious leak is
// already judged, on ten 2-second buckets. A bucket never spans less than
// the longest cycle of RSS seen in the window (a GC sawtooth, whose
// period a short watch cannot know in advance).
const (
	// LongWatch is the length from which the automatic settings are the
	// fixed defaults they replace.
	LongWatch       = 10 * time.Minute
	autoWarmup      = 5 * time.Minute
	autoBucket      = 30 * time.Second
	autoFitBuckets  = 10 // fit buckets a short watch aims at
	autoWarmupShare = 2  // a short watch leaves out 1/autoWarmupShare of itself
)

// AutoWarmup is the warm-up Analyze leaves out of a watch span long when
// Options.Warmup is zero: half of a watch shorter than 10 minutes, else
// the longer of 5 minutes and fraction of the watch.
func AutoWarmup(span time.Duration, fraction float64) time.Duration {
	if span < LongWatch {
		return span / autoWarmupShare
	}
	return max(autoWarmup, time.Duration(fraction*float64(span)))
}

// AutoBucket is the fit bucket Analyze uses over a window (the watch
// after its warm-up) when Options.BucketWidth is zero: a tenth of the
// window, at most 30 s, and at least cycle, the longest RSS cycle seen.
func AutoBucket(window, cycle time.Duration) time.Duration {
	return max(min(autoBucket, window/autoFitBuckets), cycle)
}

// withDefaults fills zero fields with defaults and negative ones with zero.
// A zero Warmup or BucketWidth stays zero: automatic.
func (o Options) withDefaults() Options {
	num := func(v *float64, def float64) {
		if *v == 0 || math.IsNaN(*v) {
			*v = def
		}
		*v = max(*v, 0)
	}
	if o.Warmup < 0 {
		o.Warmup = -1 // none; 0 is automatic
	}
	num(&o.WarmupFraction, 0.10)
	o.WarmupFraction = min(o.WarmupFraction, 1)
	o.BucketWidth = max(o.BucketWidth, 0)
	num(&o.MinRate, mib/3600.0)
	num(&o.MinRelRate, 0.005)
	if !(o.Alpha > 0 && o.Alpha < 1) {
		o.Alpha = 0.01
	}
	if o.MinBuckets < 3 {
		o.MinBuckets = 8
	}
	if o.MaxBuckets < o.MinBuckets {
		o.MaxBuckets = max(512, o.MinBuckets)
	}
	return o
}

// Rate is the growth rate with its interval, as every message of a watch
// prints it: "+1.5 MiB/h (1.2 to 1.8)".
func (r Result) Rate() string {
	return fmt.Sprintf("%+.3g MiB/h (%.3g to %.3g)", r.MiBPerHour, r.LowMiBPerHour, r.HighMiBPerHour)
}

// Result is the verdict on a Series and the numbers behind it; it goes into
// summary.json. Rates are zero and P is 1 when there was too little data.
type Result struct {
	// Verdict is Growing, Flat or Inconclusive.
	Verdict string `json:"verdict"`
	// Reason says in one line why the verdict was reached.
	Reason string `json:"reason"`
	// SlopeBytesPerSec is the Theil–Sen rate of the post-GC floor.
	SlopeBytesPerSec float64 `json:"slope_bytes_per_sec"`
	// LowBytesPerSec and HighBytesPerSec bound Sen's 1−Alpha interval.
	LowBytesPerSec  float64 `json:"low_bytes_per_sec"`
	HighBytesPerSec float64 `json:"high_bytes_per_sec"`
	// MiBPerHour, LowMiBPerHour and HighMiBPerHour are the same in MiB/h.
	MiBPerHour     float64 `json:"mib_per_hour"`
	LowMiBPerHour  float64 `json:"low_mib_per_hour"`
	HighMiBPerHour float64 `json:"high_mib_per_hour"`
	// ThresholdMiBPerHour is the minimum meaningful rate that was applied.
	ThresholdMiBPerHour float64 `json:"threshold_mib_per_hour"`
	// P is the two-sided Mann–Kendall p-value.
	P float64 `json:"p"`
	// Buckets is the number of non-empty fit buckets.
	Buckets int `json:"buckets"`
	// BucketWidth is the width of a fit bucket.
	BucketWidth time.Duration `json:"bucket_width_ns"`
	// Cycle is the longest cycle of RSS (a GC sawtooth) seen, which an
	// automatic fit bucket spans; 0 when the bucket was set
	// (Options.BucketWidth) or RSS never fell much.
	Cycle time.Duration `json:"cycle_ns,omitempty"`
	// Since is the start of the analysed window, after the warm-up.
	Since time.Duration `json:"since_ns"`
	// Until is the end of the analysed window: the end of the last fit
	// bucket used. A last fit bucket that is not full is left out, so
	// Until can be up to BucketWidth before the newest sample.
	Until time.Duration `json:"until_ns"`
	// InterceptBytes is the Theil–Sen intercept, the median of
	// min − SlopeBytesPerSec·t over the fit buckets: the fitted post-GC
	// floor at Since. The fitted line is
	// InterceptBytes + SlopeBytesPerSec·(t − Since).Seconds() for t from
	// Since to Until. Here t is the centre of the stored bucket that holds
	// the fit bucket's minimum, not the fit bucket's centre, because under
	// a rising floor the minimum lies near the fit bucket's start; the
	// line is still off by up to |SlopeBytesPerSec| × half a stored bucket
	// (1 s for a short watch, about 64 s for a day, 512 s for a week).
	InterceptBytes float64 `json:"intercept_bytes"`
	// MeanBytes is the mean RSS of the samples in the analysed window, the
	// base of the relative threshold.
	MeanBytes float64 `json:"mean_bytes"`
	// Samples is the number of samples the Series holds, warm-up included.
	Samples uint64 `json:"samples"`
	// Method names the estimator, for readers of summary.json.
	Method string `json:"method"`
}

// Analyze gives the verdict on the samples so far; the rules are in the
// package documentation. It does not change the samples (only a scratch
// buffer it reuses), so it may be called repeatedly during a watch.
func (s *Series) Analyze(opts Options) Result {
	o := opts.withDefaults()
	r := Result{Verdict: Inconclusive, P: 1, Samples: s.n, Method: Method}
	if s.n == 0 {
		r.Reason = "no samples"
		return r
	}
	span := s.last - s.t0
	length := max(span, o.Length)
	var warm time.Duration
	switch {
	case o.Warmup == 0:
		warm = AutoWarmup(length, o.WarmupFraction)
	case o.Warmup > 0:
		warm = max(o.Warmup, time.Duration(o.WarmupFraction*float64(span)))
	}
	first := ceilDiv(warm, s.width)
	if first >= time.Duration(len(s.buckets)) {
		r.Reason = fmt.Sprintf("watch of %v is not longer than the warm-up of %v", span.Round(10*time.Millisecond), warm.Round(10*time.Millisecond))
		return r
	}
	r.Since = s.t0 + first*s.width
	window := s.t0 + time.Duration(len(s.buckets))*s.width - r.Since
	var per time.Duration
	if o.BucketWidth == 0 {
		// The aim at ten buckets rounds down to whole stored buckets (up,
		// a 21 s window of 1 s buckets would give seven 3 s buckets, too
		// few for a verdict); only the cycle a bucket must span rounds up.
		r.Cycle = s.cycle()
		per = max(AutoBucket(window, 0)/s.width, ceilDiv(r.Cycle, s.width))
	} else {
		per = ceilDiv(o.BucketWidth, s.width)
	}
	per = max(per, ceilDiv(max(window/time.Duration(o.MaxBuckets), 1), s.width), 1)
	r.BucketWidth = per * s.width

	x, y, at, mean, used := s.fitPoints(int(first), int(per))
	r.Buckets = len(y)
	if len(y) < o.MinBuckets {
		r.Reason = fmt.Sprintf("%d buckets of %v after the warm-up; need %d", len(y), r.BucketWidth, o.MinBuckets)
		if r.Cycle > 0 && r.BucketWidth == per*s.width && ceilDiv(r.Cycle, s.width) == per {
			r.Reason += fmt.Sprintf(" (RSS cycles every %v or so: a bucket spans the longest cycle)", r.Cycle)
		}
		return r
	}

	sum, varS := mannKendall(y)
	r.P = pValue(sum, varS)
	zq := math.Sqrt2 * math.Erfinv(1-o.Alpha)
	r.SlopeBytesPerSec, r.LowBytesPerSec, r.HighBytesPerSec = theilSen(x, y, zq*math.Sqrt(varS), &s.scratch)
	r.InterceptBytes = intercept(at, y, r.SlopeBytesPerSec)
	r.Until = r.Since + time.Duration(used)*r.BucketWidth
	r.MeanBytes = mean
	r.MiBPerHour = r.SlopeBytesPerSec * 3600 / mib
	r.LowMiBPerHour = r.LowBytesPerSec * 3600 / mib
	r.HighMiBPerHour = r.HighBytesPerSec * 3600 / mib
	threshold := max(o.MinRate, o.MinRelRate*mean/3600)
	r.ThresholdMiBPerHour = threshold * 3600 / mib

	switch {
	case r.P < o.Alpha && r.LowBytesPerSec > threshold:
		r.Verdict = Growing
		r.Reason = fmt.Sprintf("significant rise (p=%.2g) of at least %.3g MiB/h, above %.3g MiB/h", r.P, r.LowMiBPerHour, r.ThresholdMiBPerHour)
	case r.P >= o.Alpha:
		r.Verdict = Flat
		r.Reason = fmt.Sprintf("no significant trend (p=%.2g ≥ %g)", r.P, o.Alpha)
	case r.HighBytesPerSec <= threshold:
		r.Verdict = Flat
		r.Reason = fmt.Sprintf("significant trend (p=%.2g) but at most %.3g MiB/h, not above %.3g MiB/h", r.P, r.HighMiBPerHour, r.ThresholdMiBPerHour)
	default:
		r.Reason = fmt.Sprintf("significant trend (p=%.2g) but %.3g..%.3g MiB/h straddles %.3g MiB/h", r.P, r.LowMiBPerHour, r.HighMiBPerHour, r.ThresholdMiBPerHour)
	}
	return r
}

// fitPoints regroups the stored buckets from index first on, per stored
// buckets to a fit bucket, dropping a last fit bucket that is not full. It
// returns each non-empty fit bucket's centre in seconds from the window
// start, its minimum RSS and where that minimum is (the centre of the
// earliest stored bucket holding it), the mean RSS of the samples used,
// and how many fit buckets the window spans up to the end of the last
// non-empty one.
func (s *Series) fitPoints(first, per int) (x, y, at []float64, mean float64, used int) {
	nfit := (len(s.buckets) - first) / per
	stored := s.width.Seconds()
	width := float64(per) * stored
	var sum float64
	var n uint64
	for j := range nfit {
		var b bucket
		k := 0
		for i, sb := range s.buckets[first+j*per : first+(j+1)*per] {
			if sb.n > 0 && (b.n == 0 || sb.min < b.min) {
				k = i
			}
			b.merge(sb)
		}
		if b.n == 0 {
			continue
		}
		x = append(x, (float64(j)+0.5)*width)
		at = append(at, float64(j)*width+(float64(k)+0.5)*stored)
		y = append(y, float64(b.min))
		sum += b.sum
		n += b.n
		used = j + 1
	}
	if n > 0 {
		mean = sum / float64(n)
	}
	return x, y, at, mean, used
}

// ceilDiv returns ⌈a/b⌉ for a ≥ 0, b > 0 without overflowing.
func ceilDiv(a, b time.Duration) time.Duration {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}
