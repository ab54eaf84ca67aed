// Package gobench holds Go benchmarks whose names carry spaces and
// slashes, run for real by perfcap's tests (go test -bench . -count N).
package gobench

import (
	"strconv"
	"strings"
	"testing"
)

func interpret(n int) uint64 {
	var acc uint64
	for i := range n {
		switch i % 3 {
		case 0:
			acc += uint64(i)
		case 1:
			acc *= 3
		default:
			acc ^= acc >> 7
		}
	}
	return acc
}

var sink uint64

// BenchmarkInterpret's sub-benchmark has a space in its name, which go test
// prints as an underscore.
func BenchmarkInterpret(b *testing.B) {
	b.Run("interpret 10k", func(b *testing.B) {
		for b.Loop() {
			sink += interpret(10_000)
		}
	})
}

// BenchmarkParse nests sub-benchmarks: slashes in the printed name, a
// key=value part, bytes per second and allocations.
func BenchmarkParse(b *testing.B) {
	for _, depth := range []int{16, 256} {
		b.Run("json/nested arrays/depth="+strconv.Itoa(depth), func(b *testing.B) {
			b.SetBytes(int64(2 * depth))
			b.ReportAllocs()
			for b.Loop() {
				text := strings.Repeat("[", depth) + strings.Repeat("]", depth)
				sink += uint64(strings.Count(text, "["))
			}
		})
	}
}
