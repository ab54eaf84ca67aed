package capture

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	// managedCPU is the CPU seconds of the managed children reaped so far,
	// but for helpers: managed children whose exit and CPU runHelper
	// returns (perf script over a chunk of the recording).
	managedCPU float64
	helpers    map[int]*helperExit

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
	return &children{foreign: make(map[int]bool), managed: make(map[int]chan struct{}), helpers: make(map[int]*helperExit)}
}

// helperExit is how a helper ended.
type helperExit struct {
	ws  unix.WaitStatus
	cpu float64
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
	return c.startManagedExit(path, argv, attr, nil)
}

// startManagedExit is startManaged that fills h, when not nil, once the
// child is reaped.
func (c *children) startManagedExit(path string, argv []string, attr *os.ProcAttr, h *helperExit) (pid int, done chan struct{}, err error) {
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
	if h != nil {
		c.helpers[pid] = h
	}
	return pid, done, nil
}

// runHelper runs cmd to completion as a managed child, so that, unlike
// with runForeign, orphans of the tree are reaped while it runs, and
// returns the CPU it took. The child starts on the calling thread and
// inherits its scheduling priority. started, when not nil, is told its
// pid.
func (c *children) runHelper(cmd *exec.Cmd, started func(pid int)) (cpu float64, err error) {
	if cmd.Err != nil {
		return 0, cmd.Err
	}
	files := []*os.File{nil, nil, nil}
	for i, f := range []any{cmd.Stdin, cmd.Stdout, cmd.Stderr} {
		switch f := f.(type) {
		case nil:
		case *os.File:
			files[i] = f
		case io.Writer:
			if i == 0 {
				return 0, fmt.Errorf("running %s: stdin must be a file", cmd.Path)
			}
			pr, pw, err := os.Pipe()
			if err != nil {
				return 0, err
			}
			copied := make(chan struct{})
			go func() {
				defer close(copied)
				_, _ = io.Copy(f, pr)
				pr.Close()
			}()
			defer func() { <-copied }()
			defer pw.Close()
			files[i] = pw
		default:
			return 0, fmt.Errorf("running %s: stdin must be a file", cmd.Path)
		}
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	for i := range files {
		if files[i] == nil {
			files[i] = null
		}
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	h := &helperExit{}
	pid, done, err := c.startManagedExit(cmd.Path, cmd.Args, &os.ProcAttr{Dir: cmd.Dir, Env: env, Files: files}, h)
	if err != nil {
		return 0, err
	}
	if started != nil {
		started(pid)
	}
	c.waitExit(done, 1<<62)
	switch {
	case h.ws.Signaled():
		return h.cpu, fmt.Errorf("%s: %v", filepath.Base(cmd.Path), h.ws.Signal())
	case h.ws.ExitStatus() != 0:
		return h.cpu, fmt.Errorf("%s: exit status %d", filepath.Base(cmd.Path), h.ws.ExitStatus())
	}
	return h.cpu, nil
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
			cpu := tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
			if h := c.helpers[pid]; h != nil {
				h.ws, h.cpu = ws, cpu
				delete(c.helpers, pid)
			} else {
				c.managedCPU += cpu
			}
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
