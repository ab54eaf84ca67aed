package format

import (
	"io"
	"slices"
	"strconv"
)

// ProcessesHeader is the first line of processes.csv.
const ProcessesHeader = "pid,ppid,name,argv,start_seconds,end_seconds,cpu_seconds,peak_rss_bytes"

// Process is one line of processes.csv: one process of the tree.
type Process struct {
	PID, PPID int
	Name      string
	// Argv is the redacted command line, shell-quoted as one string.
	Argv string
	// Start and End are seconds since the command started (Start is below
	// 0 for a command perf attached to before it started); End is -1 for
	// a process still alive when the run ended.
	Start, End float64
	CPUSeconds float64
	PeakRSS    uint64
}

// ReadProcesses reads processes.csv, sorted by start time. Writers bound
// the rows (a run lists the processes it held in memory, a watch at most
// 10,000 ended ones), so the file is read whole.
// A bad row is skipped; the error then lists the bad rows by line, and
// the good rows are still returned.
func ReadProcesses(r io.Reader) ([]Process, error) {
	c := newCSVRecords(r, "processes.csv", ProcessesHeader)
	var procs []Process
	for c.next() {
		p, msg := parseProcess(c.rec)
		if msg != "" {
			c.errs.fail(c.line, msg)
			continue
		}
		procs = append(procs, p)
	}
	slices.SortStableFunc(procs, func(a, b Process) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return a.PID - b.PID
	})
	return procs, c.errs.err()
}

// parseProcess parses one record of processes.csv, or says what was wrong.
func parseProcess(rec []string) (Process, string) {
	var p Process
	if len(rec) != 8 {
		return p, "expected 8 comma-separated fields"
	}
	var err error
	var ok bool
	if p.PID, ok = parseCount([]byte(rec[0])); !ok {
		return p, "expected pid, a process id, found " + quoteField([]byte(rec[0]))
	}
	if p.PPID, ok = parseCount([]byte(rec[1])); !ok {
		return p, "expected ppid, a process id, found " + quoteField([]byte(rec[1]))
	}
	p.Name, p.Argv = rec[2], rec[3]
	// The command's own start is slightly before 0 when perf records: it
	// existed (as perfcap's shim) while perf attached.
	if p.Start, ok = parseFinite([]byte(rec[4])); !ok {
		return p, "expected start_seconds, a number of seconds, found " + quoteField([]byte(rec[4]))
	}
	p.End = -1
	if rec[5] != "" {
		if p.End, ok = parseNonNegative([]byte(rec[5])); !ok {
			return p, "expected end_seconds, empty or a number of seconds ≥ 0, found " + quoteField([]byte(rec[5]))
		}
	}
	if p.CPUSeconds, ok = parseNonNegative([]byte(rec[6])); !ok {
		return p, "expected cpu_seconds, a number of seconds ≥ 0, found " + quoteField([]byte(rec[6]))
	}
	if p.PeakRSS, err = strconv.ParseUint(rec[7], 10, 64); err != nil {
		return p, "expected peak_rss_bytes, a whole number of bytes, found " + quoteField([]byte(rec[7]))
	}
	return p, ""
}

// WriteProcesses writes processes.csv, one row per process. Argv is
// written as it is: callers redact and join command lines first (see
// ShellJoin). end_seconds is empty for processes still alive (End < 0).
func WriteProcesses(w io.Writer, procs []Process) error {
	c := csvWriter{w: w, header: ProcessesHeader + "\n"}
	for i := range procs {
		p := &procs[i]
		b := c.row()
		b = strconv.AppendInt(b, int64(p.PID), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(p.PPID), 10)
		b = append(b, ',')
		b = appendCSVField(b, p.Name)
		b = append(b, ',')
		b = appendCSVField(b, p.Argv)
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
