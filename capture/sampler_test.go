package capture

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/perfcap/perfcap/capture/procfs"
	"golang.org/x/sys/unix"
)

// testTree is a real process tree started by a test, in its own process
// group so that cleanup kills all of it.
type testTree struct {
	cmd *exec.Cmd
	out *bufio.Reader
	in  io.WriteCloser
}

// startTree runs argv as a child of the test; its stdout is read line by
// line with next.
func startTree(t testing.TB, argv ...string) *testTree {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		in.Close()
		_ = cmd.Wait()
	})
	return &testTree{cmd: cmd, out: bufio.NewReader(out), in: in}
}

// next returns the tree's next line of output.
func (tr *testTree) next(t testing.TB) string {
	t.Helper()
	line, err := tr.out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the tree's output: %v", err)
	}
	return strings.TrimSpace(line)
}

// nextPID returns the tree's next line of output as a pid.
func (tr *testTree) nextPID(t testing.TB) int {
	t.Helper()
	line := tr.next(t)
	pid, err := strconv.Atoi(line)
	if err != nil {
		t.Fatalf("want a pid, got %q", line)
	}
	return pid
}

// sampleUntil samples every 10 ms until ok accepts a sample.
func sampleUntil(t testing.TB, s *Sampler, ok func(Sample) bool) Sample {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		smp, err := s.Sample(time.Now())
		if err != nil {
			t.Fatalf("Sample: %v", err)
		}
		if ok(smp) {
			return smp
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sample matched in 10s; last: %+v", smp)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func processByPID(procs []Process, pid int) (Process, bool) {
	for _, p := range procs {
		if p.PID == pid {
			return p, true
		}
	}
	return Process{}, false
}

func countNamed(smp Sample, name string) int {
	n := 0
	for _, p := range smp.Procs {
		if p.Name == name {
			n++
		}
	}
	return n
}

// TestSamplerTree samples a small tree with its files kept open between
// ticks, and with no fd budget, reopened on every read.
func TestSamplerTree(t *testing.T) {
	tests := []struct {
		name   string
		maxFDs int
	}{
		{"kept open", -1},
		{"reopened", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testSamplerTree(t, tt.maxFDs) })
	}
}

