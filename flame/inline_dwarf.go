package flame

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// This file reads the chain of inlined functions at an address from DWARF
// (versions 2 to 5), parsing only the compilation units that hold sampled
// code, each once.
//
// It walks the debugging information entries itself rather than through
// debug/dwarf, whose Reader decodes every attribute of every entry into
// allocated values: 1.4 s for the 2.4 million entries of a Criterion
// benchmark's binary, 40 ms for one of its larger units, where a walk that
// skips the attributes it does not need takes a few milliseconds.

// dwarfSections are the sections the reader uses; missing ones are nil.
type dwarfSections struct {
	info, abbrev, str, lineStr, strOffsets, addr, ranges, rnglists, line []byte
}

// dwarfIndex finds the compilation unit of an address and keeps the units
// already parsed.
type dwarfIndex struct {
	sec     dwarfSections
	units   []dwarfUnit
	spans   []unitSpan // the address ranges of every unit, by lo
	abbrevs map[uint64]*abbrevTable
	// parsed holds the units already read, by index; unitErr why a unit
	// could not be read whole.
	parsed  map[int]*unitScopes
	unitErr map[int]error
	names   map[uint64]string
	// lines holds the line tables decoded, by unit (nil: none);
	// lineErr why the last one that failed could not be read.
	lines   map[int]*lineTable
	lineErr error
	// scanned counts the bytes of abbreviations parsed for the index,
	// which stops past a budget: units that each point into a large
	// table would otherwise make it quadratic.
	scanned uint64
}

// dwarfUnit is one unit of .debug_info.
type dwarfUnit struct {
	off, die, end uint64 // the header, the first entry, the end
	version       uint16
	addrSize      uint8
	offSize       uint8 // 4 for 32-bit DWARF, 8 for 64-bit
	abbrevOff     uint64
	// From the unit's first entry: its base address and the bases of its
	// indexed attributes (DWARF 5).
	base, addrBase, rnglistsBase, strOffsetsBase uint64
	// stmtList is the offset of its line program in .debug_line, and
	// compDir the directory its relative file names start from.
	stmtList    uint64
	hasStmtList bool
	compDir     string
}

// unitSpan is one address range of a compilation unit.
type unitSpan struct {
	lo, hi uint64
	unit   int
}

// unitScopes are the functions of one compilation unit that have code,
// with the tree of the functions inlined into each.
type unitScopes struct {
	scopes []scope
	ranges [][2]uint64
	funcs  []funcSpan // the ranges of the out-of-line functions, by lo
}

// scope is a function's code: an out-of-line function, or one inlined
// into its parent scope.
type scope struct {
	die         uint64 // the function's entry, which names it (through its abstract origin)
	first, next int32  // the first inlined scope within, the next sibling; -1 for none
	r0, r1      int32  // its ranges: unitScopes.ranges[r0:r1]
	// callFile and callLine are where an inlined function was called
	// from, in the function it was inlined into: a file number of the
	// unit's line table, and a line (0: unknown).
	callFile, callLine uint32
	// read is set once the functions inlined into an out-of-line
	// function have been read.
	read bool
}

type funcSpan struct {
	lo, hi uint64
	scope  int32
}

// Limits on what a corrupt file can make the reader allocate: real units
// have at most a few hundred thousand functions and ranges.
const (
	maxUnitScopes = 1 << 22
	maxUnitRanges = 1 << 23
	maxDepth      = 1 << 12
)

// errDWARF is the error of malformed debug information, wrapped with
// where.
var errDWARF = errors.New("malformed DWARF")

// DWARF constants used here (DWARF 5, section 7).
const (
	tagCompileUnit      = 0x11
	tagPartialUnit      = 0x3c
	tagSubprogram       = 0x2e
	tagInlinedSubrout   = 0x1d
	atName              = 0x03
	atLowPC             = 0x11
	atHighPC            = 0x12
	atAbstractOrigin    = 0x31
	atSpecification     = 0x47
	atRanges            = 0x55
	atLinkageName       = 0x6e
	atStrOffsetsBase    = 0x72
	atAddrBase          = 0x73
	atRnglistsBase      = 0x74
	atMIPSLinkageName   = 0x2007
	atStmtList          = 0x10
	atCompDir           = 0x1b
	atCallFile          = 0x58
	atCallLine          = 0x59
	formAddr            = 0x01
	formIndirect        = 0x16
	formImplicitConst   = 0x21
	formRefAddr         = 0x10
	unitTypeCompile     = 0x01
	unitTypeType        = 0x02
	unitTypePartial     = 0x03
	unitTypeSkeleton    = 0x04
	unitTypeSplitCompil = 0x05
	unitTypeSplitType   = 0x06
)

