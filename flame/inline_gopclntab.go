package flame

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// This file reads functions and their inline trees from a Go binary's own
// function table, .gopclntab, which the runtime needs and so every Go
// binary has: `go test` and `go run` link with -s -w, so their binaries
// have neither DWARF nor a symbol table.
//
// The layout is Go 1.20's and later (magic 0xfffffff1, 64-bit little
// endian): the pcHeader, the function table of {entry offset, _func offset},
// each _func with its pcdata and funcdata offsets. The inline tree of a
// function (FUNCDATA_InlTree) lies at an offset from moduledata.gofunc,
// which only the module data holds: it is found by its first field, the
// table's own address, and its other fields are checked against the
// sections before gofunc is believed. Without it, functions are named
// without their inlined calls.

const (
	goMagic120        = 0xfffffff1
	goFuncHeaderSize  = 44 // _func up to its pcdata
	goInlCallSize     = 16 // inlinedCall
	goPCDataInlIndex  = 2  // PCDATA_InlTreeIndex
	goFuncDataInlTree = 3  // FUNCDATA_InlTree
	goNoFuncData      = ^uint32(0)
	// Offsets in moduledata (Go 1.20 to 1.26) of text, noptrdata, data
	// and gofunc.
	goModText, goModNoptrdata, goModData, goModGofunc = 176, 192, 208, 320
)

// goTable is a parsed .gopclntab.
type goTable struct {
	text                        uint64 // the address of the first function's code
	funcnames, pctab, pclntable []byte
	cutab, filetab              []byte
	nfunc                       int
	quantum                     uint64
	// inl is the binary's content from moduledata.gofunc on, nil when it
	// was not found.
	inl []byte
}

// goTable parses the binary's .gopclntab; nil without one of a known
// version.
func (b *elfBinary) goTable() (*goTable, error) {
	sec := b.f.Section(".gopclntab")
	text := b.f.Section(".text")
	if sec == nil || text == nil {
		return nil, nil
	}
	pcln, err := b.section(".gopclntab")
	if err != nil || len(pcln) < 72 || binary.LittleEndian.Uint32(pcln) != goMagic120 || pcln[7] != 8 {
		return nil, err
	}
	off := func(at int) []byte {
		v := binary.LittleEndian.Uint64(pcln[at:])
		if v > uint64(len(pcln)) {
			return nil
		}
		return pcln[v:]
	}
	t := &goTable{
		text:      text.Addr,
		nfunc:     int(min(binary.LittleEndian.Uint64(pcln[8:]), uint64(len(pcln)))),
		quantum:   uint64(max(pcln[6], 1)),
		funcnames: off(32),
		pctab:     off(56),
		pclntable: off(64),
		cutab:     off(40),
		filetab:   off(48),
	}
	if t.funcnames == nil || t.pctab == nil || t.pclntable == nil || len(t.pclntable) < 8*(t.nfunc+1) {
		return nil, fmt.Errorf("%s: .gopclntab: offsets past its end", b.name)
	}
	t.inl = b.goFuncData(sec.Addr, text.Addr)
	return t, nil
}

// goFuncData finds moduledata by the address of the function table it
// points to (in .go.module since Go 1.26, .noptrdata before), checks it,
// and returns the file's content at its gofunc.
func (b *elfBinary) goFuncData(pclnAddr, textAddr uint64) []byte {
	nd, data := b.f.Section(".noptrdata"), b.f.Section(".data")
	if nd == nil || data == nil {
		return nil
	}
	var key [8]byte
	binary.LittleEndian.PutUint64(key[:], pclnAddr)
	for _, name := range []string{".go.module", ".noptrdata", ".data"} {
		sec, err := b.section(name)
		if err != nil {
			continue
		}
		for i := 0; ; {
			j := bytes.Index(sec[i:], key[:])
			if j < 0 {
				break
			}
			at := i + j
			i = at + 1
			if at%8 != 0 || at+goModGofunc+8 > len(sec) {
				continue
			}
			m := sec[at:]
			if binary.LittleEndian.Uint64(m[goModText:]) != textAddr ||
				binary.LittleEndian.Uint64(m[goModNoptrdata:]) != nd.Addr ||
				binary.LittleEndian.Uint64(m[goModData:]) != data.Addr {
				continue
			}
			return b.at(binary.LittleEndian.Uint64(m[goModGofunc:]))
		}
	}
	return nil
}

// at returns the file's content from the address addr to the end of its
// segment; nil when no segment holds addr.
func (b *elfBinary) at(addr uint64) []byte {
	for _, p := range b.loads {
		if addr >= p.Vaddr && addr-p.Vaddr < p.Filesz {
			off := p.Off + addr - p.Vaddr
			end := min(uint64(len(b.data)), p.Off+p.Filesz)
			if off < end {
				return b.data[off:end]
			}
		}
	}
	return nil
}

