package capture

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// children owns every child of perfcap while a command runs: the measured
// tree, whose rusage it sums as it reaps, and foreign children (probes such
// as `rustc -vV`, later perf) that it must neither measure nor reap.
//
// Reaping with wait4(-1) would steal a foreign child's exit status from the
// os/exec code waiting for it, so while any foreign child runs only the root
// is waited for; orphans that exit meanwhile stay zombies until the foreign
// children are done (probes take milliseconds, at most their timeout).
type children struct {
	mu      sync.Mutex
	root    int
	foreign map[int]bool // foreign children, by pid
	active  int          // foreign children os/exec waits for, still running
	// managed are foreign children the reaper waits for (perf): their
	// channel is closed when they exit.
	managed map[int]chan struct{}
	// managedCPU is the CPU seconds of the managed children reaped so far.
	managedCPU float64

	// jobControl asks reap to report the root stopping (Ctrl-Z on the
	// terminal perfcap handed it); rootStopped is set when it did.
	jobControl  bool
	rootStopped bool

	rootDone   bool
	rootStatus unix.WaitStatus
	rootUsage  unix.Rusage
	reaped     []reapedChild // tree processes other than the root
}

// reapedChild is a process of the tree that perfcap itself waited for.
type reapedChild struct {
	pid   int
	usage unix.Rusage
}

func newChildren() *children {
	return &children{foreign: make(map[int]bool), managed: make(map[int]chan struct{})}
}

// runForeign runs cmd to completion as a child that is not part of the tree.
// Start happens under the lock, so the sampler never sees the new pid before
// it is registered and the reaper never races it.
func (c *children) runForeign(cmd *exec.Cmd) error {
	c.mu.Lock()
	err := cmd.Start()
	if err == nil {
		c.foreign[cmd.Process.Pid] = true
		c.active++
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	err = cmd.Wait()
	c.mu.Lock()
	c.active--
	c.mu.Unlock()
	return err
}

// startManaged starts a long-lived foreign child that the reaper, not
// os/exec, waits for; done is closed once it has exited and been reaped.
func (c *children) startManaged(path string, argv []string, attr *os.ProcAttr) (pid int, done chan struct{}, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := os.StartProcess(path, argv, attr)
	if err != nil {
		return 0, nil, err
	}
	pid = p.Pid // Release sets p.Pid to -1
	_ = p.Release()
	if pid <= 0 {
		return 0, nil, fmt.Errorf("started %s but got pid %d", path, pid)
	}
	done = make(chan struct{})
	c.foreign[pid] = true
	c.managed[pid] = done
	return pid, done, nil
}

// exited reaps and reports whether done (from startManaged) is closed.
func (c *children) exited(done chan struct{}) bool {
	c.reap()
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// waitExit reaps until done is closed or d has passed.
func (c *children) waitExit(done chan struct{}, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !c.exited(done) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// isForeign reports whether pid is (or was) a foreign child.
func (c *children) isForeign(pid int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.foreign[pid]
}

// reap collects every child that has ended and reports whether the root has.
func (c *children) reap() (rootDone bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.rootDone {
		var ws unix.WaitStatus
		var ru unix.Rusage
		flags := unix.WNOHANG
		if c.jobControl {
			flags |= unix.WUNTRACED
		}
		pid, err := unix.Wait4(c.root, &ws, flags, &ru)
		switch {
		case err != nil || pid != c.root:
		case ws.Stopped():
			c.rootStopped = true
		default:
			c.rootDone, c.rootStatus, c.rootUsage = true, ws, ru
		}
	}
	if c.active > 0 {
		return c.rootDone
	}
	for {
		var ws unix.WaitStatus
		var ru unix.Rusage
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, &ru)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			break
		}
		switch {
		case pid == c.root:
			c.rootDone, c.rootStatus, c.rootUsage = true, ws, ru
		case c.managed[pid] != nil:
			c.managedCPU += tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
			close(c.managed[pid])
			delete(c.managed, pid)
		case c.foreign[pid]:
			// A foreign child whose waiter already gave up; nothing to count.
		default:
			c.reaped = append(c.reaped, reapedChild{pid: pid, usage: ru})
		}
	}
	return c.rootDone
}

// takeStopped reports, once, that the root stopped.
func (c *children) takeStopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	stopped := c.rootStopped
	c.rootStopped = false
	return stopped
}

// reapedCount is how many tree processes other than the root were reaped.
func (c *children) reapedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.reaped)
}

// reapedPIDs lists the command and the tree processes perfcap reaped.
func (c *children) reapedPIDs() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	pids := []int{c.root}
	for _, r := range c.reaped {
		pids = append(pids, r.pid)
	}
	return pids
}

// totals sums the rusage of the root and of every reaped orphan.
func (c *children) totals() treeUsage {
	c.mu.Lock()
	defer c.mu.Unlock()
	var t treeUsage
	t.add(c.root, &c.rootUsage)
	for i := range c.reaped {
		t.add(c.reaped[i].pid, &c.reaped[i].usage)
	}
	return t
}

// treeUsage is the rusage of every tree process perfcap reaped, including
// (through each child's own rusage) the descendants those waited for.
type treeUsage struct {
	user, sys      float64
	minflt, majflt int64
	nvcsw, nivcsw  int64
	maxRSS         uint64 // largest ru_maxrss of one reaped child, bytes
	maxRSSPID      int
}

func (t *treeUsage) add(pid int, ru *unix.Rusage) {
	t.user += tvSeconds(ru.Utime)
	t.sys += tvSeconds(ru.Stime)
	t.minflt += ru.Minflt
	t.majflt += ru.Majflt
	t.nvcsw += ru.Nvcsw
	t.nivcsw += ru.Nivcsw
	if rss := uint64(ru.Maxrss) * 1024; rss > t.maxRSS {
		t.maxRSS, t.maxRSSPID = rss, pid
	}
}

func tvSeconds(tv unix.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

// exitCode turns a wait status into the code perfcap exits with: the
// command's own code, or 128+N when signal N killed it.
func exitCode(ws unix.WaitStatus) (code int, sig syscall.Signal) {
	if ws.Signaled() {
		return 128 + int(ws.Signal()), ws.Signal()
	}
	return ws.ExitStatus(), 0
}
