package flame

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoTableMatchesDWARF reads every seventh address of a Go binary
// built with DWARF both ways: from .gopclntab's inline trees (what a
// binary of `go test` or `go run`, linked with -s -w, has) and from
// DWARF. The two must name the same chains.
func TestGoTableMatchesDWARF(t *testing.T) {
	prog := filepath.Join(t.TempDir(), "goprog")
	if out, err := exec.Command("go", "build", "-o", prog, "./testdata/inline/goprog").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newBinary(data, "goprog")
	if err != nil {
		t.Fatal(err)
	}
	x, err := b.dwarf()
	if err != nil || x == nil {
		t.Fatalf("no DWARF: %v", err)
	}
	gt, err := b.goTable()
	if err != nil || gt == nil {
		t.Fatalf("no .gopclntab: %v", err)
	}
	if gt.inl == nil {
		t.Fatalf("moduledata.gofunc was not found: no inline trees")
	}
	text := b.f.Section(".text")
	compared, inlined := 0, 0
	for pc := text.Addr; pc < text.Addr+text.Size; pc += 7 {
		fromDWARF, err := x.frames(pc, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(fromDWARF) == 0 {
			continue
		}
		fromGo := gt.frames(pc, nil)
		compared++
		if len(fromGo) > 1 {
			inlined++
		}
		if a, b := frameNames(fromDWARF), frameNames(fromGo); a != b {
			t.Errorf("%#x: DWARF says %s, .gopclntab %s", pc, a, b)
		}
	}
	if compared < 10000 || inlined < 1000 {
		t.Errorf("compared %d addresses, %d with inlined calls: too few to tell", compared, inlined)
	}
}

func frameNames(fs []inlineFrame) string {
	var s []string
	for _, f := range fs {
		n := f.name
		if f.inlined {
			n += "_[i]"
		}
		s = append(s, n)
	}
	return strings.Join(s, ";")
}