// testSamplerTree is TestSamplerTree with maxFDs files kept open at most;
// -1 leaves the Sampler's own budget.
func testSamplerTree(t *testing.T, maxFDs int) {
	start := time.Now()
	// The inner sh runs two commands, so it cannot exec the sleep itself.
	tr := startTree(t, "sh", "-c", `sleep 30 & echo $!; sh -c 'sleep 31; true' & echo $!; wait`)
	outerSleep, innerSh := tr.nextPID(t), tr.nextPID(t)
	root := tr.cmd.Process.Pid

	foreign := exec.Command("sleep", "30")
	if err := foreign.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { foreign.Process.Kill(); foreign.Wait() })

	asked := map[int]int{}
	s := NewSampler(SamplerConfig{
		Self:  os.Getpid(),
		Root:  root,
		Start: start,
		Foreign: func(pid int) bool {
			asked[pid]++
			return pid == foreign.Process.Pid
		},
	})
	defer s.Close()
	if maxFDs >= 0 {
		s.maxFDs = maxFDs
	}
	smp := sampleUntil(t, s, func(smp Sample) bool { return countNamed(smp, "sleep") == 2 })
	if smp.Processes != 4 || len(smp.Procs) != 4 {
		t.Errorf("Processes = %d with %d entries, want 4: %+v", smp.Processes, len(smp.Procs), smp.Procs)
	}
	if smp.Threads != 4 {
		t.Errorf("Threads = %d, want 4", smp.Threads)
	}
	if smp.TreeRSS == 0 || smp.SystemAvailable == 0 {
		t.Errorf("TreeRSS = %d, SystemAvailable = %d, want both > 0", smp.TreeRSS, smp.SystemAvailable)
	}
	parents := map[int]int{root: os.Getpid(), outerSleep: root, innerSh: root}
	var innerSleep int
	for _, p := range smp.Procs {
		if p.PPID == innerSh && p.Name == "sleep" {
			innerSleep = p.PID
		} else if want, ok := parents[p.PID]; !ok || p.PPID != want {
			t.Errorf("unexpected process %+v", p)
		}
	}
	if innerSleep == 0 {
		t.Fatalf("the inner sleep is missing: %+v", smp.Procs)
	}

	// Samples with no change do not read any new process, nor ask again.
	for range 3 {
		if _, err := s.Sample(time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	for pid, n := range asked {
		if n > 1 {
			t.Errorf("Foreign(%d) asked %d times", pid, n)
		}
	}
	if asked[foreign.Process.Pid] != 1 {
		t.Errorf("Foreign was not asked about the foreign child %d: %v", foreign.Process.Pid, asked)
	}
	if asked[root] != 0 {
		t.Errorf("Foreign was asked about the root")
	}

	procs := s.Processes()
	if len(procs) != 4 {
		t.Fatalf("Processes() = %+v, want 4", procs)
	}
	elapsed := time.Since(start).Seconds()
	for i, p := range procs {
		if p.End >= 0 {
			t.Errorf("%d (%s) ended at %.3f, want alive", p.PID, p.Name, p.End)
		}
		if p.Start < 0 || p.Start > elapsed {
			t.Errorf("%d (%s) started at %.3f, want within [0, %.3f]", p.PID, p.Name, p.Start, elapsed)
		}
		if i > 0 && p.Start < procs[i-1].Start {
			t.Errorf("Processes() not sorted by start: %+v", procs)
		}
	}
	if p, _ := processByPID(procs, innerSleep); p.Name != "sleep" || strings.Join(p.Argv, " ") != "sleep 31" || p.PPID != innerSh {
		t.Errorf("inner sleep = %+v, want sleep 31 under %d", p, innerSh)
	}
	if p, _ := processByPID(procs, root); p.Name != "sh" || len(p.Argv) != 3 || p.Argv[0] != "sh" || p.PPID != os.Getpid() {
		t.Errorf("root = %+v", p)
	}

	// A process killed between two samples ends at the next one.
	if err := unix.Kill(outerSleep, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var ended Process
	smp = sampleUntil(t, s, func(smp Sample) bool {
		ended, _ = processByPID(s.Processes(), outerSleep)
		return ended.End >= 0
	})
	if ended.End != smp.T {
		t.Errorf("killed sleep ended at %.3f, want the sample's %.3f", ended.End, smp.T)
	}
	if smp.Processes != 3 || countNamed(smp, "sleep") != 1 {
		t.Errorf("after the kill: %d processes %+v, want 3", smp.Processes, smp.Procs)
	}
	if got := len(s.Processes()); got != 4 {
		t.Errorf("Processes() has %d entries after the kill, want 4", got)
	}
	// Each process keeps its stat and status open, the killed sleep too
	// while it is a zombie waiting to be reaped.
	want := 0
	if maxFDs < 0 {
		want = 2 * len(s.present)
	}
	if s.fds != want {
		t.Errorf("%d files kept open for %d processes present, want %d", s.fds, len(s.present), want)
	}
	s.Close()
	if s.fds != 0 {
		t.Errorf("%d files still open after Close", s.fds)
	}
}

// TestSamplerNewInode covers what the listing cannot show on demand: procfs
// gives a process's directory a new inode when it drops the directory from
// its cache (echo 2 > /proc/sys/vm/drop_caches does it) and when a pid is
// reused. The start time tells the two apart.
func TestSamplerNewInode(t *testing.T) {
	start := time.Now()
	tr := startTree(t, "sh", "-c", `sleep 30 & echo $!; wait`)
	sleep := tr.nextPID(t)
	foreign := exec.Command("sleep", "30")
	if err := foreign.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { foreign.Process.Kill(); foreign.Wait() })
	asked := 0
	s := NewSampler(SamplerConfig{
		Self:    os.Getpid(),
		Root:    tr.cmd.Process.Pid,
		Start:   start,
		Foreign: func(pid int) bool { asked++; return pid == foreign.Process.Pid },
	})
	defer s.Close()
	sampleUntil(t, s, func(smp Sample) bool { return countNamed(smp, "sleep") == 1 })

	// Every directory rebuilt: the same processes, nothing asked again.
	for i := range s.cur {
		s.cur[i].ino ^= 1 << 40
	}
	s.lastPID = 0 // no skipping the listing
	smp, err := s.Sample(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if smp.Processes != 2 || len(s.Processes()) != 2 || asked != 1 {
		t.Errorf("after new inodes: %d processes, %d seen, Foreign asked %d times; want 2, 2, 1", smp.Processes, len(s.Processes()), asked)
	}

	// The sleep's pid reused by a process that looks new: the old one ends.
	for i := range s.cur {
		if s.cur[i].pid == sleep {
			s.cur[i].ino ^= 1 << 40
			s.cur[i].start++
		}
	}
	s.lastPID = 0
	if smp, err = s.Sample(time.Now()); err != nil {
		t.Fatal(err)
	}
	var ends []float64
	for _, p := range s.Processes() {
		if p.PID == sleep {
			ends = append(ends, p.End)
		}
	}
	if smp.Processes != 2 || len(ends) != 2 || ends[0] != smp.T && ends[1] != smp.T {
		t.Errorf("after a reused pid: %d processes, ends %v; want 2 processes, one end at %.3f", smp.Processes, ends, smp.T)
	}
}

// TestSamplerZombie checks that a child its parent does not reap is ended
// and no longer counted, though still in /proc, and vanishes when reaped.
func TestSamplerZombie(t *testing.T) {
	start := time.Now()
	tr := startTree(t, pythonBinary(t), "-c", `
import os, sys, time
pid = os.fork()
if pid == 0:
    time.sleep(0.2)
    os._exit(0)
print(pid, flush=True)
sys.stdin.readline()
os.waitpid(pid, 0)
print("reaped", flush=True)
time.sleep(30)`)
	child := tr.nextPID(t)
	s := NewSampler(SamplerConfig{Self: os.Getpid(), Root: tr.cmd.Process.Pid, Start: start})
	defer s.Close()
	sampleUntil(t, s, func(smp Sample) bool { return smp.Processes == 2 })
	var p Process
	smp := sampleUntil(t, s, func(Sample) bool {
		p, _ = processByPID(s.Processes(), child)
		return p.End >= 0
	})
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", child)); err != nil {
		t.Errorf("the zombie is not in /proc: %v", err)
	}
	if smp.Processes != 1 || p.End != smp.T {
		t.Errorf("zombie %d: %d processes, End %.3f at sample %.3f; want 1 process, ended now", child, smp.Processes, p.End, smp.T)
	}
	io.WriteString(tr.in, "\n")
	tr.next(t)
	if _, err := s.Sample(time.Now()); err != nil {
		t.Fatal(err)
	}
	if p2, _ := processByPID(s.Processes(), child); p2.End != p.End {
		t.Errorf("reaping moved End from %.3f to %.3f", p.End, p2.End)
	}
	if n := len(s.present); n != 1 {
		t.Errorf("%d processes present after the reaping, want 1", n)
	}
}

// TestSamplerOrphans runs the test as a child subreaper, as perfcap does:
// orphans come to it and must stay in the tree, whether the sampler saw
// them before they were reparented or only after.
func TestSamplerOrphans(t *testing.T) {
	var was int32
	if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&was)), 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, uintptr(was), 0, 0, 0)

	start := time.Now()
	tr := startTree(t, "sh", "-c", `
		sh -c 'sleep 30 & echo $!; read x'
		sh -c 'sleep 31 & echo $!'
		sleep 32`)
	self := os.Getpid()
	early := tr.nextPID(t)
	t.Cleanup(func() { reapOrphan(early) })
	s := NewSampler(SamplerConfig{Self: self, Root: tr.cmd.Process.Pid, Start: start})
	defer s.Close()
	sampleUntil(t, s, func(smp Sample) bool { return countNamed(smp, "sleep") == 1 })

	io.WriteString(tr.in, "\n") // the first sh exits, orphaning the first sleep
	late := tr.nextPID(t)
	t.Cleanup(func() { reapOrphan(late) })
	for deadline := time.Now().Add(5 * time.Second); parentOf(t, late) != self; {
		if time.Now().After(deadline) {
			t.Fatalf("sleep %d was not reparented to the test", late)
		}
		time.Sleep(5 * time.Millisecond)
	}
	smp := sampleUntil(t, s, func(smp Sample) bool { return countNamed(smp, "sleep") == 3 })
	for _, p := range smp.Procs {
		if (p.PID == early || p.PID == late) && p.PPID != self {
			t.Errorf("orphan %d has ppid %d, want %d", p.PID, p.PPID, self)
		}
	}
	for _, pid := range []int{early, late} {
		if _, ok := processByPID(s.Processes(), pid); !ok {
			t.Errorf("orphan %d missing from Processes()", pid)
		}
	}
}

