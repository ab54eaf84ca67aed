package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// recordWorkload records the workload burning CPU with the real perf.
func recordWorkload(t *testing.T, callGraph string) string {
	t.Helper()
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: apt-get install linux-perf); .ci/run installs it")
	}
	data := filepath.Join(t.TempDir(), "perf.data")
	cmd := exec.Command("perf", "record", "-q", "-F", "999", "--call-graph", callGraph, "-o", data, "--", workloadBin, "burn", "400ms")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("perf cannot record here (%v): %s", err, out)
	}
	return data
}

func TestFlameFromPerfData(t *testing.T) {
	for _, cg := range []string{"fp", "dwarf,16384"} {
		t.Run(cg, func(t *testing.T) {
			data := recordWorkload(t, cg)
			dir := t.TempDir()
			svg, folded, pprof := filepath.Join(dir, "f.svg"), filepath.Join(dir, "f.folded"), filepath.Join(dir, "p.pb.gz")
			code, out, stderr := cli("flame", data, "-o", svg, "--folded", folded, "--pprof", pprof, "--top", "3")
			if code != 0 {
				t.Fatalf("perfcap flame: exit %d: %s", code, stderr)
			}
			// The workload's spin loop is the hot function, inlined into
			// its goroutine's function, at its line of cpu.go.
			const hot = "main.spin"
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) < 2 || !regexp.MustCompile(` main\.spin  \(\S*internal/workload/cpu\.go:\d+\)$`).MatchString(lines[1]) {
				t.Errorf("hot spots do not start with %s at its line of cpu.go:\n%s", hot, out)
			}
			share := foldedShare(t, folded, hot)
			if share < 0.5 {
				t.Errorf("%s has %.0f%% of the folded samples, want ≥ 50%%", hot, share*100)
			}
			b, err := os.ReadFile(svg)
			if err != nil || !strings.Contains(string(b), hot) || !strings.HasPrefix(string(b), "<?xml") {
				t.Errorf("flame.svg lacks %s (%v)", hot, err)
			}
			top, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=3", pprof).CombinedOutput()
			if err != nil {
				t.Fatalf("go tool pprof: %v\n%s", err, top)
			}
			if row := firstPprofRow(string(top)); !strings.HasSuffix(row, hot) {
				t.Errorf("go tool pprof -top lists %q first, want %s:\n%s", row, hot, top)
			}
		})
	}
}

// TestFlameNoInline: without inlined functions, the samples of the
// workload's inlined spin loop are its goroutine function's.
func TestFlameNoInline(t *testing.T) {
	data := recordWorkload(t, "fp")
	dir := t.TempDir()
	folded := filepath.Join(dir, "f.folded")
	code, out, stderr := cli("flame", data, "--no-inline", "-o", filepath.Join(dir, "f.svg"), "--folded", folded, "--top", "3")
	if code != 0 {
		t.Fatalf("perfcap flame --no-inline: exit %d: %s", code, stderr)
	}
	const hot = "main.onThreads.func1"
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) < 2 || !strings.HasSuffix(lines[1], hot) {
		t.Errorf("hot spots do not start with %s:\n%s", hot, out)
	}
	if share := foldedShare(t, folded, hot); share < 0.5 {
		t.Errorf("%s has %.0f%% of the folded samples, want ≥ 50%%", hot, share*100)
	}
	b, err := os.ReadFile(folded)
	if err != nil || strings.Contains(string(b), "main.spin") {
		t.Errorf("--no-inline folded stacks name the inlined main.spin (%v)", err)
	}
}

// foldedShare is the share of the samples whose stack ends in fn.
func foldedShare(t *testing.T, path, fn string) float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var all, hit float64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		i := strings.LastIndexByte(line, ' ')
		var n float64
		for _, c := range line[i+1:] {
			n = n*10 + float64(c-'0')
		}
		all += n
		if strings.HasSuffix(line[:i], ";"+fn) {
			hit += n
		}
	}
	return hit / all
}

// firstPprofRow is the first row of go tool pprof -top's table.
// firstPprofRow returns the first row of `go tool pprof -top`, without
// the " (inline)" pprof adds to a function that only appears inlined.
func firstPprofRow(out string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.Contains(l, "flat%") && i+1 < len(lines) {
			return strings.TrimSuffix(strings.TrimSpace(lines[i+1]), " (inline)")
		}
	}
	return ""
}

