package flame

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// flamegraphCorpus returns the FlameGraph repository's perf corpus (its
// test/*.txt and test/results/), read where it lies, not copied (it is
// under the CDDL): from $PERFCAP_FLAMEGRAPH_CORPUS, or else
// ../shared/corpora/flamegraph beside the repository's root, found by
// walking up to go.mod. It skips the test when the corpus is not there.
func flamegraphCorpus(t testing.TB) string {
	t.Helper()
	dir, err := findFlamegraphCorpus()
	if env := os.Getenv("PERFCAP_FLAMEGRAPH_CORPUS"); err != nil && env != "" {
		t.Fatalf("PERFCAP_FLAMEGRAPH_CORPUS=%s: %v", env, err)
	}
	if err != nil {
		t.Skipf("%v; set PERFCAP_FLAMEGRAPH_CORPUS to a checkout of github.com/brendangregg/FlameGraph to run this test", err)
	}
	return dir
}

// findFlamegraphCorpus locates the corpus for flamegraphCorpus.
func findFlamegraphCorpus() (string, error) {
	dir := os.Getenv("PERFCAP_FLAMEGRAPH_CORPUS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		for root := wd; ; root = filepath.Dir(root) {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				dir = filepath.Join(root, "..", "shared", "corpora", "flamegraph")
				break
			}
			if filepath.Dir(root) == root {
				return "", fmt.Errorf("no go.mod above %s, so no ../shared/corpora/flamegraph", wd)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "test", "results")); err != nil {
		return "", fmt.Errorf("the FlameGraph perf corpus is not at %s: %w", dir, err)
	}
	return dir, nil
}

// corpusOptions are the option sets of the corpus's test.sh, each with
// the results file suffix it was recorded under.
var corpusOptions = []struct {
	name string
	opts CollapseOptions
}{
	{"pid", CollapseOptions{PID: true}},
	{"tid", CollapseOptions{TID: true}},
	{"kernel", CollapseOptions{Kernel: true}},
	{"jit", CollapseOptions{JIT: true}},
	{"all", CollapseOptions{Kernel: true, JIT: true}},
	{"addrs", CollapseOptions{Addrs: true}},
}