// newDwarfIndex reads the unit headers of .debug_info and the address
// ranges of each compilation unit, from its first entry only.
func newDwarfIndex(sec dwarfSections) (*dwarfIndex, error) {
	x := &dwarfIndex{
		sec:     sec,
		abbrevs: make(map[uint64]*abbrevTable),
		parsed:  make(map[int]*unitScopes),
		unitErr: make(map[int]error),
		names:   make(map[uint64]string),
		lines:   make(map[int]*lineTable),
	}
	for off := uint64(0); off < uint64(len(sec.info)); {
		u, err := readUnitHeader(sec.info, off)
		if err != nil {
			if len(x.units) == 0 {
				return nil, err
			}
			break // keep the units before a damaged one
		}
		off = u.end
		if u.die >= u.end {
			continue
		}
		if x.scanned > 4*uint64(len(sec.abbrev))+1<<16 {
			break
		}
		idx := len(x.units)
		x.units = append(x.units, u)
		rs, err := x.unitEntry(idx)
		if err != nil {
			continue // a unit whose ranges cannot be read keeps perf's names
		}
		for _, rg := range rs {
			x.spans = append(x.spans, unitSpan{rg[0], rg[1], idx})
		}
	}
	slices.SortFunc(x.spans, func(a, b unitSpan) int { return cmp.Compare(a.lo, b.lo) })
	return x, nil
}

// readUnitHeader reads the header of the unit at off.
func readUnitHeader(info []byte, off uint64) (dwarfUnit, error) {
	c := dcursor{b: info, off: off}
	u := dwarfUnit{off: off, offSize: 4}
	length := uint64(c.u32())
	if length == 0xffffffff {
		u.offSize = 8
		length = c.u64()
	} else if length >= 0xfffffff0 {
		return u, fmt.Errorf("%w: unit at %#x: reserved length %#x", errDWARF, off, length)
	}
	if c.err != nil || length > uint64(len(info))-c.off {
		return u, fmt.Errorf("%w: unit at %#x: length %d past the section's end", errDWARF, off, length)
	}
	u.end = c.off + length
	u.version = c.u16()
	if u.version < 2 || u.version > 5 {
		return u, fmt.Errorf("%w: unit at %#x: DWARF version %d", errDWARF, off, u.version)
	}
	if u.version >= 5 {
		kind := c.u8()
		u.addrSize = c.u8()
		u.abbrevOff = c.offset(u.offSize)
		switch kind {
		case unitTypeCompile, unitTypePartial:
		case unitTypeSkeleton, unitTypeSplitCompil:
			c.skip(8)
		case unitTypeType, unitTypeSplitType:
			// Type units hold no code.
			u.die = u.end
			return u, c.err
		default:
			return u, fmt.Errorf("%w: unit at %#x: unit type %#x", errDWARF, off, kind)
		}
	} else {
		u.abbrevOff = c.offset(u.offSize)
		u.addrSize = c.u8()
	}
	if c.err != nil {
		return u, fmt.Errorf("%w: unit at %#x: header cut short", errDWARF, off)
	}
	if u.addrSize != 4 && u.addrSize != 8 {
		return u, fmt.Errorf("%w: unit at %#x: address size %d", errDWARF, off, u.addrSize)
	}
	u.die = min(c.off, u.end)
	return u, nil
}