// parentOf reads a process's parent pid from /proc.
func parentOf(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	st, err := procfs.ParseStat(b)
	if err != nil {
		t.Fatal(err)
	}
	return st.PPID
}

// reapOrphan kills and waits for an orphan the test adopted.
func reapOrphan(pid int) {
	_ = unix.Kill(pid, unix.SIGKILL)
	var ws unix.WaitStatus
	_, _ = unix.Wait4(pid, &ws, 0, nil)
}

func TestSamplerMemory(t *testing.T) {
	const size = 100 << 20
	start := time.Now()
	tr := startTree(t, pythonBinary(t), "-c", fmt.Sprintf(`
import time
b = b"\x01" * %d
print("ready", flush=True)
time.sleep(30)`, size))
	tr.next(t)
	root := tr.cmd.Process.Pid
	s := NewSampler(SamplerConfig{Self: os.Getpid(), Root: root, Start: start})
	defer s.Close()
	smp, err := s.Sample(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(smp.Procs) != 1 {
		t.Fatalf("Procs = %+v, want python3 alone", smp.Procs)
	}
	rss := smp.Procs[0].RSS
	if rss < size || rss > size+64<<20 {
		t.Errorf("RSS = %d MiB, want 100 MiB and the interpreter", rss>>20)
	}
	pid, peak := s.MaxProcessRSS()
	if pid != root || math.Abs(float64(peak)-float64(rss)) > 0.05*float64(rss) {
		t.Errorf("MaxProcessRSS = %d, %d MiB; want %d, within 5%% of the sampled %d MiB", pid, peak>>20, root, rss>>20)
	}
	if s.PeakTreeRSS() != smp.TreeRSS || smp.TreeRSS != rss {
		t.Errorf("PeakTreeRSS = %d, TreeRSS = %d, want %d", s.PeakTreeRSS(), smp.TreeRSS, rss)
	}
}

// pythonBinary returns the path of the Python interpreter itself, not of a
// version manager's shim, whose start-up would dwarf what the tests measure.
func pythonBinary(t testing.TB) string {
	t.Helper()
	pythonOnce.Do(func() {
		out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
		if err == nil {
			pythonPath = strings.TrimSpace(string(out))
		}
	})
	if pythonPath == "" {
		t.Skip("python3 is not installed")
	}
	return pythonPath
}

var (
	pythonOnce sync.Once
	pythonPath string
)

// busyPython burns the given CPU seconds in python3.
func busyPython(seconds float64) string {
	return fmt.Sprintf(`import time
t = time.process_time()
while time.process_time() - t < %g: pass`, seconds)
}

func TestSamplerCPU(t *testing.T) {
	start := time.Now()
	tr := startTree(t, pythonBinary(t), "-c", busyPython(1)+`
print("done", flush=True)
time.sleep(30)`)
	root := tr.cmd.Process.Pid
	s := NewSampler(SamplerConfig{Self: os.Getpid(), Root: root, Start: start})
	defer s.Close()
	if _, err := s.Sample(time.Now()); err != nil {
		t.Fatal(err)
	}
	tr.next(t)
	smp, err := s.Sample(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	live := s.LiveCPUSeconds()
	p, _ := processByPID(s.Processes(), root)
	tr.cmd.Process.Kill()
	tr.cmd.Wait()
	used := (tr.cmd.ProcessState.UserTime() + tr.cmd.ProcessState.SystemTime()).Seconds()
	if math.Abs(p.CPUSeconds-used) > 0.1*used {
		t.Errorf("CPUSeconds = %.3f, rusage says %.3f", p.CPUSeconds, used)
	}
	// The interpreter may have run children (a version manager's shim
	// does): LiveCPUSeconds counts them, as rusage does.
	if math.Abs(live-used) > 0.1*used || live < p.CPUSeconds {
		t.Errorf("LiveCPUSeconds = %.3f, rusage says %.3f, the process alone %.3f", live, used, p.CPUSeconds)
	}
	if smp.TreeCPUPercent <= 0 || smp.SystemCPUPercent <= 0 {
		t.Errorf("TreeCPUPercent = %.1f, SystemCPUPercent = %.1f, want both > 0", smp.TreeCPUPercent, smp.SystemCPUPercent)
	}
}

// TestSamplerCPUBetweenSamples checks that the CPU of processes the samples
// barely see still shows in TreeCPUPercent, through the cutime of the tree
// process that reaped them, without counting it twice.
func TestSamplerCPUBetweenSamples(t *testing.T) {
	busy, py := busyPython(0.1), pythonBinary(t)
	tests := []struct {
		name   string
		script string
	}{
		// Ten short children, mostly born and reaped between two samples.
		{"short children", fmt.Sprintf(`for i in 1 2 3 4 5 6 7 8 9 10; do %s -c '%s'; done`, py, busy)},
		// A child seen busy, then reaped with its wrapper in one interval.
		{"wrapper", fmt.Sprintf(`sh -c "%s -c '%s'; %s -c '%s'; true"; sleep 0.4`, py, busy, py, busy)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			tr := startTree(t, "sh", "-c", tt.script)
			root := tr.cmd.Process.Pid
			s := NewSampler(SamplerConfig{Self: os.Getpid(), Root: root, Start: start})
			defer s.Close()
			var cpu, last float64
			for {
				smp, err := s.Sample(time.Now())
				if err != nil {
					t.Fatal(err)
				}
				cpu += smp.TreeCPUPercent / 100 * (smp.T - last)
				last = smp.T
				if p, _ := processByPID(s.Processes(), root); p.End >= 0 {
					break // a zombie now, with all its children's time
				}
				time.Sleep(300 * time.Millisecond)
			}
			if err := tr.cmd.Wait(); err != nil {
				t.Fatal(err)
			}
			used := (tr.cmd.ProcessState.UserTime() + tr.cmd.ProcessState.SystemTime()).Seconds()
			if math.Abs(cpu-used) > 0.1*used {
				t.Errorf("samples add up to %.3f CPU seconds, rusage says %.3f", cpu, used)
			}
		})
	}
}

// TestSamplerSystemRefresh checks that machine-wide figures are read at
// most every systemRefresh, and that the first samples have memory figures.
func TestSamplerSystemRefresh(t *testing.T) {
	start := time.Now()
	s := NewSampler(SamplerConfig{Self: os.Getpid(), Root: -1, Start: start})
	defer s.Close()
	tests := []struct {
		at   time.Duration
		read bool
	}{
		{10 * time.Millisecond, false}, // NewSampler read them
		{50 * time.Millisecond, false},
		{200 * time.Millisecond, true},
		{250 * time.Millisecond, false},
		{300 * time.Millisecond, true},
	}
	for _, tt := range tests {
		before := s.sysT
		smp, err := s.Sample(start.Add(tt.at))
		if err != nil {
			t.Fatal(err)
		}
		if read := s.sysT != before; read != tt.read {
			t.Errorf("at %v: read = %v, want %v", tt.at, read, tt.read)
		}
		if smp.SystemAvailable == 0 || smp.SystemCPUPercent != s.sysCPU {
			t.Errorf("at %v: available %d, CPU %.1f%% (last read %.1f%%)", tt.at, smp.SystemAvailable, smp.SystemCPUPercent, s.sysCPU)
		}
		if smp.Processes != 0 {
			t.Errorf("at %v: %d processes in a tree without a root", tt.at, smp.Processes)
		}
	}
}
