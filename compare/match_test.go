package compare

import (
	"strings"
	"testing"

	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/format"
)

func runOf(results ...bench.Result) *Run {
	return &Run{Path: "x.tar.zst", Summary: &format.Summary{Benchmarks: results}}
}

func goResult(id string, values ...float64) bench.Result {
	return bench.Result{Tool: "go", ID: id, Package: "example.com/p", Values: values, N: len(values), Estimate: values[0]}
}

// rowsOf lists "name:verdict" of the time tables.
func rowsOf(t *testing.T, base, cur *Run, opts Options) (rows []string, notes []string, warns []string) {
	t.Helper()
	tables, warns := compareBenchmarks(base, cur, opts)
	for _, tb := range tables {
		if tb.Unit != TimeUnit {
			continue
		}
		for _, b := range tb.Benchmarks {
			rows = append(rows, benchName(&b)+":"+b.Verdict)
			notes = append(notes, b.Note)
		}
	}
	return rows, notes, warns
}

func TestMatching(t *testing.T) {
	slow := []float64{10, 11, 12, 10, 11, 12}
	fast := []float64{5, 6, 5, 6, 5, 6}
	for _, c := range []struct {
		name       string
		base, cur  *Run
		match      string
		rows       string
		note, warn string
	}{
		{name: "GOMAXPROCS differs",
			base: runOf(goResult("BenchmarkA-8", fast...)), cur: runOf(goResult("BenchmarkA-4", slow...)),
			rows: "BenchmarkA:regressed", note: "GOMAXPROCS 8 → 4"},
		{name: "-cpu 1,2 keeps the suffix",
			base: runOf(goResult("BenchmarkA", fast...), goResult("BenchmarkA-2", fast...)),
			cur:  runOf(goResult("BenchmarkA", fast...), goResult("BenchmarkA-2", slow...)),
			rows: "BenchmarkA:~|BenchmarkA-2:regressed"},
		{name: "one side only",
			base: runOf(goResult("BenchmarkA", fast...), goResult("BenchmarkOld", fast...)),
			cur:  runOf(goResult("BenchmarkA", slow...), goResult("BenchmarkNew", fast...)),
			rows: "BenchmarkA:regressed|BenchmarkOld:only in base|BenchmarkNew:only in new"},
		{name: "another tool is another benchmark",
			base: runOf(bench.Result{Tool: "criterion", ID: "fib", Values: fast}),
			cur:  runOf(bench.Result{Tool: "hyperfine", ID: "fib", Values: fast}),
			rows: "fib:only in base|fib:only in new"},
		{name: "--match pairs renamed benchmarks",
			base:  runOf(bench.Result{Tool: "criterion", ID: "interp 10k", Values: fast}),
			cur:   runOf(bench.Result{Tool: "criterion", ID: "interpret 10k", Values: slow}),
			match: `^interp(?:ret)? (.*)$`, rows: "interp 10k → interpret 10k:regressed"},
		{name: "--match making two names one",
			base:  runOf(bench.Result{Tool: "criterion", ID: "a/1", Values: fast}, bench.Result{Tool: "criterion", ID: "a/2", Values: fast}),
			cur:   runOf(bench.Result{Tool: "criterion", ID: "a/3", Values: fast}),
			match: `^(a)/`, rows: "a/1 → a/3:~", warn: `benchmark "a/2" pairs by the same name`},
		{name: "one run each",
			base: runOf(goResult("BenchmarkA", 5)), cur: runOf(goResult("BenchmarkA", 9)),
			rows: "BenchmarkA:too few samples", note: "1+1 measurements: no test"},
		{name: "three runs each cannot be significant",
			base: runOf(goResult("BenchmarkA", 5, 5, 5)), cur: runOf(goResult("BenchmarkA", 9, 9, 9)),
			rows: "BenchmarkA:too few samples", note: "3+3 measurements cannot reach p ≤ 0.05"},
		{name: "four runs each can",
			base: runOf(goResult("BenchmarkA", 5, 5, 5, 5)), cur: runOf(goResult("BenchmarkA", 9, 9, 9, 9)),
			rows: "BenchmarkA:regressed"},
		{name: "libtest keeps no measurements",
			base: runOf(bench.Result{Tool: "libtest", ID: "b", Estimate: 5}), cur: runOf(bench.Result{Tool: "libtest", ID: "b", Estimate: 6}),
			rows: "b:no raw measurements"},
		{name: "a rate that drops regressed",
			base: runOf(bench.Result{Tool: "go", ID: "BenchmarkR", Values: fast, ExtraValues: map[string][]float64{"MB/s": slow}}),
			cur:  runOf(bench.Result{Tool: "go", ID: "BenchmarkR", Values: fast, ExtraValues: map[string][]float64{"MB/s": fast}}),
			rows: "BenchmarkR:~"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var opts Options
			if c.match != "" {
				re, err := CompileMatch(c.match)
				if err != nil {
					t.Fatal(err)
				}
				opts.Match = re
			}
			rows, notes, warns := rowsOf(t, c.base, c.cur, opts)
			if got := strings.Join(rows, "|"); got != c.rows {
				t.Errorf("rows %q, want %q", got, c.rows)
			}
			if c.note != "" && (len(notes) == 0 || notes[0] != c.note) {
				t.Errorf("notes %q, want %q first", notes, c.note)
			}
			if got := strings.Join(warns, "|"); !strings.Contains(got, c.warn) || (c.warn == "") != (got == "") {
				t.Errorf("warnings %q, want %q", got, c.warn)
			}
		})
	}
	// The rate table of the last case: fewer MB/s is a regression.
	tables, _ := compareBenchmarks(
		runOf(bench.Result{Tool: "go", ID: "BenchmarkR", Values: fast, ExtraValues: map[string][]float64{"MB/s": slow}}),
		runOf(bench.Result{Tool: "go", ID: "BenchmarkR", Values: fast, ExtraValues: map[string][]float64{"MB/s": fast}}), Options{})
	if len(tables) != 2 || tables[1].Unit != "MB/s" || tables[1].Benchmarks[0].Verdict != Regressed {
		t.Errorf("MB/s halved: %+v", tables)
	}
}

// TestEstimateNeverAnInterval: one value has no interval, five have none
// at 95 %, six have one.
func TestEstimateNeverAnInterval(t *testing.T) {
	for n, want := range map[int]bool{1: false, 2: false, 5: false, 6: true, 100: true} {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(i + 1)
		}
		e := summarize("x", v, 0, DefaultConfidence)
		if (e.Low != nil) != want || (e.High != nil) != want || e.N != n {
			t.Errorf("%d values: %+v, want an interval: %v", n, e, want)
		}
		if s := formatEstimate(e, TimeUnit); strings.Contains(s, "±") != want {
			t.Errorf("%d values shown as %q", n, s)
		}
	}
	if e := summarize("x", nil, 42, DefaultConfidence); e.Center != 42 || e.Low != nil || e.Statistic != "estimate" {
		t.Errorf("point estimate: %+v", e)
	}
}
