package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/format"
)

// runSummary reads a bundle's summary.json with its benchmarks.
func runSummary(t *testing.T, files map[string]string) format.Summary {
	t.Helper()
	var sum format.Summary
	if err := json.Unmarshal([]byte(files["summary.json"]), &sum); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	return sum
}

// noBenchWarnings fails on a warning of a benchmark parser.
func noBenchWarnings(t *testing.T, r runResult, sum format.Summary) {
	t.Helper()
	for _, w := range sum.Warnings {
		if strings.HasPrefix(w, "stdout") || strings.Contains(w, "parsing") || strings.Contains(w, "hyperfine") || strings.Contains(w, "criterion") {
			t.Errorf("benchmark warning: %q", w)
		}
	}
	if strings.Contains(r.stderr, "stdout.log:") {
		t.Errorf("perfcap printed parser warnings:\n%s", r.stderr)
	}
}

// TestGoBenchCount runs a real `go test -bench . -count 5` of sub-benchmarks
// whose names hold spaces and slashes under perfcap: one result per
// benchmark with its five runs, no warning, the raw lines kept as
// bench/go/bench.txt, and the report's table with one labelled row each.
func TestGoBenchCount(t *testing.T) {
	project := filepath.Join(t.TempDir(), "gobench")
	if err := os.CopyFS(project, os.DirFS("../../capture/bench/testdata/projects/gobench")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(project)
	r := perfcap(t, "--quiet", "--no-perf", "--lang", "en", "--", "go", "test", "-run", "^$", "-bench", ".", "-count", "5", "-benchtime", "200x")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	files := readBundleFiles(t, r.bundle)
	sum := runSummary(t, files)
	noBenchWarnings(t, r, sum)
	ids := []string{"BenchmarkInterpret/interpret_10k-", "BenchmarkParse/json/nested_arrays/depth=16-", "BenchmarkParse/json/nested_arrays/depth=256-"}
	if len(sum.Benchmarks) != len(ids) {
		t.Fatalf("%d benchmarks, want %d: %+v", len(sum.Benchmarks), len(ids), sum.Benchmarks)
	}
	for i, b := range sum.Benchmarks {
		if b.Tool != "go" || !strings.HasPrefix(b.ID, ids[i]) || b.N != 5 || len(b.Values) != 5 || b.Package != "example.com/gobench" {
			t.Errorf("benchmark %d: %+v", i, b)
		}
		if sorted := slices.Sorted(slices.Values(b.Values)); b.Estimate != sorted[2] || b.Low != b.Estimate || b.High != b.Estimate || b.Interval != "" {
			t.Errorf("%s: estimate %v [%v, %v] %q, want the median %v of %v and no interval", b.ID, b.Estimate, b.Low, b.High, b.Interval, sorted[2], b.Values)
		}
	}
	raw, ok := files["bench/go/bench.txt"]
	if !ok {
		t.Fatal("bench/go/bench.txt is not in the bundle")
	}
	again, warns, err := bench.ParseGo(strings.NewReader(raw), "stdout.log", nil)
	if err != nil || len(warns) > 0 || len(again) != len(sum.Benchmarks) {
		t.Fatalf("bench/go/bench.txt reads back as %d results (%v, %q):\n%s", len(again), err, warns, raw)
	}
	for i := range again {
		if again[i].ID != sum.Benchmarks[i].ID || !slices.Equal(again[i].Values, sum.Benchmarks[i].Values) {
			t.Errorf("bench.txt: %s %v, summary: %s %v", again[i].ID, again[i].Values, sum.Benchmarks[i].ID, sum.Benchmarks[i].Values)
		}
	}
	for _, b := range sum.Benchmarks {
		n := strings.Count(files["report.md"], "| `"+b.ID+"` | go | ")
		if n != 1 || !strings.Contains(files["report.md"], "(median of 5 runs) | range ") {
			t.Errorf("report.md: %d rows for %s:\n%s", n, b.ID, files["report.md"])
		}
	}
}

// TestHyperfineExportsKept runs a real hyperfine exporting JSON, CSV and
// Markdown under perfcap: every file lands under bench/hyperfine/,
// redacted, and the JSON's results in summary.json; an export a failed
// hyperfine never wrote gives a warning, not a file.
func TestHyperfineExportsKept(t *testing.T) {
	if _, err := exec.LookPath("hyperfine"); err != nil {
		t.Skip("hyperfine is not installed: apt-get install hyperfine")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("out", 0o755); err != nil {
		t.Fatal(err)
	}
	token := "ghp_" + strings.Repeat("A1b2", 9)
	r := perfcap(t, "--quiet", "--no-perf", "--lang", "en", "--", "hyperfine", "--runs", "3", "--export-json", "res ults.json",
		"--export-csv=out/r.csv", "--export-markdown", "r.md", "-n", "interpret 10k", "sleep 0.01", "sleep 0.01 && echo "+token)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	files := readBundleFiles(t, r.bundle)
	sum := runSummary(t, files)
	noBenchWarnings(t, r, sum)
	red, err := redact.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for disk, kept := range map[string]string{"res ults.json": "bench/hyperfine/res ults.json", "out/r.csv": "bench/hyperfine/r.csv", "r.md": "bench/hyperfine/r.md"} {
		data, err := os.ReadFile(filepath.Join(dir, disk))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := files[kept]
		switch {
		case !ok:
			t.Errorf("%s is not in the bundle", kept)
		case got != red.String(string(data)):
			t.Errorf("%s is not %s redacted:\n%s", kept, disk, got)
		case strings.Contains(got, token) || !strings.Contains(string(data), token):
			t.Errorf("%s: the token is kept, or hyperfine did not write it", kept)
		}
	}
	if !json.Valid([]byte(files["bench/hyperfine/res ults.json"])) {
		t.Errorf("the redacted JSON is not JSON")
	}
	if len(sum.Benchmarks) != 2 || sum.Benchmarks[0].ID != "interpret 10k" || strings.Contains(sum.Benchmarks[1].ID, token) {
		t.Fatalf("benchmarks: %+v", sum.Benchmarks)
	}
	for _, b := range sum.Benchmarks {
		if b.Tool != "hyperfine" || b.N != 3 || len(b.Values) != 3 || b.Extra["stddev_ns"] <= 0 {
			t.Errorf("%+v", b)
		}
		if !strings.Contains(files["report.md"], "(mean of 3 runs) | ± ") {
			t.Errorf("report.md has no labelled mean ± σ:\n%s", files["report.md"])
		}
	}

	// hyperfine stops at a failing command and leaves its export empty.
	r = perfcap(t, "--quiet", "--no-perf", "--", "hyperfine", "--runs", "2", "--export-json", "failed.json", "false")
	if r.code == 0 {
		t.Fatalf("hyperfine false exited 0")
	}
	files = readBundleFiles(t, r.bundle)
	sum = runSummary(t, files)
	if !slices.ContainsFunc(sum.Warnings, func(w string) bool { return strings.Contains(w, `"failed.json" is empty`) }) {
		t.Errorf("no warning for the missing export: %q", sum.Warnings)
	}
	for name := range files {
		if strings.HasPrefix(name, "bench/") {
			t.Errorf("%s in the bundle of a failed hyperfine", name)
		}
	}
}

// TestCriterionNamesUnderPerfcap runs a real Criterion `cargo bench` whose
// benchmark names hold spaces and slashes (and one looks like a Go
// benchmark): no warning anywhere, the results from Criterion's files with
// their samples, and every file Criterion wrote, sample.json included,
// under bench/criterion/.
func TestCriterionNamesUnderPerfcap(t *testing.T) {
	criterionBuilt(t, "../../capture/bench/testdata/projects/criterion-names", "names", false)
	r := perfcap(t, "--quiet", "--no-perf", "--lang", "en", "--", "cargo", "bench", "--bench", "names", "--",
		"--warm-up-time", "1", "--measurement-time", "1", "--noplot")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "Benchmarking interpret 10k: Warming up") {
		t.Fatalf("Criterion's output did not come through:\n%s", r.stdout)
	}
	files := readBundleFiles(t, r.bundle)
	sum := runSummary(t, files)
	noBenchWarnings(t, r, sum)
	want := map[string]string{
		"interpret 10k":                      "interpret 10k",
		"BenchmarkStyle":                     "BenchmarkStyle",
		"parse json/nested arrays/depth/16":  "parse json/nested arrays_depth/16",
		"parse json/nested arrays/depth/256": "parse json/nested arrays_depth/256",
	}
	if len(sum.Benchmarks) != len(want) {
		t.Fatalf("%d benchmarks, want %d: %+v", len(sum.Benchmarks), len(want), sum.Benchmarks)
	}
	for _, b := range sum.Benchmarks {
		dir, ok := want[b.ID]
		if !ok || b.Tool != "criterion" || b.N != 100 || len(b.Values) != 100 || b.Interval != "ci" || !(b.Low < b.Estimate && b.Estimate < b.High) {
			t.Errorf("%+v", b)
			continue
		}
		for _, f := range []string{"benchmark.json", "estimates.json", "sample.json", "tukey.json", "raw.csv"} {
			if _, ok := files[fmt.Sprintf("bench/criterion/%s/new/%s", dir, f)]; !ok {
				t.Errorf("bench/criterion/%s/new/%s is not in the bundle", dir, f)
			}
		}
		if !strings.Contains(files["report.md"], "| `"+b.ID+"` | criterion | ") {
			t.Errorf("report.md has no row for %q", b.ID)
		}
	}
}

// TestBenchFilesOlderThanTheRun checks that a hyperfine export left from an
// earlier run is not kept (hyperfine aborted before rewriting it).
func TestBenchFilesOlderThanTheRun(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	old := filepath.Join(dir, "old.md")
	if err := os.WriteFile(old, []byte("| Command |\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	// Not hyperfine: sh ignores its $0 and $1, as a hyperfine that
	// failed before writing would leave the file untouched.
	r := perfcap(t, "--quiet", "--no-perf", "--", "sh", "-c", "true", "--export-markdown", "old.md")
	files := readBundleFiles(t, r.bundle)
	sum := runSummary(t, files)
	if _, ok := files["bench/hyperfine/old.md"]; ok {
		t.Errorf("a stale export was kept")
	}
	if !slices.ContainsFunc(sum.Warnings, func(w string) bool { return strings.Contains(w, "was not written by this run") }) {
		t.Errorf("no warning for the stale export: %q", sum.Warnings)
	}
}
