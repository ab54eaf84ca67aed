package flame

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// maxWarnings is how many malformed records a ScriptReader describes; past
// it, it only counts them, so a garbage input cannot fill memory with errors.
const maxWarnings = 10

// scriptBufSize is the read buffer, and so the longest line a ScriptReader
// takes. perf script lines are short; the longest are demangled C++ symbols
// of a few kilobytes.
const scriptBufSize = 64 << 10

// SyntaxError is a malformed `perf script` record or folded line: where it
// is and what was expected there.
type SyntaxError struct {
	Line int    // 1-based line number in the input
	Msg  string // what was expected
}

// Error returns "line N: what was expected".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// ScriptReader streams the text output of `perf script` as Samples.
//
// It reads the record layout perf prints by default and with -F field
// lists: a header line
//
//	comm [pid/]tid [[cpu]] [time:] [period] event[:modifiers]: [ip sym (dso)]
//
// where every field but the event may be missing and comm may hold spaces,
// then one line per stack frame, innermost first (indented; old perf
// printed them at column 0),
//
//	\t    7f1c2a3b4c5d func+0x1d (/usr/lib/libc.so.6)
//
// each optionally followed by its source position, "  file:line", as
// perf script -F +srcline and an InlineReader print it, and a blank line. Comment lines ("# ...") between records are skipped.
// PID and TID are -1 when perf did not print them (its default prints the
// TID only); Period is 0 when it printed none.
//
// A malformed record is skipped and reported by Warnings; Scan goes on
// with the next one. Memory stays constant in the size of the input: the
// Sample is reused, and names are interned, so only distinct commands,
// events, symbols and DSOs are kept.
type ScriptReader struct {
	r    *bufio.Reader
	line int
	err  error

	sample   Sample
	inRecord bool // a header has been read and its record not yet returned
	bad      bool // the current record is malformed and is being skipped
	oneLine  bool // the current record's header held its only frame

	pending    []byte // a header read while the previous record was open
	hasPending bool

	intern   map[string]string
	frames   map[string]Frame // parsed frame lines, most repeat
	warnings []error
	skipped  int
}

// NewScriptReader returns a ScriptReader reading `perf script` text from r.
func NewScriptReader(r io.Reader) *ScriptReader {
	return &ScriptReader{
		r:      bufio.NewReaderSize(r, scriptBufSize),
		intern: make(map[string]string),
		frames: make(map[string]Frame),
	}
}

// Scan advances to the next well-formed record, which Sample then returns.
// It returns false at the end of the input or on a read error.
func (r *ScriptReader) Scan() bool {
	for {
		var line []byte
		if r.hasPending {
			line, r.hasPending = r.pending, false
		} else {
			var ok bool
			line, ok = r.readLine()
			if !ok {
				return r.finish()
			}
		}
		switch {
		case len(line) == 0:
			if r.finish() {
				return true
			}
		case line[0] == '\t' && r.inRecord:
			r.frameLine(line)
		case line[0] == ' ' && r.inRecord && (r.oneLine || len(r.sample.Frames) == 0) && looksLikeHeader(line):
			// Frames are indented with a tab; a line indented with spaces
			// after a header with no frame lines is the next header, whose
			// comm perf pads to 16 columns when it prints no call chains.
			r.pending, r.hasPending = line, true
			if r.finish() {
				return true
			}
		case line[0] == ' ' && r.inRecord:
			r.frameLine(line)
		case line[0] == '\t':
			r.frameLine(line)
		case !r.inRecord && line[0] == '#':
			// A header comment of `perf script --header`.
		case r.inRecord && !r.oneLine && hexToken(line) && !looksLikeHeader(line):
			// Old perf printed the frames at column 0, under a header
			// without a time: "java 19983 cycles:".
			r.frameLine(line)
		default:
			// perf prints records without a call chain one line each,
			// with no blank line between them.
			if r.inRecord {
				r.pending, r.hasPending = line, true
				if r.finish() {
					return true
				}
				continue
			}
			r.header(line)
		}
	}
}

// finish closes the open record and says whether it is one to return.
func (r *ScriptReader) finish() bool {
	ok := r.inRecord && !r.bad
	r.inRecord, r.bad = false, false
	return ok
}

// Sample returns the record Scan read. It is valid until the next Scan.
func (r *ScriptReader) Sample() *Sample { return &r.sample }

// Err returns the first read error, or nil at a clean end of the input.
// Malformed records are not errors: see Warnings.
func (r *ScriptReader) Err() error { return r.err }

