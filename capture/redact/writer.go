package redact

import (
	"bytes"
	"errors"
	"io"
)

// ErrClosed is returned by Write on a redacting writer after Close.
var ErrClosed = errors.New("redact: write after Close")

// window is how much input the writer redacts before passing it on, which
// bounds its output buffer. It must exceed maxLine so that a window always
// ends a line or cuts a piece.
const window = 4 * maxLine

// NewWriter returns a writer that redacts what it is given, line by line,
// and writes the result to w. The output is exactly String of the whole
// input however the writes were cut. It holds back at most one unfinished
// line (up to 64 KiB) and a buffer of redacted output, whatever the size of
// the stream or of a single write. Close flushes the unfinished line; it
// does not close w. A writer is for one goroutine.
func (r *Redactor) NewWriter(w io.Writer) io.WriteCloser {
	return &writer{r: r, w: w}
}

type writer struct {
	r      *Redactor
	w      io.Writer
	st     state
	buf    []byte // the unfinished line, at most maxLine+1 bytes
	out    []byte // redacted output not yet written
	err    error  // the first error, returned by every later call
	closed bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, ErrClosed
	}
	n := len(p)
	for len(p) > 0 {
		if len(w.buf) > 0 {
			// Complete the unfinished line first: up to its terminator, or
			// until it is long enough to cut a piece off.
			take := min(maxLine+1-len(w.buf), len(p))
			end := bytes.IndexAny(p[:take], "\r\n")
			if end >= 0 {
				take = end + 1
			}
			w.buf = append(w.buf, p[:take]...)
			p = p[take:]
			if end < 0 && len(w.buf) <= maxLine {
				continue // still unfinished: p is used up
			}
			var used int
			w.out, used = w.r.process(w.out, w.buf, false, &w.st)
			w.buf = w.buf[:copy(w.buf, w.buf[used:])]
		} else {
			// Redact straight from p, a window at a time.
			win := p[:min(window, len(p))]
			var used int
			w.out, used = w.r.process(w.out, win, false, &w.st)
			if used == 0 {
				// win is the start of a line that is unfinished, and short
				// enough to wait for the rest, so it is all of p.
				w.buf = append(w.buf, p...)
				used = len(p)
			}
			p = p[used:]
		}
		if err := w.flush(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Close redacts and writes the unfinished line. Later writes fail with
// ErrClosed.
func (w *writer) Close() error {
	if w.err != nil || w.closed {
		return w.err
	}
	w.closed = true
	w.out, _ = w.r.process(w.out, w.buf, true, &w.st)
	w.buf = nil
	return w.flush()
}

func (w *writer) flush() error {
	if len(w.out) == 0 {
		return nil
	}
	_, err := w.w.Write(w.out)
	w.out = w.out[:0]
	if err != nil {
		w.err = err
	}
	return err
}
