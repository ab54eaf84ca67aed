package flame

import (
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/internal/golden"
)

// scriptFixtures returns the recorded `perf script` outputs under
// testdata/script; testdata/script/README.md says how each was recorded.
func scriptFixtures(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/script/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/script: %v", err)
	}
	return files
}

// foldFile folds one fixture and returns the folded text.
func foldFile(t *testing.T, path string, opts FoldOptions) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stacks, stats, err := FoldScript(f, opts)
	if err != nil {
		t.Fatalf("FoldScript(%s): %v", path, err)
	}
	if stats.Skipped != 0 {
		t.Errorf("%s: skipped %d records: %v", path, stats.Skipped, stats.Warnings)
	}
	var b bytes.Buffer
	if err := WriteFolded(&b, stacks); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFoldGolden folds every fixture as perfcap does (annotated) and
// compares with testdata/fold/NAME.folded; go test -update rewrites them.
func TestFoldGolden(t *testing.T) {
	for _, path := range scriptFixtures(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			got := foldFile(t, path, FoldOptions{Annotate: true})
			goldenPath := filepath.Join("testdata", "fold", name+".folded")
			golden.Check(t, goldenPath, got)
		})
	}
}

// lineDiff lists the lines only in want (-) or only in got (+); folded
// output is sorted, so that reads as a diff. It returns "" when they match.
func lineDiff(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		count[l]--
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if count[l] > 0 {
			b.WriteString("- " + l + "\n")
			count[l]--
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if count[l] < 0 {
			b.WriteString("+ " + l + "\n")
			count[l]++
		}
	}
	return b.String()
}

// TestFoldCompatStackcollapse checks the fold the flamegraph is drawn
// from against the real stackcollapse-perf.pl, found at
// $STACKCOLLAPSE_PERF, on PATH or in the FlameGraph corpus: they differ in
// names only. The script weighs samples by their period, so perfcap folds
// by period here. Its --kernel annotation is kept; perfcap's intentional
// differences are undone on perfcap's side first: stackcollapse-perf.pl
// cuts a symbol at its first '(' and drops quotes, skips frames whose
// symbol starts with '(', and does not mark perf's inlined or JIT frames.
// (The Collapser behind --folded has none of these differences; see
// TestCollapseAgainstPerl.)
func TestFoldCompatStackcollapse(t *testing.T) {
	pl := os.Getenv("STACKCOLLAPSE_PERF")
	if pl == "" {
		var err error
		if pl, err = exec.LookPath("stackcollapse-perf.pl"); err != nil {
			if corpus, cerr := findFlamegraphCorpus(); cerr == nil {
				pl = filepath.Join(corpus, "stackcollapse-perf.pl")
			} else {
				t.Skip("stackcollapse-perf.pl is not installed (Debian has no package for it; set STACKCOLLAPSE_PERF to a copy)")
			}
		}
	}
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("perl is not installed")
	}
	for _, path := range scriptFixtures(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(name, "no-") {
				t.Skip("stackcollapse-perf.pl folds nothing of a recording without call chains: it wants each header at column 0 and a blank line after it")
			}
			if name == "srcline" {
				t.Skip(`stackcollapse-perf.pl takes perf's source lines for frames ("  inl.c:4 (inlined)" folds to ".c:4"); the Collapser does as it does (TestCollapseSrcline)`)
			}
			for _, tc := range []struct {
				args []string
				opts FoldOptions
			}{
				{nil, FoldOptions{ByPeriod: true}},
				{[]string{"--kernel"}, FoldOptions{Annotate: true, ByPeriod: true}},
				{[]string{"--tid"}, FoldOptions{TID: true, ByPeriod: true}},
			} {
				cmd := exec.Command("perl", append([]string{pl}, append(tc.args, path)...)...)
				cmd.Stderr = os.Stderr
				want, err := cmd.Output()
				if err != nil {
					t.Fatalf("%s: %v", pl, err)
				}
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				stacks, _, err := FoldScript(f, tc.opts)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				for i := range stacks {
					frames := stacks[i].Frames[:1]
					for _, fr := range stacks[i].Frames[1:] {
						// Its rule to skip "(process names)" drops C++
						// "(anonymous namespace)::f" frames too.
						if !strings.HasPrefix(fr, "(") {
							frames = append(frames, stackcollapseTidy(fr))
						}
					}
					stacks[i].Frames = frames
				}
				var got bytes.Buffer
				if err := WriteFolded(&got, mergeStacks(stacks)); err != nil {
					t.Fatal(err)
				}
				if d := lineDiff(string(want), got.String()); d != "" {
					t.Errorf("%v: fold differs from stackcollapse-perf.pl (-pl +perfcap):\n%s", tc.args, d)
				}
			}
		})
	}
}