// Warnings returns why the first skipped records were skipped, each a
// *SyntaxError, at most 10 of them; Skipped counts them all.
func (r *ScriptReader) Warnings() []error { return r.warnings }

// Skipped returns how many malformed records Scan skipped so far.
func (r *ScriptReader) Skipped() int { return r.skipped }

// readLine returns the next line without its line ending, valid until the
// next read. An overlong line is dropped with a warning for its record.
func (r *ScriptReader) readLine() ([]byte, bool) {
	if r.err != nil {
		return nil, false
	}
	line, err := r.r.ReadSlice('\n')
	r.line++
	if err == bufio.ErrBufferFull {
		for err == bufio.ErrBufferFull {
			_, err = r.r.ReadSlice('\n')
		}
		r.inRecord = true
		r.reject(fmt.Sprintf("line longer than %d bytes", scriptBufSize))
		line = overlong
	}
	if err != nil {
		if err != io.EOF {
			r.err = fmt.Errorf("reading perf script: %w", err)
			return nil, false
		}
		if len(line) == 0 {
			r.line--
			return nil, false
		}
		// A last line without a newline: the next call sees io.EOF alone.
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(trimSpace(line)) == 0 {
		line = line[:0]
	}
	return line, true
}

// overlong stands for a line too long to read: a frame line of the
// rejected record it opens, so that the rest of the record is skipped with
// it.
var overlong = []byte("\t[overlong line]")

// reject marks the open record malformed, remembering why.
func (r *ScriptReader) reject(msg string) {
	if r.bad {
		return
	}
	r.bad = true
	r.skipped++
	if len(r.warnings) < maxWarnings {
		r.warnings = append(r.warnings, &SyntaxError{Line: r.line, Msg: msg})
	}
}

// internBytes returns b as a string shared with earlier equal names.
func (r *ScriptReader) internBytes(b []byte) string {
	if s, ok := r.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	r.intern[s] = s
	return s
}

// frameCacheSize bounds the cache of parsed frame lines; it is emptied
// when full, so a profile of many distinct addresses reads at the speed of
// parsing rather than growing without bound.
const frameCacheSize = 1 << 16

// frameLine adds one "addr sym (dso)" line to the open record, or the
// source position under one to its last frame.
func (r *ScriptReader) frameLine(line []byte) {
	if r.srcline(line) {
		return
	}
	if !r.inRecord {
		r.inRecord = true
		r.reject("stack frame without a record header before it")
		return
	}
	if r.bad {
		return
	}
	line = trimSpace(line)
	if f, ok := r.frames[string(line)]; ok {
		r.sample.Frames = append(r.sample.Frames, f)
		return
	}
	f, ok := r.parseFrame(line)
	if !ok {
		r.reject(fmt.Sprintf("stack frame \"address symbol (dso)\", found %q", clip(line)))
		return
	}
	if len(r.frames) >= frameCacheSize {
		clear(r.frames)
	}
	r.frames[string(line)] = f
	r.sample.Frames = append(r.sample.Frames, f)
}

// srcline reports whether line is a source line (see parseSrcline) and
// gives its position to the record's last frame.
func (r *ScriptReader) srcline(line []byte) bool {
	file, n, inlined, ok := parseSrcline(line)
	if !ok {
		return false
	}
	if !r.inRecord || r.bad || len(r.sample.Frames) == 0 {
		return true
	}
	f := &r.sample.Frames[len(r.sample.Frames)-1]
	if len(file) > 0 {
		f.File, f.Line = r.internBytes(file), n
	}
	if inlined && f.DSO == "" {
		// perf's own inlined frames with -F +srcline print no DSO.
		f.DSO, f.Kind = "inlined", KindInlined
	}
	return true
}

// hexToken reports whether line starts with a hexadecimal number followed
// by a space, as a frame line does.
func hexToken(line []byte) bool {
	i := 0
	for ; i < len(line) && i <= 16; i++ {
		if _, ok := hexDigit(line[i]); !ok {
			break
		}
	}
	return i > 0 && i <= 16 && i < len(line) && line[i] == ' '
}

// trimSpace trims the spaces and tabs around b; bytes.TrimSpace would
// also take Unicode spaces, which perf never writes.
func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	for j > i && (b[j-1] == ' ' || b[j-1] == '\t') {
		j--
	}
	return b[i:j]
}

// clip shortens a bad line for a one-line warning.
func clip(b []byte) string {
	const n = 60
	s := strings.TrimSpace(string(b[:min(len(b), n)]))
	if len(b) > n {
		s += "..."
	}
	return s
}

