package flame

import (
	"cmp"
	"fmt"
	"path"
	"slices"
)

// This file reads the source file and line of an address from a unit's
// line number program (.debug_line, DWARF 2 to 5), decoded whole the first
// time one of its addresses is looked up; the positions of the functions
// an address's code was inlined into come from the call_file and
// call_line of their inlined_subroutine entries (inline_dwarf.go).

// lineTable is the decoded line program of one compilation unit.
type lineTable struct {
	// files are the unit's file names, made absolute with their
	// directory and the unit's comp_dir, by their number in the
	// program: from 1 in DWARF 2 to 4, from 0 in DWARF 5.
	files []string
	// rows are the rows of every sequence, sequences by their first
	// address; a row with file endSequence ends its sequence.
	rows []lineRow
}

type lineRow struct {
	addr       uint64
	file, line uint32
}

// endSequence marks the row that ends a sequence.
const endSequence = ^uint32(0)

// maxLineFiles bounds the directories and files of a line program header.
const maxLineFiles = 1 << 20

// lineHeader is what the program needs of its header.
type lineHeader struct {
	minInst           uint64
	lineBase          int8
	lineRange         uint8
	opcodeBase        uint8
	stdLens           []byte
	defaultFile       uint32
	addrSize, offSize uint8
}

// find returns the file and line of pc; "" when no row holds it.
func (t *lineTable) find(pc uint64) (string, uint32) {
	i, _ := slices.BinarySearchFunc(t.rows, pc, func(r lineRow, pc uint64) int {
		if r.addr <= pc {
			return -1
		}
		return 1
	})
	if i == 0 {
		return "", 0
	}
	r := t.rows[i-1]
	if r.file == endSequence {
		return "", 0
	}
	return t.file(uint64(r.file)), r.line
}

// file returns file number n; "" for none.
func (t *lineTable) file(n uint64) string {
	if t == nil || n >= uint64(len(t.files)) {
		return ""
	}
	return t.files[n]
}

// lineTable returns the line table of unit idx, decoded on first use; nil
// when the unit has none or it cannot be read.
func (x *dwarfIndex) lineTable(idx int) *lineTable {
	if t, ok := x.lines[idx]; ok {
		return t
	}
	var t *lineTable
	if u := &x.units[idx]; u.hasStmtList && len(x.sec.line) > 0 {
		var err error
		if t, err = x.decodeLines(u); err != nil {
			x.lineErr = err
			t = nil
		}
	}
	x.lines[idx] = t
	return t
}

// decodeLines decodes the line program of unit u.
func (x *dwarfIndex) decodeLines(u *dwarfUnit) (*lineTable, error) {
	c := dcursor{b: x.sec.line, off: u.stmtList}
	// The file register starts at 1 in every version, though DWARF 5
	// numbers files from 0.
	h := lineHeader{offSize: 4, addrSize: u.addrSize, defaultFile: 1}
	length := uint64(c.u32())
	if length == 0xffffffff {
		h.offSize = 8
		length = c.u64()
	}
	if c.err != nil || length > uint64(len(c.b))-c.off {
		return nil, fmt.Errorf("%w: line program at %#x: length %d past the section's end", errDWARF, u.stmtList, length)
	}
	c.b = c.b[:c.off+length]
	version := c.u16()
	if version < 2 || version > 5 {
		return nil, fmt.Errorf("%w: line program at %#x: version %d", errDWARF, u.stmtList, version)
	}
	if version >= 5 {
		h.addrSize = c.u8()
		c.skip(1) // segment selector size
	}
	headerLen := c.offset(h.offSize)
	progStart := c.off + headerLen
	h.minInst = uint64(c.u8())
	if version >= 4 {
		c.skip(1) // maximum operations per instruction: VLIW only
	}
	c.skip(1) // default_is_stmt
	h.lineBase = int8(c.u8())
	h.lineRange = c.u8()
	h.opcodeBase = c.u8()
	if h.opcodeBase > 0 {
		h.stdLens = c.take(uint64(h.opcodeBase - 1))
	}
	if c.err != nil || h.lineRange == 0 || (h.addrSize != 4 && h.addrSize != 8) {
		return nil, fmt.Errorf("%w: line program at %#x: bad header", errDWARF, u.stmtList)
	}
	t := &lineTable{}
	var err error
	if version >= 5 {
		err = x.lineFiles5(&c, u, h.offSize, t)
	} else {
		err = lineFiles4(&c, u.compDir, t)
	}
	if err != nil {
		return nil, fmt.Errorf("line program at %#x: %w", u.stmtList, err)
	}
	if progStart > uint64(len(c.b)) {
		return nil, fmt.Errorf("%w: line program at %#x: header past its end", errDWARF, u.stmtList)
	}
	c.off = progStart
	if err := runLineProgram(&c, &h, t); err != nil {
		return nil, fmt.Errorf("line program at %#x: %w", u.stmtList, err)
	}
	return t, nil
}