// stackcollapseTidy applies stackcollapse-perf.pl's name tidying, which
// perfcap leaves out so that C++ and Rust signatures survive, and drops
// the inline and JIT annotations it does not make by default.
func stackcollapseTidy(frame string) string {
	frame = strings.TrimSuffix(frame, "_[i]")
	frame = strings.TrimSuffix(frame, "_[j]")
	k := strings.HasSuffix(frame, "_[k]")
	frame = strings.TrimSuffix(frame, "_[k]")
	if !strings.Contains(frame, ".(") {
		rest := frame
		for {
			i := strings.IndexByte(rest, '(')
			if i < 0 {
				break
			}
			if strings.HasPrefix(rest[i:], "(anonymous namespace)") {
				rest = rest[i+1:]
				continue
			}
			frame = frame[:len(frame)-len(rest)+i]
			break
		}
	}
	frame = strings.NewReplacer(`"`, "", "'", "").Replace(frame)
	if k {
		frame += "_[k]"
	}
	return frame
}

// mergeStacks sums stacks that became equal.
func mergeStacks(stacks []Stack) []Stack {
	idx := map[string]int{}
	var out []Stack
	for _, s := range stacks {
		k := strings.Join(s.Frames, ";")
		if i, ok := idx[k]; ok {
			out[i].Count += s.Count
			continue
		}
		idx[k] = len(out)
		out = append(out, s)
	}
	return out
}

func TestFoldOptions(t *testing.T) {
	samples := []Sample{
		{Comm: "my prog", PID: 10, TID: 11, Event: "cpu-clock", Period: 1000, Frames: []Frame{
			{Symbol: "read_zero", DSO: "[kernel.kallsyms]", Kind: KindKernel},
			{Symbol: "helper", DSO: "inlined", Kind: KindInlined},
			{Addr: 0x7f1c2a3b4c5d, Symbol: "[unknown]", DSO: "/usr/lib/libc.so.6", Kind: KindLibrary},
			{Symbol: "jit;loop", DSO: "/tmp/perf-10.map", Kind: KindJIT},
			{Symbol: "main", DSO: "/bin/prog"},
		}},
		{Comm: "my prog", PID: -1, TID: 12, Event: "cpu-clock", Period: 3000, Frames: []Frame{{Symbol: "main", DSO: "/bin/prog"}}},
		{Comm: "my prog", PID: -1, TID: 12, Event: "cpu-clock", Period: 500, Frames: []Frame{{Symbol: "main", DSO: "/bin/prog"}}},
		{Comm: "other", PID: 1, TID: 1, Event: "cycles", Period: 7, Frames: []Frame{{Symbol: "x"}}},
		{Comm: "my prog", PID: -1, TID: 12, Event: "cpu-clock", Period: 2, Frames: []Frame{
			{Addr: 0xdead, Symbol: "[unknown]", DSO: "[unknown]"},
			{Symbol: "main", DSO: "/bin/prog"},
		}},
	}
	for _, tc := range []struct {
		name string
		opts FoldOptions
		want string
	}{
		{"plain", FoldOptions{}, "my_prog;main 2\nmy_prog;main;[unknown] 1\nmy_prog;main;jit:loop;[libc.so.6];helper;read_zero 1\n"},
		{"annotate", FoldOptions{Annotate: true}, "my_prog;main 2\nmy_prog;main;[unknown] 1\nmy_prog;main;jit:loop_[j];[libc.so.6];helper_[i];read_zero_[k] 1\n"},
		{"addrs", FoldOptions{Addrs: true}, "my_prog;main 2\nmy_prog;main;[unknown <dead>] 1\nmy_prog;main;jit:loop;[libc.so.6 <7f1c2a3b4c5d>];helper;read_zero 1\n"},
		{"pid", FoldOptions{PID: true}, "my_prog-10;main;jit:loop;[libc.so.6];helper;read_zero 1\nmy_prog-?;main 2\nmy_prog-?;main;[unknown] 1\n"},
		{"tid", FoldOptions{TID: true}, "my_prog-10/11;main;jit:loop;[libc.so.6];helper;read_zero 1\nmy_prog-?/12;main 2\nmy_prog-?/12;main;[unknown] 1\n"},
		{"period", FoldOptions{ByPeriod: true}, "my_prog;main 3500\nmy_prog;main;[unknown] 2\nmy_prog;main;jit:loop;[libc.so.6];helper;read_zero 1000\n"},
		{"event", FoldOptions{Event: "cycles"}, "other;x 1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stacks, err := Fold(samples, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := WriteFolded(&b, stacks); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got:\n%swant:\n%s", b.String(), tc.want)
			}
		})
	}
}

