package format

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Seconds and percents are written with fixed decimals, so files compare
// byte for byte: milliseconds are finer than the 10 ms clock tick.
const (
	secondsDecimals = 3
	percentDecimals = 1
)

// csvFlushAt is how much a writer buffers before writing out.
const csvFlushAt = 32 << 10

// csvWriter buffers CSV rows for an io.Writer: rows are appended to buf
// with strconv's Append functions, so a row costs no allocation, and buf
// goes out when it is large or on flush. The first error sticks.
type csvWriter struct {
	w       io.Writer
	header  string
	buf     []byte
	started bool
	err     error
}

// row returns the buffer to append one row to, the header first.
func (c *csvWriter) row() []byte {
	if !c.started {
		c.buf = append(c.buf, c.header...)
		c.started = true
	}
	return c.buf
}

// done takes back the buffer a row was appended to.
func (c *csvWriter) done(b []byte) error {
	c.buf = b
	if len(c.buf) >= csvFlushAt {
		return c.flush()
	}
	return c.err
}

// flush writes out what is buffered, the header at least.
func (c *csvWriter) flush() error {
	if c.err != nil {
		return c.err
	}
	c.buf = c.row()
	if len(c.buf) > 0 {
		_, c.err = c.w.Write(c.buf)
		c.buf = c.buf[:0]
	}
	return c.err
}

// appendFixed appends v with a fixed number of decimals. A value that
// rounds to zero is written as zero, never "-0.000".
func appendFixed(b []byte, v float64, decimals int) []byte {
	if math.Abs(v) < 0.5*math.Pow10(-decimals) {
		v = 0
	}
	return strconv.AppendFloat(b, v, 'f', decimals, 64)
}

// appendCSVField appends s as one CSV field (RFC 4180), quoted when it
// holds a comma, quote or line break, or starts with a space.
func appendCSVField(b []byte, s string) []byte {
	quote := len(s) > 0 && (s[0] == ' ' || s[0] == '\t')
	for i := 0; i < len(s) && !quote; i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			quote = true
		}
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// ShellJoin joins argv into one POSIX shell command line, as processes.csv
// holds it: words made only of safe characters as they are, others in
// single quotes, so the line can be pasted into a shell.
func ShellJoin(argv []string) string { return string(appendShellJoin(nil, argv)) }

// appendShellJoin appends argv as ShellJoin joins it.
func appendShellJoin(b []byte, argv []string) []byte {
	for i, word := range argv {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendShellWord(b, word)
	}
	return b
}

// appendShellWord appends one word quoted for a POSIX shell, like Python's
// shlex.quote: a single quote inside becomes '\”.
func appendShellWord(b []byte, word string) []byte {
	safe := word != ""
	for i := 0; i < len(word) && safe; i++ {
		c := word[i]
		safe = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("@%+=:,./_-", c) >= 0
	}
	if safe {
		return append(b, word...)
	}
	b = append(b, '\'')
	for i := 0; i < len(word); i++ {
		if word[i] == '\'' {
			b = append(b, `'\''`...)
			continue
		}
		b = append(b, word[i])
	}
	return append(b, '\'')
}

// maxReportedErrors bounds how many bad rows a reader remembers, so a
// garbage file of millions of lines is still read in constant memory.
const maxReportedErrors = 10

// maxLine is the longest line a reader accepts; a timeline row is under
// 100 bytes, a processes.csv row holds a command line.
const maxLine = 1 << 20

// SyntaxError is a malformed line of a CSV file: File:Line: Msg.
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// parseNonNegative parses a finite number ≥ 0.
func parseNonNegative(b []byte) (float64, bool) {
	v, err := strconv.ParseFloat(string(b), 64)
	return v, err == nil && v >= 0 && !math.IsInf(v, 0)
}

// parseFinite parses a number that is neither infinite nor NaN.
func parseFinite(b []byte) (float64, bool) {
	v, err := strconv.ParseFloat(string(b), 64)
	return v, err == nil && !math.IsInf(v, 0) && !math.IsNaN(v)
}

// parseCount parses a whole number ≥ 0 that fits an int32.
func parseCount(b []byte) (int, bool) {
	v, err := strconv.ParseUint(string(b), 10, 31)
	return int(v), err == nil
}

// quoteField quotes a bad field for an error message, cut to 40 bytes.
func quoteField(b []byte) string {
	if len(b) > 40 {
		return strconv.Quote(string(b[:40])) + "…"
	}
	return strconv.Quote(string(b))
}

// rowErrors collects a reader's bad rows: the first maxReportedErrors by
// line, a count of the others, and the read error that ended the file.
type rowErrors struct {
	file string
	errs []error
	bad  int
	io   error
}

func (e *rowErrors) fail(line int, msg string) {
	e.bad++
	if len(e.errs) < maxReportedErrors {
		e.errs = append(e.errs, &SyntaxError{File: e.file, Line: line, Msg: msg})
	}
}

// err joins the bad rows and the read error; nil when there were none.
func (e *rowErrors) err() error {
	errs := e.errs
	if e.bad > len(errs) {
		errs = append(errs[:len(errs):len(errs)], fmt.Errorf("%s: %d more bad rows", e.file, e.bad-len(errs)))
	}
	if e.io != nil {
		errs = append(errs[:len(errs):len(errs)], e.io)
	}
	return errors.Join(errs...)
}

// csvRecords reads the records of a CSV data file after checking its
// header: for r.next() { parse(r.rec, r.line) }. A record the csv reader
// cannot parse is reported by line and skipped; after a broken quote,
// which it cannot resynchronize from, reading stops.
type csvRecords struct {
	cr     *csv.Reader
	header string
	errs   rowErrors
	rec    []string
	line   int
	seen   bool // the header was read
	done   bool
}

func newCSVRecords(r io.Reader, file, header string) *csvRecords {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &csvRecords{cr: cr, header: header, errs: rowErrors{file: file}}
}

// next advances to the next data record.
func (c *csvRecords) next() bool {
	for !c.done {
		rec, err := c.cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				c.errs.io = fmt.Errorf("reading %s: %w", c.errs.file, err)
				break
			}
			c.errs.fail(pe.Line, pe.Err.Error())
			if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
				break
			}
			continue
		}
		c.line, _ = c.cr.FieldPos(0)
		if !c.seen {
			c.seen = true
			if strings.Join(rec, ",") != c.header {
				c.errs.fail(c.line, "expected the header "+c.header)
				break
			}
			continue
		}
		c.rec = rec
		return true
	}
	if !c.done && !c.seen {
		c.errs.fail(1, "expected the header "+c.header+", found an empty file")
	}
	c.done = true
	return false
}
