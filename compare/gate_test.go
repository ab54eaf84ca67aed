package compare

import (
	"strings"
	"testing"
)

func TestParseRule(t *testing.T) {
	for _, c := range []struct {
		in      string
		metric  string
		orEqual bool
		thr     float64
		err     string
	}{
		{in: "time>5%", metric: "time", thr: 0.05},
		{in: "rss>10%", metric: "rss", thr: 0.10},
		{in: "wall >= 3%", metric: "wall", orEqual: true, thr: 0.03},
		{in: "WALL>0%", metric: "wall", thr: 0},
		{in: "process-rss>2.5%", metric: "process-rss", thr: 0.025},
		{in: "time<5%", err: "want METRIC>N%"},
		{in: ">5%", err: "want METRIC>N%"},
		{in: "speed>5%", err: `unknown metric "speed"`},
		{in: "time>5", err: "is a percentage"},
		{in: "time>-5%", err: "not a percentage"},
		{in: "time>NaN%", err: "not a percentage"},
		{in: "time>x%", err: "not a percentage"},
	} {
		r, err := ParseRule(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: error %v, want one line containing %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || r.Metric != c.metric || r.OrEqual != c.orEqual || abs(r.Threshold-c.thr) > 1e-12 || r.Text != c.in {
			t.Errorf("%q: %+v, %v", c.in, r, err)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func ptr(f float64) *float64 { return &f }

// TestCheck: a time rule fails on a significant slowdown beyond its
// threshold only, never on an improvement, "~" or a change without a test;
// a resource rule on a growth beyond it; only the newest bundle counts.
func TestCheck(t *testing.T) {
	row := func(name, verdict string, change float64) Benchmark {
		b := Benchmark{Name: name, Base: &Estimate{Center: 100}, New: &Estimate{Center: 100 * (1 + change)}, Change: ptr(change), Verdict: verdict}
		if verdict == Regressed || verdict == Improved || verdict == NoChange {
			b.P = ptr(0.01)
		}
		return b
	}
	newest := &Comparison{
		Benchmarks: []Table{
			{Tool: "go", Unit: TimeUnit, Benchmarks: []Benchmark{
				row("slow", Regressed, 0.20),
				row("a bit", Regressed, 0.04),
				row("fast", Improved, -0.30),
				row("noise", NoChange, 0.50),
				row("one run", TooFew, 0.90),
				{Name: "gone", Base: &Estimate{Center: 1}, Verdict: OnlyBase},
			}},
			{Tool: "go", Unit: "B/op", Benchmarks: []Benchmark{row("slow", Regressed, 0.5)}},
		},
		Resources: []Resource{
			{Name: "wall", Label: "wall time", Unit: UnitSeconds, Base: 10, New: 10.5, Change: ptr(0.05)},
			{Name: "rss", Label: "peak RSS (tree)", Unit: UnitBytes, Base: 100, New: 90, Change: ptr(-0.1)},
		},
	}
	older := &Comparison{Benchmarks: []Table{{Tool: "go", Unit: TimeUnit, Benchmarks: []Benchmark{row("old", Regressed, 5)}}}}
	d := &Diff{Comparisons: []*Comparison{older, newest}}
	for _, c := range []struct {
		rules string
		want  []string // What of each violation
	}{
		{"time>5%", []string{"go slow"}},
		{"time>3%", []string{"go slow", "go a bit"}},
		{"time>=20%", []string{"go slow"}},
		{"time>20%", nil},
		{"wall>3%", []string{"wall"}},
		{"wall>5%", nil},
		{"wall>=5%", []string{"wall"}},
		{"rss>0%", nil},
		{"time>5%,wall>1%", []string{"go slow", "wall"}},
	} {
		var rules []Rule
		for _, s := range strings.Split(c.rules, ",") {
			r, err := ParseRule(s)
			if err != nil {
				t.Fatal(err)
			}
			rules = append(rules, r)
		}
		var got []string
		for _, v := range d.Check(rules) {
			got = append(got, v.What)
			if strings.Contains(v.Message, "\n") || !strings.HasPrefix(v.Message, v.Rule+": ") {
				t.Errorf("message %q", v.Message)
			}
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: %q, want %q", c.rules, got, c.want)
		}
	}
}
