package capture

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/perfcap/perfcap/capture/procfs"
	"github.com/perfcap/perfcap/format"
	"golang.org/x/sys/unix"
)

// SamplerConfig says which process tree a Sampler measures.
type SamplerConfig struct {
	// Self is perfcap's own pid. perfcap is never part of the tree; its
	// children are (orphans reparented to it), unless Foreign says not.
	Self int
	// Root is the command's pid.
	Root int
	// Foreign reports whether a child of Self is outside the tree (a probe
	// such as `rustc -vV`). It is called at most once per process; nil
	// means every child of Self is in the tree.
	Foreign func(pid int) bool
	// Start is the time sample and process offsets count from.
	Start time.Time
	// Proc is where procfs is mounted; "" means /proc.
	Proc string
	// OnExec, when set, is called with the pid of each tree process when
	// it is first read and when it runs a new program (its name changed).
	OnExec func(pid int)
}

// Sampler measures a process tree, at most one pass over /proc per Sample.
//
// The tree is the root, every descendant of a tree process, and every child
// of Self that is not foreign. Membership is decided once per process: the
// /proc directory is listed with getdents, and an entry whose pid and inode
// were seen before is the same process, so it is not read again unless it
// is in the tree. The listing is skipped when no pid was allocated since the
// last one (the last pid in /proc/loadavg did not move), which on a steady
// tree halves the cost of a tick. Only tree processes are read every tick:
// their /proc/PID/stat, kept open, and /proc/PID/status when they faulted
// pages since it was last read (the peak RSS cannot grow otherwise).
//
// A Sampler is not safe for concurrent use.
type Sampler struct {
	cfg  SamplerConfig
	proc string // procfs root

	// /proc, /proc/stat, /proc/meminfo, /proc/loadavg; -1 until open.
	dirFD, statFD, memFD, loadFD int
	// fds counts the /proc/PID files kept open; past maxFDs they are
	// reopened on every read instead.
	fds, maxFDs int

	buf   []byte // content of the /proc file being parsed
	dents []byte // getdents records

	// prev and cur are the /proc listing of the previous and current pass,
	// by pid; they swap each tick so their storage is reused.
	prev, cur []entry
	gen       uint64 // the pass number, to tell which tree processes it saw
	rootSeen  bool
	root      *treeProc // the root once seen
	lastPID   int       // the last pid allocated at the last listing; 0 for unknown
	listT     float64   // the offset of the last listing

	procs    []*treeProc // every tree process seen, in order of discovery
	present  []*treeProc // tree processes alive or zombie at the last pass
	vanished []*treeProc // scratch: tree processes gone in this pass

	clk      float64 // clock ticks per second
	page     uint64
	bootBase float64 // CLOCK_BOOTTIME at Start, in seconds

	lastT     float64 // the previous sample's offset
	lastTicks uint64  // the tree's CPU estimate at the previous sample
	retired   uint64  // CPU ticks of tree processes gone and reaped outside the tree's sight
	liveTicks uint64  // CPU ticks of the tree's live processes at the last sample
	liveSys   uint64  // the system part of liveTicks
	peakTree  uint64

	// The machine-wide figures and when they were read (sysT < 0: never).
	sysT              float64
	sysCPU            float64
	sysAvail          uint64
	cpuBusy, cpuTotal uint64 // /proc/stat ticks at sysT
}

// treeProc is the sampler's state for one process of the tree.
type treeProc struct {
	info  Process
	start uint64 // starttime in ticks: with the pid, its identity
	state procState
	ppid  int // the parent at the last reading

	statFD, statusFD int // kept open between ticks; -1 when not

	utime, stime uint64 // own CPU, ticks
	waited       uint64 // cutime+cstime: children it has waited for, ticks
	waitedSys    uint64 // the cstime part of waited
	// waitedBefore is waited at the previous sample, and expected what the
	// children that vanished in this pass held at their last reading: if
	// the process reaped them, waited grew by at least that much.
	waitedBefore, expected uint64

	rss     uint64
	threads int
	faults  uint64 // minflt+majflt when status was last read
	hwm     bool   // status was read at least once

	seen uint64 // the last pass that listed it
}

// procState is where a tree process is in its life.
type procState uint8

const (
	alive procState = iota
	zombie
	gone
)

// ticks is the CPU the process accounts for: its own and its waited-for
// children's.
func (tp *treeProc) ticks() uint64 { return tp.utime + tp.stime + tp.waited }

