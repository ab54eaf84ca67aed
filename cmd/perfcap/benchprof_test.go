package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
)

// benchProfiles reads a bundle's summary.json and phases.csv and checks
// that every benchmark profile the summary lists is in the manifest (its
// three files) and in the report.
func benchProfiles(t *testing.T, r runResult, files map[string]string) (*format.Perf, []bench.Phase) {
	t.Helper()
	sum, err := format.ReadSummary(strings.NewReader(files["summary.json"]))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Perf == nil || !sum.Perf.Recorded {
		t.Skipf("perf could not record here: %+v", sum.Perf)
	}
	if sum.Perf.Clock != "CLOCK_MONOTONIC" {
		t.Fatalf("perf recorded with clock %q, want CLOCK_MONOTONIC (warnings %q)", sum.Perf.Clock, sum.Warnings)
	}
	phases, err := format.ReadPhases(strings.NewReader(files["phases.csv"]))
	if err != nil {
		t.Fatalf("phases.csv: %v", err)
	}
	for _, b := range sum.Perf.Benchmarks {
		if b.Dir == "" {
			continue
		}
		for _, f := range []string{"flame.svg", "folded.txt", "profile.pb.gz"} {
			if _, ok := r.manifest.File(b.Dir + "/" + f); !ok {
				t.Errorf("%s/%s is not in the manifest", b.Dir, f)
			}
		}
		if !strings.Contains(files["report.md"], b.Dir+"/flame.svg") {
			t.Errorf("report.md does not name %s/flame.svg", b.Dir)
		}
	}
	return sum.Perf, phases
}

// benchProfile returns the profile of benchmark id and its folded stacks.
func benchProfile(t *testing.T, p *format.Perf, files map[string]string, id string) (format.PerfBenchmark, []flame.Stack) {
	t.Helper()
	for _, b := range p.Benchmarks {
		if b.ID != id {
			continue
		}
		if b.Dir == "" {
			t.Fatalf("%s has no profile: no sample fell in its window %+v", id, b)
		}
		stacks, err := flame.ReadFolded(strings.NewReader(files[b.Dir+"/folded.txt"]))
		if err != nil {
			t.Fatalf("%s/folded.txt: %v", b.Dir, err)
		}
		return b, stacks
	}
	t.Fatalf("summary.json's perf.benchmarks has no %q: %+v", id, p.Benchmarks)
	return format.PerfBenchmark{}, nil
}

// share is the share of the samples of stacks with a frame matching re.
func share(stacks []flame.Stack, re *regexp.Regexp) float64 {
	var n, all int64
	for _, s := range stacks {
		all += s.Count
		for _, f := range s.Frames {
			if re.MatchString(f) {
				n += s.Count
				break
			}
		}
	}
	if all == 0 {
		return 0
	}
	return float64(n) / float64(all)
}

