package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/perfcap/perfcap/capture/procfs"
	"github.com/perfcap/perfcap/format"
	"github.com/shirou/gopsutil/v4/load"
	"golang.org/x/sys/unix"
)

// Interval limits: faster sampling costs perfcap's own CPU without telling
// more; slower than an hour is no longer a timeline.
const (
	MinInterval     = 10 * time.Millisecond
	MaxInterval     = time.Hour
	DefaultInterval = 100 * time.Millisecond
)

// ForwardedSignals are the signals perfcap passes on to the command's
// process group. perfcap itself keeps running to write the bundle.
var ForwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// Options configures one run.
type Options struct {
	// Argv is the command and its arguments; Argv[0] is looked up in PATH.
	Argv []string
	// Dir is the working directory; "" means perfcap's own.
	Dir string
	// Env is the command's environment; nil means perfcap's own.
	Env []string
	// Stdin is handed to the command as it is; nil means /dev/null.
	Stdin *os.File
	// Stdout and Stderr receive the command's output as it comes.
	Stdout, Stderr io.Writer
	// StdoutTTY and StderrTTY, when set, are the terminals behind Stdout
	// and Stderr: the command then writes to a pseudo-terminal of the same
	// size, so it behaves (colours, buffering) as it would on the terminal.
	StdoutTTY, StderrTTY *os.File
	// StdoutLog and StderrLog, when set, receive a copy of each stream.
	StdoutLog, StderrLog io.Writer
	// OnLine, when set, receives every line of the command's output with
	// the time it came, one line at a time, from the streams' goroutines
	// (see Line).
	OnLine func(Line)
	// Interval is the sampling period; 0 means DefaultInterval.
	Interval time.Duration
	// OnSample is called with every sample, from the sampling goroutine.
	OnSample func(Sample)
	// OnExit, when set, is called once the command has exited and its last
	// sample is taken, before perf record is stopped and the output is
	// drained: the moment to put what was measured on disk.
	OnExit func()
	// Probes, when set, runs alongside the command; it must start every
	// child through run, so that perfcap neither measures nor reaps it.
	// Run returns only after Probes has.
	Probes func(run func(*exec.Cmd) error)
	// Foreign, when set, is given the runner of perfcap's own children as
	// soon as the command has started, before the first sample: a caller
	// that starts children of its own at any moment (a watch's snapshot)
	// must start them through it, or they join the measured tree.
	Foreign func(run func(*exec.Cmd) error)
	// Perf, when set, records CPU stacks of the whole tree with perf
	// record; Result.Perf says what was recorded or why not.
	Perf *PerfOptions
	// Epoch, when set, is the time sample and process offsets count from,
	// instead of the command's start: a watch that restarts its command
	// keeps one time axis across the runs.
	Epoch time.Time
	// Signals delivers the signals perfcap received (see ForwardedSignals);
	// each is forwarded to the command's process group. nil means Run
	// subscribes to them itself for its own duration.
	Signals <-chan os.Signal
}

// Result is what one run measured.
type Result struct {
	Started, Ended time.Time
	Summary        format.Totals
	// Processes lists every process of the tree seen in a sample.
	Processes []Process
	// Perf is what perf recorded, nil when it was not asked for.
	Perf *PerfResult
}

// StartError is a command that could not be started. Code is the exit code
// env(1) and timeout(1) use: 127 for not found, 126 for not executable.
type StartError struct {
	Name string
	Code int
	Err  error
}

func (e *StartError) Error() string {
	if e.Code == 127 {
		return fmt.Sprintf("%s: command not found; check its spelling and that its directory is in PATH", e.Name)
	}
	return fmt.Sprintf("%s: cannot execute: %v", e.Name, e.Err)
}

func (e *StartError) Unwrap() error { return e.Err }

