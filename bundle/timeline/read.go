package timeline

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// TimelineHeader is the first line of timeline.csv, as capture writes it.
// Readers refuse any other: the columns are the format's version.
const TimelineHeader = "t_seconds,tree_cpu_percent,tree_rss_bytes,processes,threads,system_cpu_percent,system_available_bytes"

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

// Row is one line of timeline.csv: one sample of the tree and the machine.
type Row struct {
	// T is seconds since the command started.
	T float64
	// TreeCPUPercent is in percent of one core (200 is two cores busy).
	TreeCPUPercent float64
	TreeRSS        uint64
	Processes      int
	Threads        int
	// SystemCPUPercent is the machine's busy share, in percent of all cores.
	SystemCPUPercent float64
	SystemAvailable  uint64
}

// Reader reads timeline.csv one row at a time:
//
//	for r.Scan() { use(r.Row()) }
//	if err := r.Err(); err != nil { … }
//
// A bad row is skipped and remembered, and reading goes on, so one torn
// line does not lose a week of samples; Err reports the bad rows by line.
// Rows must come in time order: a row earlier than the one before is bad.
type Reader struct {
	s      *bufio.Scanner
	line   int
	row    Row
	prevT  float64
	errs   []error
	bad    int
	ioErr  error
	header bool
}

// NewReader returns a Reader of timeline.csv from r.
func NewReader(r io.Reader) *Reader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), maxLine)
	return &Reader{s: s, prevT: math.Inf(-1)}
}

// Scan advances to the next good row, reporting false at the end of the
// input or on a read error.
func (r *Reader) Scan() bool {
	for r.s.Scan() {
		r.line++
		b := bytes.TrimSuffix(r.s.Bytes(), []byte{'\r'})
		if !r.header {
			r.header = true
			if string(b) != TimelineHeader {
				r.fail("expected the header " + TimelineHeader)
				return false
			}
			continue
		}
		if len(b) == 0 {
			continue
		}
		if msg := r.parse(b); msg != "" {
			r.fail(msg)
			continue
		}
		return true
	}
	if err := r.s.Err(); err != nil {
		r.ioErr = fmt.Errorf("timeline.csv:%d: %w", r.line+1, err)
	} else if !r.header {
		r.line = 1
		r.fail("expected the header " + TimelineHeader + ", found an empty file")
	}
	return false
}

// Row returns the row read by the last successful Scan.
func (r *Reader) Row() Row { return r.row }

// Err returns the bad rows (the first few, and how many more) and any read
// error, joined; nil when every line was good.
func (r *Reader) Err() error {
	errs := r.errs
	if r.bad > len(errs) {
		errs = append(errs[:len(errs):len(errs)], fmt.Errorf("timeline.csv: %d more bad rows", r.bad-len(errs)))
	}
	if r.ioErr != nil {
		errs = append(errs[:len(errs):len(errs)], r.ioErr)
	}
	return errors.Join(errs...)
}

func (r *Reader) fail(msg string) {
	r.bad++
	if len(r.errs) < maxReportedErrors {
		r.errs = append(r.errs, &SyntaxError{File: "timeline.csv", Line: r.line, Msg: msg})
	}
}

// parse fills r.row from one line, or returns what was wrong with it.
func (r *Reader) parse(b []byte) string {
	var f [7][]byte
	n := 0
	for n < len(f)-1 {
		i := bytes.IndexByte(b, ',')
		if i < 0 {
			break
		}
		f[n], b = b[:i], b[i+1:]
		n++
	}
	f[n] = b
	n++
	if n != len(f) || bytes.IndexByte(b, ',') >= 0 {
		return "expected 7 comma-separated fields"
	}
	var row Row
	var ok bool
	if row.T, ok = parseNonNegative(f[0]); !ok {
		return "expected t_seconds, a number of seconds ≥ 0, found " + quoteField(f[0])
	}
	if row.T < r.prevT {
		return "expected t_seconds ≥ the previous row's, found " + quoteField(f[0])
	}
	if row.TreeCPUPercent, ok = parseNonNegative(f[1]); !ok {
		return "expected tree_cpu_percent, a percentage ≥ 0, found " + quoteField(f[1])
	}
	var err error
	if row.TreeRSS, err = strconv.ParseUint(string(f[2]), 10, 64); err != nil {
		return "expected tree_rss_bytes, a whole number of bytes, found " + quoteField(f[2])
	}
	if row.Processes, ok = parseCount(f[3]); !ok {
		return "expected processes, a count, found " + quoteField(f[3])
	}
	if row.Threads, ok = parseCount(f[4]); !ok {
		return "expected threads, a count, found " + quoteField(f[4])
	}
	if row.SystemCPUPercent, ok = parseNonNegative(f[5]); !ok {
		return "expected system_cpu_percent, a percentage ≥ 0, found " + quoteField(f[5])
	}
	if row.SystemAvailable, err = strconv.ParseUint(string(f[6]), 10, 64); err != nil {
		return "expected system_available_bytes, a whole number of bytes, found " + quoteField(f[6])
	}
	r.row, r.prevT = row, row.T
	return ""
}

// parseNonNegative parses a finite number ≥ 0.
func parseNonNegative(b []byte) (float64, bool) {
	v, err := strconv.ParseFloat(string(b), 64)
	return v, err == nil && v >= 0 && !math.IsInf(v, 0)
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
