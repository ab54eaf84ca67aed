package redact

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchLog returns about 10 MB of build and benchmark output: the testdata
// logs repeated.
func benchLog(b *testing.B) []byte {
	b.Helper()
	var one []byte
	files, _ := filepath.Glob("testdata/*.txt")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		one = append(one, data...)
	}
	var log []byte
	for len(log) < 10<<20 {
		log = append(log, one...)
	}
	return log
}

func benchmarkWriter(b *testing.B, extra []string, plain bool) {
	r, err := New(extra)
	if err != nil {
		b.Fatal(err)
	}
	log := benchLog(b)
	if plain {
		var kept []byte
		for line := range bytes.Lines(log) {
			if _, mask := scanLine(line); mask == 0 {
				kept = append(kept, line...)
			}
		}
		log = kept
	}
	b.SetBytes(int64(len(log)))
	for b.Loop() {
		w := r.NewWriter(io.Discard)
		for p := log; len(p) > 0; {
			n := min(len(p), 32<<10)
			w.Write(p[:n])
			p = p[n:]
		}
		w.Close()
	}
}

// BenchmarkWriter redacts the testdata logs, which are dense in secret
// words (token, key, session, cookie) on purpose.
func BenchmarkWriter(b *testing.B) { benchmarkWriter(b, nil, false) }

// BenchmarkWriterPlain redacts only the testdata lines that hold no
// trigger at all, the common case of build output.
func BenchmarkWriterPlain(b *testing.B) { benchmarkWriter(b, nil, true) }

func BenchmarkWriterUserPattern(b *testing.B) { benchmarkWriter(b, userPatterns, false) }

func BenchmarkWriterSecrets(b *testing.B) {
	r := newTestRedactor(b)
	var text []byte
	for _, p := range plantedSecrets() {
		text = append(text, p.text+"\n"...)
	}
	var log []byte
	for len(log) < 10<<20 {
		log = append(log, text...)
	}
	b.SetBytes(int64(len(log)))
	for b.Loop() {
		w := r.NewWriter(io.Discard)
		w.Write(log)
		w.Close()
	}
}
