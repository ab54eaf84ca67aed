package trend

import (
	"math"
	"math/rand"
	"runtime"
	"testing"
	"time"
)

func TestSeriesCoarsenKeepsSummaries(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		step      time.Duration
		wantWidth time.Duration
	}{
		{"one bucket per sample", 1000, time.Second, time.Second},
		{"first merge", 1025, time.Second, 2 * time.Second},
		{"a day at 1 s", 86400, time.Second, 128 * time.Second},
		{"sparse samples", 10, time.Hour, 32 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(2))
			var s Series
			var lo, hi uint64 = ^uint64(0), 0
			var sum float64
			for i := range tt.n {
				v := uint64(rng.Int63n(1 << 40))
				lo, hi, sum = min(lo, v), max(hi, v), sum+float64(v)
				s.Add(time.Duration(i)*tt.step, v)
			}
			var all bucket
			for _, b := range s.buckets {
				all.merge(b)
			}
			if s.width != tt.wantWidth || len(s.buckets) > storeBuckets {
				t.Errorf("width %v with %d buckets, want %v and at most %d", s.width, len(s.buckets), tt.wantWidth, storeBuckets)
			}
			if all.n != uint64(tt.n) || all.min != lo || all.max != hi || math.Abs(all.sum-sum) > 1e-9*sum {
				t.Errorf("merged buckets n=%d min=%d max=%d sum=%g, want %d %d %d %g", all.n, all.min, all.max, all.sum, tt.n, lo, hi, sum)
			}
		})
	}
}

// TestSeriesWeekMemory feeds a week at one sample a second and checks the
// live heap, not the time taken.
func TestSeriesWeekMemory(t *testing.T) {
	const week = 604800
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var s Series
	rng := rand.New(rand.NewSource(3))
	for i := range week {
		s.Add(time.Duration(i)*time.Second, uint64(300<<20+rng.Int63n(50<<20)))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("live heap grew %d bytes, %d bytes allocated in all, for %d samples in %d buckets of %v",
		grew, allocated, s.Samples(), len(s.buckets), s.width)
	if grew > 5<<20 || allocated > 5<<20 {
		t.Errorf("live heap grew %d bytes and %d were allocated, want both under 5 MiB", grew, allocated)
	}
	if r := s.Analyze(Options{}); r.Verdict != Flat {
		t.Errorf("uniform noise for a week: %q (%s), want flat", r.Verdict, r.Reason)
	}
	runtime.KeepAlive(&s)
}

// BenchmarkAnalyzeWeek measures one Analyze of a week at 1 s with the
// narrowest fit buckets the MaxBuckets cap allows.
func BenchmarkAnalyzeWeek(b *testing.B) {
	var s Series
	rng := rand.New(rand.NewSource(4))
	for i := range 604800 {
		s.Add(time.Duration(i)*time.Second, uint64(300<<20+rng.Int63n(50<<20)))
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Analyze(Options{BucketWidth: time.Second})
	}
}
