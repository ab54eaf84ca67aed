package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/flame"
)

// TestCargoBenchInline runs a real Criterion benchmark whose body, the
// user's interpreter loop (criterion_demo::interpret, #[inline(always)]),
// is inlined into Criterion's Bencher::iter, under perfcap with dwarf
// unwinding. The default hot list names the user's function; the
// functions that take the samples are those perf script --inline finds
// in the same perf.data; --no-inline charges them to Bencher::iter.
func TestCargoBenchInline(t *testing.T) {
	criterionBuilt(t, "../../testdata/criterion-demo", "vm", true)
	r := perfcap(t, "--quiet", "--keep-perf-data", "--", "cargo", "bench", "--bench", "vm", "--",
		"--warm-up-time", "1", "--measurement-time", "3", "--noplot")
	if r.code != 0 {
		t.Fatalf("perfcap -- cargo bench: exit %d\n%s", r.code, r.stderr)
	}
	p := perfOf(t, r.bundle)
	if p["recorded"] != true {
		t.Skipf("perf could not record here: %v (%v)", p["reason"], p["fix"])
	}
	if cg, _ := p["call_graph"].(string); !strings.HasPrefix(cg, "dwarf") {
		t.Errorf("call graph %q for cargo, want dwarf", cg)
	}
	const user, iter = "criterion_demo::interpret", "criterion::bencher::Bencher<M>::iter"
	h, _ := p["hot"].(map[string]any)
	bySelf, _ := h["by_self"].([]any)
	shares := map[string]float64{}
	for _, f := range bySelf {
		f := f.(map[string]any)
		kind, _ := f["kind"].(string)
		shares[f["name"].(string)+"/"+kind] = f["self_share"].(float64)
	}
	// Criterion's analysis (rayon's quicksort) takes a share that varies
	// with the machine's load; the user's function must be in the hot
	// list, ahead of the iter it is inlined into.
	if shares[user+"/inlined"] < 0.05 || shares[user+"/inlined"] <= shares[iter+"/"] {
		t.Errorf("the default hot list gives %s %.0f%% self (inlined) and %s %.0f%%: want the user's function, and before iter:\n%v",
			user, shares[user+"/inlined"]*100, iter, shares[iter+"/"]*100, bySelf)
	}

	// The same perf.data through perf script's own inline resolution.
	files := readBundleFiles(t, r.bundle)
	data := filepath.Join(t.TempDir(), "perf.data")
	if err := os.WriteFile(data, []byte(files["perf/perf.data"]), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("perf", "script", "-i", data).Output()
	if err != nil {
		t.Fatalf("perf script (with inline resolution): %v", err)
	}
	theirs, _, err := flame.FoldScript(strings.NewReader(string(out)), flame.FoldOptions{Annotate: true})
	if err != nil {
		t.Fatal(err)
	}
	ours, err := flame.ReadFolded(strings.NewReader(files["perf/folded.txt"]))
	if err != nil {
		t.Fatal(err)
	}
	a, b := selfShares(ours), selfShares(theirs)
	for name, s := range a {
		if s >= 0.05 && math.Abs(s-b[name]) > 0.02 {
			t.Errorf("%s: %.1f%% self here, %.1f%% by perf script --inline", name, s*100, b[name]*100)
		}
	}
	for name, s := range b {
		if s >= 0.05 && math.Abs(s-a[name]) > 0.02 {
			t.Errorf("%s: %.1f%% self by perf script --inline, %.1f%% here", name, s*100, a[name]*100)
		}
	}
	if b[user+"/inlined"] < 0.05 {
		t.Errorf("perf script --inline gives %s %.0f%%: the comparison shows nothing", user, b[user+"/inlined"]*100)
	}

	// Without inlined functions, their samples are iter's.
	code, stdout, stderr := cli("flame", data, "--no-inline", "-o", filepath.Join(t.TempDir(), "f.svg"), "--top", "3")
	if code != 0 {
		t.Fatalf("perfcap flame --no-inline: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, iter) || strings.Contains(stdout, user) {
		t.Errorf("perfcap flame --no-inline should put %s among the 3 hottest and not name %s:\n%s", iter, user, stdout)
	}
}

// selfShares returns each function's self share, by name and kind.
func selfShares(stacks []flame.Stack) map[string]float64 {
	m := map[string]float64{}
	for _, f := range flame.Hot(stacks, 0).BySelf {
		m[f.Name+"/"+f.Kind] = f.SelfShare
	}
	return m
}
