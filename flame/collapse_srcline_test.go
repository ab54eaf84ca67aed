package flame

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestCollapseSrcline: of perf script -F +srcline text the Collapser
// folds what stackcollapse-perf.pl folds, source lines taken for frames
// as the script takes them; of the text FoldPerfData reads (srclines set),
// it skips the source lines an InlineReader adds, so --folded is the same
// as without them.
func TestCollapseSrcline(t *testing.T) {
	text, err := os.ReadFile("testdata/script/srcline.txt")
	if err != nil {
		t.Fatal(err)
	}
	fold := func(in []byte, skip bool) string {
		c := NewCollapser(CollapseOptions{Kernel: true, JIT: true})
		c.srclines = skip
		if _, err := c.Write(in); err != nil {
			t.Fatal(err)
		}
		stacks, err := c.Stacks()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteFolded(&b, stacks); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	without := regexp.MustCompile(`(?m)^  [^\n]*\n`).ReplaceAll(text, nil)
	// perf marks inlined frames on the source line; without it the frame
	// line alone is what perf script prints without -F +srcline.
	if got, want := fold(text, true), fold(without, false); got != want {
		t.Errorf("skipping source lines folds differently from text without them:\n%s", lineDiff(want, got))
	}

	corpus, err := findFlamegraphCorpus()
	if err != nil {
		t.Skip("no copy of FlameGraph's stackcollapse-perf.pl: ", err)
	}
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("perl is not installed")
	}
	want, err := exec.Command("perl", filepath.Join(corpus, "stackcollapse-perf.pl"), "--all", "testdata/script/srcline.txt").Output()
	if err != nil {
		t.Fatalf("stackcollapse-perf.pl: %v", err)
	}
	if got := fold(text, false); got != string(want) {
		t.Errorf("the Collapser differs from stackcollapse-perf.pl on -F +srcline text (-perl +perfcap):\n%s", lineDiff(string(want), got))
	}
}
