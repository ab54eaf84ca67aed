package flame

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDetectInput(t *testing.T) {
	head := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b[:min(len(b), SniffSize)]
	}
	for pattern, want := range map[string]Input{
		filepath.Join("testdata", "script", "*.txt"):  InputScript,
		filepath.Join("testdata", "fold", "*.folded"): InputFolded,
	} {
		paths, _ := filepath.Glob(pattern)
		if len(paths) == 0 {
			t.Fatalf("no %s", pattern)
		}
		for _, p := range paths {
			if got, err := DetectInput(head(p)); got != want || err != nil {
				t.Errorf("%s: %v, %v; want %v", p, got, err, want)
			}
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("profile"))
	zw.Close()
	for _, c := range []struct {
		name string
		in   []byte
		want Input
	}{
		{"perf.data", append([]byte("PERFILE2"), make([]byte, 100)...), InputPerfData},
		{"pprof", gz.Bytes(), InputPprof},
		{"empty", nil, InputScript},
		{"comments only", []byte("# ========\n# captured on: today\n\n"), InputScript},
		{"one frame", []byte("main 12\n"), InputFolded},
		{"header with pid/tid", []byte("  my prog 12/13 [001] 5.000001: 10 cycles:u: \n\t  4005d0 main (/bin/x)\n"), InputScript},
		{"header without time", []byte("app 1234 cycles: \n"), InputScript},
	} {
		if got, err := DetectInput(c.in); got != c.want || err != nil {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func TestDetectInputRefuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"random 4 KiB", random(4096), "binary data"},
		{"random 64 KiB", random(SniffSize), "binary data"},
		{"NUL in text", []byte("main;work 5\n\x00\n"), "control byte 0x00 at byte 12"},
		{"Latin-1", []byte("caf\xe9 12\n"), "invalid UTF-8 byte 0xe9 at byte 3"},
		{"prose", []byte("# perfcap\n\nperfcap runs a command and samples it.\n"), `line 3, "perfcap runs a command and samples it."`},
		{"CSV", []byte("t_seconds,tree_cpu_percent\n0.1,5\n"), "line 1"},
		{"event without thread or time", []byte("Note: this is prose\n"), "line 1"},
		{"JSON", []byte(`{"samples": [1, 2]}`), "line 1"},
	} {
		got, err := DetectInput(c.in)
		if !errors.Is(err, ErrNotProfile) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, %v; want %v saying %q", c.name, got, err, ErrNotProfile, c.want)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "not perf.data") || !strings.Contains(msg, "nor folded stacks") {
			t.Errorf("%s: the error does not say on one line what the input is not: %q", c.name, msg)
		}
	}
}

// FuzzDetectInput: DetectInput never panics, refuses on one line, and
// what it calls folded stacks has the shape ReadFolded reads.
func FuzzDetectInput(f *testing.F) {
	for _, pattern := range []string{"testdata/script/*.txt", "testdata/fold/*.folded"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b[:min(len(b), 2048)])
		}
	}
	f.Add([]byte("PERFILE2"))
	f.Add([]byte{0x1f, 0x8b, 0, 1, 2})
	f.Fuzz(func(t *testing.T, head []byte) {
		kind, err := DetectInput(head)
		if err != nil {
			if kind != 0 || !errors.Is(err, ErrNotProfile) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("DetectInput = %v, %q", kind, err)
			}
			return
		}
		// ReadFolded may still refuse the count (past 2^62), but not the
		// shape of the line.
		if kind == InputFolded {
			line, _ := firstRecordLine(head)
			var se *SyntaxError
			if _, err := ReadFolded(bytes.NewReader(line)); err != nil && (!errors.As(err, &se) || !strings.HasPrefix(se.Msg, "count after the last space")) {
				t.Fatalf("DetectInput calls %q folded stacks, ReadFolded says %v", line, err)
			}
		}
	})
}
