package flame

import (
	"bytes"
	"io"
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

// BenchmarkCollapseScript measures the stackcollapse-perf.pl-compatible
// fold over the same inputs: alone, and behind an io.TeeReader while a
// ScriptReader folds the same text, as `perfcap flame --folded` reads it
// (bytes per second of input, both folds included).
func BenchmarkCollapseScript(b *testing.B) {
	once := benchScript(b)
	for _, bc := range []struct {
		name string
		in   []byte
	}{
		{"once", once},
		{"16MB", bytes.Repeat(once, 16<<20/len(once)+1)},
	} {
		b.Run(bc.name+"/alone", func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := CollapseScript(bytes.NewReader(bc.in), CollapseOptions{Kernel: true, JIT: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/with-fold", func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				c := NewCollapser(CollapseOptions{Kernel: true, JIT: true})
				if _, _, err := FoldScript(io.TeeReader(bytes.NewReader(bc.in), c), FoldOptions{Annotate: true}); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Stacks(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
