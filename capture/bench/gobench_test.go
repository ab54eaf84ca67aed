package bench

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/internal/golden"
)

func TestParseGo(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		want     []Result
		warnings []string
	}{
		{
			name: "go test -bench -benchmem",
			input: "goos: linux\ngoarch: amd64\npkg: example.com/x\n" +
				"BenchmarkFib\n" +
				"BenchmarkFib-8   \t  1000000\t      1234 ns/op\t      16 B/op\t       1 allocs/op\n" +
				"BenchmarkCopy/n=10-8 200 50.5 ns/op 198.02 MB/s\n" +
				"PASS\nok  \texample.com/x\t1.234s\n",
			want: []Result{
				{Tool: "go", ID: "BenchmarkFib-8", Package: "example.com/x", Estimate: 1234, Low: 1234, High: 1234, Source: "out.txt",
					N: 1, Values: []float64{1234}, Extra: map[string]float64{"B/op": 16, "allocs/op": 1}},
				{Tool: "go", ID: "BenchmarkCopy/n=10-8", Package: "example.com/x", Estimate: 50.5, Low: 50.5, High: 50.5, Source: "out.txt",
					N: 1, Values: []float64{50.5}, Extra: map[string]float64{"MB/s": 198.02}},
			},
		},
		{
			name:  "custom metric only",
			input: "BenchmarkX 10 3 widgets/op\n",
			want:  []Result{{Tool: "go", ID: "BenchmarkX", Source: "out.txt", N: 1, Extra: map[string]float64{"widgets/op": 3}}},
		},
		{
			name: "repeated runs: one row, the median, no interval under six runs",
			input: "pkg: a\nBenchmarkX-2 10 30 ns/op 8 B/op\nBenchmarkX-2 10 10 ns/op 8 B/op\nBenchmarkY-2 5 7 ns/op\nBenchmarkX-2 10 20 ns/op 9 B/op\n" +
				"pkg: b\nBenchmarkX-2 10 99 ns/op\n",
			want: []Result{
				{Tool: "go", ID: "BenchmarkX-2", Package: "a", Estimate: 20, Low: 20, High: 20, Source: "out.txt", N: 3, Values: []float64{30, 10, 20},
					Extra: map[string]float64{"B/op": 8}, ExtraValues: map[string][]float64{"B/op": {8, 8, 9}}},
				{Tool: "go", ID: "BenchmarkY-2", Package: "a", Estimate: 7, Low: 7, High: 7, Source: "out.txt", N: 1, Values: []float64{7}},
				{Tool: "go", ID: "BenchmarkX-2", Package: "b", Estimate: 99, Low: 99, High: 99, Source: "out.txt", N: 1, Values: []float64{99}},
			},
		},
		{
			name:  "malformed Go lines warn",
			input: "BenchmarkA 10 x ns/op\nBenchmarkB 10 5\nBenchmarkC-8     \tprinted by the benchmark\n",
			warnings: []string{
				`out.txt:1: parsing measurement: invalid syntax`,
				`out.txt:2: missing units`,
				`out.txt:3: parsing iteration count: invalid syntax`,
			},
		},
		{
			name: "other tools' lines are not Go's",
			input: "Benchmarking interpret 10k: Warming up for 3.0000 s\n" +
				"Benchmarking parse json/nested arrays/depth/16: Collecting 100 samples in estimated 5.0 s (1M iterations)\n" +
				"BenchmarkStyle          time:   [161.68 ns 173.00 ns 184.39 ns]\n" +
				"BenchmarkStyle with a long name/and/slashes\n" +
				"Benchmark 1: interpret 10k\n" +
				"Benchmark\n" +
				"Unit tests passed: 12\n" +
				"Unit ns/op assume=exact\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warns, err := ParseGo(strings.NewReader(tt.input), "out.txt", nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %s\nwant %s", jsonString(got), jsonString(tt.want))
			}
			if len(warns) != len(tt.warnings) || (len(warns) > 0 && !reflect.DeepEqual(warns, tt.warnings)) {
				t.Errorf("warnings %q, want %q", warns, tt.warnings)
			}
		})
	}
}

func TestParseGoLongLine(t *testing.T) {
	in := "BenchmarkA 1 2 ns/op\n" + "BenchmarkLong 1 " + strings.Repeat("1 x/op ", MaxLineLen/7+1) + "\n" +
		strings.Repeat("y", 3*MaxLineLen) + "\nBenchmarkB 1 3 ns/op"
	got, warns, err := ParseGo(strings.NewReader(in), "out.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "BenchmarkA" || got[1].ID != "BenchmarkB" {
		t.Errorf("got %s, want BenchmarkA and BenchmarkB", jsonString(got))
	}
	if want := []string{fmt.Sprintf("out.txt:2: line longer than %d bytes not read", MaxLineLen)}; !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings %q, want %q", warns, want)
	}
}

