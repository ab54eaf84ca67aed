package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addFiles seeds f with the files matching pattern.
func addFiles(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds match %s: %v", pattern, err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkWarnings fails on a warning that spans lines or has no position.
func checkWarnings(t *testing.T, warns []string) {
	for _, w := range warns {
		if strings.Contains(w, "\n") {
			t.Errorf("warning spans lines: %q", w)
		}
		if !strings.HasPrefix(w, "stdout:") && !strings.HasSuffix(w, "warnings not shown") {
			t.Errorf("warning without position: %q", w)
		}
	}
}

func FuzzConsole(f *testing.F) {
	addFiles(f, "testdata/criterion-0.3/*/stdout.txt")
	f.Add([]byte("g/f                     time:   [1 ns 2 ns 3 ns]\n                        thrpt:  [1 Kelem/s 2 Kelem/s 3 Kelem/s]\n                 change:\n                        time:   [\u22121% +2% +3%] (p = 0.01 < 0.05)\n                        Change within noise threshold.\nFound 1 outliers among 10 measurements (10.00%)\n  1 (10.00%) low mild\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := NewConsoleParser("stdout")
		// Split the input in two writes to exercise partial lines.
		half := len(data) / 2
		p.Write(data[:half])
		p.Write(data[half:])
		p.Close()
		for _, r := range p.Results() {
			if r.ID == "" {
				t.Errorf("bad id %q", r.ID)
			}
		}
		checkWarnings(t, p.Warnings())
	})
}

func FuzzLibtest(f *testing.F) {
	addFiles(f, "testdata/libtest/*/stdout.txt")
	f.Add([]byte("test a::b ... bench:          10 ns/iter (+/- 1) = 123 MB/s\ntest result: ok.\n"))
	f.Add([]byte("test x ... bench: 1,2,3 ns/iter (+/- ,) = , MB/s\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := NewConsoleParser("stdout")
		p.Write(data)
		p.Close()
		for _, r := range p.Results() {
			if r.Tool == "libtest" && r.Low > r.High {
				t.Errorf("%q: low %v > high %v", r.ID, r.Low, r.High)
			}
		}
		checkWarnings(t, p.Warnings())
	})
}

func FuzzCriterionJSON(f *testing.F) {
	addFiles(f, "testdata/criterion-0.3/*/criterion/*/*/estimates.json")
	addFiles(f, "testdata/criterion-0.3/*/criterion/*/*/benchmark.json")
	f.Add([]byte(`{"mean":null,"slope":{"confidence_interval":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, err := range []error{
			func() error { _, err := ParseCriterionEstimates("e.json", data); return err }(),
			func() error { _, err := ParseCriterionBenchmark("b.json", data); return err }(),
			func() error { _, err := parseHyperfine("h.json", data); return err }(),
		} {
			if err == nil {
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, ".json") {
				t.Errorf("error does not name the file: %q", msg)
			}
		}
	})
}