// lineFiles4 reads the directory and file tables of DWARF 2 to 4, where
// directory 0 is the unit's comp_dir and files count from 1.
func lineFiles4(c *dcursor, compDir string, t *lineTable) error {
	dirs := []string{compDir}
	for {
		d := c.cstring()
		if c.err != nil {
			return c.err
		}
		if len(d) == 0 {
			break
		}
		if len(dirs) >= maxLineFiles {
			return fmt.Errorf("%w: more than %d directories", errDWARF, maxLineFiles)
		}
		dirs = append(dirs, joinSourcePath(compDir, string(d)))
	}
	t.files = append(t.files, "")
	for {
		name := c.cstring()
		if c.err != nil {
			return c.err
		}
		if len(name) == 0 {
			return nil
		}
		dir := c.uleb()
		c.uleb() // modification time
		c.uleb() // length
		if len(t.files) >= maxLineFiles {
			return fmt.Errorf("%w: more than %d files", errDWARF, maxLineFiles)
		}
		d := compDir
		if dir < uint64(len(dirs)) {
			d = dirs[dir]
		}
		t.files = append(t.files, joinSourcePath(d, string(name)))
	}
}

// lineFiles5 reads the directory and file tables of DWARF 5, described
// by entry formats, where both count from 0.
func (x *dwarfIndex) lineFiles5(c *dcursor, cu *dwarfUnit, offSize uint8, t *lineTable) error {
	u := *cu
	u.offSize = offSize
	var dirs []string
	for table := range 2 {
		type format struct{ kind, form uint64 }
		nfmt := int(c.u8())
		formats := make([]format, 0, nfmt)
		for range nfmt {
			formats = append(formats, format{c.uleb(), c.uleb()})
		}
		n := c.uleb()
		if c.err != nil {
			return c.err
		}
		if n > maxLineFiles {
			return fmt.Errorf("%w: %d entries in a file table", errDWARF, n)
		}
		for range n {
			var name string
			var dir uint64
			for _, f := range formats {
				switch f.kind {
				case 1: // DW_LNCT_path
					r, err := x.formString(c, &u, f.form)
					if err != nil {
						return err
					}
					name = x.resolveString(&u, r)
				case 2: // DW_LNCT_directory_index
					v, _, err := x.formValue(c, &u, attrSpec{form: f.form})
					if err != nil {
						return err
					}
					dir = v
				default:
					if _, _, err := x.formValue(c, &u, attrSpec{form: f.form}); err != nil {
						return err
					}
				}
			}
			if table == 0 {
				dirs = append(dirs, joinSourcePath(cu.compDir, name))
				continue
			}
			d := cu.compDir
			if dir < uint64(len(dirs)) {
				d = dirs[dir]
			}
			t.files = append(t.files, joinSourcePath(d, name))
		}
	}
	return c.err
}