// NewSampler returns a Sampler for the tree cfg describes. It opens /proc
// and takes the machine's first CPU and memory reading: the samples of the
// first 90 ms (systemRefresh) repeat it, with a system CPU of 0 as no
// clock tick has passed yet. A failure there is reported by Sample.
func NewSampler(cfg SamplerConfig) *Sampler {
	s := &Sampler{
		cfg:    cfg,
		proc:   cfg.Proc,
		dirFD:  -1,
		statFD: -1,
		memFD:  -1,
		loadFD: -1,
		buf:    make([]byte, 8<<10),
		dents:  make([]byte, 32<<10),
		clk:    procfs.ClockTicks(),
		page:   uint64(os.Getpagesize()),
		sysT:   -1,
	}
	if s.proc == "" {
		s.proc = "/proc"
	}
	// Two kept-open files per tree process at most, in a quarter of the fd
	// limit: perfcap's other files and large trees both fit.
	s.maxFDs = 2048
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && rl.Cur/4 < uint64(s.maxFDs) {
		s.maxFDs = int(rl.Cur / 4)
	}
	// starttime counts ticks on CLOCK_BOOTTIME; where Start falls on that
	// clock turns it into an offset (btime in /proc/stat is whole seconds).
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts) == nil {
		s.bootBase = float64(ts.Nano())/1e9 - time.Since(cfg.Start).Seconds()
	}
	if s.open() == nil {
		var smp Sample
		smp.T = time.Since(cfg.Start).Seconds()
		_ = s.system(&smp) // a failure shows again in Sample
	}
	return s
}

// open opens the files every pass reads.
func (s *Sampler) open() error {
	var err error
	if s.dirFD < 0 {
		if s.dirFD, err = unix.Open(s.proc, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
			s.dirFD = -1
			return fmt.Errorf("opening %s: %w", s.proc, err)
		}
	}
	for _, f := range []struct {
		fd   *int
		name string
	}{{&s.statFD, "stat"}, {&s.memFD, "meminfo"}, {&s.loadFD, "loadavg"}} {
		if *f.fd >= 0 {
			continue
		}
		path := s.proc + "/" + f.name
		if *f.fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			*f.fd = -1
			return fmt.Errorf("opening %s: %w", path, err)
		}
	}
	return nil
}

// Close releases the files the Sampler keeps open. The Sampler can still
// answer Processes and the other totals afterwards.
func (s *Sampler) Close() error {
	for _, fd := range []*int{&s.dirFD, &s.statFD, &s.memFD, &s.loadFD} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
	for _, tp := range s.procs {
		s.closeFiles(tp)
	}
	return nil
}

// Sample takes one pass over /proc and returns the tree at now.
//
// TreeCPUPercent counts, between two samples, the CPU each tree process
// gained plus what its parent collected from children that vanished (their
// cutime and cstime). What a process used after its last sample and before
// perfcap reaped it, and processes that lived and died between two samples
// as children of perfcap, are missing: the exact totals come from the rusage
// of reaped children, not from samples.
//
// SystemCPUPercent and SystemAvailable are read at most every 90 ms
// (systemRefresh); a faster sample repeats the last reading.
//
// A file that cannot be parsed does not stop the pass: the Sample covers
// every other process and the error names the file.
func (s *Sampler) Sample(now time.Time) (Sample, error) {
	if err := s.open(); err != nil {
		return Sample{}, err
	}
	s.gen++
	smp := Sample{TimelineRow: format.TimelineRow{T: now.Sub(s.cfg.Start).Seconds()}}
	if err := s.listIfNew(smp.T); err != nil {
		return Sample{}, err
	}

	var firstErr error
	keep := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	for i := range s.cur {
		if tp := s.cur[i].tp; tp != nil {
			tp.seen = s.gen
		}
	}
	s.vanished = s.vanished[:0]
	for _, tp := range s.present {
		if tp.seen != s.gen {
			s.vanish(tp, smp.T)
		}
	}
	s.present = s.present[:0]
	for i := range s.cur {
		tp := s.cur[i].tp
		if tp == nil || tp.state == gone {
			continue
		}
		tp.waitedBefore = tp.waited
		keep(s.update(tp, smp.T))
		if tp.state != gone {
			s.present = append(s.present, tp)
		}
	}
	keep(s.account(smp.T))

	var ticks, live, liveSys uint64
	for _, tp := range s.present {
		ticks += tp.ticks()
		if tp.state != alive {
			continue
		}
		live += tp.ticks()
		liveSys += tp.stime + tp.waitedSys
		smp.Processes++
		smp.Threads += tp.threads
		smp.TreeRSS += tp.rss
	}
	smp.Procs = make([]format.ProcSample, 0, smp.Processes)
	for _, tp := range s.present {
		if tp.state == alive {
			smp.Procs = append(smp.Procs, format.ProcSample{
				PID:     tp.info.PID,
				PPID:    tp.ppid,
				Name:    tp.info.Name,
				UserSec: float64(tp.utime) / s.clk,
				SysSec:  float64(tp.stime) / s.clk,
				RSS:     tp.rss,
				Threads: tp.threads,
			})
		}
	}
	ticks += s.retired
	if dt := smp.T - s.lastT; dt > 0 && ticks > s.lastTicks {
		smp.TreeCPUPercent = float64(ticks-s.lastTicks) / s.clk / dt * 100
	}
	s.lastT, s.lastTicks, s.liveTicks, s.liveSys = smp.T, max(ticks, s.lastTicks), live, liveSys
	s.peakTree = max(s.peakTree, smp.TreeRSS)

	if err := s.system(&smp); err != nil {
		return Sample{}, err
	}
	return smp, firstErr
}

