package goslow

import "testing"

var data = func() []uint64 {
	d := make([]uint64, 4096)
	for i := range d {
		d[i] = uint64(i) * 2654435761
	}
	return d
}()

var (
	sink      uint64
	sinkSlice []uint64
)

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		sink = Hash(data)
	}
}

func BenchmarkSum(b *testing.B) {
	b.SetBytes(int64(len(data) * 8))
	for b.Loop() {
		sink = Sum(data)
	}
}

func BenchmarkAlloc(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s := make([]uint64, 64)
		s[0] = Sum(data[:64])
		sinkSlice = s
	}
}
