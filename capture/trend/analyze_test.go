package trend

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

// shape is RSS in MiB at t seconds; rng supplies the noise.
type shape func(t float64, rng *rand.Rand) float64

// sample feeds a Series one sample a second for dur, as the watcher does.
func sample(dur time.Duration, f shape) (*Series, []float64) {
	rng := rand.New(rand.NewSource(1))
	var s Series
	var raw []float64
	for t := time.Duration(0); t < dur; t += time.Second {
		v := max(f(t.Seconds(), rng), 0) * mib
		s.Add(t, uint64(v))
		raw = append(raw, v)
	}
	return &s, raw
}

// sawtooth rises from 0 to height MiB over period seconds, then a GC drops
// it back.
func sawtooth(t, period, height float64) float64 {
	return height * math.Mod(t, period) / period
}

// leastSquaresMiBPerHour is the ordinary least-squares slope of the raw
// series at one sample a second, the way mprof --slope fits it.
func leastSquaresMiBPerHour(raw []float64) float64 {
	n := float64(len(raw))
	var sx, sy, sxx, sxy float64
	for i, v := range raw {
		x := float64(i)
		sx += x
		sy += v
		sxx += x * x
		sxy += x * v
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx) * 3600 / mib
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name string
		dur  time.Duration
		f    shape
		want string
		// opts are the settings; zero, the automatic ones.
		opts Options
		// lsFlags says a least-squares line over the whole watch is above
		// the threshold, i.e. mprof --slope would raise a false alarm.
		lsFlags bool
	}{
		{
			name: "steady 1 MiB/min, 10 min",
			dur:  10 * time.Minute,
			f:    func(t float64, r *rand.Rand) float64 { return 100 + t/60 + r.NormFloat64() },
			want: Growing,
		},
		{
			name: "flat with noise, 2 h",
			dur:  2 * time.Hour,
			f:    func(t float64, r *rand.Rand) float64 { return 300 + 2*r.NormFloat64() },
			want: Flat,
		},
		{
			name:    "GC sawtooth 0-200 MiB every 30 s, 10 min",
			dur:     10 * time.Minute,
			f:       func(t float64, r *rand.Rand) float64 { return 50 + sawtooth(t, 30, 200) + r.NormFloat64() },
			want:    Flat,
			lsFlags: true,
		},
		{
			name: "GC sawtooth 0-200 MiB every 30 s, 2 h",
			dur:  2 * time.Hour,
			f:    func(t float64, r *rand.Rand) float64 { return 50 + sawtooth(t, 30, 200) + r.NormFloat64() },
			want: Flat,
		},
		{
			name: "GC sawtooth 0-200 MiB every 23 s, not aligned with buckets, 2 h",
			dur:  2 * time.Hour,
			f:    func(t float64, r *rand.Rand) float64 { return 50 + sawtooth(t, 23, 200) + r.NormFloat64() },
			want: Flat,
		},
		{
			name: "plateau after a 4 min warm-up ramp, 1 h",
			dur:  time.Hour,
			f: func(t float64, r *rand.Rand) float64 {
				return 20 + 380*min(t/240, 1) + 3*r.NormFloat64()
			},
			want:    Flat,
			lsFlags: true,
		},
		{
			name: "plateau after a warm-up, saturating curve, 3 h",
			dur:  3 * time.Hour,
			f: func(t float64, r *rand.Rand) float64 {
				return 20 + 400*(1-math.Exp(-t/120)) + 3*r.NormFloat64()
			},
			want:    Flat,
			lsFlags: true,
		},
		{
			name: "10 MiB/h leak under a 100 MiB sawtooth, 4 h",
			dur:  4 * time.Hour,
			f: func(t float64, r *rand.Rand) float64 {
				return 200 + 10*t/3600 + sawtooth(t, 30, 100) + r.NormFloat64()
			},
			want: Growing,
		},
		{
			name: "0.3 MiB/h drift below the 1 MiB/h minimum, 24 h",
			dur:  24 * time.Hour,
			f:    func(t float64, r *rand.Rand) float64 { return 100 + 0.3*t/3600 + 0.2*r.NormFloat64() },
			want: Flat,
		},
		{
			name: "1.1 MiB/h, interval straddles the 1 MiB/h minimum, 2 h",
			dur:  2 * time.Hour,
			f:    func(t float64, r *rand.Rand) float64 { return 100 + 1.1*t/3600 + 2*r.NormFloat64() },
			want: Inconclusive,
		},
		{
			name: "steady 1 MiB/min, 4 min",
			dur:  4 * time.Minute,
			f:    func(t float64, r *rand.Rand) float64 { return 100 + t/60 + r.NormFloat64() },
			want: Growing,
		},
		{
			name: "steady 1 MiB/min, 4 min, --warmup 5m --trend-bucket 30s: too short",
			dur:  4 * time.Minute,
			f:    func(t float64, r *rand.Rand) float64 { return 100 + t/60 + r.NormFloat64() },
			opts: Options{Warmup: 5 * time.Minute, BucketWidth: 30 * time.Second},
			want: Inconclusive,
		},
		{
			name: "steady 1 MiB/min, 7 min, --warmup 5m --trend-bucket 30s: just past the warm-up",
			dur:  7 * time.Minute,
			f:    func(t float64, r *rand.Rand) float64 { return 100 + t/60 + r.NormFloat64() },
			opts: Options{Warmup: 5 * time.Minute, BucketWidth: 30 * time.Second},
			want: Inconclusive,
		},
		// Short watches, judged with the automatic warm-up (half the
		// watch) and fit bucket (a tenth of the rest, or the cycle).
		{
			name: "leak 1 MiB/s, 40 s",
			dur:  40 * time.Second,
			f:    func(t float64, r *rand.Rand) float64 { return 100 + t + r.NormFloat64() },
			want: Growing,
		},
		{
			name: "flat with noise, 40 s",
			dur:  40 * time.Second,
			f:    func(t float64, r *rand.Rand) float64 { return 300 + 2*r.NormFloat64() },
			want: Flat,
		},
		{
			name: "flat, constant, 40 s",
			dur:  40 * time.Second,
			f:    func(float64, *rand.Rand) float64 { return 30 },
			want: Flat,
		},
		{
			name: "GC sawtooth 0-50 MiB every 2 s, 40 s",
			dur:  40 * time.Second,
			f:    func(t float64, r *rand.Rand) float64 { return 50 + sawtooth(t, 2, 50) + 0.1*r.NormFloat64() },
			want: Flat,
		},
		{
			name: "GC sawtooth 0-50 MiB every 5 s, 90 s",
			dur:  90 * time.Second,
			f:    func(t float64, r *rand.Rand) float64 { return 50 + sawtooth(t, 5, 50) + 0.1*r.NormFloat64() },
			want: Flat,
		},
		{
			name:    "GC sawtooth 0-50 MiB every 10 s, 60 s: too few cycles",
			dur:     60 * time.Second,
			f:       func(t float64, r *rand.Rand) float64 { return 50 + sawtooth(t, 10, 50) + 0.1*r.NormFloat64() },
			want:    Inconclusive,
			lsFlags: true,
		},
		{
			name:    "plateau after a 20 s ramp, 60 s",
			dur:     60 * time.Second,
			f:       func(t float64, r *rand.Rand) float64 { return 20 + 80*min(t/20, 1) + 0.5*r.NormFloat64() },
			want:    Flat,
			lsFlags: true,
		},
		{
			name: "too short: 10 s",
			dur:  10 * time.Second,
			f:    func(t float64, r *rand.Rand) float64 { return 100 + t + r.NormFloat64() },
			want: Inconclusive,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, raw := sample(tt.dur, tt.f)
			got := s.Analyze(tt.opts)
			ls := leastSquaresMiBPerHour(raw)
			t.Logf("%s: %s; %.3g MiB/h [%.3g, %.3g], p=%.2g, %d buckets of %v since %v; least squares %.3g MiB/h",
				got.Verdict, got.Reason, got.MiBPerHour, got.LowMiBPerHour, got.HighMiBPerHour,
				got.P, got.Buckets, got.BucketWidth, got.Since, ls)
			if got.Verdict != tt.want {
				t.Errorf("verdict %q, want %q", got.Verdict, tt.want)
			}
			if tt.lsFlags && ls <= got.ThresholdMiBPerHour {
				t.Errorf("least squares %.3g MiB/h is not above the %.3g MiB/h threshold; the case does not show its false alarm",
					ls, got.ThresholdMiBPerHour)
			}
		})
	}
}