// goRunLines reads the ns/op of every result line of recorded go test
// output, by benchmark name and in order, independently of benchfmt.
func goRunLines(t *testing.T, data []byte) (names []string, ns map[string][]float64) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^(Benchmark\S+)\s+\d+\s+([\d.]+) ns/op`)
	ns = map[string][]float64{}
	for _, m := range re.FindAllSubmatch(data, -1) {
		v, err := strconv.ParseFloat(string(m[2]), 64)
		if err != nil {
			t.Fatal(err)
		}
		name := string(m[1])
		if _, ok := ns[name]; !ok {
			names = append(names, name)
		}
		ns[name] = append(ns[name], v)
	}
	return names, ns
}

// TestParseGoRecorded parses real `go test -bench . -count N` output of
// testdata/projects/gobench (sub-benchmark names with spaces and slashes):
// one row per benchmark, its runs in order, their median, an interval only
// from six runs on, and the raw lines re-read to the same results.
func TestParseGoRecorded(t *testing.T) {
	for _, dir := range []string{"testdata/go/count-1-v", "testdata/go/count-5", "testdata/go/count-8"} {
		t.Run(dir, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "stdout.txt"))
			if err != nil {
				t.Fatal(err)
			}
			var raw bytes.Buffer
			got, warns, err := ParseGo(bytes.NewReader(data), "stdout.log", &raw)
			if err != nil || len(warns) > 0 {
				t.Fatalf("error %v, warnings %q", err, warns)
			}
			names, ns := goRunLines(t, data)
			if len(got) != len(names) {
				t.Fatalf("%d results for %d benchmarks: %s", len(got), len(names), jsonString(got))
			}
			for i, r := range got {
				runs := ns[names[i]]
				if r.ID != names[i] || r.Package != "example.com/gobench" || r.N != len(runs) || !reflect.DeepEqual(r.Values, runs) {
					t.Errorf("result %d: %s; want %s with runs %v", i, jsonString(r), names[i], runs)
				}
				sorted := slices.Sorted(slices.Values(runs))
				median := sorted[len(sorted)/2]
				if len(sorted)%2 == 0 {
					median = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
				}
				if r.Estimate != median {
					t.Errorf("%s: estimate %v, want the median %v of %v", r.ID, r.Estimate, median, runs)
				}
				if len(runs) < MinRunsForInterval {
					if r.Interval != "" || r.Low != r.Estimate || r.High != r.Estimate {
						t.Errorf("%s: %d runs give an interval %q [%v, %v]", r.ID, len(runs), r.Interval, r.Low, r.High)
					}
					continue
				}
				if r.Interval != "ci" || r.Confidence != Confidence || r.Low > r.Estimate || r.High < r.Estimate ||
					!slices.Contains(runs, r.Low) || !slices.Contains(runs, r.High) {
					t.Errorf("%s: interval %q at %v [%v, %v], want a 95%% interval between two runs of %v", r.ID, r.Interval, r.Confidence, r.Low, r.High, runs)
				}
			}
			again, warns, err := ParseGo(bytes.NewReader(raw.Bytes()), "stdout.log", nil)
			if err != nil || len(warns) > 0 || !reflect.DeepEqual(again, got) {
				t.Errorf("the raw lines read back differently (%v, %q):\n%s\n got %s\nwant %s", err, warns, raw.String(), jsonString(again), jsonString(got))
			}
			golden.Check(t, filepath.Join(dir, "bench.golden.txt"), raw.Bytes())
		})
	}
}

// TestGoIntervalsAsBenchstat checks the median and interval against the
// real benchstat (golang.org/x/perf/cmd/benchstat, built from the module
// cache): same center, same ± percentage, "∞" under six runs.
func TestGoIntervalsAsBenchstat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds benchstat")
	}
	for _, dir := range []string{"testdata/go/count-5", "testdata/go/count-8"} {
		t.Run(dir, func(t *testing.T) {
			path := filepath.Join(dir, "stdout.txt")
			cmd := exec.Command("go", "run", "golang.org/x/perf/cmd/benchstat", "-format", "csv", path)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("benchstat: %v", err)
			}
			want := benchstatSecPerOp(t, out)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := ParseGo(bytes.NewReader(data), "stdout.log", nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || len(got) != len(want) {
				t.Fatalf("%d results, benchstat has %d rows: %q", len(got), len(want), out)
			}
			for _, r := range got {
				row, ok := want[strings.TrimPrefix(r.ID, "Benchmark")]
				if !ok {
					t.Errorf("%s: not in benchstat's output", r.ID)
					continue
				}
				if math.Abs(row.center*1e9-r.Estimate) > 1e-9*r.Estimate {
					t.Errorf("%s: median %v ns, benchstat %v s", r.ID, r.Estimate, row.center)
				}
				pct := "∞"
				if r.Interval == "ci" {
					pct = fmt.Sprintf("%.0f%%", 100*math.Max(r.High/r.Estimate-1, 1-r.Low/r.Estimate))
				}
				if pct != row.ci {
					t.Errorf("%s: interval ±%s, benchstat ±%s", r.ID, pct, row.ci)
				}
			}
		})
	}
}

type benchstatRow struct {
	center float64
	ci     string
}

// benchstatSecPerOp reads the sec/op table of benchstat -format csv.
func benchstatSecPerOp(t *testing.T, out []byte) map[string]benchstatRow {
	t.Helper()
	rows := map[string]benchstatRow{}
	r := csv.NewReader(bytes.NewReader(out))
	r.FieldsPerRecord = -1
	in := false
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		switch {
		case len(rec) >= 3 && rec[1] == "sec/op":
			in = true
		case in && (len(rec) < 3 || rec[0] == "geomean"):
			return rows
		case in:
			v, err := strconv.ParseFloat(rec[1], 64)
			if err != nil {
				t.Fatalf("benchstat row %q: %v", rec, err)
			}
			ci := rec[2]
			if ci == "" {
				ci = "∞"
			}
			rows[rec[0]] = benchstatRow{v, ci}
		}
	}
	return rows
}

// TestParseGoGolden keeps the results of the recorded runs, as
// summary.json holds them, in results.golden.json.
func TestParseGoGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/go/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no recorded go output: %v", err)
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "stdout.txt"))
			if err != nil {
				t.Fatal(err)
			}
			res, warns, err := ParseGo(bytes.NewReader(data), "stdout.log", nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(struct {
				Results  []Result
				Warnings []string
			}{res, warns}, "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join(dir, "results.golden.json"), append(got, '\n'))
		})
	}
}
