package flame

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzScriptReader feeds ScriptReader arbitrary text, seeded from the
// recorded fixtures and, when it is there, the FlameGraph corpus (their
// first records, to keep inputs small): it must never panic, every warning
// must be one "line N: ..." line within the input, and what it reads must
// fold and round-trip through the folded format. The same text goes
// through a Collapser behind an io.TeeReader, as `perfcap flame --folded`
// reads it, with the same checks, and each line through the hand-written
// matchers of stackcollapse-perf.pl's patterns, which must capture what
// the patterns themselves capture.
func FuzzScriptReader(f *testing.F) {
	seeds := scriptFixtures(f)
	if corpus, err := findFlamegraphCorpus(); err == nil {
		more, _ := filepath.Glob(filepath.Join(corpus, "test", "*.txt"))
		seeds = append(seeds, more...)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 2048)])
	}
	f.Add([]byte("x 1 1.0: cpu-clock:\n\t400 main (/x)\n\n\tdeadbeef orphan (/x)\n"))
	f.Add([]byte("             thr 2/3 [000]  1.5:    10 cpu-clock:ppp:      55d0c0 spin+0x12 (/tmp/thr)\n"))
	f.Add([]byte("java 19983 cycles:\nffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])\n" +
		"7f722d142778 Ljava/io/PrintStream;::print (/tmp/perf-19982.map)\n\n"))
	f.Add([]byte("a b 5/0 [001] 1.0: 00 cycles:u:\v\n\tab ->a->->b_[i]-> (/bin/x)\n\tffff  (x)\n" +
		"\t7f00 ns::(anonymous namespace)::f(int) (/x (deleted))\n\t1 net/http.(*Client).Do+0x4d (/x)\n\t0 [unknown] ([unknown])\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		collapser := NewCollapser(CollapseOptions{PID: true, Kernel: true, JIT: true, Addrs: true})
		r := NewScriptReader(io.TeeReader(bytes.NewReader(in), collapser))
		folder := NewFolder(FoldOptions{Annotate: true, TID: true})
		for r.Scan() {
			folder.Add(r.Sample())
		}
		if err := r.Err(); err != nil {
			t.Fatalf("Err() = %v on an in-memory input", err)
		}
		lines := bytes.Count(in, []byte{'\n'}) + 1
		checkWarnings(t, r.Warnings(), lines)
		checkRoundTrip(t, folder.Stacks)
		checkWarnings(t, collapser.Stats().Warnings, lines)
		checkRoundTrip(t, collapser.Stacks)

		for _, line := range bytes.Split(in, []byte{'\n'}) {
			if d := patternMismatch(line); d != "" {
				t.Error(d)
			}
		}
	})
}

// checkWarnings checks that each warning is one line naming a line of an
// input of n lines.
func checkWarnings(t *testing.T, warnings []error, n int) {
	t.Helper()
	for _, w := range warnings {
		msg := w.Error()
		se, ok := w.(*SyntaxError)
		if !ok || se.Line < 1 || se.Line > n || strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "line ") {
			t.Errorf("warning %q is not one line naming a line of the input", msg)
		}
	}
}

// checkRoundTrip checks that folded stacks, if any, read back as written.
func checkRoundTrip(t *testing.T, fold func() ([]Stack, error)) {
	t.Helper()
	stacks, err := fold()
	if err != nil {
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("folding: %v, want stacks or ErrEmpty", err)
		}
		return
	}
	var b bytes.Buffer
	if err := WriteFolded(&b, stacks); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFolded(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("ReadFolded of WriteFolded output: %v\n%s", err, b.Bytes())
	}
	if len(back) != len(stacks) {
		t.Errorf("round trip gave %d stacks, want %d", len(back), len(stacks))
	}
}