func TestFoldEmpty(t *testing.T) {
	for _, in := range []string{"", "# header only\n", "\n\n"} {
		_, _, err := FoldScript(strings.NewReader(in), FoldOptions{})
		if !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), "perf record -g") {
			t.Errorf("FoldScript(%q) = %v, want ErrEmpty with a hint", in, err)
		}
	}
	if _, err := ReadFolded(strings.NewReader("\n")); !errors.Is(err, ErrEmpty) {
		t.Errorf("ReadFolded of nothing = %v, want ErrEmpty", err)
	}
}

func TestFoldedRoundTrip(t *testing.T) {
	for _, path := range scriptFixtures(t) {
		folded := foldFile(t, path, FoldOptions{Annotate: true, TID: true})
		stacks, err := ReadFolded(bytes.NewReader(folded))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var b bytes.Buffer
		if err := WriteFolded(&b, stacks); err != nil {
			t.Fatal(err)
		}
		if d := lineDiff(string(folded), b.String()); d != "" {
			t.Errorf("%s: ReadFolded then WriteFolded changed the text:\n%s", path, d)
		}
	}
}

func TestFoldedReadErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a;b 1\nnocount\n", "line 2: "},
		{"a;b 1\n\na;c x1\n", `line 3: count after the last space, found "x1"`},
		{"a;b -1\n", "line 1: "},
	} {
		_, err := ReadFolded(strings.NewReader(tc.in))
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("ReadFolded(%q) = %v, want a SyntaxError starting %q", tc.in, err, tc.want)
		}
	}
	stacks, err := ReadFolded(strings.NewReader("my prog;operator new(unsigned long) 7\n"))
	if err != nil || len(stacks) != 1 || stacks[0].Count != 7 || stacks[0].Frames[1] != "operator new(unsigned long)" {
		t.Errorf("ReadFolded with spaces in frames = %+v, %v", stacks, err)
	}
}

func TestStackCountsSaturate(t *testing.T) {
	var c stackCounts
	c.add([]byte("a;b"), maxWeight)
	c.add([]byte("a;b"), maxWeight)
	c.add([]byte("a;b"), maxWeight)
	c.add([]byte("a"), 3)
	got := c.stacks()
	if len(got) != 2 || got[0].Count != 3 || got[1].Count != math.MaxInt64 {
		t.Errorf("stacks = %+v, want a 3 and a;b saturated at MaxInt64", got)
	}
}
