package capture

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/perfcap/perfcap/flame"
)

// maxHeldBinaries bounds the files a symbolKeeper holds open: a
// `go test ./...` of a large module runs a few hundred test binaries.
const maxHeldBinaries = 1024

// symbolKeeper holds open the executable and the mapped code files of
// every process of the tree from the moment the sampler sees it run a
// program, so that the code can be named after the run even when the file
// is deleted or replaced before perf script reads the recording: the test
// binary `go test` deletes when it is done, the program of `go run`, a
// binary rebuilt during the run. An open file keeps a deleted file's
// content, and its inode tells it apart from a new file at the same path,
// as perf's mapping records do (flame.Binary).
//
// Code mapped after the first sight of a process (libraries loaded later)
// is not held; neither are processes that live and die between two
// samples.
type symbolKeeper struct {
	mu      sync.Mutex // exec runs on the sampler's goroutine
	proc    string
	held    map[fileKey]bool
	bins    []flame.Binary
	dropped int // files not held past maxHeldBinaries
}

// fileKey identifies a file.
type fileKey struct{ dev, ino uint64 }

func newSymbolKeeper(proc string) *symbolKeeper {
	if proc == "" {
		proc = "/proc"
	}
	return &symbolKeeper{proc: proc, held: make(map[fileKey]bool)}
}

// exec holds the files of process pid's program: called by the sampler
// when it first reads a process and when the process runs a new program.
func (k *symbolKeeper) exec(pid int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	dir := k.proc + "/" + strconv.Itoa(pid)
	if path, err := os.Readlink(dir + "/exe"); err == nil {
		k.hold(dir+"/exe", strings.TrimSuffix(path, " (deleted)"), 0, 0)
	}
	maps, err := os.Open(dir + "/maps")
	if err != nil {
		return
	}
	defer maps.Close()
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		// "start-end perms offset maj:min inode path"
		f := bytes.Fields(sc.Bytes())
		if len(f) < 6 || len(f[1]) < 3 || f[1][2] != 'x' || f[5][0] != '/' {
			continue
		}
		ino, err := strconv.ParseUint(string(f[4]), 10, 64)
		majS, minS, ok := strings.Cut(string(f[3]), ":")
		if err != nil || !ok || ino == 0 {
			continue
		}
		major, err1 := strconv.ParseUint(majS, 16, 32)
		minor, err2 := strconv.ParseUint(minS, 16, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		path := string(bytes.Join(f[5:], []byte{' '}))
		deleted := strings.HasSuffix(path, " (deleted)")
		path = strings.TrimSuffix(path, " (deleted)")
		if k.held[fileKey{unix.Mkdev(uint32(major), uint32(minor)), ino}] {
			continue
		}
		// A file still at its path is opened there; a deleted one only
		// through map_files, which needs CAP_SYS_ADMIN.
		open := path
		if deleted {
			open = dir + "/map_files/" + string(f[0])
		}
		k.hold(open, path, unix.Mkdev(uint32(major), uint32(minor)), ino)
	}
}

// hold opens the file at open, mapped as path, and keeps it unless it is
// held already or is not the mapped file (dev and ino, when not 0).
func (k *symbolKeeper) hold(open, path string, dev, ino uint64) {
	fd, err := unix.Open(open, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || (ino != 0 && (st.Ino != ino || st.Dev != dev)) {
		unix.Close(fd)
		return
	}
	key := fileKey{st.Dev, st.Ino}
	if k.held[key] {
		unix.Close(fd)
		return
	}
	if len(k.bins) >= maxHeldBinaries {
		k.dropped++
		unix.Close(fd)
		return
	}
	k.held[key] = true
	k.bins = append(k.bins, flame.Binary{
		Path: path, Major: unix.Major(st.Dev), Minor: unix.Minor(st.Dev), Ino: st.Ino,
		File: os.NewFile(uintptr(fd), path),
	})
}

// binaries returns the files held.
func (k *symbolKeeper) binaries() []flame.Binary {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.bins[:len(k.bins):len(k.bins)]
}
