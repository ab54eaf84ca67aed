package bundle

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// benchCSV is about 50 MB of timeline-like CSV, made once.
var benchCSV = sync.OnceValue(func() []byte { return csv(1_200_000) })

// benchBundle writes a bundle holding benchCSV to dir.
func benchBundle(b *testing.B, dir string) string {
	b.Helper()
	path := filepath.Join(dir, "run.tar.zst")
	w, err := NewWriter(path, testRedactor{})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.AddBytes("timeline.csv", benchCSV()); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(testManifest()); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkWrite stages and packs the CSV; MB/s is of uncompressed data.
func BenchmarkWrite(b *testing.B) {
	dir := b.TempDir()
	b.SetBytes(int64(len(benchCSV())))
	var path string
	for b.Loop() {
		path = benchBundle(b, dir)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(benchCSV()))/float64(fi.Size()), "ratio")
}

// BenchmarkVerify decompresses and hashes the CSV.
func BenchmarkVerify(b *testing.B) {
	path := benchBundle(b, b.TempDir())
	b.SetBytes(int64(len(benchCSV())))
	for b.Loop() {
		if _, err := Verify(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtract decompresses, hashes and writes the CSV out.
func BenchmarkExtract(b *testing.B) {
	dir := b.TempDir()
	path := benchBundle(b, dir)
	b.SetBytes(int64(len(benchCSV())))
	out := filepath.Join(dir, "out")
	for b.Loop() {
		if _, err := Extract(path, out); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := os.RemoveAll(out); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkReadManifest shows that reading the manifest costs the same
// whatever follows it.
func BenchmarkReadManifest(b *testing.B) {
	path := benchBundle(b, b.TempDir())
	for b.Loop() {
		if _, err := ReadManifest(path); err != nil {
			b.Fatal(err)
		}
	}
}
