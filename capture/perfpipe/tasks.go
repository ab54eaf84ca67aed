package perfpipe

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Tasks is what the task events of a perf.data file say about the
// tree perf recorded: the kernel writes a PERF_RECORD_FORK for every task
// an inherited event follows into, so, unlike samples of /proc, these miss
// no process however short its life.
type Tasks struct {
	// Processes counts the processes created while perf recorded (a fork
	// whose child is a new thread group); Threads the threads (a fork
	// within a thread group). The tasks perf attached to are not counted.
	Processes, Threads int
	// Lost counts the events perf lost (PERF_RECORD_LOST): forks may be
	// among them, so Processes is then a lower bound.
	Lost uint64
}

// add counts a record of type typ with body b: a fork or a lost event.
func (t *Tasks) add(typ uint32, b []byte) {
	le := binary.LittleEndian
	switch {
	case typ == recordFork && len(b) >= 24: // pid, ppid, tid, ptid u32; time u64
		pid, ppid, tm := le.Uint32(b), le.Uint32(b[4:]), le.Uint64(b[16:])
		switch {
		case tm == 0: // synthesised for a task that existed before
		case pid != ppid:
			t.Processes++
		default:
			t.Threads++
		}
	case typ == recordLost && len(b) >= 16: // id, lost u64
		t.Lost += le.Uint64(b[8:])
	}
}

// ErrUnfinished is returned by ReadTasks for a perf.data whose
// header perf did not finish writing (perf was killed): its records cannot
// be delimited.
var ErrUnfinished = errors.New("perfpipe: perf.data was not finished (no data section in its header)")

// ReadTasksFile is ReadTasks on the file at path.
func ReadTasksFile(path string) (Tasks, error) {
	f, err := os.Open(path)
	if err != nil {
		return Tasks{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Tasks{}, err
	}
	t, err := ReadTasks(f, fi.Size())
	if err != nil {
		return t, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ReadTasks reads the task events of a perf.data file of size bytes,
// as perf record writes it to a file (not a pipe), in this machine's byte
// order. It streams through the data section in constant memory. Forks
// perf synthesised for tasks that existed before it attached carry no
// time and are not counted.
func ReadTasks(r io.ReaderAt, size int64) (Tasks, error) {
	var t Tasks
	var h [fileHeaderSize]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return t, fmt.Errorf("reading the perf.data header: %w", err)
	}
	le := binary.LittleEndian
	if le.Uint64(h[0:]) != magic {
		if binary.BigEndian.Uint64(h[0:]) == magic {
			return t, errors.New("perf.data: written in the other byte order")
		}
		return t, fmt.Errorf("perf.data: offset 0: expected the magic PERFILE2, found %q", h[:8])
	}
	off, n := le.Uint64(h[40:]), le.Uint64(h[48:])
	if n == 0 {
		return t, ErrUnfinished
	}
	if off > uint64(size) || n > uint64(size)-off {
		return t, fmt.Errorf("perf.data: the data section (%d bytes at offset %d) passes the end of the file (%d bytes)", n, off, size)
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, int64(off), int64(n)), int(min(n, 64<<10)))
	var rec [eventHeaderLen + 24]byte
	for pos := uint64(0); pos < n; {
		at := off + pos
		if n-pos < eventHeaderLen {
			return t, fmt.Errorf("perf.data: offset %d: %d bytes left, less than a record header", at, n-pos)
		}
		if _, err := io.ReadFull(br, rec[:eventHeaderLen]); err != nil {
			return t, fmt.Errorf("perf.data: offset %d: %w", at, err)
		}
		typ, recSize := le.Uint32(rec[0:]), uint64(le.Uint16(rec[6:]))
		if recSize < eventHeaderLen || recSize > n-pos {
			return t, fmt.Errorf("perf.data: offset %d: record of type %d claims %d bytes (%d left)", at, typ, recSize, n-pos)
		}
		body := recSize - eventHeaderLen
		var need uint64 // body bytes read here
		switch typ {
		case recordFork:
			need = 24 // pid, ppid, tid, ptid u32; time u64
		case recordLost:
			need = 16 // id, lost u64
		case recordAuxtrace:
			need = 8 // size u64 of the payload after the record
		case recordCompressed, recordCompressed2:
			return t, fmt.Errorf("perf.data: offset %d: compressed records (perf record -z) are not read", at)
		}
		if need > body {
			return t, fmt.Errorf("perf.data: offset %d: record of type %d has %d bytes, less than its %d", at, typ, recSize, need+eventHeaderLen)
		}
		if _, err := io.ReadFull(br, rec[eventHeaderLen:eventHeaderLen+need]); err != nil {
			return t, fmt.Errorf("perf.data: offset %d: %w", at, err)
		}
		skip, extra := body-need, uint64(0)
		b := rec[eventHeaderLen : eventHeaderLen+need]
		t.add(typ, b)
		if typ == recordAuxtrace {
			aux := le.Uint64(b[0:])
			if aux > n-pos-recSize {
				return t, fmt.Errorf("perf.data: offset %d: aux payload of %d bytes passes the data section", at, aux)
			}
			extra = aux
		}
		if _, err := br.Discard(int(skip + extra)); err != nil {
			return t, fmt.Errorf("perf.data: offset %d: %w", at, err)
		}
		pos += recSize + extra
	}
	return t, nil
}
