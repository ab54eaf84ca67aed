package compare

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/flame"
)

// randomStacks makes n distinct stacks of realistic depth (8 to 40
// frames) over a vocabulary of 2,000 function names, as a large profile
// has.
func randomStacks(n int, seed uint64) []flame.Stack {
	rng := rand.New(rand.NewPCG(seed, 1))
	names := make([]string, 2000)
	for i := range names {
		names[i] = fmt.Sprintf("crate::module%d::function_%d", i%37, i)
	}
	seen := make(map[string]bool, n)
	stacks := make([]flame.Stack, 0, n)
	for len(stacks) < n {
		depth := 8 + rng.IntN(33)
		frames := make([]string, depth)
		frames[0] = "app"
		for i := 1; i < depth; i++ {
			// Shared prefixes, as real call trees have.
			frames[i] = names[(rng.IntN(40)*i+rng.IntN(3))%len(names)]
		}
		key := strings.Join(frames, ";")
		if seen[key] {
			continue
		}
		seen[key] = true
		stacks = append(stacks, flame.Stack{Frames: frames, Count: 1 + int64(rng.IntN(50))})
	}
	return stacks
}

// bigBundle writes a run bundle whose perf/folded.txt holds the stacks.
func bigBundle(tb testing.TB, path string, stacks []flame.Stack, summary string) {
	tb.Helper()
	var folded bytes.Buffer
	if err := flame.WriteFolded(&folded, stacks); err != nil {
		tb.Fatal(err)
	}
	writeBundle(tb, path, map[string]string{"summary.json": summary, "perf/folded.txt": folded.String()})
}

// BenchmarkDiff100k measures what `perfcap diff A B` does on two bundles
// of 100,000 distinct stacks each (half of them shared): load and verify
// both, compare, print the table; and, as a second figure, the
// differential flamegraph and folded diff that -o adds.
func BenchmarkDiff100k(b *testing.B) {
	dir := b.TempDir()
	base := randomStacks(100000, 1)
	cur := append(randomStacks(50000, 2), base[:50000]...)
	for i := range cur[:50000] {
		cur[i].Count *= 2
	}
	summary := `{"wall_seconds": 1, "benchmarks": [{"tool": "go", "id": "BenchmarkX", "values_ns": [1,2,3,4,5,6,7,8,9,10]}]}`
	paths := []string{filepath.Join(dir, "a.tar.zst"), filepath.Join(dir, "b.tar.zst")}
	bigBundle(b, paths[0], base, summary)
	bigBundle(b, paths[1], cur, summary)
	load := func(b *testing.B) *Diff {
		runs, err := LoadAll(paths)
		if err != nil {
			b.Fatal(err)
		}
		d, err := New(runs, Options{})
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			d := load(b)
			if err := WriteText(io.Discard, d, TextOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("svg+folded", func(b *testing.B) {
		d := load(b)
		p := d.Comparisons[0].Profile
		if p == nil || len(p.DiffStacks()) != 150000 {
			b.Fatalf("profile: %+v", p)
		}
		for b.Loop() {
			if err := flame.WriteDiffSVG(io.Discard, p.DiffStacks(), flame.SVGOptions{}); err != nil {
				b.Fatal(err)
			}
			if err := WriteFoldedDiff(io.Discard, p.DiffStacks(), false); err != nil {
				b.Fatal(err)
			}
		}
	})
}
