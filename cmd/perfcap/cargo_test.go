package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/format"
)

// TestCargoBenchUnderPerfcap runs a real Criterion benchmark, built offline
// from Debian's librust-criterion-dev, under perfcap: the benchmarked
// function must be the hot spot, with its callers.
func TestCargoBenchUnderPerfcap(t *testing.T) {
	criterionBuilt(t, "../../testdata/criterion-demo", "fib", true)
	r := perfcap(t, "--quiet", "--", "cargo", "bench", "--bench", "fib", "--",
		"--warm-up-time", "1", "--measurement-time", "2", "--noplot")
	if r.code != 0 {
		t.Fatalf("perfcap -- cargo bench: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "fib 20") || !strings.Contains(r.stdout, "time:") {
		t.Errorf("Criterion's output did not come through:\n%s", r.stdout)
	}
	raw, err := bundle.ReadFile(r.bundle, "summary.json")
	if err != nil {
		t.Fatal(err)
	}
	var sum format.Summary
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Perf == nil || !sum.Perf.Recorded {
		t.Fatalf("no stacks recorded: %+v", sum.Perf)
	}
	if !strings.HasPrefix(sum.Perf.CallGraph, "dwarf") {
		t.Errorf("call graph %q for cargo, want dwarf (release builds have no frame pointers)", sum.Perf.CallGraph)
	}
	// The benchmark's figures: from Criterion's files written by this run,
	// copied into the bundle, equal to what the summary reports.
	files := readBundleFiles(t, r.bundle)
	var fib *bench.Result
	for i := range sum.Benchmarks {
		if sum.Benchmarks[i].ID == "fib 20" && sum.Benchmarks[i].Tool == "criterion" {
			fib = &sum.Benchmarks[i]
		}
	}
	if fib == nil {
		t.Fatalf("summary.json has no Criterion result for fib 20: %+v", sum.Benchmarks)
	}
	est, ok := files["bench/criterion/fib 20/new/estimates.json"]
	if !ok {
		t.Fatalf("bench/criterion/fib 20/new/estimates.json is not in the bundle")
	}
	var e struct {
		Mean struct {
			PointEstimate float64 `json:"point_estimate"`
		} `json:"mean"`
		Slope *struct {
			PointEstimate float64 `json:"point_estimate"`
		} `json:"slope"`
	}
	if err := json.Unmarshal([]byte(est), &e); err != nil {
		t.Fatal(err)
	}
	want := e.Mean.PointEstimate
	if e.Slope != nil {
		want = e.Slope.PointEstimate
	}
	if fib.Estimate != want {
		t.Errorf("fib 20 estimate %v ns, estimates.json says %v", fib.Estimate, want)
	}
	// The report names the benchmark with its estimate, rustc's version
	// and the release profile's settings.
	rep := files["report.md"]
	var env struct {
		Toolchain struct {
			Rustc struct{ Release string } `json:"rustc"`
		} `json:"toolchain"`
	}
	if err := json.Unmarshal([]byte(files["env.json"]), &env); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fib 20", env.Toolchain.Rustc.Release, "opt-level"} {
		if want == "" || !strings.Contains(rep, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	const hot = "criterion_demo::fibonacci"
	found := false
	for _, f := range sum.Perf.Hot.BySelf {
		if f.Name == hot {
			found = true
			if f.SelfShare < 0.3 {
				t.Errorf("%s has only %.0f%% of the samples", hot, f.SelfShare*100)
			}
		}
	}
	if !found {
		t.Errorf("%s is not among the hot spots: %+v", hot, sum.Perf.Hot.BySelf)
	}
	// Its callers: dwarf unwinding reaches Criterion's bencher and main.
	folded := files["perf/folded.txt"]
	withCallers := false
	for _, line := range strings.Split(folded, "\n") {
		i := strings.Index(line, ";"+hot)
		if i > 0 && strings.Contains(line[:i], "criterion::") && strings.Contains(line[:i], "fib::main") {
			withCallers = true
			break
		}
	}
	if !withCallers {
		t.Errorf("no folded stack shows %s under Criterion and fib::main:\n%.2000s", hot, folded)
	}
}
