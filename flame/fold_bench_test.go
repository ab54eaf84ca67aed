package flame

import (
	"bytes"
	"os"
	"testing"
)

// benchScript returns the recorded fixtures, concatenated.
func benchScript(b *testing.B) []byte {
	var one []byte
	for _, path := range scriptFixtures(b) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		one = append(one, data...)
		if !bytes.HasSuffix(one, []byte("\n\n")) {
			one = append(one, '\n')
		}
	}
	return one
}

// BenchmarkFoldScript measures single-threaded fold throughput, reading
// `perf script` text to folded stacks as perfcap does: over the fixtures
// once (about 1 MB, every frame line new to the reader's cache), and over
// 16 MB of them repeated in memory, so that no big file is kept in
// testdata, the shape of a long recording, where stacks recur.
func BenchmarkFoldScript(b *testing.B) {
	once := benchScript(b)
	for _, bc := range []struct {
		name string
		in   []byte
	}{
		{"once", once},
		{"16MB", bytes.Repeat(once, 16<<20/len(once)+1)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := FoldScript(bytes.NewReader(bc.in), FoldOptions{Annotate: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