// unitEntry reads the first entry of unit idx, fills in its bases and
// returns its address ranges.
func (x *dwarfIndex) unitEntry(idx int) ([][2]uint64, error) {
	u := &x.units[idx]
	c := dcursor{b: x.sec.info[:u.end], off: u.die}
	code := c.uleb()
	if c.err != nil || code == 0 {
		return nil, c.err
	}
	// Only the first entry's abbreviation, as the table is parsed whole
	// when the unit is read; but a table shared by units (Go's) is parsed
	// once.
	tab, ok := x.abbrevs[u.abbrevOff]
	if !ok {
		var err error
		if idx > 0 && x.units[idx-1].abbrevOff == u.abbrevOff {
			tab, err = x.abbrevTable(u.abbrevOff)
		} else {
			tab, err = parseAbbrevs(x.sec.abbrev, u.abbrevOff, code)
		}
		if err != nil {
			return nil, err
		}
		x.scanned += tab.size
	}
	c.off = u.die
	ab, err := tab.next(&c)
	if err != nil || ab == nil {
		return nil, err
	}
	if ab.tag != tagCompileUnit && ab.tag != tagPartialUnit {
		return nil, nil
	}
	var e dieAttrs
	if err := x.readAttrs(&c, u, ab, &e, false); err != nil {
		return nil, err
	}
	u.addrBase, u.rnglistsBase, u.strOffsetsBase = e.addrBase, e.rnglistsBase, e.strOffsetsBase
	u.stmtList, u.hasStmtList = e.stmtList, e.hasStmtList
	u.compDir = x.resolveString(u, e.compDir)
	if e.hasLow {
		if u.base, err = x.lowPC(u, &e); err != nil {
			return nil, err
		}
	}
	return x.entryRanges(u, &e, nil)
}

// abbrevTable returns the abbreviation table at off, parsed once.
func (x *dwarfIndex) abbrevTable(off uint64) (*abbrevTable, error) {
	if t, ok := x.abbrevs[off]; ok {
		return t, nil
	}
	t, err := parseAbbrevs(x.sec.abbrev, off, 0)
	if err != nil {
		return nil, err
	}
	x.abbrevs[off] = t
	return t, nil
}

// inlineFrame is one function at an address: inlined into the next one,
// or the out-of-line function that holds the code; file and line are
// where in it the address is (for the innermost function, its code; for
// the others, the call of the function inlined into them), "" and 0 when
// the debug information does not say.
type inlineFrame struct {
	name    string
	inlined bool
	file    string
	line    uint32
}

// frames appends the functions at pc to out, innermost first, ending with
// the out-of-line function; it appends nothing when no unit describes pc.
func (x *dwarfIndex) frames(pc uint64, out []inlineFrame) ([]inlineFrame, error) {
	idx, ok := x.unitOf(pc)
	if !ok {
		return out, nil
	}
	u, err := x.unit(idx)
	f := u.function(pc)
	if f < 0 {
		return out, err
	}
	if !u.scopes[f].read {
		u.scopes[f].read = true
		if ierr := x.readInlined(&x.units[idx], u, f); ierr != nil && err == nil {
			err = ierr
		}
	}
	// The path from the function down to the innermost inlined scope.
	var path [64]int32
	n := 0
	path[n], n = f, 1
	for n < len(path) {
		next := int32(-1)
		for c := u.scopes[path[n-1]].first; c >= 0; c = u.scopes[c].next {
			if u.holds(c, pc) {
				next = c
				break
			}
		}
		if next < 0 {
			break
		}
		path[n] = next
		n++
	}
	lt := x.lineTable(idx)
	var file string
	var line uint32
	if lt != nil {
		file, line = lt.find(pc)
	}
	for i := n - 1; i >= 0; i-- {
		sc := &u.scopes[path[i]]
		out = append(out, inlineFrame{name: x.name(sc.die), inlined: i > 0, file: file, line: line})
		// The function this one was inlined into is at its call.
		file, line = lt.file(uint64(sc.callFile)), sc.callLine
	}
	return out, err
}

// unitOf returns the compilation unit whose ranges hold pc.
func (x *dwarfIndex) unitOf(pc uint64) (int, bool) {
	i, _ := slices.BinarySearchFunc(x.spans, pc, func(s unitSpan, pc uint64) int {
		if s.lo <= pc {
			return -1
		}
		return 1
	})
	// Units may overlap (an empty one at 0): look at a few before.
	for j := i - 1; j >= 0 && j >= i-8; j-- {
		if s := x.spans[j]; s.lo <= pc && pc < s.hi {
			return s.unit, true
		}
	}
	return 0, false
}

// function returns the out-of-line function holding pc, or -1.
func (u *unitScopes) function(pc uint64) int32 {
	i, _ := slices.BinarySearchFunc(u.funcs, pc, func(s funcSpan, pc uint64) int {
		if s.lo <= pc {
			return -1
		}
		return 1
	})
	for j := i - 1; j >= 0 && j >= i-8; j-- {
		if s := u.funcs[j]; s.lo <= pc && pc < s.hi {
			return s.scope
		}
	}
	return -1
}

