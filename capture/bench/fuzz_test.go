package bench

import (
	"bytes"
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
	addFiles(f, "testdata/*/*/stdout.txt")
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
	addFiles(f, "testdata/criterion-0.3/names-first/criterion/*/new/sample.json")
	addFiles(f, "testdata/hyperfine/*/export.json")
	f.Add([]byte(`{"mean":null,"slope":{"confidence_interval":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, err := range []error{
			func() error { _, err := ParseCriterionEstimates("e.json", data); return err }(),
			func() error { _, err := ParseCriterionBenchmark("b.json", data); return err }(),
			func() error { _, err := parseHyperfine("h.json", data); return err }(),
			func() error { _, err := ParseCriterionSample("s.json", data); return err }(),
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

// FuzzParseGo checks the Go parser on any output: no panic, warnings with
// their position, one result per benchmark with consistent runs, and the
// raw benchmark lines it writes reading back to the same results.
func FuzzParseGo(f *testing.F) {
	addFiles(f, "testdata/*/*/stdout.txt")
	f.Add([]byte("pkg: a\nBenchmarkX-2 10 30 ns/op 8 B/op\nBenchmarkX-2 10 10 ns/op\nUnit ns/op assume=exact\nBenchmarkX-2 \tgarbled\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw bytes.Buffer
		results, warns, err := ParseGo(bytes.NewReader(data), "stdout.log", &raw)
		if err != nil {
			t.Fatalf("error on an in-memory reader: %v", err)
		}
		for _, w := range warns {
			if strings.Contains(w, "\n") || !strings.HasPrefix(w, "stdout.log:") && !strings.HasSuffix(w, "warnings not shown") {
				t.Errorf("warning without position or on several lines: %q", w)
			}
		}
		for _, r := range results {
			if r.N < 1 || len(r.Values) > r.N || r.Interval != "" && r.Interval != "ci" {
				t.Errorf("inconsistent result %+v", r)
			}
			if r.Interval == "ci" && !(r.Low <= r.Estimate && r.Estimate <= r.High) {
				t.Errorf("%s: estimate %v outside [%v, %v]", r.ID, r.Estimate, r.Low, r.High)
			}
		}
		again, warns, err := ParseGo(bytes.NewReader(raw.Bytes()), "stdout.log", nil)
		if err != nil || len(warns) > 0 {
			t.Fatalf("re-reading the raw lines: %v, %q\n%s", err, warns, raw.Bytes())
		}
		if len(again) != len(results) {
			t.Errorf("raw lines give %d results, the input %d:\n%s", len(again), len(results), raw.Bytes())
		}
		for i := range min(len(again), len(results)) {
			if again[i].ID != results[i].ID || again[i].N != results[i].N {
				t.Errorf("raw lines give %s (%d runs), the input %s (%d runs)", again[i].ID, again[i].N, results[i].ID, results[i].N)
			}
		}
	})
}

// FuzzPhaseSplitter splits arbitrary output: each line comes at a time
// taken from its own bytes, in pieces or whole, sometimes before an
// earlier one. No panic, every phase within the run and bounded, only
// the tools it knows.
func FuzzPhaseSplitter(f *testing.F) {
	addFiles(f, "testdata/*/*/stdout.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewPhaseSplitter()
		var now float64
		for i, line := range bytes.FieldsFunc(data, func(r rune) bool { return r == '\n' || r == '\r' }) {
			start := now
			now += float64(len(line)%7) - 1 // may go back
			s.Line(start, now, string(line))
			if i%5 == 0 {
				s.Line(now, start, string(line))
			}
		}
		s.Close(now, []float64{0, now / 2})
		if len(s.Phases()) > MaxPhases {
			t.Fatalf("%d phases", len(s.Phases()))
		}
		for _, p := range s.Phases() {
			if !(p.Start >= 0) || !(p.End >= p.Start) || len(p.Benchmark) > maxPhaseName {
				t.Fatalf("phase %+v", p)
			}
			switch p.Tool + "/" + p.Kind {
			case "criterion/warmup", "criterion/measure", "criterion/analysis", "go/measure", "libtest/measure":
			default:
				t.Fatalf("phase %+v", p)
			}
		}
		for _, w := range MeasureWindows(s.Phases()) {
			if len(w.Spans) == 0 {
				t.Fatalf("window %+v without spans", w)
			}
		}
	})
}
