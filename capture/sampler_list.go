package capture

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/perfcap/perfcap/capture/procfs"
	"golang.org/x/sys/unix"
)

// This file holds the listing of /proc and the decision of which processes
// belong to the tree.

// entry is one /proc/PID directory of a pass.
type entry struct {
	pid   int
	ino   uint64 // a new process with a reused pid gets a new inode
	class class
	// old is the class the pid had in the previous pass when its inode
	// changed: the process may be the same (procfs dropped and rebuilt its
	// directory) or a new one, which start tells apart.
	old   class
	start uint64    // starttime, once read
	tp    *treeProc // set for tree processes
}

// class is what the sampler knows of a /proc entry.
type class uint8

const (
	unknown  class = iota
	visiting       // being classified: guards against a ppid cycle
	outside
	inTree
)

// listRefresh bounds how long the listing may be skipped: pids could wrap
// around to the same last pid, or /proc belong to another pid namespace
// than /proc/loadavg reports on.
const listRefresh = 1.0 // seconds

// listIfNew lists /proc and classifies the new processes, unless no pid was
// allocated since the last listing: then s.cur still holds every process,
// and the reads of the tree's processes tell which of them ended.
func (s *Sampler) listIfNew(t float64) error {
	last := 0
	if b, err := s.pread(s.loadFD); err == nil {
		last = procfs.ParseLastPID(b)
	}
	if last != 0 && last == s.lastPID && t-s.listT < listRefresh && t >= s.listT {
		return nil
	}
	if err := s.list(); err != nil {
		// Keep the last full listing: a partial one would make known
		// processes look new.
		s.prev, s.cur = s.cur[:0], s.prev
		return err
	}
	s.lastPID, s.listT = last, t
	for i := range s.cur {
		s.classify(i)
	}
	return nil
}

// list reads the /proc directory into s.cur, carrying over what the
// previous pass knew of each pid whose inode did not change.
func (s *Sampler) list() error {
	s.prev, s.cur = s.cur, s.prev[:0]
	if _, err := unix.Seek(s.dirFD, 0, io.SeekStart); err != nil {
		return fmt.Errorf("rewinding %s: %w", s.proc, err)
	}
	j, last, sorted := 0, -1, true
	for {
		n, err := procfs.Getdents(s.dirFD, s.dents)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("listing %s: %w", s.proc, err)
		}
		if n <= 0 {
			break
		}
		for b := s.dents[:n]; len(b) > 0; {
			ino, name, rest, ok := procfs.NextDirent(b)
			if !ok {
				return fmt.Errorf("listing %s: malformed directory entry", s.proc)
			}
			b = rest
			n, ok := procfs.ParseUint(name)
			if !ok || n > 1<<31-1 {
				continue // not a process: "self", "meminfo", ...
			}
			pid := int(n)
			e := entry{pid: pid, ino: ino}
			// procfs lists pids in increasing order, so the previous pass
			// is walked alongside; a search covers any other order.
			var old *entry
			if pid > last {
				for j < len(s.prev) && s.prev[j].pid < pid {
					j++
				}
				if j < len(s.prev) && s.prev[j].pid == pid {
					old = &s.prev[j]
				}
			} else {
				sorted = false
				if k, found := slices.BinarySearchFunc(s.prev, pid, byPID); found {
					old = &s.prev[k]
				}
			}
			if old != nil {
				if old.ino == ino {
					e = *old
				} else if old.class == outside || old.class == inTree {
					e.old, e.start, e.tp = old.class, old.start, old.tp
				}
			}
			last = pid
			s.cur = append(s.cur, e)
		}
	}
	if !sorted {
		slices.SortFunc(s.cur, func(a, b entry) int { return cmp.Compare(a.pid, b.pid) })
	}
	return nil
}

func byPID(e entry, pid int) int { return cmp.Compare(e.pid, pid) }

// classify decides whether s.cur[i] is in the tree, classifying its parent
// first when the parent is new too. It returns unknown when a read failed
// for another reason than the process being gone: the next listing tries
// again.
func (s *Sampler) classify(i int) class {
	e := &s.cur[i]
	switch e.class {
	case outside, inTree:
		return e.class
	case visiting:
		return outside
	}
	e.class = visiting
	st, err := s.readStatOnce(e.pid)
	switch {
	case err == nil:
	case exited(err):
		e.class = outside // it ended before it could be classified
		return outside
	default:
		e.class = unknown
		return unknown
	}
	if e.old != unknown && st.StartTime == e.start {
		e.class, e.old = e.old, unknown // the same process under a rebuilt directory
		return e.class
	}
	e.tp, e.start, e.old = nil, st.StartTime, unknown
	c := outside
	switch {
	case e.pid == s.cfg.Self:
	case e.pid == s.cfg.Root && !s.rootSeen:
		c = inTree
		s.rootSeen = true
	case st.PPID == s.cfg.Self:
		if s.cfg.Foreign == nil || !s.cfg.Foreign(e.pid) {
			c = inTree
		}
	case st.PPID > 0:
		if k, found := slices.BinarySearchFunc(s.cur, st.PPID, byPID); found {
			c = s.classify(k)
		}
	}
	e.class = c
	if c == inTree {
		e.tp = s.newTreeProc(e.pid, &st)
		if e.pid == s.cfg.Root && s.root == nil {
			s.root = e.tp
		}
	}
	return c
}

// newTreeProc starts tracking a tree process from its first reading.
func (s *Sampler) newTreeProc(pid int, st *procfs.Stat) *treeProc {
	start := float64(st.StartTime)/s.clk - s.bootBase
	// Ticks truncate, so a process started just after Start can read as
	// up to one tick before it.
	if start < 0 && start > -1/s.clk {
		start = 0
	}
	tp := &treeProc{
		info:     Process{PID: pid, PPID: st.PPID, Start: start, End: -1},
		start:    st.StartTime,
		ppid:     st.PPID,
		statFD:   -1,
		statusFD: -1,
	}
	s.procs = append(s.procs, tp)
	return tp
}
