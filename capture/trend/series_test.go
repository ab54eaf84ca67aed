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

// cycle finds a GC sawtooth's longest cycle, and none in noise, in a
// leak under noise or in an allocator's page jitter.
func TestCycle(t *testing.T) {
	periods := []int{7, 12, 24, 5, 19, 9, 16, 11, 22, 6, 14, 8} // 153 s
	irregular := func(t float64, r *rand.Rand) float64 {
		at := int(t) % 153
		for _, p := range periods {
			if at < p {
				return 300 + 40*float64(at)/float64(p) + 2*r.Float64()
			}
			at -= p
		}
		return 300
	}
	for _, tc := range []struct {
		name     string
		dur      time.Duration
		f        shape
		min, max time.Duration
	}{
		{"sawtooth every 5 s, 10 steps a cycle", 2 * time.Minute, func(t float64, _ *rand.Rand) float64 { return 30 + 5*math.Floor(math.Mod(t, 5)) }, 5 * time.Second, 5 * time.Second},
		{"sawtooth of cycles from 5 to 24 s, noise", 20 * time.Minute, irregular, 24 * time.Second, 26 * time.Second},
		{"Gaussian noise", 15 * time.Minute, func(_ float64, r *rand.Rand) float64 { return 300 + 2*r.NormFloat64() }, 0, 0},
		{"1 MiB/min leak under noise", 10 * time.Minute, func(t float64, r *rand.Rand) float64 { return 100 + t/60 + r.NormFloat64() }, 0, 0},
		{"1 MiB/s leak, a sample late now and then", time.Minute, func(t float64, _ *rand.Rand) float64 { return 100 + t - btoi(int(t)%7 == 3) }, 0, 0},
		{"page jitter", 10 * time.Minute, func(t float64, r *rand.Rand) float64 { return 30 + float64(r.Intn(20)/19)*4096/mib }, 0, 0},
		{"constant", time.Minute, func(float64, *rand.Rand) float64 { return 30 }, 0, 0},
	} {
		s, _ := sample(tc.dur, tc.f)
		if got := s.cycle(); got < tc.min || got > tc.max {
			t.Errorf("%s: cycle %v, want %v to %v", tc.name, got, tc.min, tc.max)
		}
	}
}

// One fall of RSS: a cycle in progress when RSS climbs back towards where
// it fell from, none when it stays down (a one-off release) or climbs far
// above (a leak after a release).
func TestCycleAfterOneFall(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    shape
		want time.Duration
	}{
		{"climbing back for 23 s after a fall at 24 s", func(t float64, _ *rand.Rand) float64 { return 300 + 40*math.Mod(t, 24)/24 }, 23 * time.Second},
		{"released once, then flat", func(t float64, _ *rand.Rand) float64 { return 300 + 40*btoi(t < 5) }, 0},
		{"released once, then a leak well past it", func(t float64, _ *rand.Rand) float64 { return 300 + 4*btoi(t < 5) + 2*t }, 0},
	} {
		s, _ := sample(47*time.Second, tc.f)
		if got := s.cycle(); got != tc.want {
			t.Errorf("%s: cycle %v, want %v", tc.name, got, tc.want)
		}
	}
}

func btoi(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
