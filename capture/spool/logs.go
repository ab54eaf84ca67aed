package spool

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/perfcap/perfcap/capture"
)

// LogSpool keeps one of the command's output streams in the spool in
// bounded space, so that a recovered bundle has the logs too: the first
// head bytes in NAME.head, and the last bytes in two rotating files
// NAME.tail.SEQ of tail/2 bytes each (at least tail/2 and at most tail
// bytes of the end are kept). It is an io.Writer that never fails: a
// write error is kept for Err, and the watch goes on.
type LogSpool struct {
	mu          sync.Mutex
	dir, name   string
	head, chunk int64
	headF       *os.File
	headN       int64
	tailF       *os.File
	seq         int
	tailN       int64
	total       int64
	err         error
}

// Log starts spooling the stream name ("stdout", "stderr") with the given
// head and tail sizes, as --log-limit gives them.
func (w *Writer) Log(name string, head, tail int64) *LogSpool { return NewLog(w.dir, name, head, tail) }

// NewLog spools the stream name into dir (a run's staging directory).
func NewLog(dir, name string, head, tail int64) *LogSpool {
	return &LogSpool{dir: dir, name: name, head: max(head, 0), chunk: max(tail/2, 0)}
}

// Write keeps what falls in the head or the tail.
func (l *LogSpool) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	l.total += int64(n)
	if l.err != nil {
		return n, nil
	}
	if room := l.head - l.headN; room > 0 {
		k := min(room, int64(len(p)))
		if l.headF == nil {
			l.headF, l.err = os.OpenFile(filepath.Join(l.dir, l.name+".head"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if l.err != nil {
				return n, nil
			}
		}
		if _, l.err = l.headF.Write(p[:k]); l.err != nil {
			return n, nil
		}
		l.headN += k
		p = p[k:]
	}
	for len(p) > 0 && l.chunk > 0 {
		if l.tailF == nil || l.tailN >= l.chunk {
			if l.err = l.rotate(); l.err != nil {
				return n, nil
			}
		}
		k := min(l.chunk-l.tailN, int64(len(p)))
		if _, l.err = l.tailF.Write(p[:k]); l.err != nil {
			return n, nil
		}
		l.tailN += k
		p = p[k:]
	}
	return n, nil
}

// rotate starts the next tail file and removes the one before the last.
func (l *LogSpool) rotate() error {
	if l.tailF != nil {
		if err := l.tailF.Close(); err != nil {
			return err
		}
		l.seq++
	}
	if l.seq >= 2 {
		_ = os.Remove(l.tailPath(l.seq - 2))
	}
	f, err := os.OpenFile(l.tailPath(l.seq), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	l.tailF, l.tailN = f, 0
	return nil
}

func (l *LogSpool) tailPath(seq int) string {
	return filepath.Join(l.dir, l.name+".tail."+strconv.Itoa(seq))
}

// Err returns the first write error, if any.
func (l *LogSpool) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close closes the files, which stay in the spool, and writes NAME.total,
// the stream's exact length (a spool without it, from a watch that was
// killed, counts the cut bytes from the tail files' sequence numbers).
func (l *LogSpool) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	first := WriteFileAtomic(filepath.Join(l.dir, l.name+".total"), []byte(strconv.FormatInt(l.total, 10)+"\n"))
	for _, f := range []*os.File{l.headF, l.tailF} {
		if f != nil {
			if err := f.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	l.headF, l.tailF = nil, nil
	return first
}

// maxLogPart bounds each log file a reader takes from a spool: the spool is
// outside input once its watch is gone.
const maxLogPart = 1 << 30

// ReadLog rebuilds the stream name from a spool as a LogCapture, whose
// WriteFiltered gives the log with the marker counting the bytes cut
// between the head and the tail. ok is false when the spool holds no such
// stream.
func ReadLog(dir, name string) (c *capture.LogCapture, ok bool, err error) {
	return ReadLogTail(dir, name, -1)
}

// ReadLogTail is ReadLog keeping at most maxTail bytes of the end (all the
// tail files hold when maxTail < 0): a run spools its tail in chunks of
// the tail size, so that at least that much is on disk, and keeps exactly
// that much.
func ReadLogTail(dir, name string, maxTail int64) (c *capture.LogCapture, ok bool, err error) {
	head, err := readPart(filepath.Join(dir, name+".head"))
	if err != nil {
		return nil, false, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, false, err
	}
	// The two newest tail files; older ones may survive a crash between
	// a rotation's create and remove.
	prefix := name + ".tail."
	newest, older := -1, -1
	for _, e := range entries {
		seq, err := strconv.Atoi(strings.TrimPrefix(e.Name(), prefix))
		if !strings.HasPrefix(e.Name(), prefix) || err != nil || seq < 0 {
			continue
		}
		switch {
		case seq > newest:
			newest, older = seq, newest
		case seq > older:
			older = seq
		}
	}
	var tails [][]byte
	var tailLen, chunk int64
	for _, seq := range []int{older, newest} {
		if seq < 0 {
			continue
		}
		b, err := readPart(filepath.Join(dir, prefix+strconv.Itoa(seq)))
		if err != nil {
			return nil, false, err
		}
		tails = append(tails, b)
		tailLen += int64(len(b))
		if seq == older {
			chunk = int64(len(b)) // a rotated file is a full chunk
		}
	}
	total := int64(-1)
	if b, err := readPart(filepath.Join(dir, name+".total")); err == nil && b != nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n >= 0 {
			total = n
		}
	}
	if head == nil && newest < 0 && total <= 0 {
		return nil, false, nil
	}
	keepTail := tailLen
	if maxTail >= 0 {
		keepTail = min(tailLen, maxTail)
	}
	c = capture.NewLogCapture(int64(len(head)), keepTail)
	_, _ = c.Write(head)
	switch kept := int64(len(head)) + tailLen; {
	case total >= kept:
		c.Skip(total - kept)
	case older >= 0:
		// Killed before Close: the chunks before the two kept ones were
		// cut, and the sequence number counts them.
		c.Skip(int64(older) * chunk)
	}
	for _, b := range tails {
		_, _ = c.Write(b)
	}
	return c, true, nil
}

// readPart reads one log file of a spool; nil for a missing one.
func readPart(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxLogPart+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxLogPart {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a perfcap spool log", path, maxLogPart)
	}
	return b, nil
}