// frames appends the functions at pc, innermost first, the inlined ones
// when the inline tree was found; nothing when no function holds pc.
func (t *goTable) frames(pc uint64, out []inlineFrame) []inlineFrame {
	if pc < t.text {
		return out
	}
	rel := pc - t.text
	ftab := t.pclntable
	// A binary search over the entry offsets of the function table.
	lo, hi := 0, t.nfunc
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if uint64(binary.LittleEndian.Uint32(ftab[8*mid:])) <= rel {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	i := lo - 1
	if i < 0 || rel >= uint64(binary.LittleEndian.Uint32(ftab[8*(i+1):])) {
		return out
	}
	fo := uint64(binary.LittleEndian.Uint32(ftab[8*i+4:]))
	if fo > uint64(len(ftab)) || uint64(len(ftab))-fo < goFuncHeaderSize {
		return out
	}
	fn := ftab[fo:]
	entry := t.text + uint64(binary.LittleEndian.Uint32(fn))
	name := t.name(int32(binary.LittleEndian.Uint32(fn[4:])))
	npcdata := uint64(binary.LittleEndian.Uint32(fn[28:]))
	nfuncdata := uint64(fn[43])
	at := pc
	if t.inl != nil && npcdata > goPCDataInlIndex && nfuncdata > goFuncDataInlTree &&
		uint64(len(fn)) >= goFuncHeaderSize+4*(npcdata+nfuncdata) {
		table := binary.LittleEndian.Uint32(fn[goFuncHeaderSize+4*goPCDataInlIndex:])
		tree := binary.LittleEndian.Uint32(fn[goFuncHeaderSize+4*npcdata+4*goFuncDataInlTree:])
		if table != 0 && tree != goNoFuncData && uint64(tree) < uint64(len(t.inl)) {
			inl := t.inl[tree:]
			for range 64 {
				ix := t.pcvalue(table, entry, at)
				if ix < 0 || uint64(ix+1)*goInlCallSize > uint64(len(inl)) {
					break
				}
				call := inl[uint64(ix)*goInlCallSize:]
				file, line := t.position(fn, entry, at)
				out = append(out, inlineFrame{name: t.name(int32(binary.LittleEndian.Uint32(call[4:]))), inlined: true, file: file, line: line})
				at = entry + uint64(int64(int32(binary.LittleEndian.Uint32(call[8:]))))
			}
		}
	}
	file, line := t.position(fn, entry, at)
	return append(out, inlineFrame{name: name, file: file, line: line})
}

// position returns the file and line of pc in the function fn starting at
// entry, from its pcfile and pcln tables, as the runtime's funcline does:
// for an inlined call, pc is the call's own code; for the functions it
// was inlined into, the address of the call (its parentPc).
func (t *goTable) position(fn []byte, entry, pc uint64) (string, uint32) {
	fileno := t.pcvalue(binary.LittleEndian.Uint32(fn[20:]), entry, pc)
	line := t.pcvalue(binary.LittleEndian.Uint32(fn[24:]), entry, pc)
	if fileno < 0 || line <= 0 {
		return "", 0
	}
	at := uint64(binary.LittleEndian.Uint32(fn[32:])) + uint64(fileno)
	if at >= uint64(len(t.cutab))/4 {
		return "", 0
	}
	off := binary.LittleEndian.Uint32(t.cutab[4*at:])
	if uint64(off) >= uint64(len(t.filetab)) {
		return "", 0
	}
	s := t.filetab[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s), uint32(line)
}

// name reads a function name from the name table.
func (t *goTable) name(off int32) string {
	if off < 0 || int(off) >= len(t.funcnames) {
		return ""
	}
	s := t.funcnames[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s)
}

// pcvalue returns the value of the pc-value table at off for pc in the
// function starting at entry, -1 when pc is past the table.
func (t *goTable) pcvalue(off uint32, entry, pc uint64) int32 {
	if uint64(off) >= uint64(len(t.pctab)) {
		return -1
	}
	c := dcursor{b: t.pctab, off: uint64(off)}
	val, at := int32(-1), entry
	for first := true; ; first = false {
		uv := c.uleb()
		if c.err != nil || (uv == 0 && !first) {
			return -1
		}
		val += int32(-(uint32(uv) & 1) ^ (uint32(uv) >> 1))
		at += c.uleb() * t.quantum
		if c.err != nil {
			return -1
		}
		if pc < at {
			return val
		}
	}
}
