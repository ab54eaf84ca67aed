// Package gobenchtwo holds two Go benchmarks, each spending its time in a
// function of its own, for perfcap's test of one profile per benchmark.
package gobenchtwo

import "testing"

var sink uint64

// mixBits is BenchmarkMix's work: integer hashing.
//
//go:noinline
func mixBits(n int) uint64 {
	x := uint64(n) | 1
	for range 4096 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// sumFloats is BenchmarkSum's work: floating-point arithmetic.
//
//go:noinline
func sumFloats(n int) uint64 {
	s := float64(n)
	for i := range 4096 {
		s = s*1.0000001 + float64(i)*0.5
	}
	return uint64(s)
}

func BenchmarkMix(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		sink += mixBits(i)
	}
}

func BenchmarkSum(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		sink += sumFloats(i)
	}
}
