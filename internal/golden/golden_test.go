package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckEqual(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.txt")
	if err := os.WriteFile(path, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	Check(t, path, []byte("one\ntwo\n"))
}

func TestDiff(t *testing.T) {
	if d := Diff("a\nb\nc", "a\nb\nc"); d != "" {
		t.Errorf("equal texts: %q", d)
	}
	d := Diff("a\nb\nc", "a\nB\nc\nd")
	for _, want := range []string{"   2 -b\n     +B\n", "   4 -\n     +d\n"} {
		if !strings.Contains(d, want) {
			t.Errorf("Diff = %q, want it to hold %q", d, want)
		}
	}
	if d := Diff("a\n", "a\n\n"); d == "" {
		t.Errorf("an extra empty line goes unseen")
	}
	if strings.Contains(d, "-a") || strings.Contains(d, "-c") {
		t.Errorf("Diff lists equal lines: %q", d)
	}
}
