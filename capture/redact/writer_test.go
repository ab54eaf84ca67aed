package redact

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeChunked sends s through a redacting writer in chunks whose sizes
// come from rng, and returns what reached the underlying writer.
func writeChunked(t testing.TB, r *Redactor, s string, rng *rand.Rand, maxChunk int) string {
	t.Helper()
	var out bytes.Buffer
	w := r.NewWriter(&out)
	for len(s) > 0 {
		n := min(len(s), 1+rng.IntN(maxChunk))
		if k, err := io.WriteString(w, s[:n]); k != n || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil", k, err, n)
		}
		s = s[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func testLog(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	files, _ := filepath.Glob("testdata/*.txt")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	for _, p := range plantedSecrets() {
		b.WriteString(p.text + "\r\n")
	}
	key, _ := privateKey("OPENSSH")
	b.WriteString(key)
	b.WriteString("no final newline")
	return b.String()
}

func TestWriterMatchesString(t *testing.T) {
	r := newTestRedactor(t)
	log := testLog(t)
	filler := strings.Repeat("0123456789abcdef ", 3*maxLine/17)
	long := filler + "gh" + "p_" + alnum("w", 36, "") + " " + filler + "\n" + filler
	tests := []struct {
		name     string
		in       string
		maxChunk int
	}{
		{"bytes", log, 1},
		{"small", log, 7},
		{"pages", log, 4096},
		{"whole", log, len(log)},
		{"long lines, small", long, 100},
		{"long lines, big", long, 200000},
		{"empty", "", 1},
		{"crlf", "a\r\nb\r\r\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := r.String(tt.in)
			for seed := range uint64(5) {
				got := writeChunked(t, r, tt.in, rand.New(rand.NewPCG(seed, 1)), tt.maxChunk)
				if got != want {
					t.Fatalf("seed %d: writer output differs from String at byte %d", seed, firstDiff(got, want))
				}
			}
		})
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestWriterHidesPlantedSecrets(t *testing.T) {
	r := newTestRedactor(t)
	got := writeChunked(t, r, testLog(t), rand.New(rand.NewPCG(1, 2)), 13)
	for _, p := range plantedSecrets() {
		if strings.Contains(got, p.secret) {
			t.Errorf("%s: secret survived the writer", p.kind)
		}
	}
	_, body := privateKey("OPENSSH")
	for _, b := range body {
		if strings.Contains(got, b) {
			t.Errorf("key body line %q survived the writer", b)
		}
	}
}

func TestWriterBoundsMemory(t *testing.T) {
	r := newTestRedactor(t)
	w := r.NewWriter(io.Discard).(*writer)
	chunk := bytes.Repeat([]byte("x"), 1<<20) // no newline at all
	for range 20 {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
		if len(w.buf) > maxLine+1 || cap(w.out) > 2*window {
			t.Fatalf("held %d bytes of line and %d of output", len(w.buf), cap(w.out))
		}
	}
}

type failWriter struct{ n int }

var errDisk = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errDisk
	}
	f.n--
	return len(p), nil
}

func TestWriterErrors(t *testing.T) {
	r := newTestRedactor(t)
	w := r.NewWriter(&failWriter{n: 1})
	if _, err := io.WriteString(w, "one\n"); err != nil {
		t.Fatalf("first write: %v", err)
	}
	if _, err := io.WriteString(w, "two\n"); !errors.Is(err, errDisk) {
		t.Fatalf("second write: %v, want %v", err, errDisk)
	}
	if err := w.Close(); !errors.Is(err, errDisk) {
		t.Fatalf("Close: %v, want %v", err, errDisk)
	}

	var out bytes.Buffer
	w = r.NewWriter(&out)
	io.WriteString(w, "partial")
	if out.Len() != 0 {
		t.Errorf("an unfinished line was written before Close: %q", out.String())
	}
	if err := w.Close(); err != nil || out.String() != "partial" {
		t.Errorf("Close: %v, wrote %q", err, out.String())
	}
	if _, err := io.WriteString(w, "x"); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}
}