// update reads a tree process. A process that became a zombie is ended at
// offset t; a zombie is read too, to notice when it is reaped and vanishes.
func (s *Sampler) update(tp *treeProc, t float64) error {
	pid := tp.info.PID
	b, err := s.readPidFile(&tp.statFD, pid, "stat", true)
	if exited(err) {
		s.vanish(tp, t)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s/%d/stat: %w", s.proc, pid, err)
	}
	st, err := procfs.ParseStat(b)
	if err != nil {
		return fmt.Errorf("%s/%d/stat: %w", s.proc, pid, err)
	}
	if st.StartTime != tp.start {
		s.vanish(tp, t) // the pid was reused while the file was not kept open
		return nil
	}
	if string(st.Comm) != tp.info.Name || (tp.info.Argv == nil && !st.Dead()) {
		// A new name is usually an exec: the command line changed too.
		// An empty one is read again: during execve the new name is set
		// before the new command line exists, and a read in between is
		// empty.
		tp.info.Name = string(st.Comm)
		tp.info.Argv = s.readArgv(pid)
		if s.cfg.OnExec != nil && !st.Dead() {
			s.cfg.OnExec(pid)
		}
	}
	tp.ppid = st.PPID
	tp.utime, tp.stime, tp.waited, tp.waitedSys = st.UTime, st.STime, st.CUTime+st.CSTime, st.CSTime
	tp.rss = st.RSSPages * s.page
	tp.threads = st.Threads
	tp.info.CPUSeconds = float64(tp.utime+tp.stime) / s.clk
	if st.Dead() {
		if tp.info.End < 0 {
			tp.info.End = t
		}
		tp.state = zombie
		return nil
	}
	tp.info.PeakRSS = max(tp.info.PeakRSS, tp.rss)
	// Resident memory grows by faulting pages in, so VmHWM cannot have
	// moved unless the fault counters did.
	if faults := st.MinFlt + st.MajFlt; !tp.hwm || faults != tp.faults {
		b, err := s.readPidFile(&tp.statusFD, pid, "status", true)
		if exited(err) {
			s.vanish(tp, t)
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s/%d/status: %w", s.proc, pid, err)
		}
		ps, err := procfs.ParseStatus(b)
		if err != nil {
			return fmt.Errorf("%s/%d/status: %w", s.proc, pid, err)
		}
		tp.faults, tp.hwm = faults, true
		tp.info.PeakRSS = max(tp.info.PeakRSS, ps.VmHWM)
	}
	return nil
}

// vanish ends a tree process that is no longer in /proc at offset t,
// unless it ended earlier as a zombie.
func (s *Sampler) vanish(tp *treeProc, t float64) {
	if tp.info.End < 0 {
		tp.info.End = t
	}
	s.closeFiles(tp)
	tp.state = gone
	s.vanished = append(s.vanished, tp)
}

// account moves the CPU of the tree processes that vanished in this pass
// to where it now shows: the cutime of a tree parent that reaped them, or
// s.retired. A parent that ignored SIGCHLD reaps without collecting the
// time; the shortfall goes to s.retired too.
func (s *Sampler) account(t float64) error {
	var err error
	for _, c := range s.vanished {
		// A child that vanished mid-pass may have been reaped after its
		// parent was read; reading the parent again settles it.
		if p := s.presentTree(c.ppid); p != nil && p.state == alive && c.seen == s.gen {
			if e := s.update(p, t); e != nil && err == nil {
				err = e
			}
		}
	}
	for _, c := range s.vanished {
		// The nearest ancestor still present collected the child's time if
		// anyone in the tree did: a parent that vanished too passed it on.
		pid := c.ppid
		for range s.vanished {
			i := slices.IndexFunc(s.vanished, func(v *treeProc) bool { return v.info.PID == pid })
			if i < 0 {
				break
			}
			pid = s.vanished[i].ppid
		}
		if p := s.presentTree(pid); p != nil {
			p.expected += c.ticks()
		} else {
			s.retired += c.ticks()
		}
	}
	for _, p := range s.present {
		if p.expected > 0 {
			if got := p.waited - p.waitedBefore; got < p.expected {
				s.retired += p.expected - got
			}
			p.expected = 0
		}
	}
	if len(s.vanished) > 0 {
		s.present = slices.DeleteFunc(s.present, func(tp *treeProc) bool { return tp.state == gone })
	}
	return err
}

