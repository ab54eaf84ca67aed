package capture

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/perfcap/perfcap/capture/perfpipe"
	"github.com/perfcap/perfcap/capture/procfs"
)

// How many processes a run started. Samples of /proc see only the
// processes alive at a tick, so a shell loop of a thousand short commands
// reads as a handful. Three other sources bound or count the real number:
//
//   - perf's task events: with perf recording, perf.data holds a fork
//     record for every process of the tree (perfpipe.ReadTasks); unless perf
//     lost events or stopped early, that count is exact;
//   - perfcap's reaper: the command and every orphan reparented to
//     perfcap were started, seen in a sample or not;
//   - /proc/stat's processes counter: every task (process or thread) the
//     machine created since boot; its growth over the run bounds the
//     processes the run can have started. It is read instead of
//     /proc/loadavg's last pid because it never wraps around and does not
//     depend on the pid namespace.

// startedCount is what a run learned about the processes it started.
type startedCount struct {
	forks0, forks1 uint64 // /proc/stat's processes before and after
	forksKnown     bool
	tasks          perfpipe.Tasks
	perfCounted    bool // tasks holds perf's count
	perfComplete   bool // perf lost no event and was not cut short
}

// readForks reads /proc/stat's processes counter.
func readForks() (uint64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	n, err := parseForks(b)
	return n, err == nil
}

// parseForks returns the processes line of /proc/stat ("processes
// 13165"): how many tasks the machine created since boot.
func parseForks(b []byte) (uint64, error) {
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		if v, ok := bytes.CutPrefix(line, []byte("processes ")); ok {
			n, ok := procfs.ParseUint(bytes.TrimSpace(v))
			if !ok {
				return 0, fmt.Errorf("stat: processes line: invalid number %q", procfs.Clip(v))
			}
			return n, nil
		}
	}
	return 0, errors.New("stat: no processes line")
}

// countPerfTasks reads perf's fork count from the recording, when perf
// recorded.
func (c *startedCount) countPerfTasks(res *PerfResult) {
	if res != nil && res.Recorded && res.tasks != nil {
		// A recording in chunks: counted as perf's output went by.
		c.tasks, c.perfCounted = *res.tasks, true
		c.perfComplete = c.tasks.Lost == 0
		return
	}
	if res == nil || !res.Recorded || res.Data == "" {
		return
	}
	var err error
	if c.tasks, err = perfpipe.ReadTasksFile(res.Data); err != nil {
		return // the bounds still hold
	}
	c.perfCounted = true
	log, _ := os.ReadFile(res.Log)
	c.perfComplete = c.tasks.Lost == 0 && !strings.Contains(string(log), "size limit reached")
}

// atMost is the machine's task creations over the run; 0 when unknown.
func (c *startedCount) atMost() int {
	if !c.forksKnown || c.forks1 < c.forks0 || c.forks1-c.forks0 > 1<<31-1 {
		return 0
	}
	return int(c.forks1 - c.forks0)
}

// perf is perf's count of the processes the run started: the command
// (which perf attached to) and every process forked under it.
func (c *startedCount) perf() (n int, exact bool) {
	if !c.perfCounted {
		return 0, false
	}
	return 1 + c.tasks.Processes, c.perfComplete
}

// startedAtLeast counts the processes known to have been started: those
// seen in a sample, and the pids (the command, the orphans perfcap
// reaped) not among them.
func startedAtLeast(procs []Process, pids []int) int {
	seen := make(map[int]bool, len(procs))
	for _, p := range procs {
		seen[p.PID] = true
	}
	n := len(procs)
	for _, pid := range pids {
		if pid > 0 && !seen[pid] {
			seen[pid] = true
			n++
		}
	}
	return n
}
