package format

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// WatchHeader is the first line of watch.csv, a watch's per-sample figures
// beyond timeline.csv's.
const WatchHeader = "t_seconds,fds,pss_bytes,uss_bytes"

// WatchWriter writes watch.csv, one row per sample, as the watch goes.
type WatchWriter struct{ c csvWriter }

// NewWatchWriter returns a WatchWriter writing to w.
func NewWatchWriter(w io.Writer) *WatchWriter {
	return &WatchWriter{c: csvWriter{w: w, header: WatchHeader + "\n"}}
}

// Write adds the row r. Rows are buffered; Flush writes them out.
func (w *WatchWriter) Write(r WatchRow) error {
	if w.c.err != nil {
		return w.c.err
	}
	b := w.c.row()
	b = appendFixed(b, r.T, secondsDecimals)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.FDs), 10)
	b = append(b, ',')
	if r.HavePSS {
		b = strconv.AppendUint(b, r.PSS, 10)
	}
	b = append(b, ',')
	if r.HavePSS {
		b = strconv.AppendUint(b, r.USS, 10)
	}
	b = append(b, '\n')
	return w.c.done(b)
}

// Flush writes out the buffered rows, or the header alone when there are
// none.
func (w *WatchWriter) Flush() error { return w.c.flush() }

// WatchRow is one row of watch.csv.
type WatchRow struct {
	T float64
	// FDs counts the tree's open file descriptors.
	FDs int
	// PSS and USS are the tree's summed proportional and unique set
	// sizes; HavePSS is false when they were not measured (no --pss), and
	// the columns are then empty.
	PSS, USS uint64
	HavePSS  bool
}

// WatchReader reads watch.csv row by row:
//
//	for r.Scan() { use(r.Row()) }
//	if err := r.Err(); err != nil { … }
//
// A bad row stops the reading with an error that names its line.
type WatchReader struct {
	s    *bufio.Scanner
	line int
	row  WatchRow
	err  error
}

// NewWatchReader returns a reader of watch.csv content.
func NewWatchReader(r io.Reader) *WatchReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 4096), 4096)
	return &WatchReader{s: s}
}

// Scan reads the next row; false at the end or on an error.
func (r *WatchReader) Scan() bool {
	for r.err == nil && r.s.Scan() {
		r.line++
		b := r.s.Text()
		if r.line == 1 {
			if b != WatchHeader {
				r.err = fmt.Errorf("watch.csv:1: header %q, want %q", b, WatchHeader)
				return false
			}
			continue
		}
		f := strings.Split(b, ",")
		if len(f) != 4 {
			r.err = fmt.Errorf("watch.csv:%d: %d fields, want 4", r.line, len(f))
			return false
		}
		var row WatchRow
		var err error
		if row.T, err = strconv.ParseFloat(f[0], 64); err != nil || !(row.T >= 0) || math.IsInf(row.T, 1) {
			r.err = fmt.Errorf("watch.csv:%d: bad time %q", r.line, f[0])
			return false
		}
		if row.FDs, err = strconv.Atoi(f[1]); err != nil || row.FDs < 0 {
			r.err = fmt.Errorf("watch.csv:%d: bad fds %q", r.line, f[1])
			return false
		}
		if f[2] != "" || f[3] != "" {
			row.HavePSS = true
			if row.PSS, err = strconv.ParseUint(f[2], 10, 64); err != nil {
				r.err = fmt.Errorf("watch.csv:%d: bad pss_bytes %q", r.line, f[2])
				return false
			}
			if row.USS, err = strconv.ParseUint(f[3], 10, 64); err != nil {
				r.err = fmt.Errorf("watch.csv:%d: bad uss_bytes %q", r.line, f[3])
				return false
			}
		}
		r.row = row
		return true
	}
	if r.err == nil {
		if err := r.s.Err(); err != nil {
			r.err = fmt.Errorf("watch.csv:%d: %w", r.line+1, err)
		}
	}
	return false
}

// Row returns the row Scan read.
func (r *WatchReader) Row() WatchRow { return r.row }

// Err returns the error that stopped Scan, if any.
func (r *WatchReader) Err() error { return r.err }
