package procfs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Stat is the part of /proc/PID/stat the sampler uses. Times are in
// clock ticks (see ClockTicks), RSS in pages.
type Stat struct {
	PID int
	// Comm is the process name; it aliases the parsed buffer.
	Comm           []byte
	State          byte
	PPID           int
	MinFlt, MajFlt uint64
	UTime, STime   uint64
	// CUTime and CSTime are the CPU of the children the process has waited
	// for (and of what those waited for).
	CUTime, CSTime uint64
	Threads        int
	// StartTime is when the process started, in ticks since boot
	// (CLOCK_BOOTTIME); with the pid it identifies the process.
	StartTime uint64
	RSSPages  uint64
}

// dead reports whether the process has exited: a zombie waiting for its
// parent, or on its way out.
func (st *Stat) Dead() bool {
	return st.State == 'Z' || st.State == 'X' || st.State == 'x'
}

// statFieldName names the fields of /proc/PID/stat that ParseStat reads,
// by their 1-based number in proc(5).
func statFieldName(field int) string {
	switch field {
	case 3:
		return "state"
	case 4:
		return "ppid"
	case 10:
		return "minflt"
	case 12:
		return "majflt"
	case 14:
		return "utime"
	case 15:
		return "stime"
	case 16:
		return "cutime"
	case 17:
		return "cstime"
	case 20:
		return "num_threads"
	case 22:
		return "starttime"
	case 24:
		return "rss"
	}
	return ""
}

// ParseStat parses the content of /proc/PID/stat. The name may hold spaces,
// parentheses and newlines, so it runs from the first '(' to the last ')'.
// Errors are one line and name the field (proc(5) numbering).
func ParseStat(b []byte) (Stat, error) {
	var st Stat
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 2 || end < open || b[open-1] != ' ' {
		return st, errors.New("stat: want \"pid (comm) ...\"")
	}
	pid, ok := ParseUint(b[:open-1])
	if !ok || pid > 1<<31-1 {
		return st, fmt.Errorf("stat field 1 (pid): invalid number %q", Clip(b[:open-1]))
	}
	st.PID = int(pid)
	st.Comm = b[open+1 : end]
	rest := bytes.TrimRight(b[end+1:], "\n")
	for field := 3; field <= 24; field++ {
		if len(rest) == 0 || rest[0] != ' ' {
			return st, fmt.Errorf("stat field %d: missing", field)
		}
		rest = rest[1:]
		i := bytes.IndexByte(rest, ' ')
		if i < 0 {
			i = len(rest)
		}
		tok := rest[:i]
		rest = rest[i:]
		name := statFieldName(field)
		if name == "" {
			continue
		}
		if field == 3 {
			if len(tok) != 1 {
				return st, fmt.Errorf("stat field 3 (state): want one letter, got %q", Clip(tok))
			}
			st.State = tok[0]
			continue
		}
		n, ok := ParseUint(tok)
		if !ok || (field == 4 || field == 20) && n > 1<<31-1 {
			return st, fmt.Errorf("stat field %d (%s): invalid number %q", field, name, Clip(tok))
		}
		switch field {
		case 4:
			st.PPID = int(n)
		case 10:
			st.MinFlt = n
		case 12:
			st.MajFlt = n
		case 14:
			st.UTime = n
		case 15:
			st.STime = n
		case 16:
			st.CUTime = n
		case 17:
			st.CSTime = n
		case 20:
			st.Threads = int(n)
		case 22:
			st.StartTime = n
		case 24:
			st.RSSPages = n
		}
	}
	return st, nil
}

// Status is the part of /proc/PID/status perfcap uses.
type Status struct {
	// UID is the real user id; -1 when the file has no Uid line.
	UID int
	// VmHWM is the process's peak resident set size in bytes; 0 for kernel
	// threads and zombies, which have no memory of their own.
	VmHWM uint64
}

// ParseStatus parses the content of /proc/PID/status. Errors are one line
// and name the line.
func ParseStatus(b []byte) (Status, error) {
	st := Status{UID: -1}
	for line := 1; len(b) > 0; line++ {
		var l []byte
		l, b, _ = bytes.Cut(b, []byte{'\n'})
		if rest, ok := bytes.CutPrefix(l, []byte("Uid:")); ok {
			// Uid comes before VmHWM; a bad one is left unknown.
			if f := bytes.Fields(rest); len(f) > 0 {
				if uid, err := strconv.Atoi(string(f[0])); err == nil && uid >= 0 {
					st.UID = uid
				}
			}
			continue
		}
		v, ok := bytes.CutPrefix(l, []byte("VmHWM:"))
		if !ok {
			continue
		}
		kb, ok := parseKB(v)
		if !ok {
			return st, fmt.Errorf("status line %d: want \"VmHWM: <n> kB\", got %q", line, Clip(l))
		}
		st.VmHWM = kb
		break
	}
	return st, nil
}