func TestAnalyzeEmpty(t *testing.T) {
	var s Series
	if got := s.Analyze(Options{}); got.Verdict != Inconclusive || got.P != 1 {
		t.Errorf("empty series: %+v, want inconclusive with p=1", got)
	}
}

// TestAnalyzeLine checks the fitted floor line: at Since it is the floor
// the series was built on, and at Until it still is, to within 1 % and
// within the bias the Result documents.
func TestAnalyzeLine(t *testing.T) {
	tests := []struct {
		name string
		dur  time.Duration
		// floor is the post-GC floor in MiB at t seconds; the samples add
		// a sawtooth of saw MiB every period seconds on top of it.
		floor       func(t float64) float64
		period, saw float64
		wantVerdict string
		wantExactly bool // the intercept is the floor to the byte
	}{
		{
			name:        "100 MiB + 1 MiB/min under a 10 s sawtooth, 1 h",
			dur:         time.Hour,
			floor:       func(t float64) float64 { return 100 + t/60 },
			period:      10,
			saw:         50,
			wantVerdict: Growing,
		},
		{
			name:        "100 MiB + 1 MiB/min under a 23 s sawtooth, 24 h",
			dur:         24 * time.Hour,
			floor:       func(t float64) float64 { return 100 + t/60 },
			period:      23,
			saw:         80,
			wantVerdict: Growing,
		},
		{
			name:        "100 MiB + 1 MiB/min, no sawtooth, 10 min",
			dur:         10 * time.Minute,
			floor:       func(t float64) float64 { return 100 + t/60 },
			wantVerdict: Growing,
		},
		{
			name:        "flat 300 MiB under a 20 s sawtooth, 2 h",
			dur:         2 * time.Hour,
			floor:       func(float64) float64 { return 300 },
			period:      20,
			saw:         200,
			wantVerdict: Flat,
			wantExactly: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, raw := sample(tt.dur, func(t float64, _ *rand.Rand) float64 {
				v := tt.floor(t)
				if tt.period > 0 {
					v += sawtooth(t, tt.period, tt.saw)
				}
				return v
			})
			got := s.Analyze(Options{})
			if got.Verdict != tt.wantVerdict {
				t.Fatalf("verdict %q (%s), want %q", got.Verdict, got.Reason, tt.wantVerdict)
			}
			if got.Until <= got.Since || got.Until > tt.dur || (got.Until-got.Since)%got.BucketWidth != 0 {
				t.Errorf("window %v to %v in buckets of %v over a %v watch", got.Since, got.Until, got.BucketWidth, tt.dur)
			}
			var sum float64
			for _, v := range raw[int(got.Since/time.Second):int(got.Until/time.Second)] {
				sum += v
			}
			if mean := sum / float64((got.Until-got.Since)/time.Second); math.Abs(got.MeanBytes-mean) > 1e-6*mean {
				t.Errorf("MeanBytes %.0f, want %.0f", got.MeanBytes, mean)
			}
			// The minimum is placed at the centre of its stored bucket, at
			// most half a stored bucket off, and samples are whole bytes.
			stored := time.Second
			for stored*storeBuckets <= tt.dur-time.Second {
				stored *= 2
			}
			bias := math.Abs(got.SlopeBytesPerSec)*stored.Seconds()/2 + 1
			for _, at := range []time.Duration{got.Since, got.Until} {
				want := math.Floor(tt.floor(at.Seconds()) * mib)
				line := got.InterceptBytes + got.SlopeBytesPerSec*(at-got.Since).Seconds()
				t.Logf("at %v: line %.4f MiB, floor %.4f MiB (slope %.4g MiB/h, buckets of %v)",
					at, line/mib, want/mib, got.MiBPerHour, got.BucketWidth)
				if tt.wantExactly && line != want {
					t.Errorf("line at %v is %.0f bytes, want exactly %.0f", at, line, want)
				}
				if d := math.Abs(line - want); d > 0.01*want || d > bias {
					t.Errorf("line at %v is %.4f MiB, want %.4f MiB within 1 %% and within %.4f MiB",
						at, line/mib, want/mib, bias/mib)
				}
			}
		})
	}
}

