package flame

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// This file opens the ELF files the inline reader symbolizes: mapped
// read-only, so that only the pages of the compilation units it needs are
// read, and their DWARF parsed one unit at a time (inline_dwarf.go).

// maxSectionSize bounds a compressed debug section once decompressed, and
// maxCompression its ratio (debug information compresses 3 to 10 times):
// a crafted header may claim any size, and the buffer is allocated at the
// size it claims. Uncompressed sections are slices of the mapped file and
// cost no memory.
const (
	maxSectionSize = 1 << 30
	maxCompression = 1024
)

// errFault marks an error that was a fault or a panic while reading a
// binary (a file truncated under its mapping, a bug): the binary is set
// aside, and the fuzz test fails on it.
var errFault = errors.New("flame: fault while reading a binary")

// elfBinary is one ELF file opened for symbolization.
type elfBinary struct {
	name  string // for messages
	data  []byte
	unmap func()
	f     *elf.File
	loads []*elf.Prog

	dw      *dwarfIndex // parsed on first use
	dwErr   error
	dwTried bool

	syms      []elfSym // the symbol table, read on first use
	symsTried bool
	gotab     *goTable // a Go binary's function table, read on first use
	goTried   bool
}

// elfSym is a function of the symbol table.
type elfSym struct {
	addr, size uint64
	name       string
}

