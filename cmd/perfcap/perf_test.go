package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
)

// perfOf reads the perf part of a bundle's summary.json.
func perfOf(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := bundle.ReadFile(path, "summary.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Perf     map[string]any `json:"perf"`
		Warnings []string       `json:"warnings"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Perf == nil {
		t.Fatalf("summary.json has no perf section; warnings %q", s.Warnings)
	}
	s.Perf["warnings"] = strings.Join(s.Warnings, "\n")
	return s.Perf
}

func TestRunRecordsStacksOfTheWholeTree(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: apt-get install linux-perf); .ci/run installs it")
	}
	for _, cg := range []string{"fp", "dwarf,8192"} {
		t.Run(cg, func(t *testing.T) {
			// The burning happens in a child: perf must follow the fork.
			r := perfcap(t, "--quiet", "--call-graph", cg, "--", workloadBin, "spawn", "1", "--", "burn", "600ms")
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			p := perfOf(t, r.bundle)
			if p["recorded"] != true {
				if os.Geteuid() != 0 {
					t.Skipf("perf could not record here: %v (%v)", p["reason"], p["fix"])
				}
				t.Fatalf("perf is installed and perfcap runs as root, yet nothing was recorded: %v (%v)", p["reason"], p["fix"])
			}
			files := readBundleFiles(t, r.bundle)
			// The workload's spin loop, inlined into its goroutine's
			// function; folded.txt and the SVG mark it "_[i]".
			const hot, inlined = "main.spin", "main.spin_[i]"
			dir := t.TempDir()
			folded := filepath.Join(dir, "folded.txt")
			if err := os.WriteFile(folded, []byte(files["perf/folded.txt"]), 0o644); err != nil {
				t.Fatal(err)
			}
			if share := foldedShare(t, folded, inlined); share < 0.5 {
				t.Errorf("%s has %.0f%% of the folded samples, want ≥ 50%%", inlined, share*100)
			}
			if share := svgShare(files["perf/flame.svg"], inlined); share < 50 {
				t.Errorf("perf/flame.svg gives %s %.1f%%, want ≥ 50%%", inlined, share)
			}
			pb := filepath.Join(dir, "profile.pb.gz")
			if err := os.WriteFile(pb, []byte(files["perf/profile.pb.gz"]), 0o644); err != nil {
				t.Fatal(err)
			}
			top, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=3", pb).CombinedOutput()
			if err != nil {
				t.Fatalf("go tool pprof: %v\n%s", err, top)
			}
			if row := firstPprofRow(string(top)); !strings.HasSuffix(row, hot) {
				t.Errorf("go tool pprof -top lists %q first, want %s", row, hot)
			}
			h, _ := p["hot"].(map[string]any)
			bySelf, _ := h["by_self"].([]any)
			if len(bySelf) == 0 || bySelf[0].(map[string]any)["name"] != hot {
				t.Errorf("summary.json hot spots do not start with %s: %v", hot, h)
			}
			if !strings.Contains(files["report.md"], hot) {
				t.Errorf("report.md does not name the hot function")
			}
			if _, ok := files["perf/perf.data"]; ok {
				t.Errorf("perf.data entered the bundle without --keep-perf-data")
			}
		})
	}
}

func TestRunWithoutPerf(t *testing.T) {
	r := perfcap(t, "--quiet", "--no-perf", "--", workloadBin, "exit", "0")
	for _, f := range r.manifest.Files {
		if strings.HasPrefix(f.Path, "perf/") {
			t.Errorf("--no-perf bundle holds %s", f.Path)
		}
	}

	// perf missing from PATH: the run completes and says why and how.
	t.Setenv("PATH", t.TempDir())
	r = perfcap(t, "--quiet", "--", workloadBin, "exit", "0")
	if r.code != 0 {
		t.Fatalf("exit %d without perf: %s", r.code, r.stderr)
	}
	p := perfOf(t, r.bundle)
	if p["recorded"] != false || !strings.Contains(p["reason"].(string), "not installed") || !strings.Contains(p["fix"].(string), "linux-perf") {
		t.Errorf("perf section without perf: %v", p)
	}
	if !strings.Contains(p["warnings"].(string), "no CPU stacks") {
		t.Errorf("no warning about the missing stacks: %q", p["warnings"])
	}
}

// svgShare sums the shares the flamegraph's tooltips give fn, in percent.
func svgShare(svg, fn string) float64 {
	var sum float64
	for _, part := range strings.Split(svg, "<title>"+fn+" (")[1:] {
		_, rest, ok := strings.Cut(part, " samples, ")
		pct, _, ok2 := strings.Cut(rest, "%)")
		if !ok || !ok2 {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(pct, &v); err == nil {
			sum += v
		}
	}
	return sum
}

func TestShallowStacksAreReported(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: apt-get install linux-perf)")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed")
	}
	// A C program without frame pointers, recorded with frame-pointer
	// unwinding: the callers of its hot function are lost, as with a Rust
	// release build.
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "spin.c"), filepath.Join(dir, "spin")
	code := `#include <stdint.h>
__attribute__((noinline)) static uint64_t leaf(uint64_t x) { for (int i = 0; i < 50000000; i++) x = x * 6364136223846793005u + 1; return x; }
__attribute__((noinline)) static uint64_t mid(uint64_t x) { return leaf(x) + leaf(x + 1); }
int main(void) { return (int)(mid(3) & 1); }
`
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-O2", "-fomit-frame-pointer", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	r := perfcap(t, "--quiet", "--keep-perf-data", "--call-graph", "fp", "--", bin)
	p := perfOf(t, r.bundle)
	if p["recorded"] != true {
		t.Skipf("perf could not record here: %v", p["reason"])
	}
	if !strings.Contains(p["warnings"].(string), "shallow") || !strings.Contains(p["warnings"].(string), "--call-graph dwarf") {
		t.Errorf("median depth %v and no shallow-stack warning with the fix: %q", p["median_depth"], p["warnings"])
	}
	found := false
	for _, f := range r.manifest.Files {
		found = found || f.Path == "perf/perf.data"
	}
	if !found {
		t.Errorf("--keep-perf-data did not put perf/perf.data into the bundle")
	}
}

// --perf-max-size bounds the perf output on disk. With --keep-perf-data it
// stops perf when perf.data reaches it, and the bundle says the stacks
// cover only the start of the run; in chunks, perf script cannot keep up
// with 999 Hz dwarf samples in 200 KiB, and the bundle says how many
// samples were left out. Either way the run itself is whole.
func TestPerfMaxSizeIsReported(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (apt-get install linux-perf)")
	}
	for _, keep := range []bool{true, false} {
		args := []string{"--quiet", "--call-graph", "dwarf", "--perf-freq", "999", "--perf-max-size", "200K", "--", workloadBin, "burn", "2s"}
		if keep {
			args = append([]string{"--keep-perf-data"}, args...)
		}
		r := perfcap(t, args...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		p := perfOf(t, r.bundle)
		chunks, _ := p["chunks"].(map[string]any)
		switch {
		case p["recorded"] != true:
			t.Errorf("keep=%v: perf %v: want recorded", keep, p)
		case keep && p["truncated"] != true:
			t.Errorf("--keep-perf-data: perf %v: want truncated", p)
		case !keep && (chunks == nil || chunks["disk_high_water_bytes"].(float64) > 200<<10):
			t.Errorf("in chunks: perf %v: want at most 200 KiB on disk", p)
		}
		// A machine fast enough to read it all drops nothing.
		limited := keep || chunks["dropped_samples"] != nil
		if w := p["warnings"].(string); (limited && !strings.Contains(w, "--perf-max-size")) || (keep && strings.Contains(w, "shallow")) {
			t.Errorf("keep=%v: warnings %q: want the size limit named, not a shallow-stack guess", keep, w)
		}
		if r.summary.WallSeconds < 1.9 {
			t.Errorf("wall %.2f s: the command must run to its end", r.summary.WallSeconds)
		}
	}
}
