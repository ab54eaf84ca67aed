package spool

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/atomicfile"
)

// Version is the spool format written by this perfcap; ReadMeta refuses
// others.
const Version = 1

// The files of a spool.
const (
	MetaFile           = "meta.json"
	LockFile           = "lock"
	EnvFile            = "env.json"
	TimelineFile       = format.TimelineFile
	ProcessSamplesFile = format.ProcessSamplesFile
	WatchFile          = format.WatchFile
	EventsFile         = "events.jsonl"
	// PendingManifestFile holds the manifest of a run whose files are all
	// staged, written before packing starts: if packing fails or perfcap
	// is killed, `perfcap bundle` packs the staged files as they are.
	PendingManifestFile = "manifest.pending.json"
)

// IsPrivate reports whether name (slash-separated, relative to the spool)
// is one of the spool's own files, which never enter a bundle as they are:
// the marker, the lock, the events, the pending manifest, the output
// streams' head and tail parts and the texts of a recording in chunks
// (format.PerfChunksDir), whose fold enters the bundle instead.
func IsPrivate(name string) bool {
	switch name {
	case MetaFile, LockFile, EventsFile, PendingManifestFile:
		return true
	}
	if strings.HasPrefix(name, format.PerfChunksDir+"/") {
		return true
	}
	for _, stream := range []string{"stdout.", "stderr."} {
		rest, ok := strings.CutPrefix(name, stream)
		if !ok {
			continue
		}
		if rest == "head" || rest == "total" {
			return true
		}
		if seq, ok := strings.CutPrefix(rest, "tail."); ok && seq != "" && strings.Trim(seq, "0123456789") == "" {
			return true
		}
	}
	return false
}

// How often buffered rows reach the kernel, and the disk.
const (
	FlushEvery = 2 * time.Second
	SyncEvery  = 10 * time.Second
)

// ErrNotSpool means a directory holds no meta.json: it is not a spool.
var ErrNotSpool = errors.New("spool: not a watch spool (no meta.json)")

// Meta says what a watch watches and how; it is meta.json.
type Meta struct {
	Version        int    `json:"version"`
	PerfcapVersion string `json:"perfcap_version"`
	// Kind is "run" for the staging directory of a `perfcap run`, empty
	// for a watch.
	Kind string `json:"kind,omitempty"`
	// Mode is "pid" (an existing process) or "command" (started by perfcap).
	Mode string `json:"mode"`
	// PID is the watched process in pid mode, and PIDStartTicks its start
	// time in clock ticks after boot, which tells it from a later process
	// that reuses the pid.
	PID           int    `json:"pid,omitempty"`
	PIDStartTicks uint64 `json:"pid_start_ticks,omitempty"`
	// Command is the watched command line, already redacted.
	Command []string  `json:"command"`
	Cwd     string    `json:"cwd"`
	Started time.Time `json:"started"`
	// Bundle is where the watch writes its bundle; `perfcap bundle`
	// writes there too unless told otherwise.
	Bundle          string  `json:"bundle"`
	IntervalSeconds float64 `json:"interval_seconds"`
	DurationSeconds float64 `json:"duration_seconds,omitempty"`
	// The trend analysis settings: warm-up, fit bucket width, and the
	// slowest growth worth calling growing (0: the defaults).
	WarmupSeconds        float64  `json:"warmup_seconds,omitempty"`
	BucketSeconds        float64  `json:"bucket_seconds,omitempty"`
	MinGrowthBytesPerSec float64  `json:"min_growth_bytes_per_sec,omitempty"`
	Alerts               []string `json:"alerts,omitempty"`
	PSS                  bool     `json:"pss,omitempty"`
	Restart              bool     `json:"restart,omitempty"`
	Lang                 string   `json:"lang,omitempty"`
	// Redact are the --redact patterns, applied when the bundle is made
	// (the spool itself is private to its user).
	Redact []string `json:"redact,omitempty"`
}

// Event is one line of events.jsonl.
type Event struct {
	// T is seconds since the watch started.
	T float64 `json:"t"`
	// Kind is "start", "exit", "restart", "alert", "snapshot", "warning",
	// "process" (a new process of the tree, with its Argv) or "end".
	Kind string `json:"kind"`
	PID  int    `json:"pid,omitempty"`
	// Detail says what happened in one line ("exit 1", "rss 2.1 GiB > 2 GiB").
	Detail string `json:"detail,omitempty"`
	// Rule is the alert's rule, for alerts.
	Rule string `json:"rule,omitempty"`
	// Path is the snapshot bundle written, for alerts and snapshots.
	Path string `json:"path,omitempty"`
	// Argv is the command line, already redacted, of a process the watch
	// saw for the first time (kind "process").
	Argv []string `json:"argv,omitempty"`
}

// Writer appends a watch's samples and events to a spool. It is not safe
// for concurrent use.
type Writer struct {
	dir                   string
	lock                  *os.File
	tlFile, psFile, wFile *os.File
	evFile                *os.File
	tl                    *format.TimelineWriter
	ps                    *format.ProcessSampleWriter
	wr                    *format.WatchWriter
	lastFlush, lastSync   time.Time
	err                   error
}