// openBinary maps file read-only and reads its ELF headers. name is how
// messages call it.
func openBinary(file *os.File, name string) (*elfBinary, error) {
	fi, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	size := fi.Size()
	if size <= 0 || size != int64(int(size)) {
		return nil, fmt.Errorf("%s: not an ELF file (size %d)", name, size)
	}
	data, err := unix.Mmap(int(file.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", name, err)
	}
	b, err := newBinary(data, name)
	if err != nil {
		_ = unix.Munmap(data)
		return nil, err
	}
	b.unmap = func() { _ = unix.Munmap(data) }
	return b, nil
}

// newBinary reads the ELF headers of data.
func newBinary(data []byte, name string) (b *elfBinary, err error) {
	guarded(&err, name, func() error {
		f, err := elf.NewFile(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %s", name, oneLine(err))
		}
		b = &elfBinary{name: name, data: data, f: f}
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD {
				b.loads = append(b.loads, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// close unmaps the file.
func (b *elfBinary) close() {
	if b.unmap != nil {
		b.unmap()
		b.unmap = nil
	}
	b.data = nil
}

// guard turns a panic or a fault (a mapped file truncated under the
// reader) into an error wrapping errFault, so that one bad binary costs
// its frames, not the profile.
func guard(err *error, name string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %s: %s", errFault, name, oneLine(fmt.Errorf("%v", r)))
	}
}

// guarded runs f with faults on the mapped file turned into panics, which
// guard recovers.
func guarded(err *error, name string, f func() error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer guard(err, name)
	*err = f()
}

// oneLine keeps an error message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// vaddr turns an offset in the file into the address the code has in the
// ELF file's own layout, where DWARF and the symbol table place it.
func (b *elfBinary) vaddr(off uint64) (uint64, bool) {
	for _, p := range b.loads {
		if off >= p.Off && off-p.Off < p.Filesz {
			return off - p.Off + p.Vaddr, true
		}
	}
	return 0, false
}

// section returns the content of the named section, nil when there is
// none.
func (b *elfBinary) section(name string) ([]byte, error) {
	s := b.f.Section(name)
	if s == nil || s.Type == elf.SHT_NOBITS {
		return nil, nil
	}
	if s.Flags&elf.SHF_COMPRESSED == 0 {
		if s.Offset > uint64(len(b.data)) || s.Size > uint64(len(b.data))-s.Offset {
			return nil, fmt.Errorf("section %s lies outside the file", name)
		}
		return b.data[s.Offset : s.Offset+s.Size], nil
	}
	if s.Size > maxSectionSize || s.Size > maxCompression*s.FileSize+4096 {
		return nil, fmt.Errorf("section %s: %d bytes once decompressed from %d, more than this reader takes", name, s.Size, s.FileSize)
	}
	// Read into a buffer of the size the header gives, checked above,
	// rather than one grown as the data comes.
	out := make([]byte, s.Size)
	if _, err := io.ReadFull(s.Open(), out); err != nil {
		return nil, fmt.Errorf("section %s: %d bytes decompressed, its header says %d: %s", name, len(out), s.Size, oneLine(err))
	}
	return out, nil
}

// dwarf returns the binary's DWARF index, parsing the unit headers on the
// first call; nil with no error when the file has no debug information.
func (b *elfBinary) dwarf() (*dwarfIndex, error) {
	if b.dwTried {
		return b.dw, b.dwErr
	}
	b.dwTried = true
	guarded(&b.dwErr, b.name, func() error {
		var err error
		b.dw, err = b.readDWARF()
		return err
	})
	if b.dwErr != nil {
		b.dw = nil
	}
	return b.dw, b.dwErr
}

func (b *elfBinary) readDWARF() (*dwarfIndex, error) {
	var sec dwarfSections
	for _, s := range []struct {
		name string
		data *[]byte
	}{
		{"info", &sec.info}, {"abbrev", &sec.abbrev}, {"str", &sec.str}, {"line_str", &sec.lineStr},
		{"str_offsets", &sec.strOffsets}, {"addr", &sec.addr}, {"ranges", &sec.ranges}, {"rnglists", &sec.rnglists}, {"line", &sec.line},
	} {
		var err error
		if *s.data, err = b.section(".debug_" + s.name); err != nil {
			return nil, fmt.Errorf("%s: %w", b.name, err)
		}
	}
	if len(sec.info) == 0 {
		return nil, nil
	}
	x, err := newDwarfIndex(sec)
	if err != nil {
		return nil, fmt.Errorf("%s: reading DWARF: %s", b.name, oneLine(err))
	}
	return x, nil
}

// goFrames appends the functions at pc from a Go binary's own function
// table, parsed on first use; nothing for other binaries.
func (b *elfBinary) goFrames(pc uint64, out []inlineFrame) ([]inlineFrame, error) {
	var err error
	if !b.goTried {
		b.goTried = true
		guarded(&err, b.name, func() error {
			var err error
			b.gotab, err = b.goTable()
			return err
		})
		if err != nil {
			return out, err
		}
	}
	if b.gotab == nil {
		return out, nil
	}
	guarded(&err, b.name, func() error {
		out = b.gotab.frames(pc, out)
		return nil
	})
	return out, err
}

// symbol returns the function of the symbol table that holds addr.
func (b *elfBinary) symbol(addr uint64) (name string, err error) {
	if !b.symsTried {
		b.symsTried = true
		guarded(&err, b.name, b.readSymbols)
		if err != nil {
			return "", err
		}
	}
	i, _ := slices.BinarySearchFunc(b.syms, addr, func(s elfSym, a uint64) int {
		switch {
		case s.addr < a:
			return -1
		case s.addr > a:
			return 1
		}
		return 0
	})
	// The symbol starting at addr, or else the one before it.
	if i == len(b.syms) || b.syms[i].addr != addr {
		i--
	}
	if i < 0 {
		return "", nil
	}
	s := b.syms[i]
	if s.size > 0 && addr-s.addr >= s.size {
		return "", nil
	}
	return s.name, nil
}

func (b *elfBinary) readSymbols() error {
	syms, err := b.f.Symbols()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return fmt.Errorf("%s: reading the symbol table: %s", b.name, oneLine(err))
	}

	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Section == elf.SHN_UNDEF || s.Value == 0 {
			continue
		}
		b.syms = append(b.syms, elfSym{addr: s.Value, size: s.Size, name: demangleAny(s.Name)})
	}
	slices.SortFunc(b.syms, func(a, c elfSym) int {
		switch {
		case a.addr < c.addr:
			return -1
		case a.addr > c.addr:
			return 1
		}
		return strings.Compare(a.name, c.name)
	})
	return nil
}
