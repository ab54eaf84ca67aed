package flame

import (
	"bytes"
	"slices"
	"strconv"
)

// This file follows the files each process maps, from the side-band records
// `perf script --show-mmap-events --show-task-events` prints between the
// samples, so that a frame's address can be taken back to a file and an
// offset in it.

// sideKind is the kind of a side-band record.
type sideKind uint8

const (
	sideOther sideKind = iota // a record the inline reader has no use for
	sideMmap                  // PERF_RECORD_MMAP or MMAP2: a file mapped
	sideFork                  // PERF_RECORD_FORK: a process or thread created
	sideExec                  // PERF_RECORD_COMM exec: a process ran a new program
	sideExit                  // PERF_RECORD_EXIT: a process or thread ended
)

// sideEvent is one side-band record.
type sideEvent struct {
	kind     sideKind
	pid, tid int
	// ppid is the parent's pid of a fork.
	ppid int
	m    mapping
}

// mapping is a file mapped into a process, as PERF_RECORD_MMAP2 shows it:
// the file's offset pgoff is mapped at start, for size bytes.
type mapping struct {
	start, size, pgoff uint64
	// The file's device and inode, or its build-id when the record holds
	// one (perf record --buildid-mmap) instead.
	major, minor uint32
	ino          uint64
	buildID      string
	path         string
}

// sideMarker starts the record type of a side-band line.
var sideMarker = []byte(" PERF_RECORD_")

// isSideband reports whether line is a side-band record rather than a
// sample header.
func isSideband(line []byte) bool {
	return bytes.Contains(line, sideMarker)
}

// parseSideband parses a side-band line; ok is false when it is malformed.
// Records it has no use for come back as sideOther.
//
//	... PERF_RECORD_MMAP2 631/631: [0x55c2818d1000(0x237000) @ 0x100000 fe:00 10002589 0]: r-xp /path
//	... PERF_RECORD_MMAP -1/0: [0xffffffff81000000(0x1259b00) @ 0xffffffff81000000]: x [kernel.kallsyms]_text
//	... PERF_RECORD_FORK(17680:17728):(17680:17680)
//	... PERF_RECORD_COMM exec: go:17680/17680
//	... PERF_RECORD_EXIT(17748:17748):(17680:17680)
func parseSideband(line []byte) (ev sideEvent, ok bool) {
	i := bytes.Index(line, sideMarker)
	if i < 0 {
		return ev, false
	}
	rest := line[i+len(sideMarker):]
	switch {
	case bytes.HasPrefix(rest, []byte("MMAP2 ")), bytes.HasPrefix(rest, []byte("MMAP ")):
		_, rest, _ = bytes.Cut(rest, []byte{' '})
		return parseMmap(rest)
	case bytes.HasPrefix(rest, []byte("FORK(")), bytes.HasPrefix(rest, []byte("EXIT(")):
		ev.kind = sideFork
		if rest[0] == 'E' {
			ev.kind = sideExit
		}
		child, parent, found := bytes.Cut(rest[len("FORK("):], []byte("):("))
		if !found {
			return ev, false
		}
		if ev.pid, ev.tid, ok = parsePair(child, ':'); !ok {
			return ev, false
		}
		ev.ppid, _, ok = parsePair(bytes.TrimSuffix(bytes.TrimSpace(parent), []byte(")")), ':')
		return ev, ok
	case bytes.HasPrefix(rest, []byte("COMM exec: ")):
		// "comm:pid/tid", where comm may hold a ':'.
		rest = bytes.TrimSpace(rest[len("COMM exec: "):])
		j := bytes.LastIndexByte(rest, ':')
		if j < 0 {
			return ev, false
		}
		ev.kind = sideExec
		ev.pid, ev.tid, ok = parsePair(rest[j+1:], '/')
		return ev, ok
	}
	return sideEvent{kind: sideOther}, true
}

// parseMmap parses "PID/TID: [0xSTART(0xLEN) @ PGOFF MAJ:MIN INO GEN]: PROT PATH",
// or with "<BUILDID>" for the device and inode, or without either
// (PERF_RECORD_MMAP).
func parseMmap(b []byte) (ev sideEvent, ok bool) {
	ev.kind = sideMmap
	ids, b, found := bytes.Cut(b, []byte(": ["))
	if !found {
		return ev, false
	}
	if ev.pid, ev.tid, ok = parsePair(ids, '/'); !ok {
		return ev, false
	}
	desc, tail, found := bytes.Cut(b, []byte("]: "))
	if !found {
		return ev, false
	}
	m := &ev.m
	span, desc, found := bytes.Cut(desc, []byte(" @ "))
	if !found {
		return ev, false
	}
	start, size, found := bytes.Cut(span, []byte{'('})
	if !found || !bytes.HasSuffix(size, []byte{')'}) {
		return ev, false
	}
	if m.start, ok = parseHex(start); !ok {
		return ev, false
	}
	if m.size, ok = parseHex(size[:len(size)-1]); !ok {
		return ev, false
	}
	fields := bytes.Fields(desc)
	if len(fields) == 0 {
		return ev, false
	}
	if m.pgoff, ok = parseHex(fields[0]); !ok {
		return ev, false
	}
	switch {
	case len(fields) == 2 && bytes.HasPrefix(fields[1], []byte{'<'}) && bytes.HasSuffix(fields[1], []byte{'>'}):
		m.buildID = string(fields[1][1 : len(fields[1])-1])
	case len(fields) >= 3:
		maj, min, found := bytes.Cut(fields[1], []byte{':'})
		if !found {
			return ev, false
		}
		a, ok1 := parseHex(maj)
		c, ok2 := parseHex(min)
		ino, ok3 := parseUint(fields[2])
		if !ok1 || !ok2 || !ok3 || a > 1<<32-1 || c > 1<<32-1 {
			return ev, false
		}
		m.major, m.minor, m.ino = uint32(a), uint32(c), ino
	}
	// "r-xp /path": the protection, then the path, which may hold spaces.
	_, path, found := bytes.Cut(tail, []byte{' '})
	if !found {
		return ev, false
	}
	path = bytes.TrimSuffix(path, []byte(" (deleted)"))
	m.path = string(path)
	return ev, true
}