// Run starts the command, samples its process tree until it exits, and
// returns the totals. An error means the command could not be run at all;
// a command that fails is a Result with its exit code.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if len(opts.Argv) == 0 {
		return nil, errors.New("no command given")
	}
	interval := opts.Interval
	if interval == 0 {
		interval = DefaultInterval
	}
	if interval < MinInterval || interval > MaxInterval {
		return nil, fmt.Errorf("interval %v is outside %v to %v", interval, MinInterval, MaxInterval)
	}
	path, err := lookPath(opts.Argv[0], opts.Env)
	if err != nil {
		return nil, err
	}

	// Orphaned descendants are reparented to perfcap, not to init, so they
	// stay in the measured tree and perfcap reaps them.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("becoming a child subreaper: %w", err)
	}
	sigs := opts.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 4)
		signal.Notify(ch, ForwardedSignals...)
		defer signal.Stop(ch)
		sigs = ch
	}
	sigchld := make(chan os.Signal, 1)
	signal.Notify(sigchld, syscall.SIGCHLD)
	defer signal.Stop(sigchld)

	r := &runner{opts: opts, interval: interval, kids: newChildren(), released: make(chan struct{})}
	release := sync.OnceFunc(func() { close(r.released) })
	defer release()
	if err := r.openStreams(); err != nil {
		return nil, err
	}
	defer r.closeStreams()

	var selfBefore unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &selfBefore)
	loadAvg, _ := load.AvgWithContext(ctx)

	r.started.forks0, r.started.forksKnown = readForks()
	proc, err := r.start(path)
	if err != nil {
		return nil, err
	}
	res := &Result{Started: r.start0}
	if loadAvg != nil {
		res.Summary.LoadAverage = [3]float64{loadAvg.Load1, loadAvg.Load5, loadAvg.Load15}
	}

	var probes sync.WaitGroup
	if opts.Foreign != nil {
		opts.Foreign(r.kids.runForeign)
	}
	if opts.Probes != nil {
		probes.Add(1)
		go func() {
			defer probes.Done()
			opts.Probes(r.kids.runForeign)
		}()
	}

	if opts.OnLine != nil {
		lineClocks(r.streams, cmpTime(opts.Epoch, r.start0), opts.OnLine)
	}
	exited := make(chan struct{})
	for _, s := range r.streams {
		go s.copy(&r.first, exited)
	}
	r.sampleUntilExit(ctx, sigs, sigchld)
	if r.chunks != nil {
		r.chunks.ended()
	}
	release()     // the command is gone: its parent thread may end
	close(exited) // the copies drain what is left, then stop
	if r.perf != nil {
		r.stopPerf(r.perf)
		if r.chunks != nil {
			r.chunks.finish()
			r.chunks.result(r.perfRes)
		}
		r.started.countPerfTasks(r.perfRes)
	}
	res.Perf = r.perfRes
	if r.symbols != nil {
		res.Perf.Binaries = r.symbols.binaries()
	}
	_ = proc.Release()
	probes.Wait()
	reapedBefore := r.kids.reapedCount()
	r.kids.reap() // orphans that ended while probes ran
	if r.kids.reapedCount() > reapedBefore {
		// They were alive in the last sample; sample again so their CPU
		// counts once, through their rusage.
		r.take(time.Now(), time.Time{})
	}
	forks1, ok := readForks()
	r.started.forks1, r.started.forksKnown = forks1, ok && r.started.forksKnown
	defer r.sampler.Close()
	r.restoreForeground()
	for _, s := range r.streams {
		<-s.done
	}
	res.Ended = r.end
	var selfAfter unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &selfAfter)
	r.summarize(&res.Summary, &selfBefore, &selfAfter)
	res.Processes = r.sampler.Processes()
	return res, nil
}

// runner holds the state of one run.
type runner struct {
	// released is closed once the command has exited: the OS thread that
	// started it (startLocked) may end then.
	released chan struct{}
	opts     Options
	interval time.Duration
	kids     *children
	sampler  *Sampler
	streams  []*stream
	first    firstByte
	fg       bool // the command was given the terminal's foreground
	perf     *perfSession
	perfRes  *PerfResult
	chunks   *perfChunks   // a recording in chunks (PerfOptions.Spool)
	symbols  *symbolKeeper // with perf: the tree's programs, held open
	started  startedCount

	start0, end time.Time
	interrupted bool
	tally       format.Tally // the sampled figures of the summary
	expected    int
	onSchedule  int
	maxLate     time.Duration
	lastSample  Sample
	// stops counts Ctrl-Z relayed, stoppedFor the time spent stopped.
	stops      int
	stoppedFor time.Duration
}

func (r *runner) openStreams() error {
	out, err := newStream(r.opts.Stdout, r.opts.StdoutLog, r.opts.StdoutTTY != nil, r.opts.StdoutTTY)
	if err != nil {
		return fmt.Errorf("creating the command's stdout: %w", err)
	}
	r.streams = append(r.streams, out)
	errs, err := newStream(r.opts.Stderr, r.opts.StderrLog, r.opts.StderrTTY != nil, r.opts.StderrTTY)
	if err != nil {
		return fmt.Errorf("creating the command's stderr: %w", err)
	}
	r.streams = append(r.streams, errs)
	return nil
}

