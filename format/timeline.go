package format

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
)

// TimelineHeader is the first line of timeline.csv. Readers refuse any
// other: the columns are the format's version.
const TimelineHeader = "t_seconds,tree_cpu_percent,tree_rss_bytes,processes,threads,system_cpu_percent,system_available_bytes"

// TimelineRow is one line of timeline.csv: one sample of the tree and the machine.
type TimelineRow struct {
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

// TimelineReader reads timeline.csv one row at a time:
//
//	for r.Scan() { use(r.Row()) }
//	if err := r.Err(); err != nil { … }
//
// A bad row is skipped and remembered, and reading goes on, so one torn
// line does not lose a week of samples; Err reports the bad rows by line.
// Rows must come in time order: a row earlier than the one before is bad.
type TimelineReader struct {
	s      *bufio.Scanner
	line   int
	row    TimelineRow
	prevT  float64
	errs   rowErrors
	header bool
}

// NewTimelineReader returns a TimelineReader of timeline.csv from r.
func NewTimelineReader(r io.Reader) *TimelineReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), maxLine)
	return &TimelineReader{s: s, prevT: math.Inf(-1), errs: rowErrors{file: "timeline.csv"}}
}

// Scan advances to the next good row, reporting false at the end of the
// input or on a read error.
func (r *TimelineReader) Scan() bool {
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
		r.errs.io = fmt.Errorf("timeline.csv:%d: %w", r.line+1, err)
	} else if !r.header {
		r.line = 1
		r.fail("expected the header " + TimelineHeader + ", found an empty file")
	}
	return false
}

// Row returns the row read by the last successful Scan.
func (r *TimelineReader) Row() TimelineRow { return r.row }

// Err returns the bad rows (the first few, and how many more) and any read
// error, joined; nil when every line was good.
func (r *TimelineReader) Err() error { return r.errs.err() }

func (r *TimelineReader) fail(msg string) { r.errs.fail(r.line, msg) }

// parse fills r.row from one line, or returns what was wrong with it.
func (r *TimelineReader) parse(b []byte) string {
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
	var row TimelineRow
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

// TimelineWriter writes timeline.csv, one row per sample, as the run goes.
type TimelineWriter struct{ c csvWriter }

// NewTimelineWriter returns a TimelineWriter writing to w.
func NewTimelineWriter(w io.Writer) *TimelineWriter {
	return &TimelineWriter{c: csvWriter{w: w, header: TimelineHeader + "\n"}}
}

// Write adds the row s. Rows are buffered; Flush writes them out.
func (t *TimelineWriter) Write(s TimelineRow) error {
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
