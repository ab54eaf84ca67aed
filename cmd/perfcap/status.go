package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/internal/units"
)

// statusLine is the live line perfcap keeps at the bottom of the terminal
// while the command runs. The command's output to the same terminal passes
// through it: the line is erased before each write and redrawn only when
// the output ended a line, so it never splits the command's own text.
type statusLine struct {
	mu        sync.Mutex
	w         io.Writer
	width     int
	text      string
	shown     bool
	lineStart bool // the cursor is at the start of a line
	last      time.Time
	// suffix, when set, adds to the line (a watch's descriptors and
	// recent RSS change); it is called with the line's lock held.
	suffix func() string
}

func newStatusLine(w io.Writer, width int) *statusLine {
	return &statusLine{w: w, width: width, lineStart: true}
}

// wrap returns a writer for a stream that shares the terminal.
func (s *statusLine) wrap(w io.Writer) io.Writer { return statusWriter{s, w} }

type statusWriter struct {
	s *statusLine
	w io.Writer
}

func (sw statusWriter) Write(p []byte) (int, error) {
	s := sw.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.erase()
	n, err := sw.w.Write(p)
	if n > 0 {
		s.lineStart = p[n-1] == '\n'
	}
	s.draw()
	return n, err
}

// update shows a sample, at most four times a second.
func (s *statusLine) update(smp capture.Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if now.Sub(s.last) < 250*time.Millisecond {
		return
	}
	s.last = now
	s.text = fmt.Sprintf("perfcap %s  cpu %5.1f%%  rss %s  procs %d",
		units.FormatElapsed(smp.T), smp.TreeCPUPercent, units.FormatSize(int64(smp.TreeRSS)), smp.Processes)
	if s.suffix != nil {
		s.text += s.suffix()
	}
	if s.width > 1 && len(s.text) > s.width-1 {
		s.text = s.text[:s.width-1]
	}
	s.erase()
	s.draw()
}

// stop erases the line for good.
func (s *statusLine) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.erase()
	s.text = ""
}

func (s *statusLine) erase() {
	if s.shown {
		io.WriteString(s.w, "\r\x1b[K")
		s.shown = false
	}
}

func (s *statusLine) draw() {
	if s.text != "" && s.lineStart {
		io.WriteString(s.w, s.text)
		s.shown = true
	}
}
