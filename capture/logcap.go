package capture

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// LogCapture keeps the first head and the last tail bytes written to it and
// counts the rest, so a command that prints gigabytes costs perfcap at most
// head+tail bytes of memory. Buffers grow with the output, so a quiet
// command costs little. It is safe for concurrent use, though perfcap has
// one writer per stream and calls WriteTo once the writes are over.
type LogCapture struct {
	mu         sync.Mutex
	head, tail int64
	first      []byte // up to head bytes
	last       []byte // up to tail bytes; a ring once full
	start      int    // the oldest byte of last, once full
	total      int64
}

// NewLogCapture returns a LogCapture keeping head bytes from the start and
// tail bytes from the end; either may be 0.
func NewLogCapture(head, tail int64) *LogCapture {
	return &LogCapture{head: max(head, 0), tail: max(tail, 0)}
}

// Write keeps what falls in the head or the tail; it never fails.
func (c *LogCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	c.total += int64(n)
	if room := c.head - int64(len(c.first)); room > 0 {
		k := int(min(room, int64(len(p))))
		c.first = grow(c.first, k, c.head)
		c.first = append(c.first, p[:k]...)
		p = p[k:]
	}
	if c.tail == 0 || len(p) == 0 {
		return n, nil
	}
	if int64(len(p)) >= c.tail {
		// p alone fills the tail.
		c.last = grow(c.last[:0], int(c.tail), c.tail)
		c.last = append(c.last, p[int64(len(p))-c.tail:]...)
		c.start = 0
		return n, nil
	}
	if room := c.tail - int64(len(c.last)); room > 0 {
		k := int(min(room, int64(len(p))))
		c.last = grow(c.last, k, c.tail)
		c.last = append(c.last, p[:k]...)
		p = p[k:]
	}
	// The ring is full: overwrite the oldest bytes.
	for len(p) > 0 {
		k := copy(c.last[c.start:], p)
		p = p[k:]
		c.start = (c.start + k) % len(c.last)
	}
	return n, nil
}

// grow makes room for k more bytes in b, at least doubling its capacity
// but never past limit, so a buffer ends exactly at its limit.
func grow(b []byte, k int, limit int64) []byte {
	if len(b)+k <= cap(b) {
		return b
	}
	c := min(max(2*cap(b), len(b)+k, 4096), int(limit))
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}

// Total returns the number of bytes written in all.
func (c *LogCapture) Total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// cut returns the number of bytes written but not kept.
// Skip counts n bytes that were written but are not at hand: a log rebuilt
// from a head and a tail kept elsewhere (a watch's spool) skips what was
// cut between them, so the marker counts it. Call it between the head's
// Write and the tail's.
func (c *LogCapture) Skip(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total += max(n, 0)
}

func (c *LogCapture) cut() int64 {
	return c.total - int64(len(c.first)) - int64(len(c.last))
}

// WriteTo writes the head, then, if anything was cut, a marker line saying
// how much, then the tail:
//
//	[perfcap: 123456789 bytes cut here; the log keeps the first 1048576 and the last 4194304 of 128849018 bytes]
//
// The marker starts on a line of its own.
func (c *LogCapture) WriteTo(w io.Writer) (n int64, err error) {
	return c.WriteFiltered(w, nil)
}

// WriteFiltered is WriteTo with filter (a redactor) applied to the head and
// to the tail. Filtering at the end, not as bytes arrive, costs the 5 MiB
// kept instead of every byte a chatty command prints. When bytes were cut,
// the head is trimmed back to its last newline and the tail starts after
// its first, so the filter sees whole lines and no secret is left half
// visible at a cut; the marker counts what was trimmed. A nil filter
// writes the kept bytes exactly, as WriteTo.
func (c *LogCapture) WriteFiltered(w io.Writer, filter func(string) string) (n int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	trim := filter != nil
	if filter == nil {
		filter = func(s string) string { return s }
	}
	write := func(p string) {
		if err != nil || len(p) == 0 {
			return
		}
		var k int
		k, err = io.WriteString(w, p)
		n += int64(k)
	}
	head := string(c.first)
	tail := string(c.last[c.start:]) + string(c.last[:c.start])
	cut := c.cut()
	if cut == 0 {
		write(filter(head + tail))
		return n, err
	}
	if i := strings.LastIndexByte(head, '\n'); trim && i >= 0 {
		head = head[:i+1]
	}
	if i := strings.IndexByte(tail, '\n'); trim && i >= 0 {
		tail = tail[i+1:]
	}
	cut = c.total - int64(len(head)) - int64(len(tail))
	write(filter(head))
	marker := fmt.Sprintf("[perfcap: %d bytes cut here; the log keeps the first %d and the last %d of %d bytes]\n",
		cut, len(head), len(tail), c.total)
	if len(head) > 0 && head[len(head)-1] != '\n' {
		marker = "\n" + marker
	}
	write(marker)
	write(filter(tail))
	return n, err
}
