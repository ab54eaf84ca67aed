package flame

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	pathpkg "path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var updateSeeds = flag.Bool("update-elf", false, "rebuild the ELF seeds of testdata/inline from inl.c with cc")

// inlineSeeds are the ELF files under testdata/inline and the cc flags
// they are built with from inl.c: DWARF 5, DWARF 4, and DWARF 5 with
// zlib-compressed sections.
var inlineSeeds = []struct {
	name  string
	flags []string
}{
	{"inl-dwarf5.elf", []string{"-O2", "-g"}},
	{"inl-dwarf4.elf", []string{"-O2", "-gdwarf-4"}},
	{"inl-zlib.elf", []string{"-O2", "-g", "-gz=zlib"}},
}

// TestInlineSeeds rebuilds the seeds with -update; otherwise it checks
// they are there.
func TestInlineSeeds(t *testing.T) {
	for _, s := range inlineSeeds {
		path := filepath.Join("testdata", "inline", s.name)
		if *updateSeeds {
			wd, err := os.Getwd()
			if err != nil {
				t.Fatal(err)
			}
			args := append(append([]string{"-fdebug-prefix-map=" + wd + "=."}, s.flags...), "-o", path, filepath.Join("testdata", "inline", "inl.c"))
			if out, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
				t.Fatalf("cc %v: %v\n%s", args, err, out)
			}
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%v; rebuild the seeds with go test ./flame -run TestInlineSeeds -update", err)
		}
	}
}

// TestDwarfFramesMatchAddr2line looks up every address of the seeds'
// code and compares the chain of inlined functions, and the file and
// line of each, with what binutils' addr2line -i says of the same
// address.
func TestDwarfFramesMatchAddr2line(t *testing.T) {
	if _, err := exec.LookPath("addr2line"); err != nil {
		t.Skip("addr2line (binutils) is not installed")
	}
	for _, s := range inlineSeeds {
		t.Run(s.name, func(t *testing.T) {
			path := filepath.Join("testdata", "inline", s.name)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b, err := newBinary(data, s.name)
			if err != nil {
				t.Fatal(err)
			}
			x, err := b.dwarf()
			if err != nil || x == nil {
				t.Fatalf("no DWARF index: %v", err)
			}
			text := b.f.Section(".text")
			var pcs []uint64
			for pc := text.Addr; pc < text.Addr+text.Size; pc++ {
				pcs = append(pcs, pc)
			}
			want := addr2line(t, path, pcs)
			inlined, compared := 0, 0
			for i, pc := range pcs {
				if want[i] == nil {
					continue
				}
				frames, err := x.frames(pc, nil)
				if err != nil {
					t.Fatalf("%#x: %v", pc, err)
				}
				var got []string
				for _, f := range frames {
					got = append(got, f.name+" "+pathpkg.Clean(f.file)+":"+strconv.Itoa(int(f.line)))
				}
				compared++
				if len(got) > 1 {
					inlined++
				}
				if strings.Join(got, ";") != strings.Join(want[i], ";") {
					t.Errorf("%#x: frames %q, addr2line -i says %q", pc, got, want[i])
				}
			}
			if inlined < 10 || compared < 100 {
				t.Errorf("compared %d addresses, %d with inlined frames: the seed should have both", compared, inlined)
			}
		})
	}
}

// dwarfLine is a "file:line" that addr2line read from DWARF; "??:0" and
// "crtstuff.c:?" come from the symbol table.
var dwarfLine = regexp.MustCompile(`:[0-9]+( \(discriminator [0-9]+\))?$`)

// addr2line runs `addr2line -a -i -f` over pcs and returns, for each, the
// functions its DWARF names with their "file:line", innermost first; nil
// where it has none.
func addr2line(t *testing.T, path string, pcs []uint64) [][]string {
	t.Helper()
	var in bytes.Buffer
	for _, pc := range pcs {
		fmt.Fprintf(&in, "%#x\n", pc)
	}
	cmd := exec.Command("addr2line", "-a", "-i", "-f", "-C", "-e", path)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("addr2line: %v", err)
	}
	res := make([][]string, 0, len(pcs))
	sc := bufio.NewScanner(bytes.NewReader(out))
	var cur []string
	started := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "0x") {
			if started {
				res = append(res, cur)
			}
			cur, started = nil, true
			continue
		}
		// Function names and file:line alternate; "??:0" is a name
		// from the symbol table, with no DWARF behind it.
		if !sc.Scan() {
			break
		}
		if pos := sc.Text(); line != "??" && dwarfLine.MatchString(pos) {
			pos, _, _ = strings.Cut(pos, " (discriminator")
			cur = append(cur, line+" "+pathpkg.Clean(pos))
		}
	}
	if started {
		res = append(res, cur)
	}
	if len(res) != len(pcs) {
		t.Fatalf("addr2line answered %d addresses of %d", len(res), len(pcs))
	}
	return res
}