func (r *runner) closeStreams() {
	for _, s := range r.streams {
		s.read.Close()
		s.write.Close()
	}
}

// start launches the command in its own process group. When perfcap owns
// the terminal's foreground, the command's group gets it instead, so the
// command can read the terminal and receives Ctrl-C itself, as it would
// without perfcap.
func (r *runner) start(path string) (*os.Process, error) {
	stdin := r.opts.Stdin
	if stdin == nil {
		null, err := os.Open(os.DevNull)
		if err != nil {
			return nil, err
		}
		defer null.Close()
		stdin = null
	}
	// Pdeathsig: a command perfcap started does not outlive perfcap (a CI
	// runner that SIGKILLs perfcap's process group misses the command's
	// own group). The kernel sends it when the thread that forked the
	// command ends, hence startLocked.
	sys := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if ownsForeground(stdin) {
		sys.Foreground, sys.Ctty = true, 0
		r.fg = true
		r.kids.jobControl = true
	}
	attr := &os.ProcAttr{
		Dir:   r.opts.Dir,
		Env:   r.opts.Env,
		Files: []*os.File{stdin, r.streams[0].write, r.streams[1].write},
		Sys:   sys,
	}
	if attr.Env == nil {
		attr.Env = os.Environ()
	}
	// With perf, the command starts as perfcap's exec shim, held until perf
	// has attached to it, so its first instruction is already recorded.
	exe, argv, gate := path, r.opts.Argv, (*os.File)(nil)
	if r.opts.Perf != nil {
		r.perfRes = planPerf(r.opts.Perf, r.opts.Argv[0])
		if r.perfRes.Reason == "" {
			// sh would run a file the kernel cannot execute as a script;
			// without the shim it is exit 126, so it must be here too.
			if err := execFormat(path); err != nil {
				return nil, startError(r.opts.Argv[0], err)
			}
			var err error
			if exe, argv, gate, err = r.shim(attr); err != nil {
				return nil, err
			}
			defer gate.Close()
		}
	}
	// The lock keeps the reaper from waiting for the new child before its
	// pid is known.
	r.kids.mu.Lock()
	r.start0 = time.Now()
	proc, err := startLocked(exe, argv, attr, r.released)
	if err == nil {
		r.kids.root = proc.Pid
	}
	r.kids.mu.Unlock()
	if len(attr.Files) > 3 {
		attr.Files[3].Close() // the shim's end of the gate
	}
	if err != nil {
		r.fg = false
		return nil, startError(r.opts.Argv[0], err)
	}
	for _, s := range r.streams {
		s.write.Close()
	}
	if gate != nil {
		r.perf = r.startPerf(r.perfRes, proc.Pid)
		if r.perf != nil && r.chunks != nil {
			r.chunks.started(r.perfRes.PerfRecording)
		}
		// The command's time starts now, not while perf was starting.
		mono := monotonicSeconds()
		r.start0 = time.Now()
		r.perfRes.ClockStart = mono - r.start0.Sub(cmpTime(r.opts.Epoch, r.start0)).Seconds()
		if _, err := gate.Write([]byte{'\n'}); err != nil {
			return nil, fmt.Errorf("releasing the command: %w", err)
		}
	}
	cfg := SamplerConfig{
		Self:    os.Getpid(),
		Root:    proc.Pid,
		Foreign: r.kids.isForeign,
		Start:   cmpTime(r.opts.Epoch, r.start0),
	}
	if r.perf != nil {
		r.symbols = newSymbolKeeper("")
		cfg.OnExec = r.symbols.exec
		if r.chunks != nil {
			r.chunks.keeper.Store(r.symbols)
		}
	}
	r.sampler = NewSampler(cfg)
	return proc, nil
}

// startLocked starts a process from a goroutine locked to its OS thread,
// which lives until released is closed: PR_SET_PDEATHSIG fires when the
// forking thread ends, and Go may end or reuse threads at will otherwise.
func startLocked(exe string, argv []string, attr *os.ProcAttr, released <-chan struct{}) (*os.Process, error) {
	type started struct {
		p   *os.Process
		err error
	}
	ch := make(chan started, 1)
	go func() {
		runtime.LockOSThread()
		p, err := os.StartProcess(exe, argv, attr)
		ch <- started{p, err}
		if err != nil {
			runtime.UnlockOSThread()
			return
		}
		// Still locked on return: the runtime ends this thread instead
		// of handing it to other goroutines; the command is gone by then.
		<-released
	}()
	s := <-ch
	return s.p, s.err
}

