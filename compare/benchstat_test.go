package compare

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/format"
)

// goRun makes a Run of recorded `go test -bench` output, its benchmarks
// parsed as perfcap fills summary.json.
func goRun(t *testing.T, path string) *Run {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	results, warns, err := bench.ParseGo(bytes.NewReader(data), "stdout.log", nil)
	if err != nil || len(warns) > 0 {
		t.Fatalf("%s: %v %q", path, err, warns)
	}
	return &Run{Path: path, Summary: &format.Summary{Benchmarks: results}}
}

// benchstatCell is one comparison cell of benchstat -format csv.
type benchstatCell struct {
	center float64
	ci     string // "31%", or "∞"
	delta  string // "+124.26%", "~"; "" for the base column
	p      string // "p=0.000 n=10"
}

// benchstatTables reads benchstat -format csv: per unit, per row name, the
// cells of each column; the row "geomean" holds the summary.
func benchstatTables(t *testing.T, out []byte) map[string]map[string][]benchstatCell {
	t.Helper()
	tables := map[string]map[string][]benchstatCell{}
	r := csv.NewReader(bytes.NewReader(out))
	r.FieldsPerRecord = -1
	var unit string
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		switch {
		case len(rec) < 3:
			unit = ""
		case rec[0] == "" && rec[2] == "CI":
			unit = rec[1]
			tables[unit] = map[string][]benchstatCell{}
		case unit != "" && rec[0] != "":
			var cells []benchstatCell
			for i := 1; i+1 < len(rec); {
				v, err := strconv.ParseFloat(rec[i], 64)
				if err != nil {
					t.Fatalf("benchstat row %q: %v", rec, err)
				}
				c := benchstatCell{center: v, ci: rec[i+1]}
				i += 2
				if len(cells) > 0 {
					c.delta, c.p = rec[i], rec[i+1]
					i += 2
				}
				if c.ci == "" && rec[0] != "geomean" {
					c.ci = "∞"
				}
				cells = append(cells, c)
			}
			tables[unit][rec[0]] = cells
		}
	}
	return tables
}

// TestGoAgreesWithBenchstat compares three recorded `go test -bench
// -count 10` runs of testdata/projects/goslow (before a change that
// triples Hash's work, after it, and after it again) with the real
// benchstat on the same files: every centre, interval, change (or "~"),
// p-value and geomean as benchstat prints them, in every unit.
func TestGoAgreesWithBenchstat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds benchstat")
	}
	files := []string{"testdata/go/before.txt", "testdata/go/after.txt", "testdata/go/after-rerun.txt"}
	var runs []*Run
	for _, f := range files {
		runs = append(runs, goRun(t, f))
	}
	d, err := New(runs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := agreeWithBenchstat(t, d, files); n != 2*(3+1+1+1) {
		t.Errorf("%d cells checked, want 12", n)
	}
}

// agreeWithBenchstat runs the real benchstat on files, the Go benchmark
// output d was made from, and checks every cell of every table of d
// against it; it returns the number of cells checked.
func agreeWithBenchstat(t *testing.T, d *Diff, files []string) int {
	t.Helper()
	cmd := exec.Command("go", append([]string{"run", "golang.org/x/perf/cmd/benchstat", "-format", "csv"}, files...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("benchstat: %v", err)
	}
	want := benchstatTables(t, out)
	// benchstat normalises units: MB/s is B/s, ns/op is sec/op.
	units := map[string]struct {
		unit  string
		scale float64
	}{TimeUnit: {"sec/op", 1e-9}, "MB/s": {"B/s", 1e6}, "B/op": {"B/op", 1}, "allocs/op": {"allocs/op", 1}}
	checked := 0
	for ci, c := range d.Comparisons {
		col := ci + 1
		if len(c.Benchmarks) != len(want) {
			t.Errorf("comparison %d: %d tables, benchstat has %d", col, len(c.Benchmarks), len(want))
		}
		for _, tb := range c.Benchmarks {
			u, ok := units[tb.Unit]
			if !ok {
				t.Errorf("unexpected unit %q", tb.Unit)
				continue
			}
			rows := want[u.unit]
			for _, b := range tb.Benchmarks {
				name := strings.TrimPrefix(b.New.Name, "Benchmark")
				cells, ok := rows[name]
				if !ok || len(cells) != len(files) {
					t.Errorf("%s %s: benchstat has %v", tb.Unit, name, cells)
					continue
				}
				checkCell(t, fmt.Sprintf("%s %s base", u.unit, name), b.Base, cells[0], u.scale)
				checkCell(t, fmt.Sprintf("%s %s column %d", u.unit, name, col), b.New, cells[col], u.scale)
				if got := formatChange(&b); got != cells[col].delta {
					t.Errorf("%s %s column %d: change %s, benchstat %s", u.unit, name, col, got, cells[col].delta)
				}
				if got := fmt.Sprintf("p=%.3f n=%d", *b.P, b.New.N); got != cells[col].p {
					t.Errorf("%s %s column %d: %s, benchstat %s", u.unit, name, col, got, cells[col].p)
				}
				checked++
			}
			if g := tb.Geomean; g != nil {
				if got := formatPct(g.Change); got != rows["geomean"][col].delta {
					t.Errorf("%s geomean column %d: %s, benchstat %s", u.unit, col, got, rows["geomean"][col].delta)
				}
			}
		}
	}
	return checked
}

func checkCell(t *testing.T, what string, e *Estimate, want benchstatCell, scale float64) {
	t.Helper()
	if math.Abs(e.Center*scale-want.center) > 1e-9*math.Abs(want.center) {
		t.Errorf("%s: centre %v, benchstat %v", what, e.Center*scale, want.center)
	}
	ci := "∞"
	if e.Low != nil {
		ci = pctRange(e.Center, *e.Low, *e.High)
	}
	if ci != want.ci {
		t.Errorf("%s: ± %s, benchstat ± %s", what, ci, want.ci)
	}
}
