package compare

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/internal/golden"
)

// difffoldedScript is FlameGraph's difffolded.pl, kept in the shared
// corpus (PERFCAP_FLAMEGRAPH_CORPUS overrides its directory).
func difffoldedScript(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PERFCAP_FLAMEGRAPH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpora", "flamegraph")
	}
	script := filepath.Join(dir, "difffolded.pl")
	if _, err := os.Stat(script); err != nil {
		t.Skipf("difffolded.pl not found in %s", dir)
	}
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("perl is not installed")
	}
	return script
}

// sortedLines sorts the lines of a text (difffolded.pl prints them in hash
// order).
func sortedLines(b []byte) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestFoldedDiffAsDifffolded: the folded diff of two real profiles (the
// whole runs of the recorded Go bundles, and of the Criterion ones when
// present) is difffolded.pl's output, with and without -n, line for line.
func TestFoldedDiffAsDifffolded(t *testing.T) {
	script := difffoldedScript(t)
	runs := loadAll(t, "go-before.tar.zst", "go-after.tar.zst")
	dir := t.TempDir()
	var files []string
	for i, r := range runs {
		var b bytes.Buffer
		if err := flame.WriteFolded(&b, r.Stacks); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, []string{"base.folded", "new.folded"}[i])
		if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	merged := MergeStacks(runs[0].Stacks, runs[1].Stacks)
	for _, normalize := range []bool{false, true} {
		args := []string{script}
		if normalize {
			args = append(args, "-n")
		}
		want, err := exec.Command("perl", append(args, files...)...).Output()
		if err != nil {
			t.Fatalf("difffolded.pl: %v", err)
		}
		var got bytes.Buffer
		if err := WriteFoldedDiff(&got, merged, normalize); err != nil {
			t.Fatal(err)
		}
		if g, w := sortedLines(got.Bytes()), sortedLines(want); g != w {
			t.Errorf("normalize %v: differs from difffolded.pl:\n%s", normalize, golden.Diff(w, g))
		}
		if n := strings.Count(got.String(), "\n"); n != len(merged) || n < 100 {
			t.Errorf("normalize %v: %d lines of %d stacks", normalize, n, len(merged))
		}
	}
}

// TestFoldedDiffRoundTrip: what WriteFoldedDiff writes reads back as the
// same stacks; malformed lines are skipped with their line numbers.
func TestFoldedDiffRoundTrip(t *testing.T) {
	runs := loadAll(t, "go-before.tar.zst", "go-after.tar.zst")
	merged := MergeStacks(runs[0].Stacks, runs[1].Stacks)
	var b bytes.Buffer
	if err := WriteFoldedDiff(&b, merged, false); err != nil {
		t.Fatal(err)
	}
	r := NewFoldedDiffReader(&b, "diff.folded")
	var back []flame.DiffStack
	for r.Scan() {
		back = append(back, r.Stack())
	}
	if errs, n := r.SyntaxErrors(); r.Err() != nil || n != 0 {
		t.Fatalf("%v %v", r.Err(), errs)
	}
	if !slices.EqualFunc(back, merged, func(a, b flame.DiffStack) bool {
		return a.Base == b.Base && a.New == b.New && slices.Equal(a.Frames, b.Frames)
	}) {
		t.Errorf("%d stacks read back, %d written, or they differ", len(back), len(merged))
	}

	in := "main;a 1 2\n\nmain;b 3\nmain;c x 4\nmain;d 5 6\r\n" + strings.Repeat("f;", 600000) + " 1 1\nmain;e 18446744073709551616 1\nmain with space;f 0 7"
	r = NewFoldedDiffReader(strings.NewReader(in), "x.folded")
	var got []string
	for r.Scan() {
		s := r.Stack()
		got = append(got, strings.Join(s.Frames, ";"))
	}
	errs, n := r.SyntaxErrors()
	var lines []string
	for _, e := range errs {
		lines = append(lines, e.Error())
	}
	if strings.Join(got, "|") != "main;a|main;d|main with space;f" || n != 4 ||
		!strings.HasPrefix(lines[0], "x.folded:3: ") || !strings.HasPrefix(lines[1], "x.folded:4: ") ||
		!strings.HasPrefix(lines[2], "x.folded:6: ") || !strings.HasPrefix(lines[3], "x.folded:7: ") {
		t.Errorf("stacks %q, errors %q", got, lines)
	}
}

// TestMovers: shares are of each profile's own total, so a function that
// keeps its samples while the run doubles loses half its share.
func TestMovers(t *testing.T) {
	st := func(frames string, n int64) flame.Stack {
		return flame.Stack{Frames: strings.Split(frames, ";"), Count: n}
	}
	base := []flame.Stack{st("app;main;work", 50), st("app;main;idle", 50)}
	cur := []flame.Stack{st("app;main;work", 150), st("app;main;idle", 50), st("app;main;work;memcpy_[k]", 0)}
	ms, byTotal := movers(base, cur, 0)
	if len(byTotal) != len(ms) {
		t.Errorf("by total %v, by self %v", byTotal, ms)
	}
	got := map[string][2]float64{}
	for _, m := range ms {
		got[moverName(m)] = [2]float64{m.SelfDelta(), m.TotalDelta()}
	}
	want := map[string][2]float64{"work": {0.25, 0.25}, "idle": {-0.25, -0.25}}
	if len(got) != len(want) {
		t.Errorf("movers %v, want %v", got, want)
	}
	for k, w := range want {
		if g := got[k]; math.Abs(g[0]-w[0]) > 1e-12 || math.Abs(g[1]-w[1]) > 1e-12 {
			t.Errorf("%s moved %v, want %v", k, g, w)
		}
	}
	if ms[0].Name != "idle" || ms[1].Name != "work" {
		t.Errorf("equal moves are ordered by name: %v", ms)
	}
	if p := compareProfile("", base, nil); p != nil {
		t.Errorf("a profile without samples is compared: %+v", p)
	}
}