func TestAnalyzeLineTooShort(t *testing.T) {
	s, _ := sample(10*time.Second, func(t float64, _ *rand.Rand) float64 { return 100 + t/60 })
	got := s.Analyze(Options{})
	if got.Verdict != Inconclusive || got.InterceptBytes != 0 || got.Until != 0 || got.MeanBytes != 0 {
		t.Errorf("too short a watch: %+v, want inconclusive with no line", got)
	}
}

// TestAutoBucketWholeWindow checks that the automatic fit bucket gives a
// short watch the ten buckets it aims at whatever its length: rounding the
// tenth of the window up to whole stored buckets once gave a 41-second
// watch seven 3 s buckets, one short of a verdict on an obvious leak.
func TestAutoBucketWholeWindow(t *testing.T) {
	for secs := 21; secs < int(LongWatch/time.Second); secs++ {
		s, _ := sample(time.Duration(secs)*time.Second, func(t float64, _ *rand.Rand) float64 { return 100 + t })
		got := s.Analyze(Options{})
		if got.Buckets < autoFitBuckets || got.Verdict != Growing {
			t.Fatalf("%d s of a 1 MiB/s leak: %d buckets of %v, %s (%s); want at least %d and growing",
				secs, got.Buckets, got.BucketWidth, got.Verdict, got.Reason, autoFitBuckets)
		}
		if got.BucketWidth > autoBucket {
			t.Fatalf("%d s: buckets of %v, wider than %v", secs, got.BucketWidth, autoBucket)
		}
	}
}

func TestResultRate(t *testing.T) {
	r := Result{MiBPerHour: 61.23, LowMiBPerHour: 57.91, HighMiBPerHour: 64.04}
	if got, want := r.Rate(), "+61.2 MiB/h (57.9 to 64)"; got != want {
		t.Errorf("Rate() = %q, want %q", got, want)
	}
	if got, want := (Result{MiBPerHour: -0.5, LowMiBPerHour: -1, HighMiBPerHour: 0}).Rate(), "-0.5 MiB/h (-1 to 0)"; got != want {
		t.Errorf("Rate() = %q, want %q", got, want)
	}
}