// parseFrame parses "addr sym+0xoff (dso)", where sym may hold spaces and
// parentheses, and sym and dso may be missing.
func (r *ScriptReader) parseFrame(line []byte) (Frame, bool) {
	line = trimSpace(line)
	i := 0
	var addr uint64
	for ; i < len(line) && line[i] != ' '; i++ {
		d, ok := hexDigit(line[i])
		if !ok || i >= 16 {
			return Frame{}, false
		}
		addr = addr<<4 | uint64(d)
	}
	if i == 0 {
		return Frame{}, false
	}
	rest := trimSpace(line[i:])
	var dso []byte
	if n := len(rest); n > 0 && rest[n-1] == ')' {
		if open := dsoStart(rest); open >= 0 {
			dso = rest[open+1 : n-1]
			rest = trimSpace(rest[:open])
		}
	}
	sym := stripOffset(rest)
	f := Frame{Addr: addr, Symbol: "[unknown]", DSO: r.internBytes(dso)}
	if len(sym) > 0 {
		f.Symbol = r.internBytes(sym)
	}
	f.Kind = frameKind(addr, f.DSO)
	return f, true
}

// dsoStart returns the index of the '(' that opens the trailing "(dso)"
// column of s, which ends in ')', or -1. The DSO may itself hold
// parentheses ("/usr/bin/x (deleted)"), so it matches them from the end;
// a symbol with parentheses but no DSO column is told apart by the space
// that perf puts before the column.
func dsoStart(s []byte) int {
	depth := 0
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				if i == 0 || s[i-1] == ' ' {
					return i
				}
				return -1
			}
		}
	}
	return -1
}

// stripOffset removes the "+0x1d" perf appends to a symbol.
func stripOffset(sym []byte) []byte {
	i := bytes.LastIndex(sym, []byte("+0x"))
	if i <= 0 {
		return sym
	}
	for _, c := range sym[i+3:] {
		if _, ok := hexDigit(c); !ok {
			return sym
		}
	}
	if i+3 == len(sym) {
		return sym
	}
	return sym[:i]
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// kernelStart is the lowest kernel address on x86-64 and arm64 (the
// canonical upper half); user space never maps there.
const kernelStart = 0xffff800000000000

// frameKind says what a frame is from its DSO and address:
//
//   - Inlined: perf's "(inlined)" column, the frames it adds for functions
//     inlined into the one below them.
//   - JIT: a /tmp/perf-PID.map symbol file, or perf's "[JIT]" mappings.
//   - Kernel: "[kernel.kallsyms]", a vmlinux, a module ("[nf_tables]", any
//     other bracketed name but perf's user-space ones: "[unknown]",
//     "[vdso]", "[heap]"...), or an address in the kernel half.
//   - Library: a DSO whose base name starts with "lib" or "ld-" (the
//     dynamic loader) and holds ".so", and the vDSO.
//   - User: the rest, the program itself above all.
func frameKind(addr uint64, dso string) Kind {
	switch {
	case dso == "inlined":
		return KindInlined
	case strings.HasPrefix(dso, "[JIT]") || isPerfMap(dso):
		return KindJIT
	case dso == "[vdso]" || dso == "[vsyscall]":
		return KindLibrary
	case dso == "[kernel.kallsyms]" || strings.HasSuffix(dso, "vmlinux"):
		return KindKernel
	case len(dso) > 2 && dso[0] == '[' && dso[len(dso)-1] == ']' && !userPseudoDSO(dso):
		return KindKernel
	case addr >= kernelStart && !userPseudoDSO(dso):
		return KindKernel
	}
	base := dso[strings.LastIndexByte(dso, '/')+1:]
	if (strings.HasPrefix(base, "lib") || strings.HasPrefix(base, "ld-")) && strings.Contains(base, ".so") {
		return KindLibrary
	}
	return KindUser
}

// userPseudoDSO reports the bracketed names perf gives user-space mappings
// that have no file.
func userPseudoDSO(dso string) bool {
	switch dso {
	case "[unknown]", "[heap]", "[stack]", "[vdso]", "[vsyscall]", "[vvar]", "[uprobes]":
		return true
	}
	return strings.HasPrefix(dso, "[anon") || strings.HasPrefix(dso, "[stack:")
}

// isPerfMap reports a /tmp/perf-PID.map path.
func isPerfMap(dso string) bool {
	rest, ok := strings.CutPrefix(dso, "/tmp/perf-")
	if !ok {
		return false
	}
	digits, ok := strings.CutSuffix(rest, ".map")
	if !ok || digits == "" {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}
