package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// SmapsRollup is /proc/PID/smaps_rollup: the memory of a whole process
// summed over its mappings, which is what a watch needs to tell memory the
// process owns (USS, PSS) from memory it shares. All sizes are in bytes.
type SmapsRollup struct {
	Rss uint64
	// Pss is the proportional set size: each page divided by the number of
	// processes mapping it, so the Pss of a tree adds up without double
	// counting shared libraries.
	Pss uint64
	// PssAnon, PssFile and PssShmem split Pss by kind of memory. Older
	// kernels (before 5.x) do not report them; HavePssSplit tells.
	PssAnon, PssFile, PssShmem uint64
	SharedClean, SharedDirty   uint64
	PrivateClean, PrivateDirty uint64
	Swap, SwapPss              uint64
	AnonHugePages              uint64
	// PrivateHugetlb is hugetlbfs memory mapped by this process alone; the
	// kernel counts it in neither Rss nor Private_Clean/Private_Dirty.
	PrivateHugetlb uint64
	// HavePssSplit reports whether the kernel gave Pss_Anon, Pss_File and
	// Pss_Shmem, so that zeros there mean zero and not unknown.
	HavePssSplit bool
}

// USS returns the unique set size: the memory that would be freed if the
// process exited, its private pages including private huge pages.
func (s SmapsRollup) USS() uint64 {
	return s.PrivateClean + s.PrivateDirty + s.PrivateHugetlb
}

// maxSmapsKB bounds a value of smaps_rollup, 2^50 kB (1 EiB), so that
// sums such as USS cannot wrap around on garbage input.
const maxSmapsKB = 1 << 50

// ErrNoAddressSpace reports a process without user memory to describe: a
// kernel thread, or a process that has exited but not yet been reaped.
// ReadSmapsRollup and ParseSmapsRollup wrap it; check with errors.Is.
var ErrNoAddressSpace = errors.New("procfs: process has no address space (kernel thread or exited)")

// smapsField returns where key's value goes in s, or nil for a key the
// rollup does not keep.
func smapsField(s *SmapsRollup, key []byte) *uint64 {
	switch string(key) {
	case "Rss":
		return &s.Rss
	case "Pss":
		return &s.Pss
	case "Pss_Anon":
		return &s.PssAnon
	case "Pss_File":
		return &s.PssFile
	case "Pss_Shmem":
		return &s.PssShmem
	case "Shared_Clean":
		return &s.SharedClean
	case "Shared_Dirty":
		return &s.SharedDirty
	case "Private_Clean":
		return &s.PrivateClean
	case "Private_Dirty":
		return &s.PrivateDirty
	case "Swap":
		return &s.Swap
	case "SwapPss":
		return &s.SwapPss
	case "AnonHugePages":
		return &s.AnonHugePages
	case "Private_Hugetlb":
		return &s.PrivateHugetlb
	}
	return nil
}

// ParseSmapsRollup parses the content of /proc/PID/smaps_rollup: an
// address-range header line ending in "[rollup]", then "Key:   123 kB"
// lines. Keys it does not know are skipped whatever their value, so a newer
// kernel's additions do not break it; a known key with a value that is not
// "<n> kB", or a line without a colon, is an error that names the line.
// Rss and Pss must be present. Empty content, what the kernel gives for a
// kernel thread, wraps ErrNoAddressSpace.
func ParseSmapsRollup(b []byte) (SmapsRollup, error) {
	var s SmapsRollup
	if len(bytes.TrimSpace(b)) == 0 {
		return s, fmt.Errorf("smaps_rollup: empty: %w", ErrNoAddressSpace)
	}
	var haveRss, havePss bool
	for line := 1; len(b) > 0; line++ {
		var l []byte
		l, b, _ = bytes.Cut(b, []byte{'\n'})
		key, v, ok := bytes.Cut(l, []byte{':'})
		// The header is "start-end perms offset dev inode [rollup]"; its
		// key part ("55d0c0a0e000-7ffd1b1fe000 ---p 00000000 00") has
		// spaces, which no key has.
		if line == 1 && (!ok || bytes.ContainsAny(key, " \t")) {
			continue
		}
		if !ok || len(key) == 0 || bytes.ContainsAny(key, " \t") {
			return SmapsRollup{}, fmt.Errorf("smaps_rollup line %d: want \"Key: <n> kB\", got %q", line, Clip(l))
		}
		field := smapsField(&s, key)
		if field == nil {
			continue
		}
		kb, ok := parseKB(v)
		if !ok || kb > maxSmapsKB<<10 {
			return SmapsRollup{}, fmt.Errorf("smaps_rollup line %d: want \"%s: <n> kB\", got %q", line, key, Clip(l))
		}
		*field = kb
		switch string(key) {
		case "Rss":
			haveRss = true
		case "Pss":
			havePss = true
		case "Pss_Anon":
			s.HavePssSplit = true
		}
	}
	if !haveRss || !havePss {
		return SmapsRollup{}, errors.New("smaps_rollup: no Rss and Pss lines; is this /proc/PID/smaps_rollup?")
	}
	return s, nil
}

