package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/perfcap/perfcap/capture/procfs"
	"golang.org/x/sys/unix"
)

// ProcessInfo identifies a running process: its pid and start time
// together name it even after the pid is reused.
type ProcessInfo struct {
	PID  int
	Name string
	// Argv is the command line, unredacted.
	Argv []string
	// StartTicks is the start time in clock ticks since boot.
	StartTicks uint64
}

// ErrNoProcess means no process has the pid asked for.
var ErrNoProcess = errors.New("no such process")

// ReadProcessInfo reads what identifies process pid; proc "" is /proc. A
// pid that does not exist, or is a zombie, is ErrNoProcess.
func ReadProcessInfo(proc string, pid int) (ProcessInfo, error) {
	if proc == "" {
		proc = "/proc"
	}
	if pid <= 0 {
		return ProcessInfo{}, fmt.Errorf("pid %d: %w", pid, ErrNoProcess)
	}
	dir := proc + "/" + strconv.Itoa(pid)
	b, err := os.ReadFile(dir + "/stat")
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return ProcessInfo{}, fmt.Errorf("pid %d: %w", pid, ErrNoProcess)
	}
	if err != nil {
		return ProcessInfo{}, err
	}
	st, err := procfs.ParseStat(b)
	if err != nil {
		return ProcessInfo{}, fmt.Errorf("%s/stat: %w", dir, err)
	}
	if st.Dead() {
		return ProcessInfo{}, fmt.Errorf("pid %d has exited (zombie): %w", pid, ErrNoProcess)
	}
	info := ProcessInfo{PID: pid, Name: string(st.Comm), StartTicks: st.StartTime}
	if b, err := os.ReadFile(dir + "/cmdline"); err == nil && len(b) > 0 {
		for word := range bytes.SplitSeq(bytes.TrimSuffix(b, []byte{0}), []byte{0}) {
			info.Argv = append(info.Argv, string(word))
		}
	}
	return info, nil
}

// WatchPIDOptions configures WatchPID.
type WatchPIDOptions struct {
	// Process is the process to watch, as ReadProcessInfo gave it.
	Process ProcessInfo
	// Interval is the sampling period.
	Interval time.Duration
	// Epoch is the time sample offsets count from.
	Epoch time.Time
	// OnSample receives every sample, from WatchPID's goroutine.
	OnSample func(Sample)
	// Proc is where procfs is mounted; "" means /proc.
	Proc string
}

// WatchPID samples the tree of an existing process (the process and its
// descendants; perfcap's own children never count) on the schedule
// Epoch + k·Interval, until ctx is done or the process ends. It reports
// whether the process ended; a process whose pid now belongs to another
// (a different start time) has ended.
func WatchPID(ctx context.Context, opts WatchPIDOptions) (exited bool, err error) {
	if opts.Interval < MinInterval || opts.Interval > MaxInterval {
		return false, fmt.Errorf("interval %v is outside %v to %v", opts.Interval, MinInterval, MaxInterval)
	}
	s := NewSampler(SamplerConfig{
		Self:    os.Getpid(),
		Root:    opts.Process.PID,
		Foreign: func(int) bool { return true },
		Start:   opts.Epoch,
		Proc:    opts.Proc,
	})
	defer s.Close()
	timer := time.NewTimer(0)
	defer timer.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case now := <-timer.C:
			smp, serr := s.Sample(now)
			failed := serr != nil && smp.Procs == nil && smp.T == 0 // /proc unreadable
			if first {
				switch {
				case s.root == nil && failed:
					return false, serr
				case s.root == nil, s.root.start != opts.Process.StartTicks:
					// Gone, or its pid reused, before the first listing.
					return true, nil
				}
				first = false
			}
			if failed {
				k := time.Since(opts.Epoch)/opts.Interval + 1
				timer.Reset(time.Until(opts.Epoch.Add(k * opts.Interval)))
				continue
			}
			if opts.OnSample != nil {
				opts.OnSample(smp)
			}
			if !s.RootAlive() {
				return true, nil
			}
			k := time.Since(opts.Epoch)/opts.Interval + 1
			timer.Reset(time.Until(opts.Epoch.Add(k * opts.Interval)))
		}
	}
}

