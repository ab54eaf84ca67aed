package capture

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// drainQuiet is how long a stream may stay silent after the command exited
// before perfcap stops reading it: a daemonized descendant can hold the
// write end open forever, and perfcap must not wait for it.
const drainQuiet = 250 * time.Millisecond

// drainMax bounds the whole drain after the command exited.
const drainMax = 5 * time.Second

// stream is one of the command's output streams: the end perfcap reads, the
// end the command writes, and where the bytes go.
type stream struct {
	read  *os.File
	write *os.File   // handed to the child, closed in perfcap after the start
	dst   io.Writer  // the terminal (or whatever perfcap's own stream is)
	log   io.Writer  // the capture; may be nil
	lines *lineClock // with Options.OnLine
	bytes atomic.Int64
	done  chan struct{}
}

// newStream makes the pipe or pseudo-terminal behind one output stream.
// A pseudo-terminal makes the command believe it writes to a terminal, so
// cargo, rustc and ls keep their colours and line buffering exactly as
// without perfcap; output post-processing (LF→CRLF) is turned off on it so
// the bytes that reach the terminal and the log are the command's own.
func newStream(dst, log io.Writer, usePTY bool, size *os.File) (*stream, error) {
	s := &stream{dst: dst, log: log, done: make(chan struct{})}
	if usePTY {
		master, slave, err := pty.Open()
		if err != nil {
			return nil, err
		}
		if err := rawOutput(slave); err != nil {
			master.Close()
			slave.Close()
			return nil, err
		}
		if size != nil {
			_ = pty.InheritSize(size, master) // best effort: a size-less terminal still works
		}
		read, err := pollable(master)
		if err != nil {
			slave.Close()
			return nil, err
		}
		s.read, s.write = read, slave
		return s, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.read, s.write = r, w
	return s, nil
}

// pollable returns f as a non-blocking file in Go's poller, so a read can
// time out while draining; pty.Open hands out a blocking master. f is closed.
func pollable(f *os.File) (*os.File, error) {
	fd, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		return nil, err
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "ptmx"), nil
}

// rawOutput turns off output processing (OPOST) on a pseudo-terminal.
func rawOutput(tty *os.File) error {
	fd := int(tty.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Oflag &^= unix.OPOST
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// copy relays the stream until EOF, or until it stays quiet after the
// command exited. first is set to the time of the first byte of any stream.
func (s *stream) copy(first *firstByte, exited <-chan struct{}) {
	defer close(s.done)
	if s.lines != nil {
		defer s.lines.close()
	}
	var mu sync.Mutex
	draining := false
	var drainEnd time.Time
	go func() {
		select {
		case <-exited:
		case <-s.done:
			return
		}
		mu.Lock()
		draining = true
		drainEnd = time.Now().Add(drainMax)
		mu.Unlock()
		_ = s.read.SetReadDeadline(time.Now().Add(drainQuiet))
	}()
	buf := make([]byte, 64*1024)
	for {
		n, err := s.read.Read(buf)
		if n > 0 {
			first.mark()
			if s.lines != nil {
				s.lines.write(buf[:n], time.Now())
			}
			s.bytes.Add(int64(n))
			_, _ = s.dst.Write(buf[:n]) // a closed terminal must not stop the capture
			if s.log != nil {
				_, _ = s.log.Write(buf[:n])
			}
			mu.Lock()
			if draining {
				deadline := time.Now().Add(drainQuiet)
				if deadline.After(drainEnd) {
					deadline = drainEnd
				}
				_ = s.read.SetReadDeadline(deadline)
			}
			mu.Unlock()
		}
		if err != nil {
			// EOF on a pipe, EIO on a pseudo-terminal whose last writer
			// closed, a deadline while draining, or a read error: each
			// ends the stream, and none is the command's failure.
			return
		}
	}
}

// firstByte records when the command first wrote anything.
type firstByte struct {
	once sync.Once
	at   time.Time
}

func (f *firstByte) mark() {
	f.once.Do(func() { f.at = time.Now() })
}
