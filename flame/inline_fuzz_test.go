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

// FuzzInlineELF feeds truncated and corrupt ELF files to the inline
// reader's ELF and DWARF decoding: it must answer with one-line errors,
// never panic (a recovered panic is errFault), and allocate in proportion
// to the input (every scope and range is at least one byte of it).
// Seeds: the ELF files of testdata/inline, whole, cut and with bytes of
// their debug sections flipped.
func FuzzInlineELF(f *testing.F) {
	for _, s := range inlineSeeds {
		data, err := os.ReadFile(filepath.Join("testdata", "inline", s.name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint64(0x1189))
		f.Add(data[:len(data)/2], uint64(0x1100))
		if b, err := newBinary(data, s.name); err == nil {
			if sec := b.f.Section(".debug_info"); sec != nil && sec.Flags&0x800 == 0 {
				bad := bytes.Clone(data)
				for i := sec.Offset; i < sec.Offset+sec.Size; i += 7 {
					bad[i] ^= 0x5a
				}
				f.Add(bad, uint64(0x1189))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, pc uint64) {
		check := func(what string, err error) {
			if err == nil {
				return
			}
			if errors.Is(err, errFault) {
				t.Fatalf("%s: %v", what, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("%s: error on more than one line: %q", what, err)
			}
		}
		b, err := newBinary(data, "fuzz.elf")
		check("newBinary", err)
		if err != nil {
			return
		}
		x, err := b.dwarf()
		check("dwarf", err)
		_, err = b.symbol(pc)
		check("symbol", err)
		_, err = b.goFrames(pc, nil)
		check("goFrames", err)
		if x == nil {
			return
		}
		pcs := []uint64{pc}
		for _, s := range x.spans[:min(len(x.spans), 8)] {
			pcs = append(pcs, s.lo, s.lo+(s.hi-s.lo)/2)
		}
		for _, p := range pcs {
			var ferr error
			guarded(&ferr, "fuzz.elf", func() error {
				_, err := x.frames(p, nil)
				return err
			})
			check("frames", ferr)
		}
		for _, u := range x.parsed {
			if len(u.scopes) > len(data) || len(u.ranges) > len(data) {
				t.Errorf("%d scopes and %d ranges from %d bytes", len(u.scopes), len(u.ranges), len(data))
			}
		}
	})
}

// FuzzInlineReader feeds arbitrary perf script text to an InlineReader
// whose only file is the seed ELF at "/seed": the side-band records must
// be consumed, every other line come out once, in order, named or not,
// with the inlined frames and source lines it counts added, and nothing
// panic.
func FuzzInlineReader(f *testing.F) {
	seed := filepath.Join("testdata", "inline", "inl-dwarf5.elf")
	f.Add("p 7/7 1.0: PERF_RECORD_MMAP2 7/7: [0x5555000(0x2000) @ 0 00:00 0 0]: r-xp /seed\n" +
		"p 7/7 1.5: 1000 cpu-clock:\n\t 11c2 checksum+0x22 (/seed)\n\t 10a4 [unknown] (/seed)\n\t ffffffff81000000 k ([kernel.kallsyms])\n\n" +
		"p 8/8 2.0: PERF_RECORD_FORK(8:8):(7:7)\np 8/8 2.5: 1000 cpu-clock:\n\t 11c2 checksum+0x22 (/seed)\n\n")
	f.Add("p 7/7 1.0: PERF_RECORD_COMM exec: p:7/7\np 7/7 1.0: PERF_RECORD_EXIT(7:7):(1:1)\n\t 11c2 x (/seed)\n")
	f.Fuzz(func(t *testing.T, text string) {
		r := NewInlineReader(strings.NewReader(text), InlineOptions{})
		r.open = func(path string) (*os.File, error) {
			if path == "/seed" {
				return os.Open(seed)
			}
			return nil, os.ErrNotExist
		}
		out, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		lines := func(b []byte) int {
			n := bytes.Count(b, []byte{'\n'})
			if len(b) > 0 && b[len(b)-1] != '\n' {
				n++
			}
			return n
		}
		// Side-band records start at column 0; anything else passes.
		in := 0
		for _, l := range strings.SplitAfter(text, "\n") {
			if l != "" && (l[0] == ' ' || l[0] == '\t' || !isSideband([]byte(l))) {
				in++
			}
		}
		st := r.Stats()
		if got := lines(out) - int(st.Inlined+st.Lines); got != in && len(text) < scriptBufSize {
			t.Errorf("%d lines in (side-band left out), %d out less %d inlined and %d source lines", in, lines(out), st.Inlined, st.Lines)
		}
		if _, _, err := FoldScript(bytes.NewReader(out), FoldOptions{Annotate: true}); err != nil && !errors.Is(err, ErrEmpty) {
			t.Errorf("folding the output: %v", err)
		}
	})
}
