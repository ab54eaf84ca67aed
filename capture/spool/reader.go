package spool

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// maxMeta bounds meta.json and one line of events.jsonl: a spool is
// outside input once perfcap is gone.
const maxMeta = 1 << 20

// ReadMeta reads a spool's meta.json.
func ReadMeta(dir string) (Meta, error) {
	var m Meta
	path := filepath.Join(dir, MetaFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return m, fmt.Errorf("%s: %w", dir, ErrNotSpool)
	}
	if err != nil {
		return m, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMeta+1))
	if err != nil {
		return m, err
	}
	if len(b) > maxMeta {
		return m, fmt.Errorf("%s: larger than %d bytes", path, maxMeta)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	if m.Version != Version {
		return m, fmt.Errorf("%s: spool version %d, this perfcap reads version %d; use the perfcap that wrote it", path, m.Version, Version)
	}
	if m.Mode != "pid" && m.Mode != "command" {
		return m, fmt.Errorf("%s: unknown mode %q", path, m.Mode)
	}
	return m, nil
}

// ReadEvents reads events.jsonl. A last line cut short by a crash is
// dropped; any other bad line is an error naming it.
func ReadEvents(dir string) ([]Event, error) {
	path := filepath.Join(dir, EventsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseEvents(b, path)
}

// ParseEvents parses the content of events.jsonl; name is used in errors.
func ParseEvents(b []byte, name string) ([]Event, error) {
	b = completeLines(b)
	var evs []Event
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Event
		if len(line) > maxMeta {
			return evs, fmt.Errorf("%s:%d: line longer than %d bytes", name, i+1, maxMeta)
		}
		if err := json.Unmarshal(line, &e); err != nil {
			return evs, fmt.Errorf("%s:%d: %v", name, i+1, err)
		}
		evs = append(evs, e)
	}
	return evs, nil
}

// OpenRows opens a spool CSV file for reading up to its last newline, so a
// row torn by a crash is left out. The size is taken once: rows appended
// while reading are not seen.
func OpenRows(dir, name string) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	size, err := completeSize(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{bufio.NewReaderSize(io.LimitReader(f, size), 64<<10), f}, nil
}

// completeSize returns the length of f up to and including its last
// newline.
func completeSize(f *os.File) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	end := fi.Size()
	buf := make([]byte, 4096)
	for end > 0 {
		n := int64(len(buf))
		if n > end {
			n = end
		}
		if _, err := f.ReadAt(buf[:n], end-n); err != nil && err != io.EOF {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return end - n + int64(i) + 1, nil
		}
		end -= n
	}
	return 0, nil
}

// completeLines returns b up to and including its last newline.
func completeLines(b []byte) []byte {
	return b[:bytes.LastIndexByte(b, '\n')+1]
}

// Owner reports the pid of the watch still writing to dir, or 0 when none
// holds its lock.
func Owner(dir string) int {
	f, err := os.Open(filepath.Join(dir, LockFile))
	if err != nil {
		return 0
	}
	defer f.Close()
	err = unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
	if err == nil {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		return 0
	}
	// -1: locked by a pid it could not read, as when Create has taken the
	// lock but not yet written its pid. That is still an owner, never 0.
	b, _ := io.ReadAll(io.LimitReader(f, 64))
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return -1
	}
	return pid
}