// joinSourcePath puts a file name under its directory unless it is
// absolute already.
func joinSourcePath(dir, name string) string {
	if name == "" || path.IsAbs(name) || dir == "" {
		return name
	}
	return path.Join(dir, name)
}

// lineState is the line program's state machine (DWARF 5, 6.2.2).
type lineState struct {
	addr       uint64
	file, line uint32
}

// runLineProgram runs the program at c into t.rows, sequences sorted by
// their first address.
func runLineProgram(c *dcursor, h *lineHeader, t *lineTable) error {
	var seqs [][2]int // each sequence's rows: t.rows[s[0]:s[1]]
	st := lineState{file: h.defaultFile, line: 1}
	start := 0
	emit := func(file uint32) error {
		if len(t.rows) >= maxUnitRanges {
			return fmt.Errorf("%w: more than %d line rows", errDWARF, maxUnitRanges)
		}
		t.rows = append(t.rows, lineRow{st.addr, file, st.line})
		return nil
	}
	for c.off < uint64(len(c.b)) && c.err == nil {
		op := c.u8()
		var err error
		switch {
		case op >= h.opcodeBase:
			adj := op - h.opcodeBase
			st.addr += uint64(adj/h.lineRange) * h.minInst
			st.line = uint32(int64(st.line) + int64(h.lineBase) + int64(adj%h.lineRange))
			err = emit(st.file)
		case op == 0:
			var end bool
			if end, err = extendedLineOp(c, h, &st); end {
				if err = emit(endSequence); err == nil {
					seqs = append(seqs, [2]int{start, len(t.rows)})
					start = len(t.rows)
				}
				st = lineState{file: h.defaultFile, line: 1}
			}
		default:
			err = standardLineOp(c, h, &st, op, emit)
		}
		if err != nil {
			return err
		}
	}
	if c.err != nil {
		return c.err
	}
	t.rows = t.rows[:start] // a sequence without its end is dropped
	slices.SortStableFunc(seqs, func(a, b [2]int) int { return cmp.Compare(t.rows[a[0]].addr, t.rows[b[0]].addr) })
	rows := make([]lineRow, 0, len(t.rows))
	for _, s := range seqs {
		rows = append(rows, t.rows[s[0]:s[1]]...)
	}
	t.rows = rows
	return nil
}

// extendedLineOp runs an extended opcode; end reports DW_LNE_end_sequence.
func extendedLineOp(c *dcursor, h *lineHeader, st *lineState) (end bool, err error) {
	n := c.uleb()
	if n == 0 || c.err != nil {
		return false, c.err
	}
	next := c.off + n
	if next > uint64(len(c.b)) || next < c.off {
		return false, fmt.Errorf("%w: extended line opcode of %d bytes past the end", errDWARF, n)
	}
	switch c.u8() {
	case 1: // end_sequence
		end = true
	case 2: // set_address
		st.addr = c.uN(min(h.addrSize, uint8(n-1)))
	}
	c.off = next
	return end, c.err
}

// standardLineOp runs a standard opcode; emit appends a row.
func standardLineOp(c *dcursor, h *lineHeader, st *lineState, op uint8, emit func(uint32) error) error {
	switch op {
	case 1: // copy
		return emit(st.file)
	case 2: // advance_pc
		st.addr += c.uleb() * h.minInst
	case 3: // advance_line
		st.line = uint32(int64(st.line) + c.sleb())
	case 4: // set_file
		st.file = uint32(min(c.uleb(), uint64(endSequence-1)))
	case 8: // const_add_pc
		st.addr += uint64((255-h.opcodeBase)/h.lineRange) * h.minInst
	case 9: // fixed_advance_pc
		st.addr += uint64(c.u16())
	default:
		// Opcodes with operands this reader does not use (set_column,
		// set_isa) or does not know: skip their LEB128 operands.
		if int(op) <= len(h.stdLens) {
			for range h.stdLens[op-1] {
				c.uleb()
			}
		}
	}
	return c.err
}
