// Package goslow is a benchmark project for perfcap diff's tests: the
// test rewrites rounds to make Hash slower between two runs, and leaves
// Sum alone.
package goslow

// rounds is how many times Hash mixes each word.
const rounds = 4

// Hash mixes the words of data.
func Hash(data []uint64) uint64 {
	h := uint64(14695981039346656037)
	for _, w := range data {
		for range rounds {
			h ^= w
			h *= 1099511628211
			h = h<<13 | h>>51
		}
	}
	return h
}

// Sum adds the words of data.
func Sum(data []uint64) uint64 {
	var s uint64
	for _, w := range data {
		s += w
	}
	return s
}
