package trend

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"
	"time"
)

// FuzzAnalyze feeds arbitrary samples, 12 bytes each: a uint32 step in
// milliseconds and a uint64 RSS. Analyze must not panic, must give one of
// the three verdicts, finite numbers that encode as JSON, and low ≤ slope ≤
// high.
func FuzzAnalyze(f *testing.F) {
	seed := make([]byte, 0, 12*100)
	for i := range 100 {
		seed = binary.LittleEndian.AppendUint32(seed, 1000)
		seed = binary.LittleEndian.AppendUint64(seed, uint64(100<<20+i<<16))
	}
	f.Add(seed, int64(0), 0.0)
	f.Add([]byte{}, int64(-1), -1.0)
	f.Add(make([]byte, 12*20), int64(time.Second), 0.5)
	f.Fuzz(func(t *testing.T, data []byte, warmup int64, frac float64) {
		var s Series
		var now time.Duration
		for len(data) >= 12 {
			now += time.Duration(binary.LittleEndian.Uint32(data)) * time.Millisecond
			s.Add(now, binary.LittleEndian.Uint64(data[4:]))
			data = data[12:]
		}
		r := s.Analyze(Options{Warmup: time.Duration(warmup), WarmupFraction: frac, MinBuckets: 3})
		switch r.Verdict {
		case Growing, Flat, Inconclusive:
		default:
			t.Fatalf("verdict %q", r.Verdict)
		}
		if !(r.LowBytesPerSec <= r.SlopeBytesPerSec && r.SlopeBytesPerSec <= r.HighBytesPerSec) {
			t.Fatalf("interval %g..%g does not hold %g", r.LowBytesPerSec, r.HighBytesPerSec, r.SlopeBytesPerSec)
		}
		if math.IsNaN(r.P) || r.P < 0 || r.P > 1 {
			t.Fatalf("p = %g", r.P)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("encoding result: %v", err)
		}
	})
}