// execFormat reports ENOEXEC for a file that is neither an ELF binary nor a
// "#!" script, which execve(2) refuses.
func execFormat(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if bytes.HasPrefix(head, []byte("\x7fELF")) || bytes.HasPrefix(head, []byte("#!")) {
		return nil
	}
	return &os.PathError{Op: "exec", Path: path, Err: syscall.ENOEXEC}
}

// shimScript holds the command until perf is attached: perfcap writes a
// newline on fd 3, and sh execs the command in place, keeping its pid,
// process group, terminal and argv. The shim must be single-threaded: perf
// attached to the threads of a multi-threaded shim (a Go program) spins on
// their hung-up events once exec has ended them.
const shimScript = `read -r _ <&3 || exit 125; exec "$@" 3<&-`

// shim makes attr start the command behind shimScript, and returns the
// shim's executable and argv and the write end of its gate.
func (r *runner) shim(attr *os.ProcAttr) (string, []string, *os.File, error) {
	gateR, gateW, err := os.Pipe()
	if err != nil {
		return "", nil, nil, err
	}
	attr.Files = append(attr.Files, gateR)
	argv := append([]string{"sh", "-c", shimScript, "perfcap-shim"}, r.opts.Argv...)
	return "/bin/sh", argv, gateW, nil
}

// sampleUntilExit samples on the schedule start + k·interval, forwards
// signals, reaps children, and returns once the command has exited.
func (r *runner) sampleUntilExit(ctx context.Context, sigs <-chan os.Signal, sigchld <-chan os.Signal) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	k := 0 // the slot of the next sample
	ctxDone := ctx.Done()
	for {
		select {
		case sig := <-sigs:
			r.forward(sig)
		case <-ctxDone:
			ctxDone = nil
			r.forward(syscall.SIGTERM)
		case <-sigchld:
			if r.kids.reap() {
				r.finish()
				return
			}
			if r.kids.takeStopped() {
				r.suspend()
			}
		case now := <-timer.C:
			slot := r.start0.Add(time.Duration(k) * r.interval)
			r.take(now, slot)
			if r.kids.reap() {
				r.finish()
				return
			}
			if r.kids.takeStopped() {
				r.suspend()
			}
			// The next slot strictly after now: a tick that ran late skips
			// the slots it missed instead of bunching samples together.
			k = int(time.Since(r.start0)/r.interval) + 1
			timer.Reset(time.Until(r.start0.Add(time.Duration(k) * r.interval)))
		}
	}
}

// suspend relays a Ctrl-Z. The command stopped on the terminal perfcap
// handed it, so perfcap takes the terminal back and stops its own process
// group, which the shell sees as a stopped job. When the shell continues it
// (fg, or bg), perfcap hands the terminal back to the command if perfcap is
// in the foreground again, and continues the command. SIGSTOP, not
// SIGTSTP: the kernel drops SIGTSTP in an orphaned process group (perfcap
// started by something other than a job-control shell).
func (r *runner) suspend() {
	fd := int(r.opts.Stdin.Fd())
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	stopped := time.Now()
	_ = unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, unix.Getpgrp())
	// kill returns before every thread has stopped: the SIGCONT that ends
	// the stop is what says perfcap was stopped and is continued.
	cont := make(chan os.Signal, 1)
	signal.Notify(cont, syscall.SIGCONT)
	defer signal.Stop(cont)
	if unix.Kill(0, unix.SIGSTOP) == nil {
		<-cont
	}
	// A shell continues the whole group; something else may have
	// continued perfcap alone, leaving its probes (git, rustc) stopped.
	_ = unix.Kill(0, unix.SIGCONT)
	if pg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP); err == nil && pg == unix.Getpgrp() {
		_ = unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, r.kids.root)
	}
	_ = unix.Kill(-r.kids.root, unix.SIGCONT)
	r.stops++
	r.stoppedFor += time.Since(stopped)
}

// finish takes the last sample once the command has exited.
func (r *runner) finish() {
	r.end = time.Now()
	r.kids.reap()
	r.take(r.end, time.Time{})
	// A stopped command (Ctrl-Z) is not sampled: no slot is expected then.
	r.expected = max(int((r.end.Sub(r.start0)-r.stoppedFor)/r.interval)+1, r.onSchedule)
}

