package capture

import (
	"io"
	"math"
	"strconv"
	"strings"
)

// Column headers of the CSV files the writers below produce.
const (
	timelineHeader      = "t_seconds,tree_cpu_percent,tree_rss_bytes,processes,threads,system_cpu_percent,system_available_bytes\n"
	processSampleHeader = "t_seconds,pid,ppid,name,user_seconds,sys_seconds,rss_bytes,threads\n"
	processesHeader     = "pid,ppid,name,argv,start_seconds,end_seconds,cpu_seconds,peak_rss_bytes\n"
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

// TimelineWriter writes timeline.csv, one row per Sample, as the run goes.
type TimelineWriter struct{ c csvWriter }

// NewTimelineWriter returns a TimelineWriter writing to w.
func NewTimelineWriter(w io.Writer) *TimelineWriter {
	return &TimelineWriter{c: csvWriter{w: w, header: timelineHeader}}
}

// Write adds the row of s. Rows are buffered; Flush writes them out.
func (t *TimelineWriter) Write(s Sample) error {
	if t.c.err != nil {
		return t.c.err
	}
	b := t.c.row()
	b = appendFixed(b, s.T, secondsDecimals)
	b = append(b, ',')
	b = appendFixed(b, s.TreeCPUPercent, percentDecimals)
	b = append(b, ',')
	b = strconv.AppendUint(b, s.TreeRSS, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.Processes), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.Threads), 10)
	b = append(b, ',')
	b = appendFixed(b, s.SystemCPUPercent, percentDecimals)
	b = append(b, ',')
	b = strconv.AppendUint(b, s.SystemAvailable, 10)
	b = append(b, '\n')
	return t.c.done(b)
}

// Flush writes out the buffered rows, or the header alone when there are
// none.
func (t *TimelineWriter) Flush() error { return t.c.flush() }

// ProcessSampleWriter writes process_samples.csv, one row per process of
// each Sample, as the run goes.
type ProcessSampleWriter struct{ c csvWriter }

// NewProcessSampleWriter returns a ProcessSampleWriter writing to w.
func NewProcessSampleWriter(w io.Writer) *ProcessSampleWriter {
	return &ProcessSampleWriter{c: csvWriter{w: w, header: processSampleHeader}}
}

// Write adds a row for every process of s. Rows are buffered; Flush writes
// them out.
func (p *ProcessSampleWriter) Write(s Sample) error {
	if p.c.err != nil {
		return p.c.err
	}
	b := p.c.row()
	for i := range s.Procs {
		ps := &s.Procs[i]
		b = appendFixed(b, s.T, secondsDecimals)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(ps.PID), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(ps.PPID), 10)
		b = append(b, ',')
		b = appendCSVField(b, ps.Name)
		b = append(b, ',')
		b = appendFixed(b, ps.UserSec, secondsDecimals)
		b = append(b, ',')
		b = appendFixed(b, ps.SysSec, secondsDecimals)
		b = append(b, ',')
		b = strconv.AppendUint(b, ps.RSS, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(ps.Threads), 10)
		b = append(b, '\n')
	}
	return p.c.done(b)
}

// Flush writes out the buffered rows, or the header alone when there are
// none.
func (p *ProcessSampleWriter) Flush() error { return p.c.flush() }

// WriteProcessesCSV writes processes.csv, one row per process. argv is the
// caller's redactor, applied to every command line before it is written
// (nil writes them as they are); the words are joined with shell quoting so
// the line can be pasted into a shell. end_seconds is empty for processes
// still alive.
func WriteProcessesCSV(w io.Writer, procs []Process, argv func([]string) []string) error {
	c := csvWriter{w: w, header: processesHeader}
	var line []byte
	for i := range procs {
		p := &procs[i]
		words := p.Argv
		if argv != nil {
			words = argv(words)
		}
		b := c.row()
		b = strconv.AppendInt(b, int64(p.PID), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(p.PPID), 10)
		b = append(b, ',')
		b = appendCSVField(b, p.Name)
		b = append(b, ',')
		line = appendShellJoin(line[:0], words)
		b = appendCSVField(b, string(line))
		b = append(b, ',')
		b = appendFixed(b, p.Start, secondsDecimals)
		b = append(b, ',')
		if p.End >= 0 {
			b = appendFixed(b, p.End, secondsDecimals)
		}
		b = append(b, ',')
		b = appendFixed(b, p.CPUSeconds, secondsDecimals)
		b = append(b, ',')
		b = strconv.AppendUint(b, p.PeakRSS, 10)
		b = append(b, '\n')
		if err := c.done(b); err != nil {
			return err
		}
	}
	return c.flush()
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

// appendShellJoin appends argv as a POSIX shell command line: words made
// only of safe characters as they are, others in single quotes.
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