// holds reports whether scope s has code at pc.
func (u *unitScopes) holds(s int32, pc uint64) bool {
	sc := &u.scopes[s]
	for _, r := range u.ranges[sc.r0:sc.r1] {
		if r[0] <= pc && pc < r[1] {
			return true
		}
	}
	return false
}

// unit returns the scopes of unit idx, reading it on first use. A unit
// cut short by an error keeps the scopes read before it.
func (x *dwarfIndex) unit(idx int) (*unitScopes, error) {
	if u, ok := x.parsed[idx]; ok {
		return u, x.unitErr[idx]
	}
	u, err := x.readUnit(idx)
	slices.SortFunc(u.funcs, func(a, b funcSpan) int { return cmp.Compare(a.lo, b.lo) })
	x.parsed[idx] = u
	if err != nil {
		x.unitErr[idx] = err
	}
	return u, err
}

// readUnit walks the entries of unit idx for its out-of-line functions:
// only their attributes are read; the functions inlined into one are read
// when it holds a sampled address (readInlined).
func (x *dwarfIndex) readUnit(idx int) (*unitScopes, error) {
	s := &unitScopes{}
	u := &x.units[idx]
	tab, err := x.abbrevTable(u.abbrevOff)
	if err != nil {
		return s, err
	}
	c := dcursor{b: x.sec.info[:u.end], off: u.die}
	depth := 0
	var e dieAttrs
	for c.off < u.end {
		at := c.off
		ab, err := tab.next(&c)
		if err != nil {
			return s, fmt.Errorf("entry at %#x: %w", at, err)
		}
		if ab == nil {
			if depth--; depth <= 0 {
				break
			}
			continue
		}
		if ab.tag == tagSubprogram {
			e = dieAttrs{}
			if err := x.readAttrs(&c, u, ab, &e, false); err != nil {
				return s, fmt.Errorf("entry at %#x: %w", at, err)
			}
			if _, err := x.addScope(s, u, at, &e, -1, -1); err != nil {
				return s, err
			}
		} else if err := x.skipAttrs(&c, u, ab); err != nil {
			return s, fmt.Errorf("entry at %#x: %w", at, err)
		}
		if ab.children {
			if depth++; depth > maxDepth {
				return s, fmt.Errorf("%w: unit at %#x: entries nested deeper than %d", errDWARF, u.off, maxDepth)
			}
		} else if depth == 0 {
			break // the unit's entry had no children
		}
	}
	return s, nil
}

// addScope adds the function of entry at to s when it has code: inlined
// into scope encl after scope prev when encl >= 0, else out-of-line. It
// returns the new scope, or -1.
func (x *dwarfIndex) addScope(s *unitScopes, u *dwarfUnit, at uint64, e *dieAttrs, encl, prev int32) (int32, error) {
	r0 := len(s.ranges)
	var err error
	if s.ranges, err = x.entryRanges(u, e, s.ranges); err != nil {
		s.ranges = s.ranges[:r0] // a function whose ranges cannot be read keeps perf's name
	}
	if len(s.ranges) == r0 {
		return -1, nil // a declaration, or an abstract function: no code
	}
	if len(s.scopes) >= maxUnitScopes || len(s.ranges) > maxUnitRanges {
		return -1, fmt.Errorf("%w: unit at %#x: more than %d functions or %d ranges", errDWARF, u.off, maxUnitScopes, maxUnitRanges)
	}
	id := int32(len(s.scopes))
	s.scopes = append(s.scopes, scope{die: at, first: -1, next: -1, r0: int32(r0), r1: int32(len(s.ranges)),
		callFile: uint32(min(e.callFile, uint64(endSequence-1))), callLine: uint32(min(e.callLine, 1<<31))})
	switch {
	case encl < 0:
		for _, rg := range s.ranges[r0:] {
			s.funcs = append(s.funcs, funcSpan{rg[0], rg[1], id})
		}
	case prev >= 0:
		s.scopes[prev].next = id
	default:
		s.scopes[encl].first = id
	}
	return id, nil
}