// corpusFiles returns the corpus's perf script files.
func corpusFiles(t testing.TB, corpus string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpus, "test", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test/*.txt in %s: %v", corpus, err)
	}
	return files
}

// collapseFile folds one file and returns the folded text.
func collapseFile(t *testing.T, path string, opts CollapseOptions) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stacks, _, err := CollapseScript(f, opts)
	if err != nil {
		t.Fatalf("CollapseScript(%s): %v", path, err)
	}
	var b bytes.Buffer
	if err := WriteFolded(&b, stacks); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// sortedLines sorts the lines of folded text, as test.sh's diff needs
// them in the script's order and sort(1) would give another.
func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// TestCollapseCorpus folds every file of the FlameGraph corpus with every
// option set of its test.sh and compares with the recorded results.
func TestCollapseCorpus(t *testing.T) {
	corpus := flamegraphCorpus(t)
	files := corpusFiles(t, corpus)
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		for _, o := range corpusOptions {
			t.Run(name+"/"+o.name, func(t *testing.T) {
				results := filepath.Join(corpus, "test", "results", name+"-collapsed-"+o.name+".txt")
				want, err := os.ReadFile(results)
				if err != nil {
					t.Fatal(err)
				}
				if len(want) == 0 {
					t.Fatalf("%s is empty: nothing to compare with", results)
				}
				got := collapseFile(t, path, o.opts)
				if d := lineDiff(sortedLines(string(want)), sortedLines(got)); d != "" {
					t.Errorf("--%s differs from %s (-want +got):\n%s", o.name, results, d)
				}
			})
		}
	}
}

// TestCollapseSameSamples checks the corpus through both of perfcap's
// readers: the Collapser and the ScriptReader's fold by period see the same
// samples with the same summed weight, so that the flamegraph perfcap
// draws and the folded stacks it writes tell the same story. The files
// get an empty line at the end: most have none, and the script (so the
// Collapser) drops a last record that no empty line ends.
func TestCollapseSameSamples(t *testing.T) {
	corpus := flamegraphCorpus(t)
	for _, path := range corpusFiles(t, corpus) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, '\n')
		collapsed, cstats, err := CollapseScript(bytes.NewReader(data), CollapseOptions{})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		folded, fstats, err := FoldScript(bytes.NewReader(data), FoldOptions{ByPeriod: true})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		sum := func(stacks []Stack) (n int64) {
			for _, s := range stacks {
				n += s.Count
			}
			return n
		}
		if cstats.Samples != fstats.Samples || sum(collapsed) != sum(folded) || fstats.Skipped != 0 {
			t.Errorf("%s: Collapser %d samples weighing %d, ScriptReader %d weighing %d (%d skipped: %v)",
				filepath.Base(path), cstats.Samples, sum(collapsed), fstats.Samples, sum(folded), fstats.Skipped, fstats.Warnings)
		}
	}
}

// The script's patterns, as Go regexps; leftmost-first matching gives the
// captures Perl's backtracking gives. Perl's \s on bytes includes \v,
// Go's does not, so it is spelled out.
var (
	scHeaderRE = regexp.MustCompile(`^([^\t\n\v\f\r ].+?)[\t\n\v\f\r ]+(\d+)/*(\d+)*[\t\n\v\f\r ]+`)
	scEventRE  = regexp.MustCompile(`:[\t\n\v\f\r ]*(\d+)*[\t\n\v\f\r ]+([^\t\n\v\f\r ]+):[\t\n\v\f\r ]*$`)
	scFrameRE  = regexp.MustCompile(`^[\t\n\v\f\r ]*(\w+)[\t\n\v\f\r ]*(.+) \((.*)\)`)
)

// captures returns a regexp's submatches n..m as strings, "" for a group
// that did not take part, and nil for no match.
func captures(re *regexp.Regexp, line []byte) []string {
	m := re.FindSubmatchIndex(line)
	if m == nil {
		return nil
	}
	out := make([]string, len(m)/2-1)
	for i := range out {
		if m[2*i+2] >= 0 {
			out[i] = string(line[m[2*i+2]:m[2*i+3]])
		}
	}
	return out
}

// patternMismatch compares the hand-written matchers with the regexps on
// one line and describes the first difference, or returns "".
func patternMismatch(line []byte) string {
	got := func(ok bool, s ...[]byte) []string {
		if !ok {
			return nil
		}
		out := make([]string, len(s))
		for i := range s {
			out[i] = string(s[i])
		}
		return out
	}
	comm, pid, tid, ok := scHeader(line)
	if g, w := got(ok, comm, pid, tid), captures(scHeaderRE, line); !slices.Equal(g, w) {
		return fmt.Sprintf("header %q: got %q, regexp %q", line, g, w)
	}
	period, event, ok := scEvent(line)
	if g, w := got(ok, period, event), captures(scEventRE, line); !slices.Equal(g, w) {
		return fmt.Sprintf("event %q: got %q, regexp %q", line, g, w)
	}
	pc, sym, dso, ok := scFrame(line)
	if g, w := got(ok, pc, sym, dso), captures(scFrameRE, line); !slices.Equal(g, w) {
		return fmt.Sprintf("frame %q: got %q, regexp %q", line, g, w)
	}
	return ""
}

func TestCollapsePatterns(t *testing.T) {
	for _, line := range []string{
		"java 25607 4794564.109216: 1 cycles:",
		"java 12688 [002] 6544038.708352: 235 cpu-clock:",
		"V8 WorkerThread 24636/25607 [000] 94564.109216: 100 cycles:",
		"java 12688/12764 6544038.708352: 10309278 cpu-clock: ",
		"iperf 27409/28744 [000] 441995.133575: cpu-clock: ",
		"java 19983 cycles:",
		"emulator  4152 75695.008865:          1 cycles:u: ",
		"a 123 1.5: cpu-clock:",
		"a 123 [000] 1.5: 10 cpu-clock:",
		"ab 12/ x",
		"ab 12//34\tx",
		"ab 12/34x 56 y",
		"kworker/0:1 77 1.5: 3 sched:sched_switch: prev_comm=x",
		"x 1 1.5:cycles:",
		"x: 5 6 cycles:",
		"x 0/0 1.0: 00 cycles:\v",
		"\t          414b3b fsnotify (/lib/modules/4.1.0-virtual/build/vmlinux)",
		"ffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])",
		"\t4004d6 main (/usr/bin/x (deleted))",
		"\t4004d6 net/http.(*Client).Do+0x4d (/usr/bin/x)",
		"\t7f00 operator new(unsigned long)+0x1c (/usr/lib/libstdc++.so.6)",
		"\tffff (x)",
		"\tffff  (x)",
		"\t ab (x) y",
		"\tab_c d) (e",
		"\tab (c) (d) e",
		"\t0 [unknown] ([unknown])",
		"\t\x85ab c (d)",
	} {
		if d := patternMismatch([]byte(line)); d != "" {
			t.Error(d)
		}
	}
}

func TestCollapseTidy(t *testing.T) {
	for _, tc := range []struct {
		line string
		opts CollapseOptions
		java bool
		want string // the frames, or "-" for a line that adds none
	}{
		{"\t4004d6 main+0x1d (/bin/x)", CollapseOptions{}, false, "main"},
		{"\t4004d6 main+0x1D (/bin/x)", CollapseOptions{}, false, "main+0x1D"},
		{"\t4004d6 +0x1d (/bin/x)", CollapseOptions{}, false, "-"},
		{"\t4004d6 (anon)+0x1d (/bin/x)", CollapseOptions{}, false, "-"},
		{"\t7f00 operator new(unsigned long)+0x1c (/lib/libstdc++.so.6)", CollapseOptions{}, false, "operator new"},
		{"\t7f00 (anonymous namespace)::f(int) (/bin/x)", CollapseOptions{}, false, "-"},
		{"\t7f00 ns::(anonymous namespace)::f(int) (/bin/x)", CollapseOptions{}, false, "ns::(anonymous namespace)::f"},
		{"\t4004d6 net/http.(*Client).Do (/usr/bin/x)", CollapseOptions{}, false, "net/http.(*Client).Do"},
		{"\t13a80b608e0a RegExp:[&<>\\\"\\'] (/tmp/perf-7539.map)", CollapseOptions{JIT: true}, false, `RegExp:[&<>\\]_[j]`},
		{"\t7f722d142778 Ljava/io/PrintStream;::print (/tmp/perf-19982.map)", CollapseOptions{JIT: true}, true, "java/io/PrintStream:::print_[j]"},
		{"\t7f722d142778 Ljava/io/PrintStream;::print (/tmp/perf-19982.map)", CollapseOptions{}, false, "Ljava/io/PrintStream:::print"},
		{"\t7f722d142778 a_[j] (/tmp/perf-1.map)", CollapseOptions{JIT: true}, false, "a_[j]"},
		{"\t7f722d142778 a (/x/tmp/perf-1.map (deleted))", CollapseOptions{JIT: true}, false, "a "},
		{"\tffffffff81 [unknown] ([kernel.kallsyms])", CollapseOptions{Kernel: true}, false, "[[kernel.kallsyms]]_[k]"},
		{"\tffffffff81 [unknown] ([kernel.kallsyms])", CollapseOptions{Kernel: true, Addrs: true}, false, "[[kernel.kallsyms] <ffffffff81>]_[k]"},
		{"\t0 [unknown] ([unknown])", CollapseOptions{Kernel: true, Addrs: true}, false, "[unknown <0>]"},
		{"\t0 [unknown] (/usr/lib/libc.so.6)", CollapseOptions{}, false, "[libc.so.6]"},
		{"\t3d6b4c vfs_read (/lib/modules/4.1.0-virtual/build/vmlinux)", CollapseOptions{Kernel: true}, false, "vfs_read_[k]"},
		{"\t3d6b4c x ([unknown_module])", CollapseOptions{Kernel: true}, false, "x"},
		{"\t4004d6 a->b->c (/bin/x)", CollapseOptions{}, false, "a;b_[i];c_[i]"},
		{"\t4004d6 ->a->->b_[i]-> (/bin/x)", CollapseOptions{Kernel: true}, false, ";a_[i];_[i];b_[i]"},
		{"\t4004d6 -> (/bin/x)", CollapseOptions{}, false, "-"},
		{"\t4004d6 a;b (/bin/x)", CollapseOptions{}, false, "a:b"},
		{"\tffff (x)", CollapseOptions{}, false, "f"},
	} {
		c := NewCollapser(tc.opts)
		c.java = tc.java
		cl := c.tidyLine([]byte(tc.line))
		got := cl.text
		if cl.n == 0 {
			got = "-"
		}
		if !cl.ok || got != tc.want {
			t.Errorf("%q %+v java=%v: got %q (ok %v), want %q", tc.line, tc.opts, tc.java, got, cl.ok, tc.want)
		}
	}
}

// TestCollapseRecords checks the script's main loop: where records start
// and end, which events and weights count, what is unrecognized.
func TestCollapseRecords(t *testing.T) {
	in := "# cmdline : perf record -g\n" + // 1
		"aa 1 1.0: 5 cycles:\n\tf1 one (/x)\n# a comment in a record\n\tf2 two (/x)\n\n" + // 2-6
		"aa 1 1.1: 7 instructions:\n\tf1 one (/x)\n\n" + // 7-9: another event, left out
		"aa 1 1.2: cycles:\n\tf1 one (/x)\n   \n\tf2 two (/x)\n\n" + // 10-14: no period weighs 1; a line of spaces is no end
		"aa 1 1.3: 0 cycles:\n\tf1 one (/x)\n\n" + // 15-17: period 0 weighs 1
		"aa 1 1.4: 2 cycles:\n\tf1 one (/x)\nbb 2 1.5: 3 cycles:\n\tf2 two (/x)\n\n" + // 18-22: no empty line: one record, bb's
		"aa 1 1.6: 9 cycles:\n\n" + // 23-24: no frames, the comm alone
		"xx 1 1.7: 4 cycles:\n\tf1 one (/x)\n" // 25-26: no empty line at the end: dropped
	stacks, stats, err := CollapseScript(iotest.OneByteReader(strings.NewReader(in)), CollapseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteFolded(&b, stacks); err != nil {
		t.Fatal(err)
	}
	want := "aa 9\naa;one 1\naa;two;one 6\nbb;two;one 3\n"
	if b.String() != want {
		t.Errorf("got:\n%swant:\n%s", b.String(), want)
	}
	if stats.Samples != 5 || stats.Filtered != 1 || stats.Unrecognized != 1 {
		t.Errorf("stats = %+v, want 5 samples, 1 filtered, 1 unrecognized", stats)
	}
	if len(stats.Warnings) != 1 || !strings.HasPrefix(stats.Warnings[0].Error(), `line 12: neither a record header nor a stack frame`) {
		t.Errorf("warnings = %v, want one for line 12", stats.Warnings)
	}
}

func TestCollapseLimits(t *testing.T) {
	in := "aa 1 1.0: cycles:\n\tf1 " + strings.Repeat("x", maxCollapseLine) + " (/x)\n\tf2 two (/x)\n\n" +
		"aa 1 1.1: cycles:\n" + strings.Repeat("\tf3 deep (/x)\n", maxCollapseFrames+5) + "\n"
	for _, feed := range []struct {
		name string
		r    io.Reader
	}{
		{"one write", strings.NewReader(in)},
		{"byte by byte", iotest.OneByteReader(strings.NewReader(in))},
	} {
		c := NewCollapser(CollapseOptions{})
		if _, err := io.Copy(struct{ io.Writer }{c}, feed.r); err != nil {
			t.Fatal(err)
		}
		stacks, err := c.Stacks()
		if err != nil {
			t.Fatal(err)
		}
		if len(stacks) != 2 || len(stacks[0].Frames) != maxCollapseFrames+1 || len(stacks[1].Frames) != 2 {
			t.Errorf("%s: got %d stacks", feed.name, len(stacks))
		}
		st := c.Stats()
		if st.Unrecognized != 2 || !strings.HasPrefix(st.Warnings[0].Error(), "line 2: line longer than") ||
			!strings.HasPrefix(st.Warnings[1].Error(), fmt.Sprintf("line %d: more than", 6+maxCollapseFrames)) {
			t.Errorf("%s: stats = %+v", feed.name, st)
		}
	}
}

func TestCollapseEmpty(t *testing.T) {
	for _, in := range []string{"", "# header only\n", "aa 1 1.0: cycles:\n\tf1 one (/x)\n", "   x 1 1.0: 1 cycles: 400 main (/x)\n"} {
		_, _, err := CollapseScript(strings.NewReader(in), CollapseOptions{})
		if !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), "empty line") {
			t.Errorf("CollapseScript(%q) = %v, want ErrEmpty saying why", in, err)
		}
	}
	boom := errors.New("boom")
	if _, _, err := CollapseScript(iotest.ErrReader(boom), CollapseOptions{}); !errors.Is(err, boom) {
		t.Errorf("CollapseScript of a failing reader = %v, want boom", err)
	}
}

// TestCollapseAgainstPerl runs the real stackcollapse-perf.pl (the
// corpus's copy) on inputs made to reach the corners of its patterns, and
// compares. Comms never start with "java": there the corpus's copy
// (m/^java/) and its recorded results (eq "java") disagree, and perfcap
// follows the results; TestCollapseCorpus covers that case.
func TestCollapseAgainstPerl(t *testing.T) {
	corpus := flamegraphCorpus(t)
	script := filepath.Join(corpus, "stackcollapse-perf.pl")
	if _, err := os.Stat(script); err != nil {
		t.Skipf("no stackcollapse-perf.pl in %s", corpus)
	}
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("perl is not installed")
	}
	inputs := []string{
		"a 1 1.0: 5 cycles:\n\tf1 one (/x)\n# c\n\tf2 two (/x)\n\na 1 1.1: 7 instructions:\n\tf1 one (/x)\n\n" +
			"a 1 1.2: cycles:\n\tf1 one (/x)\n   \n\tf2 two (/x)\n\na 1 1.3: 0 cycles:\n\tf1 one (/x)\n\n" +
			"a 1 1.4: 00 cycles:\n\tf1 one (/x)\n\nb 2 1.5: 3 cycles:\n\tf2 two (/x)\nc 3 1.6: 9 cycles:\n\n" +
			"x 1 1.7: 4 cycles:\n\tf1 one (/x)\n",
		"V8 WorkerThread 24636/25607 [000] 94564.109216: 100 cycles:\n\tab ->a->->b_[i]-> (/bin/x)\n\tffff (x)\n\tffff  (x)\n\t ab (x) y\n\n" +
			"a 123 1.5: cpu-clock:\n\t1 one (/x)\n\nq 5/0 1.0: 2 cycles:u:\n\t0 [unknown] ([unknown])\n\t0 [unknown] (/usr/lib/libc.so.6)\n\n" +
			"kworker/0:1 77 1.5: 3 sched:sched_switch: prev_comm=x\n\t1 f(int) (/x)\n\n",
		"node 31912 cpu-clock: \n\t13a80b608e0a RegExp:[&<>\\\"\\'] (/tmp/perf-7539.map)\n" +
			"\t7f722d142778 Ljava/io/PrintStream;::print (/tmp/perf-19982.map)\n\t7f00 ns::(anonymous namespace)::f(int) (/bin/x)\n" +
			"\t7f00 (anonymous namespace)::g() (/bin/x)\n\t4004d6 net/http.(*Client).Do+0x4d (/usr/bin/x)\n" +
			"\tffffffff81 [unknown] ([kernel.kallsyms])\n\t3d6b4c vfs_read+0x1D (/lib/modules/4.1.0-virtual/build/vmlinux)\n" +
			"\t3d6b4c x ([unknown_module])\n\t4004d6 main (/usr/bin/x (deleted))\n\t4004d6 +0x1d (/bin/x)\n\n" +
			"node 31912 1.0: 1 cpu-clock:\r\n\t1 a (/x)\r\n\r\n\n",
	}
	for i, in := range inputs {
		for _, o := range []struct {
			args []string
			opts CollapseOptions
		}{
			{nil, CollapseOptions{}},
			{[]string{"--all", "--pid"}, CollapseOptions{Kernel: true, JIT: true, PID: true}},
			{[]string{"--all", "--tid", "--addrs"}, CollapseOptions{Kernel: true, JIT: true, TID: true, Addrs: true}},
		} {
			path := filepath.Join(t.TempDir(), "in.txt")
			if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
				t.Fatal(err)
			}
			want, err := exec.Command("perl", append(append([]string{script}, o.args...), path)...).Output()
			if err != nil {
				t.Fatalf("perl %s: %v", script, err)
			}
			if len(want) == 0 {
				t.Fatalf("input %d: the script folded nothing, nothing to compare", i)
			}
			stacks, _, err := CollapseScript(strings.NewReader(in), o.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := WriteFolded(&got, stacks); err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("input %d %v (-perl +perfcap):\n%s", i, o.args, lineDiff(string(want), got.String()))
			}
		}
	}
}
