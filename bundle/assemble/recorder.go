package assemble

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
)

// Recorder streams a run's samples and output into the bundle's staging
// area, which is also a spool: rows reach the files every
// spool.FlushEvery and the output goes to head and tail files as it comes,
// so a perfcap killed mid-run leaves all of it for `perfcap bundle`.
type Recorder struct {
	w            *bundle.Writer
	timelineFile *os.File
	timelineBuf  *bufio.Writer
	timeline     *format.TimelineWriter
	procFile     *os.File
	procBuf      *bufio.Writer
	procSamples  *format.ProcessSampleWriter
	// The logs are spooled raw and redacted when written out: redacting
	// only the bytes kept costs far less than redacting a gigabyte stream.
	StdoutLog, StderrLog *spool.LogSpool
	red                  *redact.Redactor
	tail                 int64     // the bytes of each stream's end kept
	flushed              time.Time // when the rows were last written out
	mu                   sync.Mutex
	err                  error
}

func NewRecorder(w *bundle.Writer, red *redact.Redactor, head, tail int64) (*Recorder, error) {
	r := &Recorder{w: w}
	var err error
	if r.timelineFile, err = w.Create(format.TimelineFile); err != nil {
		return nil, err
	}
	r.timelineBuf = bufio.NewWriter(r.timelineFile)
	r.timeline = format.NewTimelineWriter(r.timelineBuf)
	if r.procFile, err = w.Create(format.ProcessSamplesFile); err != nil {
		r.timelineFile.Close()
		return nil, err
	}
	r.procBuf = bufio.NewWriter(r.procFile)
	r.procSamples = format.NewProcessSampleWriter(r.procBuf)
	// Tail chunks of the whole tail size: at least tail bytes of the end
	// are on disk at any time, and writeLog keeps exactly tail.
	r.StdoutLog = spool.NewLog(w.Dir(), "stdout", head, 2*tail)
	r.StderrLog = spool.NewLog(w.Dir(), "stderr", head, 2*tail)
	r.tail = tail
	r.red = red
	return r, nil
}

// Sample appends one sample to the CSV files; the first error sticks.
func (r *Recorder) Sample(s capture.Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	if err := r.timeline.Write(s.Row()); err != nil {
		r.err = err
		return
	}
	if r.err = r.procSamples.Write(s.T, s.Procs); r.err != nil {
		return
	}
	if now := time.Now(); now.Sub(r.flushed) >= spool.FlushEvery {
		r.flushed = now
		r.err = r.flushLocked(false)
	}
}

// flushLocked writes the buffered rows out; with sync, to the disk.
func (r *Recorder) flushLocked(sync bool) error {
	for _, flush := range []func() error{r.timeline.Flush, r.timelineBuf.Flush, r.procSamples.Flush, r.procBuf.Flush} {
		if err := flush(); err != nil {
			return err
		}
	}
	if sync {
		for _, f := range []*os.File{r.timelineFile, r.procFile} {
			if err := f.Sync(); err != nil {
				return err
			}
		}
	}
	return nil
}

// SyncRows puts the rows on disk, the moment the command has ended.
func (r *Recorder) SyncRows() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = r.flushLocked(true)
	}
	return r.err
}

// Settle puts everything measured on disk once the output is drained,
// before any post-processing (perf script, packing): the rows synced
// again (the last sample), the output streams closed with their totals.
func (r *Recorder) Settle() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = r.flushLocked(true)
	}
	for _, l := range []*spool.LogSpool{r.StdoutLog, r.StderrLog} {
		if err := cmp.Or(l.Err(), l.Close()); err != nil && r.err == nil {
			r.err = fmt.Errorf("spooling the command's output: %w", err)
		}
	}
	return r.err
}

// Finish writes everything the run produced into the staging area.
func (r *Recorder) Finish(res *capture.Result, sum *format.Summary, machine *facts.Facts, red *redact.Redactor, title string) error {
	if r.err != nil {
		return r.err
	}
	for _, step := range []func() error{
		r.timelineFile.Close, r.procFile.Close,
		func() error { return r.writeLog("stdout") },
		func() error { return r.writeLog("stderr") },
		func() error { return r.w.AddJSON("env.json", machine) },
		func() error {
			f, err := r.w.Create(format.ProcessesFile)
			if err != nil {
				return err
			}
			if err := format.WriteProcesses(f, capture.ProcessRows(res.Processes, red.Argv)); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		},
		func() error {
			if err := TimelineSVG(r.w, title, CountProcesses(&sum.Totals)); err != nil {
				sum.Warnings = append(sum.Warnings, fmt.Sprintf("timeline.svg: %v", err))
			}
			res.Summary = sum.Totals
			return r.w.AddJSON(format.SummaryFile, sum)
		},
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// StdoutKept is the part of stdout the run kept, for the parsers that
// read the whole log (Go benchmark lines).
func (r *Recorder) StdoutKept() []byte {
	lc, ok, err := spool.ReadLogTail(r.w.Dir(), "stdout", r.tail)
	if !ok || err != nil {
		return nil
	}
	var b bytes.Buffer
	_, _ = lc.WriteTo(&b)
	return b.Bytes()
}

// writeLog writes NAME.log, redacted, from the spooled stream.
func (r *Recorder) writeLog(stream string) error {
	lc, ok, err := spool.ReadLogTail(r.w.Dir(), stream, r.tail)
	if err != nil {
		return fmt.Errorf("%s.log: %w", stream, err)
	}
	if !ok {
		lc = capture.NewLogCapture(0, 0)
	}
	f, err := r.w.Create(stream + ".log")
	if err != nil {
		return err
	}
	if _, err := lc.WriteFiltered(f, r.red.String); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Close closes the row files (after Finish, a no-op).
func (r *Recorder) Close() {
	r.timelineFile.Close()
	r.procFile.Close()
}
