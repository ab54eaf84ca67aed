package compare

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/perfcap/perfcap/flame"
)

// WriteFoldedDiff writes stacks in difffolded.pl's format, one
// "frame;...;frame BASE NEW" line each, in the order given (MergeStacks
// sorts them), so that flamegraph.pl draws it as Brendan Gregg's
// differential flame graph. With normalize, BASE is scaled to NEW's total
// as difffolded.pl -n scales it, int(BASE × newTotal / baseTotal), which
// truncates; without, both counts are as recorded. Stacks without frames
// are left out.
func WriteFoldedDiff(w io.Writer, stacks []flame.DiffStack, normalize bool) error {
	var baseTotal, newTotal int64
	for _, s := range stacks {
		baseTotal += s.Base
		newTotal += s.New
	}
	scale := normalize && baseTotal != newTotal && baseTotal != 0
	bw := bufio.NewWriterSize(w, 64<<10)
	var b []byte
	for _, s := range stacks {
		if len(s.Frames) == 0 {
			continue
		}
		base := s.Base
		if scale {
			base = int64(float64(s.Base) * float64(newTotal) / float64(baseTotal))
		}
		b = b[:0]
		for i, f := range s.Frames {
			if i > 0 {
				b = append(b, ';')
			}
			b = append(b, f...)
		}
		b = append(b, ' ')
		b = strconv.AppendInt(b, base, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, s.New, 10)
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("writing folded diff: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing folded diff: %w", err)
	}
	return nil
}

// maxFoldedLine bounds one line of a folded diff; longer lines are
// skipped with a syntax error.
const maxFoldedLine = 1 << 20

// maxSyntaxErrors bounds the syntax errors a FoldedDiffReader keeps.
const maxSyntaxErrors = 100

// FoldedDiffReader reads difffolded.pl's "frame;...;frame BASE NEW"
// lines, as WriteFoldedDiff writes them, one stack at a time in constant
// memory:
//
//	r := NewFoldedDiffReader(f, "diff.folded")
//	for r.Scan() {
//		s := r.Stack()
//	}
//	err := r.Err()
//
// A malformed line (no two counts after the last spaces, a count that is
// not a whole number from 0 to 2^62, a line over 1 MiB) is skipped and
// kept as a *SyntaxError naming its line (SyntaxErrors); reading goes
// on. Blank lines are skipped. Err reports only a failing reader.
type FoldedDiffReader struct {
	br     *bufio.Reader
	name   string
	line   int
	stack  flame.DiffStack
	errs   []error
	nerrs  int
	err    error
	buf    []byte
	tooBig bool
}

// NewFoldedDiffReader reads folded diff lines from r; name names the input
// in errors.
func NewFoldedDiffReader(r io.Reader, name string) *FoldedDiffReader {
	return &FoldedDiffReader{br: bufio.NewReaderSize(r, 64<<10), name: name}
}

// Scan reads the next stack, skipping blank and malformed lines; it
// returns false at the end of the input or on a read error.
func (r *FoldedDiffReader) Scan() bool {
	for r.err == nil {
		text, ok := r.readLine()
		if !ok {
			return false
		}
		r.line++
		if r.tooBig {
			r.syntax("a line of at most 1 MiB")
			continue
		}
		text = bytes.TrimRight(text, " \t\r")
		if len(text) == 0 {
			continue
		}
		if s, msg := parseDiffLine(text); msg != "" {
			r.syntax(msg)
		} else {
			r.stack = s
			return true
		}
	}
	return false
}

// readLine returns the next line without its newline, and whether there
// was one; a line over maxFoldedLine sets tooBig and is discarded.
func (r *FoldedDiffReader) readLine() ([]byte, bool) {
	r.buf, r.tooBig = r.buf[:0], false
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.buf)+len(chunk) > maxFoldedLine {
			r.tooBig = true
		} else {
			r.buf = append(r.buf, chunk...)
		}
		switch err {
		case nil:
			return bytes.TrimSuffix(r.buf, []byte("\n")), true
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			return r.buf, len(r.buf) > 0 || r.tooBig
		default:
			r.err = fmt.Errorf("reading %s: line %d: %w", r.name, r.line+1, err)
			return nil, false
		}
	}
}

// parseDiffLine parses "frames BASE NEW", or says what was expected.
func parseDiffLine(text []byte) (flame.DiffStack, string) {
	sp2 := bytes.LastIndexByte(text, ' ')
	if sp2 <= 0 {
		return flame.DiffStack{}, `"frame;...;frame BASE NEW", found no counts`
	}
	sp1 := bytes.LastIndexByte(text[:sp2], ' ')
	if sp1 <= 0 {
		return flame.DiffStack{}, `"frame;...;frame BASE NEW", found one count`
	}
	base, ok1 := parseCount(text[sp1+1 : sp2])
	cur, ok2 := parseCount(text[sp2+1:])
	if !ok1 || !ok2 {
		return flame.DiffStack{}, fmt.Sprintf("two whole counts after the stack, found %q", clip(string(text[sp1+1:])))
	}
	return flame.DiffStack{Frames: strings.Split(string(text[:sp1]), ";"), Base: base, New: cur}, ""
}

// parseCount parses a decimal count from 0 to 2^62.
func parseCount(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (1<<62)/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// clip shortens text quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func (r *FoldedDiffReader) syntax(msg string) {
	r.nerrs++
	if len(r.errs) < maxSyntaxErrors {
		r.errs = append(r.errs, &SyntaxError{File: r.name, Line: r.line, Msg: msg})
	}
}

// SyntaxError is a malformed line of a folded diff.
type SyntaxError struct {
	File string
	Line int // 1-based
	Msg  string
}

// Error returns "file:line: what was expected".
func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Stack returns the stack Scan read; its frames are the caller's.
func (r *FoldedDiffReader) Stack() flame.DiffStack { return r.stack }

// SyntaxErrors returns the malformed lines met so far (at most 100) and
// how many there were in all.
func (r *FoldedDiffReader) SyntaxErrors() ([]error, int) { return r.errs, r.nerrs }

// Err returns the error that stopped reading, nil at the end of the input.
func (r *FoldedDiffReader) Err() error { return r.err }
