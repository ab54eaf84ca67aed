package flame

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConvert: folded stacks in, a flamegraph, the same folded stacks and
// the hot list out; what is no profile, or a pprof asked of folded
// stacks, writes nothing.
func TestConvert(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "run.folded")
	folded := "bench;main;interp;add 70\nbench;main;parse 30\n"
	if err := os.WriteFile(in, []byte(folded), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "copy.folded")
	c, err := Convert(context.Background(), ConvertOptions{Input: in, Folded: out, Top: 2})
	if err != nil {
		t.Fatal(err)
	}
	if c.SVG != filepath.Join(dir, "run.svg") {
		t.Errorf("SVG at %s, want beside the input with .svg", c.SVG)
	}
	if svg, err := os.ReadFile(c.SVG); err != nil || !strings.Contains(string(svg), "interp") {
		t.Errorf("flamegraph: %v, holds interp: %v", err, strings.Contains(string(svg), "interp"))
	}
	if got, _ := os.ReadFile(out); string(got) != "bench;main;interp;add 70\nbench;main;parse 30\n" {
		t.Errorf("folded copy = %q", got)
	}
	if len(c.Hot.BySelf) != 2 || c.Hot.BySelf[0].Name != "add" || c.Hot.BySelf[0].SelfShare != 0.7 {
		t.Errorf("hot list = %+v, want add 70%% first", c.Hot.BySelf)
	}

	if _, err := Convert(context.Background(), ConvertOptions{Input: in, Pprof: filepath.Join(dir, "p.pb.gz")}); err == nil || !strings.Contains(err.Error(), "--pprof needs addresses") {
		t.Errorf("pprof of folded stacks: %v", err)
	}
	junk := filepath.Join(dir, "notes.txt")
	os.WriteFile(junk, []byte("dear diary\x00\x01"), 0o644)
	if _, err := Convert(context.Background(), ConvertOptions{Input: junk}); err == nil || !strings.HasPrefix(err.Error(), junk+":") {
		t.Errorf("junk input: %v, want an error naming it", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.svg")); !os.IsNotExist(err) || fileExists(filepath.Join(dir, "p.pb.gz")) {
		t.Errorf("a refused input left a file behind")
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