// Create makes dir a new spool for m and locks it. It refuses a directory
// that already holds a spool: that is the evidence of an earlier watch.
func Create(dir string, m Meta) (w *Writer, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the spool: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, MetaFile)); err == nil {
		return nil, fmt.Errorf("%s already holds the spool of another watch; turn it into a bundle with `perfcap bundle %s`, or remove it", dir, dir)
	}
	w = &Writer{dir: dir}
	// A failed Create returns a nil Writer, so the deferred cleanup keeps
	// its own reference to the files opened so far.
	opened := w
	defer func() {
		if err != nil {
			opened.closeFiles()
		}
	}()
	if w.lock, err = os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("creating the spool's lock: %w", err)
	}
	if err := unix.Flock(int(w.lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return nil, fmt.Errorf("%s is in use by another watch: %w", dir, err)
	}
	_ = w.lock.Truncate(0)
	_, _ = w.lock.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	m.Version = Version
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := WriteFileAtomic(filepath.Join(dir, MetaFile), append(b, '\n')); err != nil {
		return nil, err
	}
	create := func(name string) (*os.File, error) {
		return os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	}
	if w.tlFile, err = create(TimelineFile); err != nil {
		return nil, err
	}
	if w.psFile, err = create(ProcessSamplesFile); err != nil {
		return nil, err
	}
	if w.wFile, err = create(WatchFile); err != nil {
		return nil, err
	}
	if w.evFile, err = create(EventsFile); err != nil {
		return nil, err
	}
	w.tl = format.NewTimelineWriter(w.tlFile)
	w.ps = format.NewProcessSampleWriter(w.psFile)
	w.wr = format.NewWatchWriter(w.wFile)
	now := time.Now()
	w.lastFlush, w.lastSync = now, now
	// The headers go out at once, so even an empty spool reads as one.
	if err := w.Flush(true); err != nil {
		return nil, err
	}
	return w, nil
}

// Dir returns the spool's directory.
func (w *Writer) Dir() string { return w.dir }

// Sample appends the rows of one sample: s to timeline.csv and
// process_samples.csv, x (what a watch measures beyond a Sample; its T is
// set to s.T) to watch.csv. Rows are flushed when FlushEvery has passed
// since the last flush (and synced after SyncEvery). The first error
// sticks.
func (w *Writer) Sample(s capture.Sample, x format.WatchRow) error {
	if w.err != nil {
		return w.err
	}
	x.T = s.T
	if err := cmp.Or(w.tl.Write(s.Row()), w.ps.Write(s.T, s.Procs), w.wr.Write(x)); err != nil {
		w.err = err
		return err
	}
	now := time.Now()
	if now.Sub(w.lastFlush) >= FlushEvery {
		return w.Flush(now.Sub(w.lastSync) >= SyncEvery)
	}
	return nil
}

// Event appends e to events.jsonl and syncs it.
func (w *Writer) Event(e Event) error {
	if err := w.Note(e); err != nil {
		return err
	}
	return unix.Fdatasync(int(w.evFile.Fd()))
}

// Note appends e to events.jsonl without syncing it: for the many
// "process" events, which the next periodic sync covers.
func (w *Writer) Note(e Event) error {
	if w.evFile == nil {
		return w.closedErr()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := w.evFile.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing the spool's events: %w", err)
	}
	return nil
}

// AddFile writes a whole file into the spool atomically (env.json).
func (w *Writer) AddFile(name string, b []byte) error {
	return WriteFileAtomic(filepath.Join(w.dir, name), b)
}

// Flush writes the buffered rows out; with sync, also to the disk.
func (w *Writer) Flush(sync bool) error {
	if w.err != nil {
		return w.err
	}
	w.lastFlush = time.Now()
	if err := cmp.Or(w.tl.Flush(), w.ps.Flush(), w.wr.Flush()); err != nil {
		w.err = err
		return err
	}
	if !sync {
		return nil
	}
	w.lastSync = w.lastFlush
	for _, f := range []*os.File{w.tlFile, w.psFile, w.wFile, w.evFile} {
		if err := unix.Fdatasync(int(f.Fd())); err != nil {
			w.err = fmt.Errorf("syncing %s: %w", f.Name(), err)
			return w.err
		}
	}
	return nil
}

// Close flushes and syncs what is buffered, closes the files and releases
// the lock. The directory stays: the caller removes it once the bundle is
// written. Once closed, every method returns an error wrapping
// os.ErrClosed.
func (w *Writer) Close() error {
	if w.lock == nil {
		return w.closedErr()
	}
	err := w.Flush(true)
	if cerr := w.closeFiles(); err == nil {
		err = cerr
	}
	if w.err == nil {
		w.err = w.closedErr()
	}
	return err
}

func (w *Writer) closedErr() error {
	return fmt.Errorf("spool %s: %w", w.dir, os.ErrClosed)
}

func (w *Writer) closeFiles() error {
	var first error
	for _, f := range []*os.File{w.tlFile, w.psFile, w.wFile, w.evFile, w.lock} {
		if f == nil {
			continue
		}
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	w.tlFile, w.psFile, w.wFile, w.evFile, w.lock = nil, nil, nil, nil, nil
	return first
}

// WriteFileAtomic writes b to path through a temporary file in the same
// directory, synced and renamed into place.
func WriteFileAtomic(path string, b []byte) error { return atomicfile.WriteFile(path, b, 0o600, true) }