// take records one sample; slot is its place on the schedule, zero for the
// final sample taken at the command's exit.
func (r *runner) take(now, slot time.Time) {
	s, err := r.sampler.Sample(now)
	if err != nil {
		return
	}
	if !slot.IsZero() {
		late := now.Sub(slot)
		if late < r.interval {
			r.onSchedule++
		}
		if late > r.maxLate {
			r.maxLate = late
		}
	}
	r.tally.Add(s.Row())
	r.lastSample = s
	if r.opts.OnSample != nil {
		r.opts.OnSample(s)
	}
}

// forward sends sig to the command's whole process group.
func (r *runner) forward(sig os.Signal) {
	r.interrupted = true
	if s, ok := sig.(syscall.Signal); ok {
		_ = unix.Kill(-r.kids.root, s)
	}
}

// restoreForeground gives the terminal's foreground back to perfcap.
func (r *runner) restoreForeground() {
	if !r.fg {
		return
	}
	// perfcap is a background process group now: tcsetpgrp would stop it
	// with SIGTTOU unless the signal is ignored.
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	_ = unix.IoctlSetPointerInt(int(r.opts.Stdin.Fd()), unix.TIOCSPGRP, unix.Getpgrp())
}

// summarize fills s from the samples, the reaped children's rusage and
// perfcap's own rusage.
func (r *runner) summarize(s *format.Totals, selfBefore, selfAfter *unix.Rusage) {
	wall := r.end.Sub(r.start0).Seconds()
	s.WallSeconds = wall
	s.IntervalSeconds = r.interval.Seconds()
	s.ExitCode, s.Signal = r.exit()
	s.Interrupted = r.interrupted || interruptSignal(s.Signal)

	u := r.kids.totals()
	live, liveSys := r.sampler.LiveCPUSeconds(), r.sampler.LiveSystemSeconds()
	s.UserSeconds, s.SysSeconds = u.user, u.sys
	// Processes still alive have no rusage yet; their last reading counts.
	s.UserSeconds += live - liveSys
	s.SysSeconds += liveSys
	s.MinorFaults, s.MajorFaults = u.minflt, u.majflt
	s.VoluntaryContextSwitches, s.InvoluntaryContextSwitch = u.nvcsw, u.nivcsw

	s.PeakRSSBytes = r.sampler.PeakTreeRSS()
	s.MaxProcessRSSPID, s.MaxProcessRSSBytes = r.sampler.MaxProcessRSS()
	s.MaxProcessRSSSource = "vmhwm"
	// ru_maxrss of a child perfcap forked starts at perfcap's own RSS at
	// the fork, so it is believed only when it exceeds perfcap's peak.
	if u.maxRSS > s.MaxProcessRSSBytes && u.maxRSS > selfHWM() {
		s.MaxProcessRSSBytes, s.MaxProcessRSSPID, s.MaxProcessRSSSource = u.maxRSS, u.maxRSSPID, "rusage"
	}
	// A short-lived process can peak between two samples (the Go compiler
	// in go test); the tree held at least that much then, so its peak is
	// never below the largest single process's.
	s.PeakRSSSource = "sampled"
	if s.MaxProcessRSSBytes > s.PeakRSSBytes {
		s.PeakRSSBytes, s.PeakRSSSource = s.MaxProcessRSSBytes, "largest process"
	}

	if !r.first.at.IsZero() {
		// A byte read after the exit was written before it.
		s.FirstOutputSeconds = min(r.first.at.Sub(r.start0).Seconds(), wall)
	} else {
		s.FirstOutputSeconds = -1
	}
	s.StdoutBytes = r.streams[0].bytes.Load()
	s.StderrBytes = r.streams[1].bytes.Load()

	s.ExpectedSamples, s.OnSchedule = r.expected, r.onSchedule
	s.MaxLatenessSeconds = r.maxLate.Seconds()
	procs := r.sampler.Processes()
	s.Processes = len(procs)
	for _, p := range procs {
		if p.End < 0 {
			s.LeftRunning = append(s.LeftRunning, p.PID)
		}
	}
	sort.Ints(s.LeftRunning)
	s.ReapedOrphans = r.kids.reapedCount()
	counted, exact := r.started.perf()
	s.SetProcessesStarted(startedAtLeast(procs, r.kids.reapedPIDs()), r.started.atMost(), counted, exact)

	sampledPeak := s.PeakRSSBytes
	r.tally.Fill(s)
	if s.PeakRSSBytes > sampledPeak {
		s.PeakRSSSource = "sampled"
	}
	r.kids.mu.Lock()
	s.PerfRecordCPUSeconds = r.kids.managedCPU
	r.kids.mu.Unlock()
	s.SetCPUShares(runtime.NumCPU())
	s.PerfcapCPUSeconds = tvSeconds(selfAfter.Utime) + tvSeconds(selfAfter.Stime) -
		tvSeconds(selfBefore.Utime) - tvSeconds(selfBefore.Stime)
	s.Warnings = r.warnings(s)
}

