package format

import (
	"io"
	"math"
	"strconv"
)

// ProcessSamplesHeader is the first line of process_samples.csv. Readers
// refuse any other.
const ProcessSamplesHeader = "t_seconds,pid,ppid,name,user_seconds,sys_seconds,rss_bytes,threads"

// ProcSample is one process's reading within a sample of the tree.
type ProcSample struct {
	PID int
	// PPID is the parent at this sample.
	PPID    int
	Name    string
	UserSec float64 // cumulative user CPU seconds
	SysSec  float64 // cumulative system CPU seconds
	RSS     uint64
	Threads int
}

// ProcessSampleRow is one line of process_samples.csv: a process's
// reading at the sample taken T seconds after the start.
type ProcessSampleRow struct {
	T float64
	ProcSample
}

// ProcessSampleWriter writes process_samples.csv, one row per process of
// each sample, as the run goes.
type ProcessSampleWriter struct{ c csvWriter }

// NewProcessSampleWriter returns a ProcessSampleWriter writing to w.
func NewProcessSampleWriter(w io.Writer) *ProcessSampleWriter {
	return &ProcessSampleWriter{c: csvWriter{w: w, header: ProcessSamplesHeader + "\n"}}
}

// Write adds a row for every process of the sample taken at t. Rows are
// buffered; Flush writes them out.
func (p *ProcessSampleWriter) Write(t float64, procs []ProcSample) error {
	if p.c.err != nil {
		return p.c.err
	}
	b := p.c.row()
	for i := range procs {
		ps := &procs[i]
		b = appendFixed(b, t, secondsDecimals)
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

// ProcessSampleReader reads process_samples.csv one row at a time:
//
//	for r.Scan() { use(r.Row()) }
//	if err := r.Err(); err != nil { … }
//
// The header is checked, so a file with other columns is refused rather
// than misread. A bad row is skipped and remembered by its line, and
// reading goes on; Err lists the bad rows. Memory is constant.
type ProcessSampleReader struct {
	c   *csvRecords
	row ProcessSampleRow
}

// NewProcessSampleReader returns a reader of process_samples.csv from r.
func NewProcessSampleReader(r io.Reader) *ProcessSampleReader {
	return &ProcessSampleReader{c: newCSVRecords(r, "process_samples.csv", ProcessSamplesHeader)}
}

// Scan advances to the next good row; false at the end of the input, on
// a read error or when the header is not process_samples.csv's.
func (r *ProcessSampleReader) Scan() bool {
	for r.c.next() {
		if msg := r.parse(r.c.rec); msg != "" {
			r.c.errs.fail(r.c.line, msg)
			continue
		}
		return true
	}
	return false
}

func (r *ProcessSampleReader) parse(rec []string) string {
	if len(rec) != 8 {
		return "expected 8 comma-separated fields"
	}
	var row ProcessSampleRow
	var ok bool
	var err error
	if row.T, ok = parseNonNegative([]byte(rec[0])); !ok {
		return "expected t_seconds, a number of seconds ≥ 0, found " + quoteField([]byte(rec[0]))
	}
	if row.PID, ok = parseCount([]byte(rec[1])); !ok || row.PID == 0 {
		return "expected pid, a process id, found " + quoteField([]byte(rec[1]))
	}
	if row.PPID, ok = parseCount([]byte(rec[2])); !ok {
		return "expected ppid, a process id, found " + quoteField([]byte(rec[2]))
	}
	row.Name = rec[3]
	if row.UserSec, ok = parseNonNegative([]byte(rec[4])); !ok {
		return "expected user_seconds, a number of seconds ≥ 0, found " + quoteField([]byte(rec[4]))
	}
	if row.SysSec, ok = parseNonNegative([]byte(rec[5])); !ok {
		return "expected sys_seconds, a number of seconds ≥ 0, found " + quoteField([]byte(rec[5]))
	}
	if row.RSS, err = strconv.ParseUint(rec[6], 10, 64); err != nil {
		return "expected rss_bytes, a whole number of bytes, found " + quoteField([]byte(rec[6]))
	}
	if row.Threads, ok = parseCount([]byte(rec[7])); !ok {
		return "expected threads, a count, found " + quoteField([]byte(rec[7]))
	}
	if math.IsNaN(row.T) {
		return "expected t_seconds, found NaN"
	}
	r.row = row
	return ""
}

// Row returns the row read by the last successful Scan.
func (r *ProcessSampleReader) Row() ProcessSampleRow { return r.row }

// Err returns the bad rows (the first few, and how many more) and any
// read error, joined; nil when every line was good.
func (r *ProcessSampleReader) Err() error { return r.c.errs.err() }
