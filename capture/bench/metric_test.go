package bench

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseMetricRule(t *testing.T) {
	tests := []struct {
		in, name, wantErr string
	}{
		{in: `rps=Requests/sec:\s+([\d.,]+)`, name: "rps"},
		{in: `total.ms=took (\d+) ms`, name: "total.ms"},
		{in: `a=b=c`, name: "a"},
		{in: `noequals`, wantErr: "found no '='"},
		{in: `=x`, wantErr: `name "": expected`},
		{in: `bad name=x`, wantErr: `name "bad name": expected`},
		{in: `x=`, wantErr: "expected a regular expression"},
		{in: `x=(`, wantErr: "regular expression: error parsing regexp"},
	}
	for _, tt := range tests {
		r, err := ParseMetricRule(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrMetricRule) {
				t.Errorf("ParseMetricRule(%q): error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || r.Name != tt.name {
			t.Errorf("ParseMetricRule(%q) = %q, %v; want name %q", tt.in, r.Name, err, tt.name)
		}
	}
}

func TestMetricMatcher(t *testing.T) {
	rule := func(s string) MetricRule {
		r, err := ParseMetricRule(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	m := NewMetricMatcher("stdout", []MetricRule{rule(`rps=Requests/sec:\s+(\S+)`), rule(`ms=\d+ms`)})
	fmt.Fprint(m, "warming up\nRequests/sec: \x1b[1m1,234.5\x1b[0m\rRequests/sec: oops\n")
	fmt.Fprint(m, "took 12ms then 13ms\nRequests/sec: 2_000")
	m.Close()
	want := []Metric{
		{Name: "rps", Value: 1234.5, Text: "Requests/sec: 1,234.5", Stream: "stdout", Line: 2},
		{Name: "rps", Value: 2000, Text: "Requests/sec: 2_000", Stream: "stdout", Line: 4},
	}
	// "oops" and the whole matches "12ms" and "13ms" are not numbers.
	got := m.Metrics()
	if w := m.Warnings(); len(w) != 3 || w[0] != `stdout:2: metric rps: expected a number, got "oops"` {
		t.Errorf("warnings %q", w)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestMetricMatcherCapKeepsLast(t *testing.T) {
	r, _ := ParseMetricRule(`n=n=(\d+)`)
	m := NewMetricMatcher("stderr", []MetricRule{r})
	for i := range MaxMetricMatches + 10 {
		fmt.Fprintf(m, "n=%d\n", i)
	}
	got := m.Metrics()
	if len(got) != MaxMetricMatches {
		t.Fatalf("kept %d, want %d", len(got), MaxMetricMatches)
	}
	if last := got[len(got)-1]; last.Value != MaxMetricMatches+9 || last.Line != MaxMetricMatches+10 {
		t.Errorf("last = %+v, want the latest match", last)
	}
}