// processUID is the real uid of process pid, from its status file.
func processUID(proc string, pid int) (int, error) {
	st, err := procfs.ReadStatus(proc, pid)
	if err != nil {
		return 0, err
	}
	if st.UID < 0 {
		return 0, fmt.Errorf("%s/%d/status: no Uid line", proc, pid)
	}
	return st.UID, nil
}

// SelfCPUSeconds is perfcap's own user+system CPU time so far.
func SelfCPUSeconds() float64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
}

// RecordOptions configures RecordPID.
type RecordOptions struct {
	// PID is the process to record (its threads; not its children).
	PID int
	// Others are more processes to record with it (its children, say);
	// perf is given them all, and a pid gone by then is skipped.
	Others []int
	// Duration is how long to record.
	Duration time.Duration
	// Dir receives perf.data and perf.log.
	Dir string
	// Freq and CallGraph are as in PerfOptions; zero values pick 99 Hz
	// and fp.
	Freq      int
	CallGraph string
	// Run starts perf, so that a caller with a reaper keeps it foreign;
	// nil means exec.Cmd.Run.
	Run func(*exec.Cmd) error
}

// RecordPID records the CPU stacks of running processes for a while with
// `perf record -p`: a snapshot, where Run's recording covers a whole
// command. The result says why nothing was recorded, if so.
func RecordPID(ctx context.Context, opts RecordOptions) *PerfResult {
	freq := opts.Freq
	if freq == 0 {
		freq = 99
	}
	cg := opts.CallGraph
	if cg == "" || cg == "auto" {
		cg = "fp"
	}
	res := planPerf(&PerfOptions{Dir: opts.Dir, Freq: freq, CallGraph: cg}, "")
	if res.Reason != "" {
		return res
	}
	// Without privileges perf may only watch one's own processes, whatever
	// perf_event_paranoid says.
	if euid := os.Geteuid(); euid != 0 {
		if uid, err := processUID("/proc", opts.PID); err == nil && uid != euid {
			res.Reason = fmt.Sprintf("perf cannot record pid %d: it belongs to user %d, perfcap runs as user %d", opts.PID, uid, euid)
			res.Fix = "run perfcap as that user, or as root (sudo perfcap watch ...)"
			return res
		}
	}
	res.Data = filepath.Join(opts.Dir, "perf.data")
	res.Log = filepath.Join(opts.Dir, "perf.log")
	logf, err := os.Create(res.Log)
	if err != nil {
		res.Reason = fmt.Sprintf("creating perf.log: %v", err)
		return res
	}
	defer logf.Close()
	secs := strconv.FormatFloat(max(opts.Duration.Seconds(), 0.1), 'f', 3, 64)
	ctx, cancel := context.WithTimeout(ctx, opts.Duration+30*time.Second)
	defer cancel()
	pids := strconv.Itoa(opts.PID)
	for _, p := range opts.Others {
		if p > 0 && p != opts.PID {
			if _, err := os.Stat("/proc/" + strconv.Itoa(p)); err == nil {
				pids += "," + strconv.Itoa(p)
			}
		}
	}
	cmd := exec.CommandContext(ctx, "perf", "record", "-q", "-p", pids,
		"-e", res.Event, "-F", strconv.Itoa(res.Freq), "--call-graph", res.CallGraph,
		"-o", res.Data, "--", "sleep", secs)
	cmd.Stdout, cmd.Stderr = logf, logf
	run := opts.Run
	if run == nil {
		run = (*exec.Cmd).Run
	}
	if err := run(cmd); err != nil {
		res.Reason, res.Fix = perfFailure(res.Log)
		if res.Reason == "" {
			res.Reason = fmt.Sprintf("perf record -p %d: %v", opts.PID, err)
		}
		return res
	}
	if fi, err := os.Stat(res.Data); err != nil || fi.Size() == 0 {
		res.Reason, res.Fix = perfFailure(res.Log)
		if res.Reason == "" {
			res.Reason = "perf record wrote no perf.data"
		}
		return res
	}
	res.Recorded = true
	return res
}
