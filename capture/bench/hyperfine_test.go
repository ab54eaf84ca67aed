package bench

import (
	"reflect"
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
