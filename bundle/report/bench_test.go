package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/internal/golden"
)

// recorded is capture/bench's directory of real tool outputs.
const recorded = "../../capture/bench/testdata"

// realBenchmarks parses real outputs of every tool (see
// capture/bench/testdata/README.md) as a run does.
func realBenchmarks(t *testing.T) []bench.Result {
	t.Helper()
	var all []bench.Result
	for _, dir := range []string{"go/count-1-v", "go/count-5", "go/count-8"} {
		data, err := os.ReadFile(filepath.Join(recorded, dir, "stdout.txt"))
		if err != nil {
			t.Fatal(err)
		}
		res, warns, err := bench.ParseGo(bytes.NewReader(data), "stdout.log", nil)
		if err != nil || len(warns) > 0 || len(res) == 0 {
			t.Fatalf("%s: %v %q", dir, err, warns)
		}
		for i := range res {
			res[i].ID += " (" + filepath.Base(dir) + ")"
		}
		all = append(all, res...)
	}
	files, err := bench.CriterionFiles(filepath.Join(recorded, "criterion-0.3/names-compared/criterion"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	crit, err := bench.ReadCriterion(files)
	if err != nil || len(crit) == 0 {
		t.Fatalf("criterion: %v", err)
	}
	all = append(all, crit...)
	for _, dir := range []string{"hyperfine/names-piped", "hyperfine/single-run"} {
		res, err := bench.ParseHyperfine(filepath.Join(recorded, dir, "export.json"))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, res...)
	}
	data, err := os.ReadFile(filepath.Join(recorded, "libtest/rust-1.95-bootstrap/stdout.txt"))
	if err != nil {
		t.Fatal(err)
	}
	p := bench.NewConsoleParser("stdout")
	p.Write(data)
	p.Close()
	return append(all, p.Results()...)
}

// TestBenchmarkTable renders the benchmark table of real results of every
// tool in both languages (golden testdata/benchmarks.LANG.md) and checks
// what the issue asks of it: one row per Go benchmark whatever -count,
// labelled medians, an interval only where one exists, and never a single
// value printed as an interval.
func TestBenchmarkTable(t *testing.T) {
	results := realBenchmarks(t)
	for _, lang := range Langs {
		t.Run(lang, func(t *testing.T) {
			d := fixture()
			d.Benchmarks = results
			var out bytes.Buffer
			if err := Render(&out, d, lang); err != nil {
				t.Fatal(err)
			}
			table := benchmarkRows(t, out.String())
			if len(table) != len(results) {
				t.Fatalf("%d rows for %d results:\n%s", len(table), len(results), strings.Join(table, "\n"))
			}
			sameEnds := regexp.MustCompile(`\[([^,\]]+),? ([^\]]+)\]`)
			for i, row := range table {
				r := results[i]
				for _, m := range sameEnds.FindAllStringSubmatch(row, -1) {
					if m[1] == m[2] {
						t.Errorf("a single value printed as an interval: %s", row)
					}
				}
				if r.Tool == "go" && r.N > 1 {
					label := fmt.Sprintf("median of %d runs", r.N)
					if lang == "zh" {
						label = fmt.Sprintf("%d 次运行的中位数", r.N)
					}
					if !strings.Contains(row, label) {
						t.Errorf("row without %q: %s", label, row)
					}
					if (r.N >= bench.MinRunsForInterval) != (strings.Contains(row, "95% CI [") || strings.Contains(row, "95% 置信区间 [")) {
						t.Errorf("%d runs, row: %s", r.N, row)
					}
				}
				if r.Tool == "hyperfine" && r.N > 1 && !strings.Contains(row, "(σ)") {
					t.Errorf("hyperfine row without σ: %s", row)
				}
			}
			golden.Check(t, filepath.Join("testdata", "benchmarks."+lang+".md"), []byte(strings.Join(table, "\n")+"\n"))
		})
	}
}

// benchmarkRows returns the rows of the report's benchmark table.
func benchmarkRows(t *testing.T, report string) []string {
	t.Helper()
	var rows []string
	in := false
	for _, line := range strings.Split(report, "\n") {
		switch {
		case strings.HasPrefix(line, "| Benchmark |") || strings.HasPrefix(line, "| 基准 |"):
			in = true
		case in && strings.HasPrefix(line, "|--"):
		case in && strings.HasPrefix(line, "| "):
			rows = append(rows, line)
		case in:
			return rows
		}
	}
	t.Fatalf("no benchmark table in the report")
	return nil
}