// ReadSmapsRollup reads /proc/PID/smaps_rollup under the procfs root proc
// ("" means /proc). The kernel sums it walking every mapping, so it costs
// about as much as reading smaps: fine once a second, too slow for the 10 ms
// sampler. Reading another user's process needs ptrace access (root, or
// the same user with kernel.yama.ptrace_scope allowing it).
func ReadSmapsRollup(proc string, pid int) (SmapsRollup, error) {
	if proc == "" {
		proc = "/proc"
	}
	if pid <= 0 {
		return SmapsRollup{}, fmt.Errorf("reading smaps_rollup: invalid pid %d: want a positive process id", pid)
	}
	path := filepath.Join(proc, strconv.Itoa(pid), "smaps_rollup")
	b, err := os.ReadFile(path)
	if err != nil {
		return SmapsRollup{}, procError(proc, pid, "smaps_rollup", "Linux 4.14", err)
	}
	s, err := ParseSmapsRollup(b)
	if err != nil {
		return s, fmt.Errorf("pid %d: %s: %w", pid, path, err)
	}
	return s, nil
}

// procError explains a failure to read the file name of process pid:
// whether the process is gone, the kernel lacks the file (it came in the
// kernel since, if not ""), or access is denied.
func procError(proc string, pid int, name, since string, err error) error {
	switch {
	case errors.Is(err, unix.ESRCH):
		return fmt.Errorf("pid %d: reading %s: %w", pid, name, ErrNoAddressSpace)
	case errors.Is(err, fs.ErrNotExist):
		if _, serr := os.Stat(filepath.Join(proc, strconv.Itoa(pid))); serr == nil {
			if since == "" {
				return fmt.Errorf("pid %d: no %s under %s: %w", pid, name, proc, err)
			}
			return fmt.Errorf("pid %d: no %s under %s: it needs %s or later: %w", pid, name, proc, since, err)
		}
		return fmt.Errorf("pid %d: no such process under %s (it has exited, or never existed): %w", pid, proc, err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("pid %d: reading %s: permission denied; run perfcap as the process's user or as root: %w", pid, name, err)
	}
	return fmt.Errorf("pid %d: reading %s: %w", pid, name, err)
}

// direntBufs recycles CountFDs's getdents buffers: 8 KiB takes about 300
// entries of /proc/PID/fd a call.
var direntBufs = sync.Pool{New: func() any { b := make([]byte, 8<<10); return &b }}

// CountFDs returns how many file descriptors process pid has open, under
// the procfs root proc ("" means /proc). Since Linux 6.2 the size of
// /proc/PID/fd is that count, so one stat answers; on older kernels, which
// report 0, it lists the directory with getdents into a pooled buffer,
// without allocating per entry. Counting its own fds, it leaves out the
// one it lists with.
func CountFDs(proc string, pid int) (int, error) {
	if proc == "" {
		proc = "/proc"
	}
	if pid <= 0 {
		return 0, fmt.Errorf("counting fds: invalid pid %d: want a positive process id", pid)
	}
	path := filepath.Join(proc, strconv.Itoa(pid), "fd")
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, procError(proc, pid, "fd", "", &fs.PathError{Op: "stat", Path: path, Err: err})
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR && st.Size > 0 {
		return int(st.Size), nil
	}
	return countFDsByListing(proc, pid, path)
}

// countFDsByListing is CountFDs for kernels before 6.2: it counts the
// entries of the fd directory at path other than "." and "..".
func countFDsByListing(proc string, pid int, path string) (int, error) {
	dir, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, procError(proc, pid, "fd", "", &fs.PathError{Op: "open", Path: path, Err: err})
	}
	defer unix.Close(dir)
	// When the directory listed is our own, the fd listing it is in it.
	var self []byte
	if pid == os.Getpid() {
		self = strconv.AppendInt(nil, int64(dir), 10)
	}
	bp := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(bp)
	buf := *bp
	count := 0
	for {
		n, err := unix.Getdents(dir, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, procError(proc, pid, "fd", "", &fs.PathError{Op: "getdents", Path: path, Err: err})
		}
		if n <= 0 {
			return count, nil
		}
		for rec := buf[:n]; len(rec) > 0; {
			_, name, rest, ok := NextDirent(rec)
			if !ok {
				return 0, fmt.Errorf("pid %d: listing %s: malformed directory record", pid, path)
			}
			rec = rest
			if string(name) == "." || string(name) == ".." || self != nil && bytes.Equal(name, self) {
				continue
			}
			count++
		}
	}
}