func TestFlameInputs(t *testing.T) {
	dir := t.TempDir()
	folded := filepath.Join(dir, "in.folded")
	if err := os.WriteFile(folded, []byte("app;main;work 30\napp;main;idle 10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := cli("flame", folded, "-o", filepath.Join(dir, "a.svg"))
	if code != 0 || !strings.Contains(out, "work") {
		t.Fatalf("flame of folded stacks: exit %d, %q %q", code, out, stderr)
	}
	script := filepath.Join("..", "..", "flame", "testdata", "script", "fp.txt")
	pb := filepath.Join(dir, "p.pb.gz")
	if code, _, stderr := cli("flame", script, "-o", filepath.Join(dir, "b.svg"), "--pprof", pb); code != 0 {
		t.Fatalf("flame of perf script text: exit %d, %s", code, stderr)
	}
	// perfcap's own pprof output reads back in.
	if code, out, stderr := cli("flame", pb, "-o", filepath.Join(dir, "c.svg")); code != 0 || !strings.Contains(out, "hot") {
		t.Fatalf("flame of a pprof profile: exit %d, %q %s", code, out, stderr)
	}
	if code, _, stderr := cli("flame", folded, "--pprof", pb); code != exitError || !strings.Contains(stderr, "perf script") {
		t.Errorf("--pprof from folded stacks: exit %d, %q", code, stderr)
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli("flame", empty); code == 0 || !strings.Contains(stderr, "no samples") {
		t.Errorf("flame of an empty input: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "empty.svg")); err == nil {
		t.Errorf("an empty input left an SVG behind")
	}
}

// flamegraphCorpus returns the FlameGraph perf corpus, as the flame
// package's tests find it: $PERFCAP_FLAMEGRAPH_CORPUS, or else
// ../shared/corpora/flamegraph beside the repository's root.
func flamegraphCorpus(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PERFCAP_FLAMEGRAPH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpora", "flamegraph")
	}
	if _, err := os.Stat(filepath.Join(dir, "test", "results")); err != nil {
		t.Skipf("the FlameGraph perf corpus is not at %s (%v); set PERFCAP_FLAMEGRAPH_CORPUS to a checkout of github.com/brendangregg/FlameGraph", dir, err)
	}
	return dir
}

// sortedLines returns the lines of a file, sorted.
func sortedLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	slices.Sort(lines)
	return lines
}

// TestFlameFoldedCompat checks `perfcap flame --folded` end to end against
// stackcollapse-perf.pl: its recorded --all results for every file of the
// FlameGraph corpus, and, with perl, the script itself run with --pid,
// --tid and --addrs (on the files whose comm is not java, where the
// corpus's copy of the script and its recorded results disagree).
func TestFlameFoldedCompat(t *testing.T) {
	corpus := flamegraphCorpus(t)
	files, err := filepath.Glob(filepath.Join(corpus, "test", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test/*.txt in %s", corpus)
	}
	_, perlErr := exec.LookPath("perl")
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			folded := filepath.Join(dir, "f.folded")
			code, _, stderr := cli("flame", path, "-o", filepath.Join(dir, "f.svg"), "--folded", folded, "--top", "0")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			want := filepath.Join(corpus, "test", "results", name+"-collapsed-all.txt")
			if got, want := sortedLines(t, folded), sortedLines(t, want); !slices.Equal(got, want) {
				t.Errorf("--folded differs from %s:\ngot  %q\nwant %q", want, got, want)
			}
			if perlErr != nil || strings.Contains(name, "java") || strings.Contains(name, "vertx") {
				return
			}
			for _, flag := range []string{"--pid", "--tid", "--addrs"} {
				code, _, stderr := cli("flame", path, "-o", filepath.Join(dir, "f.svg"), "--folded", folded, "--top", "0", flag)
				if code != 0 {
					t.Fatalf("%s: exit %d: %s", flag, code, stderr)
				}
				pl := filepath.Join(dir, "pl.folded")
				out, err := exec.Command("perl", filepath.Join(corpus, "stackcollapse-perf.pl"), "--all", flag, path).Output()
				if err != nil || os.WriteFile(pl, out, 0o644) != nil {
					t.Fatalf("stackcollapse-perf.pl --all %s: %v", flag, err)
				}
				if got, want := sortedLines(t, folded), sortedLines(t, pl); !slices.Equal(got, want) {
					t.Errorf("--folded %s differs from stackcollapse-perf.pl --all %s:\ngot  %q\nwant %q", flag, flag, got, want)
				}
			}
		})
	}
}

// TestFlameFoldedEmpty: stackcollapse-perf.pl folds nothing of a recording
// without call chains, so neither does --folded; the flamegraph is still
// drawn, and stderr says why the folded file is empty.
func TestFlameFoldedEmpty(t *testing.T) {
	dir := t.TempDir()
	folded := filepath.Join(dir, "f.folded")
	script := filepath.Join("..", "..", "flame", "testdata", "script", "no-callchain.txt")
	code, out, stderr := cli("flame", script, "-o", filepath.Join(dir, "f.svg"), "--folded", folded)
	if code != 0 || !strings.Contains(out, "spin") {
		t.Fatalf("exit %d, %q, %s", code, out, stderr)
	}
	b, err := os.ReadFile(folded)
	if err != nil || len(b) != 0 || !strings.Contains(stderr, "--folded "+folded+" is empty") || strings.Count(stderr, "\n") != 2 {
		t.Errorf("folded %q (%v), stderr %q; want an empty file and one line saying why", b, err, stderr)
	}
}