// readInlined reads the functions inlined into the out-of-line function
// f, through lexical blocks, into a tree of scopes under f. Functions
// nested in f are out-of-line functions of their own, already read.
func (x *dwarfIndex) readInlined(u *dwarfUnit, s *unitScopes, f int32) error {
	tab, err := x.abbrevTable(u.abbrevOff)
	if err != nil {
		return err
	}
	c := dcursor{b: x.sec.info[:u.end], off: s.scopes[f].die}
	ab, err := tab.next(&c)
	if err != nil || ab == nil || !ab.children {
		return err
	}
	if err := x.skipAttrs(&c, u, ab); err != nil {
		return err
	}
	// level is one open list of children: the scope enclosing them and
	// the last scope added to it; skip marks a nested function's.
	type level struct {
		encl, last int32
		skip       bool
	}
	stack := []level{{encl: f, last: -1}}
	var e dieAttrs
	for len(stack) > 0 && c.off < u.end {
		at := c.off
		ab, err := tab.next(&c)
		if err != nil {
			return fmt.Errorf("entry at %#x: %w", at, err)
		}
		if ab == nil {
			done := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if n := len(stack); n > 0 && stack[n-1].encl == done.encl {
				stack[n-1].last = done.last // the end of a lexical block
			}
			continue
		}
		top := &stack[len(stack)-1]
		next := level{encl: top.encl, last: -1, skip: top.skip || ab.tag == tagSubprogram}
		if ab.tag == tagInlinedSubrout && !top.skip {
			e = dieAttrs{}
			if err := x.readAttrs(&c, u, ab, &e, false); err != nil {
				return fmt.Errorf("entry at %#x: %w", at, err)
			}
			id, err := x.addScope(s, u, at, &e, top.encl, top.last)
			if err != nil {
				return err
			}
			if id >= 0 {
				top.last, next.encl = id, id
			}
		} else if err := x.skipAttrs(&c, u, ab); err != nil {
			return fmt.Errorf("entry at %#x: %w", at, err)
		}
		if ab.children {
			if len(stack) >= maxDepth {
				return fmt.Errorf("%w: entry at %#x: nested deeper than %d", errDWARF, at, maxDepth)
			}
			if next.encl != top.encl {
				stack = append(stack, next)
			} else {
				// A lexical block: its scopes are siblings of those around.
				stack = append(stack, level{encl: top.encl, last: top.last, skip: next.skip})
			}
		}
	}
	return nil
}

// maxOriginHops bounds how many abstract-origin and specification links a
// name is followed through: compilers use two at most, a corrupt file may
// loop.
const maxOriginHops = 4

// name returns the function named by the entry at off, or by the entries
// its abstract origin or specification lead to: the first linkage name
// demangled, or else the first name (which Go qualifies with the
// package), or else the linkage name as it is. Empty when none can be
// read.
func (x *dwarfIndex) name(off uint64) string {
	if n, ok := x.names[off]; ok {
		return n
	}
	var name, link string
	at := off
	for range maxOriginHops {
		var e dieAttrs
		if x.readEntry(at, &e) != nil {
			break
		}
		if link == "" {
			link = e.linkage
		}
		if name == "" {
			name = e.name
		}
		if !e.hasOrigin || e.origin == at || (link != "" && name != "") {
			break
		}
		at = e.origin
	}
	full := name
	if d, ok := demangleRust(link); ok {
		full = d
	} else if d, ok := demangleRustV0(link); ok {
		full = d
	} else if full == "" {
		full = link
	}
	x.names[off] = full
	return full
}

// readEntry reads the attributes of the entry at off, names included.
func (x *dwarfIndex) readEntry(off uint64, e *dieAttrs) error {
	i, found := slices.BinarySearchFunc(x.units, off, func(u dwarfUnit, off uint64) int {
		switch {
		case u.end <= off:
			return -1
		case u.off > off:
			return 1
		}
		return 0
	})
	if !found {
		return fmt.Errorf("%w: no unit holds the entry at %#x", errDWARF, off)
	}
	u := &x.units[i]
	tab, err := x.abbrevTable(u.abbrevOff)
	if err != nil {
		return err
	}
	c := dcursor{b: x.sec.info[:u.end], off: off}
	ab, err := tab.next(&c)
	if err != nil || ab == nil {
		return fmt.Errorf("%w: no entry at %#x", errDWARF, off)
	}
	return x.readAttrs(&c, u, ab, e, true)
}
