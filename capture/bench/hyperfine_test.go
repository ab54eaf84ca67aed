package bench

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestHyperfineFiles(t *testing.T) {
	tests := []struct {
		argv []string
		want []string
	}{
		{[]string{"hyperfine", "--export-json", "a.json", "sleep 1"}, []string{"a.json"}},
		{[]string{"hyperfine", "--export-json=b.json", "--export-json", "c.json", "x"}, []string{"b.json", "c.json"}},
		{[]string{"hyperfine", "--export-json"}, nil},
		{[]string{"hyperfine", "--", "--export-json", "x"}, nil},
		{[]string{"hyperfine", "--export-markdown", "m.md", "x"}, nil},
	}
	for _, tt := range tests {
		if got := HyperfineFiles(tt.argv); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("HyperfineFiles(%q) = %q, want %q", tt.argv, got, tt.want)
		}
	}
}

func TestHyperfineExports(t *testing.T) {
	argv := []string{"time", "hyperfine", "--export-json", "a b.json", "--export-csv=c.csv", "--export-markdown", "m.md",
		"--export-asciidoc=x.adoc", "--export-orgmode", "o.org", "--", "--export-json", "z.json"}
	want := []HyperfineExport{{"json", "a b.json"}, {"csv", "c.csv"}, {"markdown", "m.md"}, {"asciidoc", "x.adoc"}, {"orgmode", "o.org"}}
	if got := HyperfineExports(argv); !reflect.DeepEqual(got, want) {
		t.Errorf("HyperfineExports = %q, want %q", got, want)
	}
}

// TestParseHyperfineRecorded reads the exports of real hyperfine 1.15 runs
// with --command-name values holding spaces and slashes, one of a single
// run (stddev null), and checks them against the CSV export of the same
// run.
func TestParseHyperfineRecorded(t *testing.T) {
	for _, dir := range []string{"testdata/hyperfine/names-piped", "testdata/hyperfine/names-tty", "testdata/hyperfine/single-run"} {
		got, err := ParseHyperfine(filepath.Join(dir, "export.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			t.Fatalf("%s: no results", dir)
		}
		for _, r := range got {
			if r.N == 0 || len(r.Values) != r.N || r.Low != r.Estimate || r.High != r.Estimate || r.Interval != "" {
				t.Errorf("%s: %s", dir, jsonString(r))
			}
			sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
			for _, v := range r.Values {
				sum, lo, hi = sum+v, min(lo, v), max(hi, v)
			}
			near := func(what string, a, b float64) {
				if math.Abs(a-b) > 1e-6*math.Abs(b) {
					t.Errorf("%s %s: %s %v, from the times %v", dir, r.ID, what, a, b)
				}
			}
			near("mean", r.Estimate, sum/float64(r.N))
			near("min", r.Extra["min_ns"], lo)
			near("max", r.Extra["max_ns"], hi)
			if _, ok := r.Extra["stddev_ns"]; ok != (r.N > 1) {
				t.Errorf("%s %s: stddev given %v with %d runs", dir, r.ID, ok, r.N)
			}
		}
		csvData, err := os.ReadFile(filepath.Join(dir, "export.csv"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		rows, err := csv.NewReader(bytes.NewReader(csvData)).ReadAll()
		if err != nil || len(rows) != len(got)+1 {
			t.Fatalf("%s: export.csv: %v, %d rows", dir, err, len(rows))
		}
		for i, r := range got {
			mean, _ := strconv.ParseFloat(rows[i+1][1], 64)
			if rows[i+1][0] != r.ID || math.Abs(mean*1e9-r.Estimate) > 1e-6*r.Estimate {
				t.Errorf("%s: csv row %q, json result %s %v", dir, rows[i+1], r.ID, r.Estimate)
			}
		}
	}
}

func TestParseHyperfine(t *testing.T) {
	got, err := ParseHyperfine("testdata/hyperfine/export.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d results, want 2", len(got))
	}
	r := got[0]
	if r.Tool != "hyperfine" || r.ID != "sleep 0.1" || r.Source != "testdata/hyperfine/export.json" {
		t.Errorf("got %+v", r)
	}
	near := func(what string, got, want float64) {
		if d := got - want; d > 1e-3 || d < -1e-3 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	near("mean", r.Estimate, 102345678.9)
	near("stddev", r.Extra["stddev_ns"], 1234567.8)
	near("min", r.Extra["min_ns"], 100000000)
	near("max", r.Extra["max_ns"], 105000000)

	for _, tt := range []struct{ data, want string }{
		{`{"results":[{"mean":1}]}`, `h.json: results[0]: expected "command" and "mean"`},
		{"{\n\"results\": 3}", "h.json:2:"},
		{`{"results":[{"command":"x","mean":"1"}]}`, "h.json:1:"},
	} {
		_, err := parseHyperfine("h.json", []byte(tt.data))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("parseHyperfine(%s): error %v, want prefix %q", tt.data, err, tt.want)
		}
	}
}
