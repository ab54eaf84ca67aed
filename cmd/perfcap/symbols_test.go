package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoTestBenchSymbols runs a real `go test -bench` under perfcap: go
// test links the test binary with -s -w in a temporary directory and
// deletes it before perf script runs, so perf alone names none of its
// code. perfcap holds the binary open while it runs and names the frames
// from Go's function table: the benchmarked function is the hot spot and
// under 5 % of the frames are unnamed.
func TestGoTestBenchSymbols(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Go benchmark")
	}
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: apt-get install linux-perf); .ci/run installs it")
	}
	project := filepath.Join(t.TempDir(), "gobench")
	if err := os.CopyFS(project, os.DirFS("../../capture/bench/testdata/projects/gobench")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(project)
	r := perfcap(t, "--quiet", "--keep-perf-data", "--", "go", "test", "-count", "1", "-run", "^$", "-bench", "Interpret", "-benchtime", "1s")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	p := perfOf(t, r.bundle)
	if p["recorded"] != true {
		t.Skipf("perf could not record here: %v (%v)", p["reason"], p["fix"])
	}
	share, ok := p["unsymbolized_share"].(float64)
	if !ok || share >= 0.05 {
		t.Errorf("unsymbolized_share %v, want < 0.05 (frames %v, unnamed %v)", p["unsymbolized_share"], p["frames"], p["unsymbolized_frames"])
	}
	if strings.Contains(p["warnings"].(string), "no function name") {
		t.Errorf("a warning about unnamed frames: %s", p["warnings"])
	}
	const hot = "example.com/gobench.interpret"
	h, _ := p["hot"].(map[string]any)
	var self float64
	for _, f := range h["by_self"].([]any) {
		if f := f.(map[string]any); f["name"] == hot {
			self = f["self_share"].(float64)
		}
	}
	if self < 0.3 {
		t.Errorf("%s has %.0f%% self, want the most of the samples: %v", hot, self*100, h["by_self"])
	}

	// Not vacuous: perf itself names none of the deleted test binary.
	files := readBundleFiles(t, r.bundle)
	data := filepath.Join(t.TempDir(), "perf.data")
	if err := os.WriteFile(data, []byte(files["perf/perf.data"]), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("perf", "script", "-i", data, "--no-inline").Output()
	if err != nil {
		t.Fatalf("perf script: %v", err)
	}
	if !strings.Contains(string(out), "[unknown] (/tmp/go-build") && !strings.Contains(string(out), "gobench.test)") {
		t.Errorf("perf script names the test binary's code itself; the test no longer shows what perfcap adds")
	}
	if strings.Contains(string(out), hot) {
		t.Errorf("perf script names %s itself; the test no longer shows what perfcap adds", hot)
	}
}
