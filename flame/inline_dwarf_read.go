package flame

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// This file decodes what inline_dwarf.go needs of DWARF's encoding:
// abbreviation tables, attribute forms, range lists, string and address
// tables. Every read is bounds-checked; a malformed file is an error
// wrapping errDWARF, never a panic.

// dcursor reads a DWARF section; the first failure sticks in err and
// later reads return zero.
type dcursor struct {
	b   []byte
	off uint64
	err error
}

func (c *dcursor) fail() {
	if c.err == nil {
		c.err = fmt.Errorf("%w: data cut short at %#x", errDWARF, c.off)
	}
}

func (c *dcursor) take(n uint64) []byte {
	if c.err != nil || n > uint64(len(c.b)) || c.off > uint64(len(c.b))-n {
		c.fail()
		return nil
	}
	b := c.b[c.off : c.off+n]
	c.off += n
	return b
}

func (c *dcursor) skip(n uint64) { c.take(n) }

func (c *dcursor) u8() uint8 {
	if b := c.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (c *dcursor) u16() uint16 {
	if b := c.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (c *dcursor) u32() uint32 {
	if b := c.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (c *dcursor) u64() uint64 {
	if b := c.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// uN reads an n-byte little-endian number, n from 1 to 8.
func (c *dcursor) uN(n uint8) uint64 {
	b := c.take(uint64(n))
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// offset reads a section offset of the unit's size.
func (c *dcursor) offset(size uint8) uint64 { return c.uN(size) }

func (c *dcursor) uleb() uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		b := c.take(1)
		if b == nil {
			return 0
		}
		if shift < 64 {
			v |= uint64(b[0]&0x7f) << shift
		}
		if b[0]&0x80 == 0 {
			return v
		}
	}
}

func (c *dcursor) sleb() int64 {
	var v int64
	var shift uint
	for {
		b := c.take(1)
		if b == nil {
			return 0
		}
		if shift < 64 {
			v |= int64(b[0]&0x7f) << shift
		}
		shift += 7
		if b[0]&0x80 == 0 {
			if shift < 64 && b[0]&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
}

// cstring reads a NUL-terminated string.
func (c *dcursor) cstring() []byte {
	if c.err != nil || c.off > uint64(len(c.b)) {
		c.fail()
		return nil
	}
	i := bytes.IndexByte(c.b[c.off:], 0)
	if i < 0 {
		c.fail()
		return nil
	}
	s := c.b[c.off : c.off+uint64(i)]
	c.off += uint64(i) + 1
	return s
}

// abbrev is one abbreviation: the tag and attribute forms of the entries
// that use its code.
type abbrev struct {
	tag      uint64
	children bool
	attrs    []attrSpec
	// When every form has a fixed size, an entry's attributes take
	// fixed + nAddr*address size + nOff*offset size + nRefAddr*(the
	// size of DW_FORM_ref_addr) bytes; fixed is -1 otherwise.
	fixed, nAddr, nOff, nRefAddr int
}

type attrSpec struct {
	attr, form uint64
	implicit   int64
}

// abbrevTable is a unit's abbreviations by code.
type abbrevTable struct {
	size   uint64 // the bytes of .debug_abbrev parsed
	list   []abbrev
	dense  []int32 // index in list plus one, by code, for small codes
	sparse map[uint64]int32
}

// maxAbbrevAttrs bounds the attributes of an abbreviation.
const maxAbbrevAttrs = 1 << 10

// parseAbbrevs parses the abbreviation table at off in .debug_abbrev; with
// only set, it stops at that code, for a unit's first entry.
func parseAbbrevs(sec []byte, off, only uint64) (*abbrevTable, error) {
	c := dcursor{b: sec, off: off}
	t := &abbrevTable{}
	var specs []attrSpec
	for {
		code := c.uleb()
		if c.err != nil {
			return nil, fmt.Errorf("abbreviations at %#x: %w", off, c.err)
		}
		if code == 0 {
			break
		}
		a := abbrev{tag: c.uleb(), children: c.u8() != 0}
		first := len(specs)
		for {
			attr, form := c.uleb(), c.uleb()
			if c.err != nil {
				return nil, fmt.Errorf("abbreviations at %#x: %w", off, c.err)
			}
			if attr == 0 && form == 0 {
				break
			}
			spec := attrSpec{attr: attr, form: form}
			if form == formImplicitConst {
				spec.implicit = c.sleb()
			}
			if len(specs)-first >= maxAbbrevAttrs {
				return nil, fmt.Errorf("%w: abbreviation %d at %#x: more than %d attributes", errDWARF, code, off, maxAbbrevAttrs)
			}
			specs = append(specs, spec)
		}
		if only != 0 && code != only {
			specs = specs[:first]
			continue
		}
		a.attrs = specs[first:len(specs):len(specs)]
		a.sizes()
		t.list = append(t.list, a)
		id := int32(len(t.list))
		switch {
		case code < 1<<12:
			for uint64(len(t.dense)) <= code {
				t.dense = append(t.dense, 0)
			}
			t.dense[code] = id
		default:
			if t.sparse == nil {
				t.sparse = make(map[uint64]int32)
			}
			t.sparse[code] = id
		}
		if only != 0 {
			break
		}
	}
	t.size = c.off - off
	return t, nil
}

// sizes fills in the fixed size of the abbreviation's attributes.
func (a *abbrev) sizes() {
	for _, s := range a.attrs {
		switch s.form {
		case formAddr:
			a.nAddr++
		case 0x0e, 0x17, 0x1d, 0x1f, 0x1f20, 0x1f21: // strp, sec_offset, strp_sup, line_strp, GNU alt
			a.nOff++
		case formRefAddr:
			a.nRefAddr++
		default:
			n := fixedFormSize(s.form)
			if n < 0 {
				a.fixed = -1
				return
			}
			a.fixed += n
		}
	}
}

// fixedFormSize is the size of a form that does not depend on the unit,
// or -1 for a variable-size form.
func fixedFormSize(form uint64) int {
	switch form {
	case 0x19, formImplicitConst: // flag_present, implicit_const
		return 0
	case 0x0b, 0x0c, 0x11, 0x25, 0x29: // data1, flag, ref1, strx1, addrx1
		return 1
	case 0x05, 0x12, 0x26, 0x2a: // data2, ref2, strx2, addrx2
		return 2
	case 0x27, 0x2b: // strx3, addrx3
		return 3
	case 0x06, 0x13, 0x1c, 0x28, 0x2c: // data4, ref4, ref_sup4, strx4, addrx4
		return 4
	case 0x07, 0x14, 0x20, 0x24: // data8, ref8, ref_sig8, ref_sup8
		return 8
	case 0x1e: // data16
		return 16
	}
	return -1
}

// next reads an entry's abbreviation code; nil for a null entry, which
// ends a list of siblings.
func (t *abbrevTable) next(c *dcursor) (*abbrev, error) {
	code := c.uleb()
	if c.err != nil {
		return nil, c.err
	}
	if code == 0 {
		return nil, nil
	}
	var id int32
	if code < uint64(len(t.dense)) {
		id = t.dense[code]
	} else {
		id = t.sparse[code]
	}
	if id == 0 {
		return nil, fmt.Errorf("%w: unknown abbreviation code %d", errDWARF, code)
	}
	return &t.list[id-1], nil
}

// dieAttrs are the attributes of an entry this reader uses. Indexed
// values (DWARF 5's addrx, strx, rnglistx) are resolved against the
// unit's bases, which its first entry gives.
type dieAttrs struct {
	low, high                              uint64
	hasLow, hasHigh, highOffset, lowIdx    bool
	highIdx                                bool
	ranges                                 uint64
	hasRanges, rangesIdx                   bool
	origin                                 uint64
	hasOrigin                              bool
	addrBase, rnglistsBase, strOffsetsBase uint64
	name, linkage                          string
	stmtList, callFile, callLine           uint64
	hasStmtList                            bool
	compDir                                strRef
}

// skipAttrs moves c past the attributes of an entry of abbreviation a.
func (x *dwarfIndex) skipAttrs(c *dcursor, u *dwarfUnit, a *abbrev) error {
	if a.fixed >= 0 {
		refAddr := int(u.offSize)
		if u.version == 2 {
			refAddr = int(u.addrSize)
		}
		c.skip(uint64(a.fixed + a.nAddr*int(u.addrSize) + a.nOff*int(u.offSize) + a.nRefAddr*refAddr))
		return c.err
	}
	for _, s := range a.attrs {
		if _, _, err := x.formValue(c, u, s); err != nil {
			return err
		}
	}
	return c.err
}

// readAttrs reads the attributes of an entry of abbreviation a into e,
// with its names when names is set.
func (x *dwarfIndex) readAttrs(c *dcursor, u *dwarfUnit, a *abbrev, e *dieAttrs, names bool) error {
	var nameRef, linkRef strRef
	for _, s := range a.attrs {
		if names && (s.attr == atName || s.attr == atLinkageName || s.attr == atMIPSLinkageName) {
			r, err := x.formString(c, u, s.form)
			if err != nil {
				return err
			}
			if s.attr == atName {
				nameRef = r
			} else if linkRef.kind == 0 {
				linkRef = r
			}
			continue
		}
		if s.attr == atCompDir {
			r, err := x.formString(c, u, s.form)
			if err != nil {
				return err
			}
			e.compDir = r
			continue
		}
		v, form, err := x.formValue(c, u, s)
		if err != nil {
			return err
		}
		switch s.attr {
		case atLowPC:
			e.low, e.hasLow, e.lowIdx = v, true, isAddrIndex(form)
		case atHighPC:
			e.high, e.hasHigh = v, true
			e.highIdx = isAddrIndex(form)
			e.highOffset = form != formAddr && !e.highIdx
		case atRanges:
			e.ranges, e.hasRanges, e.rangesIdx = v, true, form == 0x23
		case atAbstractOrigin, atSpecification:
			if off, ok := refOffset(u, form, v); ok && (!e.hasOrigin || s.attr == atAbstractOrigin) {
				e.origin, e.hasOrigin = off, true
			}
		case atAddrBase:
			e.addrBase = v
		case atRnglistsBase:
			e.rnglistsBase = v
		case atStrOffsetsBase:
			e.strOffsetsBase = v
		case atStmtList:
			e.stmtList, e.hasStmtList = v, true
		case atCallFile:
			e.callFile = v
		case atCallLine:
			e.callLine = v
		}
	}
	if c.err != nil {
		return c.err
	}
	if names {
		e.name = x.resolveString(u, nameRef)
		e.linkage = x.resolveString(u, linkRef)
	}
	return nil
}

// isAddrIndex reports the forms that index .debug_addr.
func isAddrIndex(form uint64) bool {
	switch form {
	case 0x1b, 0x29, 0x2a, 0x2b, 0x2c, 0x1f01: // addrx, addrx1-4, GNU_addr_index
		return true
	}
	return false
}

// refOffset turns a reference into an offset in .debug_info.
func refOffset(u *dwarfUnit, form, v uint64) (uint64, bool) {
	switch form {
	case 0x11, 0x12, 0x13, 0x14, 0x15: // ref1, ref2, ref4, ref8, ref_udata
		return u.off + v, true
	case formRefAddr:
		return v, true
	}
	return 0, false // another file's or a type unit's entry
}

// formValue reads one attribute's value as a number: an address, a
// constant, an offset, an index or a reference as encoded. Blocks and
// strings are skipped and read as 0. It also returns the form, with
// DW_FORM_indirect resolved.
func (x *dwarfIndex) formValue(c *dcursor, u *dwarfUnit, s attrSpec) (uint64, uint64, error) {
	form := s.form
	for range 4 {
		if form != formIndirect {
			break
		}
		form = c.uleb()
	}
	var v uint64
	switch form {
	case formAddr:
		v = c.uN(u.addrSize)
	case 0x0e, 0x17, 0x1d, 0x1f, 0x1f20, 0x1f21: // strp, sec_offset, strp_sup, line_strp, GNU alt
		v = c.offset(u.offSize)
	case formRefAddr:
		if u.version == 2 {
			v = c.uN(u.addrSize)
		} else {
			v = c.offset(u.offSize)
		}
	case 0x0f, 0x15, 0x1a, 0x1b, 0x22, 0x23, 0x1f01, 0x1f02: // udata, ref_udata, strx, addrx, loclistx, rnglistx, GNU indexes
		v = c.uleb()
	case 0x0d: // sdata
		v = uint64(c.sleb())
	case formImplicitConst:
		v = uint64(s.implicit)
	case 0x08: // string
		c.cstring()
	case 0x03: // block2
		c.skip(uint64(c.u16()))
	case 0x04: // block4
		c.skip(uint64(c.u32()))
	case 0x09, 0x18: // block, exprloc
		c.skip(c.uleb())
	case 0x0a: // block1
		c.skip(uint64(c.u8()))
	default:
		n := fixedFormSize(form)
		if n < 0 {
			return 0, form, fmt.Errorf("%w: unknown attribute form %#x", errDWARF, form)
		}
		if n <= 8 {
			v = c.uN(uint8(n))
		} else {
			c.skip(uint64(n))
		}
	}
	return v, form, c.err
}

// strRef is a string attribute not yet read: inline, at an offset of
// .debug_str or .debug_line_str, or an index of .debug_str_offsets.
type strRef struct {
	kind   uint8 // 0 none, 1 inline, 2 .debug_str, 3 .debug_line_str, 4 index
	inline []byte
	v      uint64
}

// formString reads a string attribute.
func (x *dwarfIndex) formString(c *dcursor, u *dwarfUnit, form uint64) (strRef, error) {
	switch form {
	case 0x08: // string
		return strRef{kind: 1, inline: c.cstring()}, c.err
	case 0x0e: // strp
		return strRef{kind: 2, v: c.offset(u.offSize)}, c.err
	case 0x1f: // line_strp
		return strRef{kind: 3, v: c.offset(u.offSize)}, c.err
	case 0x1a: // strx
		return strRef{kind: 4, v: c.uleb()}, c.err
	case 0x25, 0x26, 0x27, 0x28: // strx1-4
		return strRef{kind: 4, v: c.uN(uint8(form - 0x24))}, c.err
	}
	_, _, err := x.formValue(c, u, attrSpec{form: form})
	return strRef{}, err
}

// resolveString reads the string r refers to; empty when it cannot be
// read.
func (x *dwarfIndex) resolveString(u *dwarfUnit, r strRef) string {
	sec, off := x.sec.str, r.v
	switch r.kind {
	case 0:
		return ""
	case 1:
		return string(r.inline)
	case 3:
		sec = x.sec.lineStr
	case 4:
		c := dcursor{b: x.sec.strOffsets, off: u.strOffsetsBase + r.v*uint64(u.offSize)}
		if r.v > uint64(len(x.sec.strOffsets)) {
			return ""
		}
		off = c.offset(u.offSize)
		if c.err != nil {
			return ""
		}
	}
	c := dcursor{b: sec, off: off}
	return string(c.cstring())
}

// address reads entry idx of the unit's addresses in .debug_addr.
func (x *dwarfIndex) address(u *dwarfUnit, idx uint64) (uint64, error) {
	if idx > uint64(len(x.sec.addr)) {
		return 0, fmt.Errorf("%w: address index %d past .debug_addr", errDWARF, idx)
	}
	c := dcursor{b: x.sec.addr, off: u.addrBase + idx*uint64(u.addrSize)}
	v := c.uN(u.addrSize)
	return v, c.err
}

// entryRanges appends the address ranges of an entry to out. Range lists
// count from the unit's base address.
func (x *dwarfIndex) entryRanges(u *dwarfUnit, e *dieAttrs, out [][2]uint64) ([][2]uint64, error) {
	if e.hasRanges {
		if u.version >= 5 {
			return x.rnglist(u, e, out)
		}
		return x.dwarf4Ranges(u, e.ranges, out)
	}
	if !e.hasLow || !e.hasHigh {
		return out, nil
	}
	low, err := x.lowPC(u, e)
	if err != nil {
		return out, err
	}
	high := e.high
	switch {
	case e.highOffset:
		high = low + e.high
	case e.highIdx:
		if high, err = x.address(u, e.high); err != nil {
			return out, err
		}
	}
	if low < high {
		out = append(out, [2]uint64{low, high})
	}
	return out, nil
}

// lowPC returns an entry's DW_AT_low_pc.
func (x *dwarfIndex) lowPC(u *dwarfUnit, e *dieAttrs) (uint64, error) {
	if e.lowIdx {
		return x.address(u, e.low)
	}
	return e.low, nil
}

// dwarf4Ranges appends the range list at off in .debug_ranges.
func (x *dwarfIndex) dwarf4Ranges(u *dwarfUnit, off uint64, out [][2]uint64) ([][2]uint64, error) {
	c := dcursor{b: x.sec.ranges, off: off}
	base := u.base
	maxAddr := ^uint64(0) >> (64 - 8*uint(u.addrSize))
	for n := 0; c.err == nil; n++ {
		if n > maxUnitRanges {
			return out, fmt.Errorf("%w: range list longer than %d", errDWARF, maxUnitRanges)
		}
		lo, hi := c.uN(u.addrSize), c.uN(u.addrSize)
		switch {
		case c.err != nil:
		case lo == 0 && hi == 0:
			return out, nil
		case lo == maxAddr:
			base = hi
		case lo < hi:
			out = append(out, [2]uint64{base + lo, base + hi})
		}
	}
	return out, c.err
}

// rnglist appends the DWARF 5 range list of an entry.
func (x *dwarfIndex) rnglist(u *dwarfUnit, e *dieAttrs, out [][2]uint64) ([][2]uint64, error) {
	off, base := e.ranges, u.base
	if e.rangesIdx {
		rb := u.rnglistsBase
		if off > uint64(len(x.sec.rnglists)) {
			return out, fmt.Errorf("%w: range list index %d past .debug_rnglists", errDWARF, off)
		}
		c := dcursor{b: x.sec.rnglists, off: rb + off*uint64(u.offSize)}
		off = rb + c.offset(u.offSize)
		if c.err != nil {
			return out, c.err
		}
	}
	c := dcursor{b: x.sec.rnglists, off: off}
	addr := func(idx uint64) uint64 {
		v, err := x.address(u, idx)
		if err != nil && c.err == nil {
			c.err = err
		}
		return v
	}
	add := func(lo, hi uint64) {
		if lo < hi {
			out = append(out, [2]uint64{lo, hi})
		}
	}
	for n := 0; c.err == nil; n++ {
		if n > maxUnitRanges {
			return out, fmt.Errorf("%w: range list longer than %d", errDWARF, maxUnitRanges)
		}
		switch kind := c.u8(); kind {
		case 0: // end_of_list
			return out, c.err
		case 1: // base_addressx
			base = addr(c.uleb())
		case 2: // startx_endx
			lo := addr(c.uleb())
			add(lo, addr(c.uleb()))
		case 3: // startx_length
			lo := addr(c.uleb())
			add(lo, lo+c.uleb())
		case 4: // offset_pair
			lo := c.uleb()
			add(base+lo, base+c.uleb())
		case 5: // base_address
			base = c.uN(u.addrSize)
		case 6: // start_end
			lo := c.uN(u.addrSize)
			add(lo, c.uN(u.addrSize))
		case 7: // start_length
			lo := c.uN(u.addrSize)
			add(lo, lo+c.uleb())
		default:
			if c.err == nil {
				return out, fmt.Errorf("%w: range list entry kind %#x", errDWARF, kind)
			}
		}
	}
	return out, c.err
}
