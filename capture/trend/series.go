package trend

import (
	"math"
	"slices"
	"time"
)

// storeBuckets bounds the buckets a Series keeps; a sample that needs more
// makes the Series merge neighbours and double the width.
const storeBuckets = 1024

// firstWidth is the width of a stored bucket before any merge.
const firstWidth = time.Second

// bucket summarises the samples of one time slot.
type bucket struct {
	min, max uint64
	sum      float64
	n        uint64
}

func (b *bucket) add(rss uint64) {
	if b.n == 0 || rss < b.min {
		b.min = rss
	}
	if b.n == 0 || rss > b.max {
		b.max = rss
	}
	b.sum += float64(rss)
	b.n++
}

func (b *bucket) merge(o bucket) {
	if o.n == 0 {
		return
	}
	if b.n == 0 {
		*b = o
		return
	}
	b.min = min(b.min, o.min)
	b.max = max(b.max, o.max)
	b.sum += o.sum
	b.n += o.n
}

// Series accumulates the RSS samples of one watched process in bounded
// memory: at most 1024 buckets whatever the length of the watch. The zero
// value is empty and ready to use; a Series is not safe for concurrent use.
type Series struct {
	// resolution is the width of a stored bucket before any merge; 0
	// means firstWidth.
	resolution time.Duration
	started    bool
	t0         time.Duration
	last       time.Duration
	width      time.Duration
	buckets    []bucket
	n          uint64
	// scratch holds the pairwise slopes between Analyze calls (up to
	// 1 MiB): a watch analysing every few seconds for a week would
	// otherwise churn through gigabytes and grow its heap.
	scratch []float64
}

// NewSeries returns an empty Series whose stored buckets start resolution
// wide, typically the sampling interval, so that a watch compressed in
// time (a test, a fast leak) still has buckets to fit; the zero Series
// starts at one second. Buckets widen as the watch grows either way.
func NewSeries(resolution time.Duration) *Series {
	return &Series{resolution: max(resolution, 0)}
}

// Add records one sample: rss bytes at time t since the watch started.
// A negative t counts as 0 and a t before the first sample counts as the
// first sample's time, so a wrong clock can blur the series but not break
// it. Samples may arrive out of order.
func (s *Series) Add(t time.Duration, rss uint64) {
	t = max(t, 0)
	if !s.started {
		s.started = true
		s.t0, s.last = t, t
		s.width = firstWidth
		if s.resolution > 0 {
			s.width = s.resolution
		}
		s.buckets = make([]bucket, 0, storeBuckets)
	}
	t = max(t, s.t0)
	s.last = max(s.last, t)
	idx := (t - s.t0) / s.width
	for idx >= storeBuckets {
		s.coarsen()
		idx = (t - s.t0) / s.width
	}
	for int(idx) >= len(s.buckets) {
		s.buckets = append(s.buckets, bucket{})
	}
	s.buckets[idx].add(rss)
	s.n++
}

// Samples returns how many samples have been added.
func (s *Series) Samples() uint64 { return s.n }

// coarsen merges each pair of neighbouring buckets and doubles the width.
// Buckets are aligned on multiples of the width from t0, so pairs (2i, 2i+1)
// become bucket i exactly.
func (s *Series) coarsen() {
	half := (len(s.buckets) + 1) / 2
	for i := range half {
		b := s.buckets[2*i]
		if 2*i+1 < len(s.buckets) {
			b.merge(s.buckets[2*i+1])
		}
		s.buckets[i] = b
	}
	clear(s.buckets[half:])
	s.buckets = s.buckets[:half]
	s.width *= 2
}

// minCycleDrop is the smallest fall of RSS that can end a cycle: the
// allocator returning a few pages now and then is jitter, not a GC cycle.
const minCycleDrop = 64 << 10

// cycleNoise is how many times the spread of the steps between
// neighbouring buckets a fall must exceed to end a cycle: Gaussian noise
// over a thousand steps stays under 5 times.
const cycleNoise = 8

// cycle estimates the longest cycle of a sawtooth, the shape a garbage
// collector draws, in the stored buckets. A cycle ends with a big fall
// from one bucket to the next, a bucket's minimum below the previous
// one's maximum (so a fall inside a stored bucket shows too), measured
// from the median step: at least half the largest fall, cycleNoise times
// the median absolute deviation of the steps (so noise, whose falls are
// as frequent and as large as its rises, ends none) and minCycleDrop, by
// which RSS itself must fall too.
//
// The result is the longest stretch between two such falls, and the
// stretch after the last one when RSS is climbing back (it rose beyond
// the noise, but not much above where it fell from: a cycle in
// progress, which a short window would take for growth, rather than a
// leak going on after a one-off release). The stretch before the first
// fall is the process starting, not a cycle. 0 when no fall qualifies.
func (s *Series) cycle() time.Duration {
	var at []int        // bucket index after each step
	var steps []float64 // a bucket's minimum less the previous one's maximum
	var prev uint64
	have := false
	for i, b := range s.buckets {
		if b.n == 0 {
			continue
		}
		if have {
			steps = append(steps, float64(b.min)-float64(prev))
			at = append(at, i)
		}
		prev, have = b.max, true
	}
	if len(steps) < 2 {
		return 0
	}
	// Falls are measured from the typical step (the median), so a rising
	// floor's steps, or the extremes of noisy buckets, count as none.
	sorted := slices.Clone(steps)
	slices.Sort(sorted)
	med := median(sorted)
	largest := med - sorted[0]
	for i, d := range sorted {
		sorted[i] = math.Abs(d - med)
	}
	slices.Sort(sorted)
	noise := median(sorted)
	big := max(largest/2, cycleNoise*noise, minCycleDrop)
	// A fall is also a fall of RSS itself: under a leak read at uneven
	// times, a small rise is far below the median step but ends nothing.
	fall := func(d float64) bool { return med-d >= big && -d >= minCycleDrop }
	if !slices.ContainsFunc(steps, fall) {
		return 0
	}
	longest, last, lastFall := 0, -1, 0.0
	for k, d := range steps {
		if fall(d) {
			if last >= 0 {
				longest = max(longest, at[k]-last)
			}
			last, lastFall = at[k], med-d
		}
	}
	var top uint64
	for _, b := range s.buckets[last:] {
		if b.n > 0 {
			top = max(top, b.max)
		}
	}
	if rise := float64(top) - float64(s.buckets[last].min); rise >= max(cycleNoise*noise/2, minCycleDrop) && rise <= 1.5*lastFall {
		longest = max(longest, len(s.buckets)-last)
	}
	return time.Duration(longest) * s.width
}