// TestCargoBenchProfilePerBenchmark runs a real Criterion benchmark whose
// body (criterion_demo::interpret) is inlined into Bencher::iter: the
// benchmark gets a profile of its own, made of the samples of its
// measurement, which names the user's function and holds almost nothing
// of Criterion's analysis (rayon's bootstrap, criterion::stats), though
// the whole run's profile holds it.
func TestCargoBenchProfilePerBenchmark(t *testing.T) {
	criterionBuilt(t, "../../testdata/criterion-demo", "vm", true)
	r := perfcap(t, "--quiet", "--", "cargo", "bench", "--bench", "vm", "--",
		"--warm-up-time", "1", "--measurement-time", "3", "--noplot")
	if r.code != 0 {
		t.Fatalf("perfcap -- cargo bench: exit %d\n%s", r.code, r.stderr)
	}
	files := readBundleFiles(t, r.bundle)
	p, phases := benchProfiles(t, r, files)
	const id = "interpret 1k"
	var kinds []string
	for _, ph := range phases {
		if ph.Benchmark == id {
			kinds = append(kinds, ph.Kind)
		}
	}
	if strings.Join(kinds, ",") != "warmup,measure,analysis" {
		t.Errorf("phases of %s: %v, want warmup, measure, analysis", id, kinds)
	}
	b, stacks := benchProfile(t, p, files, id)
	if b.Dir != "perf/bench/interpret_1k" || b.Hot == nil {
		t.Fatalf("profile %+v, want it in perf/bench/interpret_1k with hot functions", b)
	}
	var user float64
	for _, h := range b.Hot.BySelf {
		if h.Name == "criterion_demo::interpret" {
			user = h.SelfShare
		}
	}
	if user < 0.10 {
		t.Errorf("the benchmark's profile gives criterion_demo::interpret %.0f%% self, want the user's function among the hottest: %+v", user*100, b.Hot.BySelf)
	}
	// The benchmark's own analysis finds the same bottleneck, in its file.
	if a := b.Analysis; a == nil || a.Bottleneck == nil || a.Bottleneck.Name != "criterion_demo::interpret" ||
		!strings.HasSuffix(a.Bottleneck.File, "src/lib.rs") || a.Bottleneck.Share < 0.3 {
		t.Errorf("the benchmark's analysis: %+v, want criterion_demo::interpret in src/lib.rs with most of the samples", a)
	}
	analysis := regexp.MustCompile(`^rayon|criterion::stats::`)
	whole, err := flame.ReadFolded(strings.NewReader(files["perf/folded.txt"]))
	if err != nil {
		t.Fatal(err)
	}
	if s := share(stacks, analysis); s >= 0.05 {
		t.Errorf("the benchmark's profile holds %.1f%% of Criterion's analysis, want under 5%%", s*100)
	}
	if s := share(whole, analysis); s == 0 {
		t.Errorf("the whole run's profile holds no sample of Criterion's analysis: the check above shows nothing")
	}
	if !strings.Contains(files["timeline.svg"], ">"+id+"</text>") {
		t.Errorf("timeline.svg does not name %s over its measurement", id)
	}
}

// TestGoBenchProfilePerBenchmark runs a real go test -bench of two
// benchmarks that each spend their time in a function of their own: each
// gets a profile dominated by its function, with almost none of the
// other's.
func TestGoBenchProfilePerBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test -bench for seconds")
	}
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed; .ci/run installs what this test needs")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not in PATH")
	}
	project := filepath.Join(t.TempDir(), "gobench-two")
	if err := os.CopyFS(project, os.DirFS("../../testdata/gobench-two")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(project)
	r := perfcap(t, "--quiet", "--", goBin, "test", "-run", "^$", "-bench", ".", "-benchtime", "1s", "-count", "2")
	if r.code != 0 {
		t.Fatalf("perfcap -- go test -bench: exit %d\n%s", r.code, r.stderr)
	}
	files := readBundleFiles(t, r.bundle)
	p, _ := benchProfiles(t, r, files)
	own := map[string]string{"BenchmarkMix": "example.com/gobenchtwo.mixBits", "BenchmarkSum": "example.com/gobenchtwo.sumFloats"}
	if len(p.Benchmarks) != 2 {
		t.Fatalf("%d benchmark profiles, want 2: %+v", len(p.Benchmarks), p.Benchmarks)
	}
	for _, b := range p.Benchmarks {
		name, _, _ := strings.Cut(b.ID, "-")
		_, ok := own[name]
		if !ok || b.Windows != 2 {
			t.Errorf("profile %+v: want BenchmarkMix or BenchmarkSum, measured twice (-count 2)", b)
			continue
		}
		_, stacks := benchProfile(t, p, files, b.ID)
		for other, ofn := range own {
			s := share(stacks, regexp.MustCompile("^"+regexp.QuoteMeta(ofn)+"$"))
			switch {
			case other == name && s < 0.5:
				t.Errorf("%s: %.0f%% of its samples in %s, want most", b.ID, s*100, ofn)
			case other != name && s > 0.05:
				t.Errorf("%s: %.0f%% of its samples in %s, the other benchmark's function", b.ID, s*100, ofn)
			}
		}
	}
	if _, err := bundle.ReadFile(r.bundle, "phases.csv"); err != nil {
		t.Errorf("phases.csv: %v", err)
	}
}