func (r *runner) exit() (int, string) {
	r.kids.mu.Lock()
	ws := r.kids.rootStatus
	r.kids.mu.Unlock()
	code, sig := exitCode(ws)
	if sig == 0 {
		return code, ""
	}
	return code, unix.SignalName(sig)
}

func (r *runner) warnings(s *format.Totals) []string {
	w := []string{}
	if s.OtherCPUPercent > 10 {
		w = append(w, fmt.Sprintf("other processes used %.0f%% of the machine's CPU during the run: timings may be unreliable; rerun on a quiet machine", s.OtherCPUPercent))
	}
	if n := len(s.LeftRunning); n > 0 {
		procs := "descendant processes"
		if n == 1 {
			procs = "descendant process"
		}
		w = append(w, fmt.Sprintf("%d %s still running after the command exited (pids %v): their CPU counts up to the last sample", n, procs, s.LeftRunning))
	}
	if s.Interrupted {
		w = append(w, "the run was interrupted: figures cover only the part that ran")
	}
	if r.stops > 0 {
		times := fmt.Sprintf("%d times", r.stops)
		if r.stops == 1 {
			times = "once"
		}
		w = append(w, fmt.Sprintf("the command was stopped (Ctrl-Z) %s, for %.1f s in all: the wall time includes it, the samples skip it", times, r.stoppedFor.Seconds()))
	}
	if s.ExpectedSamples > 0 && float64(s.OnSchedule) < 0.99*float64(s.ExpectedSamples-1) {
		w = append(w, fmt.Sprintf("only %d of %d samples were taken on schedule: the machine was too busy for the %v interval", s.OnSchedule, s.ExpectedSamples, r.interval))
	}
	return w
}

func interruptSignal(name string) bool {
	switch name {
	case "SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT":
		return true
	}
	return false
}

// ownsForeground reports whether f is a terminal whose foreground process
// group is perfcap's.
func ownsForeground(f *os.File) bool {
	pgrp, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// lookPath finds argv0 the way a shell would: a name with a slash as it
// is, any other in the PATH of env (perfcap's own PATH when env is nil).
func lookPath(argv0 string, env []string) (string, error) {
	if strings.Contains(argv0, "/") {
		if err := executable(argv0); err != nil {
			return "", startError(argv0, err)
		}
		return argv0, nil
	}
	pathEnv, found := os.Getenv("PATH"), env == nil
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathEnv, found = v, true
		}
	}
	if !found {
		pathEnv = ""
	}
	var denied error
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, argv0)
		err := executable(p)
		if err == nil {
			return p, nil
		}
		if errors.Is(err, os.ErrPermission) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", startError(argv0, denied)
	}
	return "", startError(argv0, exec.ErrNotFound)
}

// executable reports why path cannot be executed, or nil.
func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return &os.PathError{Op: "exec", Path: path, Err: syscall.EISDIR}
	}
	if err := unix.Access(path, unix.X_OK); err != nil {
		return &os.PathError{Op: "exec", Path: path, Err: err}
	}
	return nil
}

func startError(name string, err error) error {
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, os.ErrNotExist):
		return &StartError{Name: name, Code: 127, Err: err}
	case errors.Is(err, os.ErrPermission), errors.Is(err, syscall.ENOEXEC), errors.Is(err, syscall.EISDIR):
		return &StartError{Name: name, Code: 126, Err: err}
	}
	return &StartError{Name: name, Code: 126, Err: err}
}

// cmpTime returns t unless it is zero, else def.
func cmpTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// selfHWM is perfcap's own peak RSS in bytes.
func selfHWM() uint64 {
	st, err := procfs.ReadStatus("/proc", os.Getpid())
	if err != nil {
		return 0
	}
	return st.VmHWM
}
