package compare

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/internal/golden"
)

// checkGolden compares got with testdata/golden/name (go test -update
// rewrites it).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name), got)
}

// loadAll loads bundles of testdata/bundles.
func loadAll(t *testing.T, names ...string) []*Run {
	t.Helper()
	var runs []*Run
	for _, n := range names {
		r, err := Load(filepath.Join("testdata", "bundles", n))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	return runs
}

// goldenCases are the comparisons whose every output is kept: real
// bundles of testdata/bundles (see record.sh).
var goldenCases = []struct {
	name    string
	bundles []string
}{
	// A Go benchmark made three times slower, and the others untouched.
	{"go", []string{"go-before.tar.zst", "go-after.tar.zst"}},
	// Three bundles: the last with -count 1, one benchmark dropped and
	// one added.
	{"go-history", []string{"go-before.tar.zst", "go-after.tar.zst", "go-count1.tar.zst"}},
	// hyperfine's per-run times, two commands.
	{"hyperfine", []string{"hyperfine-before.tar.zst", "hyperfine-after.tar.zst"}},
	// A real Criterion project at two commits, mix made four times
	// slower inside the checksum benchmark, with perf stacks.
	{"criterion", []string{"criterion-before.tar.zst", "criterion-after.tar.zst"}},
	// Two different programs: the other-systems table.
	{"programs", []string{"go-before.tar.zst", "hyperfine-after.tar.zst"}},
}

// TestGolden keeps the text table, the coloured table, the Markdown and
// the JSON of each golden case.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			d, err := New(loadAll(t, c.bundles...), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var text, color, md bytes.Buffer
			if err := WriteText(&text, d, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := WriteText(&color, d, TextOptions{Color: true}); err != nil {
				t.Fatal(err)
			}
			if err := WriteMarkdown(&md, d); err != nil {
				t.Fatal(err)
			}
			js, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, c.name+".txt", text.Bytes())
			checkGolden(t, c.name+".color.txt", color.Bytes())
			checkGolden(t, c.name+".md", md.Bytes())
			checkGolden(t, c.name+".json", append(js, '\n'))
			if bytes.Contains(text.Bytes(), []byte("\x1b")) {
				t.Errorf("the plain table holds escape sequences")
			}
			for v, code := range map[string]string{Regressed: ansiRed, Improved: ansiGreen} {
				if got, want := bytes.Count(color.Bytes(), []byte(code+v+ansiReset)), countVerdict(d, v); got != want {
					t.Errorf("%d %s painted, want %d", got, v, want)
				}
			}
		})
	}
}

// countVerdict counts the rows of d with verdict v.
func countVerdict(d *Diff, v string) int {
	n := 0
	for _, c := range d.Comparisons {
		for _, t := range c.Benchmarks {
			for _, b := range t.Benchmarks {
				if b.Verdict == v {
					n++
				}
			}
		}
	}
	return n
}

// TestGoldenReport keeps the report.md of each golden case's diff bundle,
// in Chinese and in English.
func TestGoldenReport(t *testing.T) {
	for _, c := range goldenCases {
		for _, lang := range []string{"zh", "en"} {
			t.Run(c.name+"/"+lang, func(t *testing.T) {
				runs := loadAll(t, c.bundles...)
				d, err := New(runs, Options{})
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(t.TempDir(), "diff.tar.zst")
				red, err := redact.New(nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := WriteBundle(path, d, runs, BundleOptions{Redactor: red, Lang: lang, PerfcapVersion: "test", Command: []string{"perfcap", "diff"}}); err != nil {
					t.Fatal(err)
				}
				md, err := bundle.ReadFile(path, ReportName)
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, c.name+".report."+lang+".md", md)
			})
		}
	}
}
