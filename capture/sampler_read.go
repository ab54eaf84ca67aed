package capture

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/perfcap/perfcap/capture/procfs"
	"golang.org/x/sys/unix"
)

// This file holds the Sampler's reads of /proc files, into one reused
// buffer and through files kept open between ticks.

// readSystem reads one of the machine-wide files kept open.
func (s *Sampler) readSystem(fd int, name string) ([]byte, error) {
	b, err := s.pread(fd)
	if err != nil {
		return nil, fmt.Errorf("reading %s/%s: %w", s.proc, name, err)
	}
	return b, nil
}

// readStatOnce reads and parses /proc/PID/stat of a process being
// classified, without keeping the file.
func (s *Sampler) readStatOnce(pid int) (procfs.Stat, error) {
	fd := -1
	b, err := s.readPidFile(&fd, pid, "stat", false)
	if err != nil {
		return procfs.Stat{}, err
	}
	return procfs.ParseStat(b)
}

// exited reports whether reading a /proc/PID file failed because the
// process no longer exists.
func exited(err error) bool {
	return errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENOENT)
}

// readPidFile reads /proc/PID/name into s.buf through *fd, opening it when
// *fd < 0; with keep, the file stays open while the fd budget allows.
func (s *Sampler) readPidFile(fd *int, pid int, name string, keep bool) ([]byte, error) {
	if *fd < 0 {
		f, err := unix.Open(s.proc+"/"+strconv.Itoa(pid)+"/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		b, err := s.pread(f)
		if keep && err == nil && s.fds < s.maxFDs {
			*fd = f
			s.fds++
		} else {
			unix.Close(f)
		}
		return b, err
	}
	return s.pread(*fd)
}

// pread reads a whole /proc file from its start into s.buf, growing it
// until the file fits. Reading from offset 0 makes procfs generate the
// content afresh.
func (s *Sampler) pread(fd int) ([]byte, error) {
	for {
		n, err := procfs.Pread(fd, s.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n < len(s.buf) {
			return s.buf[:n], nil
		}
		s.buf = make([]byte, 2*len(s.buf))
	}
}

// closeFiles closes what a tree process kept open.
func (s *Sampler) closeFiles(tp *treeProc) {
	for _, fd := range []*int{&tp.statFD, &tp.statusFD} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
			s.fds--
		}
	}
}

// readArgv reads a process's command line; nil for kernel threads and
// zombies, which have none.
func (s *Sampler) readArgv(pid int) []string {
	b, err := os.ReadFile(s.proc + "/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	b = bytes.TrimSuffix(b, []byte{0})
	var argv []string
	for word := range bytes.SplitSeq(b, []byte{0}) {
		argv = append(argv, string(word))
	}
	return argv
}
