package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	// chunk is the size of print's writes: big enough to run at pipe or
	// disk speed.
	chunk = 1 << 20
	// maxLine bounds print --line so that a line fits in a chunk.
	maxLine = chunk
)

// printText writes exactly n bytes of numbered lines to w, in chunk-sized
// writes. Every line is width bytes: the line's number counted from 1, a
// space, the alphabet repeated from 'a', cut to width-1 bytes, and a
// newline. The last line is cut short where n ends. With width 12:
//
//	1 abcdefghi\n2 abcdefghi\n...\n10 abcdefgh\n
func printText(w io.Writer, n int64, width int) error {
	filler := make([]byte, width)
	for i := range filler {
		filler[i] = 'a' + byte(i%26)
	}
	buf := make([]byte, 0, chunk+width+20)
	for line := int64(1); n > 0; line++ {
		start := len(buf)
		buf = strconv.AppendInt(buf, line, 10)
		buf = append(buf, ' ')
		if text := len(buf) - start; text < width-1 {
			buf = append(buf, filler[:width-1-text]...)
		} else {
			buf = buf[:start+width-1]
		}
		buf = append(buf, '\n')
		if int64(width) > n {
			buf = buf[:start+int(n)]
		}
		n -= int64(len(buf) - start)
		if len(buf) >= chunk || n == 0 {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("print: %w", err)
			}
			buf = buf[:0]
		}
	}
	return nil
}

// colorEnv are the environment variables istty shows: the ones tools read
// to decide whether to color output that is not going to a terminal.
var colorEnv = []string{"CARGO_TERM_COLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "NO_COLOR", "TERM"}

// istty writes what fds 0, 1 and 2 are, as "stdin=tty stdout=pipe
// stderr=null", then one NAME=value line for each colorEnv variable set.
func istty(p *proc) error {
	var b strings.Builder
	for fd, name := range []string{"stdin", "stdout", "stderr"} {
		if fd > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", name, fdKind(fd))
	}
	b.WriteByte('\n')
	for _, name := range colorEnv {
		if v, ok := os.LookupEnv(name); ok {
			fmt.Fprintf(&b, "%s=%s\n", name, v)
		}
	}
	_, err := io.WriteString(p.stdout, b.String())
	return err
}

// fdKind names what fd is open on: tty, pipe, file, socket, null (the
// device /dev/null), chardev, other, or closed.
func fdKind(fd int) string {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "closed"
	}
	if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
		return "tty"
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "pipe"
	case unix.S_IFREG:
		return "file"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		if st.Rdev == unix.Mkdev(1, 3) {
			return "null"
		}
		return "chardev"
	}
	return "other"
}