// presentTree returns the tree process listed under pid in this pass.
func (s *Sampler) presentTree(pid int) *treeProc {
	k, found := slices.BinarySearchFunc(s.cur, pid, byPID)
	if !found || s.cur[k].tp == nil || s.cur[k].tp.state == gone {
		return nil
	}
	return s.cur[k].tp
}

// systemRefresh is how often the machine-wide figures are read at most.
// /proc/stat counts in ticks of 10 ms: over a few of them each CPU adds one
// tick or none, so the busy share would be noise, not a measurement. It is
// a little under 100 ms so that the default schedule, its ticks a few ms
// late here and there, reads every time.
const systemRefresh = 0.09 // seconds

// system fills in the machine-wide CPU and available memory, read again
// when systemRefresh has passed. These are small reads on files kept open:
// gopsutil's cpu.Times and mem.VirtualMemory cost 18 µs and 37 µs here,
// these 8 µs and 6 µs.
func (s *Sampler) system(smp *Sample) error {
	if s.sysT >= 0 && smp.T >= s.sysT && smp.T-s.sysT < systemRefresh {
		smp.SystemCPUPercent, smp.SystemAvailable = s.sysCPU, s.sysAvail
		return nil
	}
	b, err := s.readSystem(s.statFD, "stat")
	if err != nil {
		return err
	}
	busy, total, err := procfs.ParseCPUTimes(b)
	if err != nil {
		return fmt.Errorf("%s/stat: %w", s.proc, err)
	}
	if s.sysT >= 0 && total > s.cpuTotal && busy >= s.cpuBusy {
		smp.SystemCPUPercent = float64(busy-s.cpuBusy) / float64(total-s.cpuTotal) * 100
	}
	if b, err = s.readSystem(s.memFD, "meminfo"); err != nil {
		return err
	}
	if smp.SystemAvailable, err = procfs.ParseMemAvailable(b); err != nil {
		return fmt.Errorf("%s/meminfo: %w", s.proc, err)
	}
	s.cpuBusy, s.cpuTotal = busy, total
	s.sysT, s.sysCPU, s.sysAvail = smp.T, smp.SystemCPUPercent, smp.SystemAvailable
	return nil
}

// Processes returns every tree process seen so far, sorted by start time
// then pid. End is negative for processes alive at the last sample.
func (s *Sampler) Processes() []Process {
	out := make([]Process, len(s.procs))
	for i, tp := range s.procs {
		out[i] = tp.info
	}
	slices.SortFunc(out, func(a, b Process) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.PID, b.PID))
	})
	return out
}

// RootAlive reports whether the root process was seen and, at the last
// Sample, was still running: not a zombie, not gone, and not replaced by
// another process that reused its pid (told apart by its start time).
func (s *Sampler) RootAlive() bool { return s.root != nil && s.root.state == alive }

// PeakTreeRSS returns the largest summed RSS of the tree over the samples.
func (s *Sampler) PeakTreeRSS() uint64 { return s.peakTree }

// MaxProcessRSS returns the process with the largest peak RSS seen (VmHWM,
// or the sampled RSS when larger) and that peak in bytes; pid 0 when no
// process was seen.
func (s *Sampler) MaxProcessRSS() (pid int, bytes uint64) {
	for _, tp := range s.procs {
		if tp.info.PeakRSS > bytes {
			pid, bytes = tp.info.PID, tp.info.PeakRSS
		}
	}
	return pid, bytes
}

// LiveCPUSeconds returns the user+system CPU of the tree processes alive at
// the last sample, including the children each has waited for: neither
// shows in the rusage of the processes perfcap reaps, to which the caller
// adds it for exact totals.
func (s *Sampler) LiveCPUSeconds() float64 { return float64(s.liveTicks) / s.clk }

// LiveSystemSeconds is the system-time part of LiveCPUSeconds.
func (s *Sampler) LiveSystemSeconds() float64 { return float64(s.liveSys) / s.clk }