// ReadStatus reads /proc/PID/status under the procfs root proc.
func ReadStatus(proc string, pid int) (Status, error) {
	path := filepath.Join(proc, strconv.Itoa(pid), "status")
	b, err := os.ReadFile(path)
	if err != nil {
		return Status{}, err
	}
	st, err := ParseStatus(b)
	if err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// ParseCPUTimes reads the machine-wide first line of /proc/stat
// ("cpu  user nice system idle iowait irq softirq steal guest guest_nice")
// and returns the busy and total ticks. Guest time is already part of user
// time, so it is not added again; iowait counts as idle.
func ParseCPUTimes(b []byte) (busy, total uint64, err error) {
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	rest, ok := bytes.CutPrefix(line, []byte("cpu "))
	if !ok {
		return 0, 0, fmt.Errorf("stat line 1: want \"cpu ...\", got %q", Clip(line))
	}
	var idle uint64
	for i := 0; i < 8; i++ {
		rest = bytes.TrimLeft(rest, " ")
		j := bytes.IndexByte(rest, ' ')
		if j < 0 {
			j = len(rest)
		}
		n, ok := ParseUint(rest[:j])
		if !ok {
			return 0, 0, fmt.Errorf("stat line 1 field %d: invalid number %q", i+2, Clip(rest[:j]))
		}
		rest = rest[j:]
		total += n
		if i == 3 || i == 4 {
			idle += n
		}
	}
	return total - idle, total, nil
}

// ParseMemAvailable returns MemAvailable from /proc/meminfo in bytes, or
// MemFree on kernels before 3.14 that do not estimate it.
func ParseMemAvailable(b []byte) (uint64, error) {
	var free uint64
	haveFree := false
	for line := 1; len(b) > 0; line++ {
		var l []byte
		l, b, _ = bytes.Cut(b, []byte{'\n'})
		key, v, ok := bytes.Cut(l, []byte{':'})
		if !ok {
			continue
		}
		avail := string(key) == "MemAvailable"
		if !avail && string(key) != "MemFree" {
			continue
		}
		kb, ok := parseKB(v)
		if !ok {
			return 0, fmt.Errorf("meminfo line %d: want \"%s: <n> kB\", got %q", line, key, Clip(l))
		}
		if avail {
			return kb, nil
		}
		free, haveFree = kb, true
	}
	if !haveFree {
		return 0, errors.New("meminfo: no MemAvailable or MemFree line")
	}
	return free, nil
}

// ParseLastPID returns the last pid allocated in the reader's pid namespace,
// the last field of /proc/loadavg ("0.20 0.18 0.12 1/80 11206"); 0 when
// the content is not that.
func ParseLastPID(b []byte) int {
	b = bytes.TrimRight(b, "\n")
	n, ok := ParseUint(b[bytes.LastIndexByte(b, ' ')+1:])
	if !ok || n > 1<<31-1 {
		return 0
	}
	return int(n)
}

// parseKB parses "   1234 kB" into bytes.
func parseKB(v []byte) (uint64, bool) {
	v = bytes.TrimLeft(v, " \t")
	num, ok := bytes.CutSuffix(v, []byte(" kB"))
	if !ok {
		return 0, false
	}
	n, ok := ParseUint(num)
	if !ok || n > 1<<54 {
		return 0, false
	}
	return n * 1024, true
}

// ParseUint parses a non-empty run of decimal digits without allocating.
func ParseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// Clip shortens what an error quotes, so a garbage file gives a short
// message.
func Clip(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

// direntHeader is the size of linux_dirent64 before its name: d_ino (8),
// d_off (8), d_reclen (2), d_type (1).
const direntHeader = 19

// NextDirent takes the first linux_dirent64 record off buf, as filled by
// getdents64: the entry's inode, its name, and the records after it. ok is
// false for a malformed record.
func NextDirent(buf []byte) (ino uint64, name, rest []byte, ok bool) {
	if len(buf) < direntHeader {
		return 0, nil, nil, false
	}
	reclen := int(binary.NativeEndian.Uint16(buf[16:]))
	if reclen < direntHeader || reclen > len(buf) {
		return 0, nil, nil, false
	}
	ino = binary.NativeEndian.Uint64(buf)
	name = buf[direntHeader:reclen]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return ino, name, buf[reclen:], true
}

// Pread and Getdents are pread(2) from offset 0 and getdents64(2)
// as raw system calls, which the Go scheduler does not hear of. Reads of
// procfs never block, but a cold one takes 20 µs in a VM, long enough for
// the runtime to hand the goroutine's P to another thread, and those
// hand-offs cost more than the reads: sampling a small tree every 10 ms
// took 2.3 % of a core with raw calls, 3.2 % without.
func Pread(fd int, b []byte) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_PREAD64, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

func Getdents(fd int, b []byte) (int, error) {
	n, _, errno := unix.RawSyscall(unix.SYS_GETDENTS64, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// ClockTicks is USER_HZ, the unit of times in /proc/PID/stat and
// /proc/stat: the kernel hands it to every process as AT_CLKTCK, and it is
// 100 on every architecture Go supports.
func ClockTicks() float64 {
	auxv, err := unix.Auxv()
	if err == nil {
		for _, kv := range auxv {
			if kv[0] == atClkTck && kv[1] > 0 {
				return float64(kv[1])
			}
		}
	}
	return 100
}

// atClkTck is the auxiliary vector tag of USER_HZ (<uapi/linux/auxvec.h>).
const atClkTck = 17
