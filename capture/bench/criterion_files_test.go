package bench

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCriterionDir(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{nil, "/ws/target/criterion"},
		{map[string]string{"CARGO_TARGET_DIR": "/tmp/t"}, "/tmp/t/criterion"},
		{map[string]string{"CARGO_TARGET_DIR": "out"}, "/ws/out/criterion"},
		{map[string]string{"CRITERION_HOME": "/c", "CARGO_TARGET_DIR": "/tmp/t"}, "/c"},
		{map[string]string{"CRITERION_HOME": "", "CARGO_TARGET_DIR": ""}, "/ws/target/criterion"},
	}
	for _, tt := range tests {
		if got := CriterionDir(tt.env, "/ws"); got != tt.want {
			t.Errorf("CriterionDir(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestCriterionFilesSince(t *testing.T) {
	dir := t.TempDir()
	start := time.Now().Add(-time.Hour)
	old := start.Add(-time.Hour)
	for name, mtime := range map[string]time.Time{
		"a/new/benchmark.json":    start,
		"a/new/estimates.json":    start.Add(time.Second),
		"a/new/sample.json":       start,
		"a/new/tukey.json":        start,
		"a/new/raw.csv":           start,
		"a/new/other.json":        start,
		"a/base/estimates.json":   start,
		"a/base/sample.json":      start,
		"a/change/estimates.json": old,
		"b/c/new/estimates.json":  old,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	got, err := CriterionFiles(dir, start)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range []string{"benchmark.json", "estimates.json", "raw.csv", "sample.json", "tukey.json"} {
		want = append(want, filepath.Join(dir, "a/new", f))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, err := CriterionFiles(filepath.Join(dir, "missing"), start); err != nil || got != nil {
		t.Errorf("missing dir: got %q, %v; want nothing", got, err)
	}
}

// TestConsoleAndFilesAgree checks, on recorded real runs, that the
// console parser and the file reader give the same ids and figures
// within Criterion's print rounding (five significant digits).
func TestConsoleAndFilesAgree(t *testing.T) {
	for _, run := range []string{"testdata/criterion-0.3/fib-20-compared", "testdata/criterion-0.3/tty-compared",
		"testdata/criterion-0.3/names-first", "testdata/criterion-0.3/names-compared"} {
		t.Run(run, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(run, "stdout.txt"))
			if err != nil {
				t.Fatal(err)
			}
			console := parseConsole(t, string(data)).Results()
			files, err := CriterionFiles(filepath.Join(run, "criterion"), time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			fromFiles, err := ReadCriterion(files)
			if err != nil {
				t.Fatal(err)
			}
			if len(console) == 0 || len(console) != len(fromFiles) {
				t.Fatalf("console has %d results, files %d", len(console), len(fromFiles))
			}
			byID := make(map[string]Result)
			for _, r := range fromFiles {
				byID[r.ID] = r
			}
			for _, c := range console {
				f, ok := byID[c.ID]
				if !ok {
					t.Errorf("%q printed but not in files", c.ID)
					continue
				}
				near := func(what string, a, b float64) {
					if math.Abs(a-b) > 1e-4*math.Max(math.Abs(a), math.Abs(b))+1e-6 {
						t.Errorf("%s %s: console %g, files %g", c.ID, what, a, b)
					}
				}
				near("low", c.Low, f.Low)
				near("estimate", c.Estimate, f.Estimate)
				near("high", c.High, f.High)
				if (c.Change == nil) != (f.Change == nil) || (c.Throughput == nil) != (f.Throughput == nil) {
					t.Errorf("%s: change or throughput in one source only", c.ID)
					continue
				}
				if c.Change != nil {
					near("change low", c.Change.Low, f.Change.Low)
					near("change", c.Change.Estimate, f.Change.Estimate)
					near("change high", c.Change.High, f.Change.High)
				}
				if c.Throughput != nil {
					if c.Throughput.Unit != f.Throughput.Unit {
						t.Errorf("%s: throughput unit %q vs %q", c.ID, c.Throughput.Unit, f.Throughput.Unit)
					}
					near("thrpt low", c.Throughput.Low, f.Throughput.Low)
					near("thrpt", c.Throughput.Estimate, f.Throughput.Estimate)
					near("thrpt high", c.Throughput.High, f.Throughput.High)
				}
				if !strings.HasSuffix(f.Source, "/new/estimates.json") {
					t.Errorf("%s: source %q", c.ID, f.Source)
				}
			}
		})
	}
}

func TestParseCriterionEstimatesErrors(t *testing.T) {
	ci := `{"confidence_interval":{"confidence_level":0.95,"lower_bound":1,"upper_bound":3},"point_estimate":2,"standard_error":0.1}`
	tests := []struct {
		name, data, want string
		slope            bool
	}{
		{"valid, null slope", `{"mean":` + ci + `,"median":` + ci + `,"slope":null}`, "", false},
		{"valid, slope", `{"mean":` + ci + `,"median":` + ci + `,"slope":` + ci + `}`, "", true},
		{"syntax", "{\n\"mean\": [", "e.json:2:", false},
		{"type", "{\n\"mean\": 3}", "e.json:2:", false},
		{"no mean", `{"median":` + ci + `}`, "e.json: mean: expected an estimate object", false},
		{"no point", `{"mean":{"confidence_interval":{"lower_bound":1,"upper_bound":2}},"median":` + ci + `}`, "e.json: mean.point_estimate: expected a number", false},
		{"not an object", `[]`, "e.json:1:", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			est, err := ParseCriterionEstimates("e.json", []byte(tt.data))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if (est.Slope != nil) != tt.slope || est.Mean.PointEstimate != 2 {
					t.Errorf("got %+v", est)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want prefix %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
	if _, err := ParseCriterionEstimates("e.json", []byte(`{}`)); !errors.Is(err, ErrCriterionFile) {
		t.Errorf("missing fields: %v is not ErrCriterionFile", err)
	}
}

func TestReadCriterionMeanWithoutSlope(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "g", "new")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	est := func(lo, pt, hi string) string {
		return `{"confidence_interval":{"confidence_level":0.95,"lower_bound":` + lo + `,"upper_bound":` + hi + `},"point_estimate":` + pt + `,"standard_error":1}`
	}
	os.WriteFile(filepath.Join(dir, "benchmark.json"), []byte(`{"group_id":"g","function_id":null,"value_str":null,"throughput":{"Bytes":1000},"full_id":"g","directory_name":"g","title":"g"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "estimates.json"), []byte(`{"mean":`+est("90", "100", "125")+`,"median":`+est("1", "1", "1")+`,"slope":null}`), 0o644)
	got, err := ReadCriterion([]string{filepath.Join(dir, "benchmark.json"), filepath.Join(dir, "estimates.json")})
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{{Tool: "criterion", ID: "g", Low: 90, Estimate: 100, High: 125, Interval: "ci", Confidence: 0.95, Source: filepath.Join(dir, "estimates.json"),
		Throughput: &Throughput{Low: 8e9, Estimate: 1e10, High: 1e10 / 0.9, Unit: "B/s"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s\nwant %s", jsonString(got), jsonString(want))
	}
}

// TestReadCriterionSamples reads the sample.json files of real runs whose
// benchmark names hold spaces and slashes: one value per sample, whose
// mean is the mean Criterion wrote in estimates.json.
func TestReadCriterionSamples(t *testing.T) {
	for _, run := range []string{"testdata/criterion-0.3/names-first", "testdata/criterion-0.3/names-compared"} {
		files, err := CriterionFiles(filepath.Join(run, "criterion"), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		results, err := ReadCriterion(files)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, r := range results {
			ids[r.ID] = true
			data, err := os.ReadFile(r.Source)
			if err != nil {
				t.Fatal(err)
			}
			est, err := ParseCriterionEstimates(r.Source, data)
			if err != nil {
				t.Fatal(err)
			}
			sum := 0.0
			for _, v := range r.Values {
				sum += v
			}
			if r.N != 100 || len(r.Values) != r.N || math.Abs(sum/float64(r.N)-est.Mean.PointEstimate) > 1e-9*est.Mean.PointEstimate {
				t.Errorf("%s: %d samples with mean %v; estimates.json: 100 samples, mean %v", r.ID, r.N, sum/float64(len(r.Values)), est.Mean.PointEstimate)
			}
			if r.Interval != "ci" || r.Confidence != 0.95 {
				t.Errorf("%s: interval %q at %v, want Criterion's 95%% interval", r.ID, r.Interval, r.Confidence)
			}
		}
		for _, id := range []string{"interpret 10k", "BenchmarkStyle", "parse json/nested arrays/depth/16", "parse json/nested arrays/depth/256"} {
			if !ids[id] {
				t.Errorf("%s: no result for %q in %v", run, id, ids)
			}
		}
	}
}

func TestParseCriterionSampleErrors(t *testing.T) {
	for _, tt := range []struct{ data, want string }{
		{`{"iters":[1,2],"times":[10,30]}`, ""},
		{`{"iters":[1],"times":[1,2]}`, "s.json: iters and times: expected two arrays"},
		{`{"iters":[],"times":[]}`, "s.json: iters and times: expected two arrays"},
		{`{"iters":[0],"times":[1]}`, "s.json: iters[0]: expected a positive count"},
		{`{"iters":[1],"times":["x"]}`, "s.json:1:"},
	} {
		got, err := ParseCriterionSample("s.json", []byte(tt.data))
		if tt.want == "" {
			if err != nil || !reflect.DeepEqual(got, []float64{10, 15}) {
				t.Errorf("%s: %v, %v", tt.data, got, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want prefix %q", tt.data, err, tt.want)
		}
	}
}
