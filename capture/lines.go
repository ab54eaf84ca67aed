package capture

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// MaxLineText is how much of a line Line.Text keeps: enough for any
// benchmark harness's progress line, bounded so a command that prints a
// gigabyte without a newline costs nothing.
const MaxLineText = 4 << 10

// Line is one line of the command's output and when it came. A line ends
// at '\n' or '\r' (a terminal's progress lines, Criterion's among them,
// are separated by '\r'), or where the stream ends.
type Line struct {
	// Stream is 1 for stdout, 2 for stderr.
	Stream int
	// Start is when the line's first byte was read, End when its end
	// was, in seconds since the command started (Options.Epoch, when
	// set). A line written in pieces spans the time between them: Go's
	// testing prints a benchmark's name when it starts and its result
	// when it ends, on the same line.
	Start, End float64
	// Text is the line without its end, at most MaxLineText bytes;
	// Cut counts the bytes left out.
	Text string
	Cut  int64
}

// lineClock cuts one stream into Lines, stamped with the time each read
// returned. Empty lines are not emitted.
type lineClock struct {
	stream int
	origin time.Time
	emit   func(Line)
	buf    []byte
	open   bool // a line has begun
	start  float64
	cut    int64
	last   float64 // the time of the latest read
}

// write takes the bytes of one read.
func (c *lineClock) write(p []byte, now time.Time) {
	t := now.Sub(c.origin).Seconds()
	c.last = t
	for len(p) > 0 {
		if !c.open {
			c.open, c.start = true, t
		}
		i := lineEnd(p)
		if i < 0 {
			c.add(p)
			return
		}
		c.add(p[:i])
		c.end(t)
		p = p[i+1:]
	}
}

// lineEnd is the index of the first '\n' or '\r' in p, -1 without one
// (bytes.IndexAny builds its byte set on every call: a third of the cost
// of a stream of short lines).
func lineEnd(p []byte) int {
	for i, c := range p {
		if c == '\n' || c == '\r' {
			return i
		}
	}
	return -1
}

func (c *lineClock) add(p []byte) {
	room := MaxLineText - len(c.buf)
	if len(p) > room {
		c.cut += int64(len(p) - room)
		p = p[:room]
	}
	c.buf = append(c.buf, p...)
}

// end emits the open line, ended at t.
func (c *lineClock) end(t float64) {
	if c.open && (len(c.buf) > 0 || c.cut > 0) {
		c.emit(Line{Stream: c.stream, Start: c.start, End: t, Text: string(c.buf), Cut: c.cut})
	}
	c.buf, c.open, c.cut = c.buf[:0], false, 0
}

// close emits a last line left without its end when the stream ended.
func (c *lineClock) close() { c.end(c.last) }

// lineClocks gives each stream a lineClock whose Lines reach onLine one
// at a time.
func lineClocks(streams []*stream, origin time.Time, onLine func(Line)) {
	var mu sync.Mutex
	emit := func(l Line) {
		mu.Lock()
		defer mu.Unlock()
		onLine(l)
	}
	for i, s := range streams {
		s.lines = &lineClock{stream: i + 1, origin: origin, emit: emit}
	}
}

// monotonicSeconds reads CLOCK_MONOTONIC, the clock perf record stamps
// its samples with under -k CLOCK_MONOTONIC and the clock Go's monotonic
// time readings come from on Linux.
func monotonicSeconds() float64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return float64(ts.Sec) + float64(ts.Nsec)/1e9
}