// parsePair parses "A<sep>B" of two decimal numbers, either of which may
// be -1.
func parsePair(b []byte, sep byte) (a, c int, ok bool) {
	x, y, found := bytes.Cut(bytes.TrimSpace(b), []byte{sep})
	if !found {
		return 0, 0, false
	}
	a, err1 := strconv.Atoi(string(x))
	c, err2 := strconv.Atoi(string(y))
	return a, c, err1 == nil && err2 == nil
}

// parseHex parses "0x1f", "1f" or "0".
func parseHex(b []byte) (uint64, bool) {
	b = bytes.TrimPrefix(b, []byte("0x"))
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		d, ok := hexDigit(c)
		if !ok {
			return 0, false
		}
		v = v<<4 | uint64(d)
	}
	return v, true
}

// maxMappings bounds the mappings kept per process, and maxProcs the
// processes followed: a recording of a JIT that maps without end, or of
// a fork bomb, must not fill memory. Past them the oldest are dropped.
const (
	maxMappings = 4096
	maxProcs    = 1 << 16
)

// addrForm is how perf script printed the addresses of a file's frames.
type addrForm uint8

const (
	// formUnknown: not told yet. perf 6.1 prints callchain addresses
	// relative to the file (the address minus the mapping's start plus
	// its offset), older versions the address itself; the first address
	// that fits only one form decides.
	formUnknown addrForm = iota
	formRelative
	formAbsolute
)

// procMaps follows the mappings of every process.
type procMaps struct {
	procs map[int][]mapping
	order []int // pids in the order first seen, to drop the oldest
	form  addrForm
	// gen tells the states of each process's mappings apart: the value
	// of clock at its last change, so a pid reused by a new process
	// never comes back to an old state.
	gen   map[int]uint32
	clock uint32
}

// apply updates the mappings with one side-band record.
func (pm *procMaps) apply(ev *sideEvent) {
	if pm.procs == nil {
		pm.procs = make(map[int][]mapping)
		pm.gen = make(map[int]uint32)
	}
	if ev.kind != sideOther && ev.pid >= 0 {
		pm.clock++
		pm.gen[ev.pid] = pm.clock
	}
	switch ev.kind {
	case sideMmap:
		if ev.pid < 0 || ev.m.path == "" || ev.m.path[0] != '/' {
			return // the kernel, anonymous memory, [vdso], [heap]...
		}
		maps, known := pm.procs[ev.pid]
		if !known {
			pm.track(ev.pid)
		}
		end := ev.m.start + ev.m.size
		maps = slices.DeleteFunc(maps, func(m mapping) bool {
			return m.start < end && ev.m.start < m.start+m.size
		})
		if len(maps) >= maxMappings {
			maps = slices.Delete(maps, 0, 1)
		}
		pm.procs[ev.pid] = append(maps, ev.m)
	case sideFork:
		if ev.pid == ev.ppid {
			return // a thread shares its process's mappings
		}
		if parent, ok := pm.procs[ev.ppid]; ok {
			if _, known := pm.procs[ev.pid]; !known {
				pm.track(ev.pid)
			}
			pm.procs[ev.pid] = slices.Clone(parent)
		}
	case sideExec:
		if maps, ok := pm.procs[ev.pid]; ok {
			pm.procs[ev.pid] = maps[:0]
		}
	case sideExit:
		if ev.pid == ev.tid {
			delete(pm.procs, ev.pid)
			delete(pm.gen, ev.pid)
		}
	}
}

// track notes a new process, dropping the oldest past maxProcs.
func (pm *procMaps) track(pid int) {
	if len(pm.order) >= maxProcs {
		pm.order = slices.DeleteFunc(pm.order, func(p int) bool {
			_, ok := pm.procs[p]
			return !ok
		})
		for len(pm.order) >= maxProcs {
			delete(pm.procs, pm.order[0])
			delete(pm.gen, pm.order[0])
			pm.order = pm.order[1:]
		}
	}
	pm.order = append(pm.order, pid)
}

// find returns the mapping of path in process pid that addr, as perf
// script printed it, falls in, and the offset in the file it stands for.
func (pm *procMaps) find(pid int, path string, addr uint64) (*mapping, uint64, bool) {
	maps := pm.procs[pid]
	var rel, abs *mapping
	for i := len(maps) - 1; i >= 0; i-- {
		m := &maps[i]
		if m.path != path {
			continue
		}
		if rel == nil && addr >= m.pgoff && addr-m.pgoff < m.size {
			rel = m
		}
		if abs == nil && addr >= m.start && addr-m.start < m.size {
			abs = m
		}
	}
	switch {
	case pm.form != formUnknown:
	case rel != nil && abs == nil:
		pm.form = formRelative
	case abs != nil && rel == nil:
		pm.form = formAbsolute
	}
	if abs != nil && (rel == nil || pm.form == formAbsolute) {
		return abs, addr - abs.start + abs.pgoff, true
	}
	if rel != nil {
		return rel, addr, true
	}
	return nil, 0, false
}
