package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// workloadBin is the workload executable TestMain builds for the tests to
// run as real processes.
var workloadBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "workload-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workloadBin = filepath.Join(dir, "workload")
	out, err := exec.Command("go", "build", "-o", workloadBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building workload: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the workload left: its output and wait status.
type result struct {
	stdout, stderr string
	status         syscall.WaitStatus
	pid            int
}

// runWorkload runs the workload with args to the end.
func runWorkload(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(workloadBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("workload %q: %v", args, err)
		}
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.Sys().(syscall.WaitStatus), cmd.Process.Pid}
}

// jsonLines decodes every line of stderr that starts with "{" into a T.
func jsonLines[T any](t *testing.T, stderr string) []T {
	t.Helper()
	var out []T
	for line := range strings.Lines(stderr) {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("decoding %q: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"4096", 4096, true}, {"4096B", 4096, true}, {"512KiB", 512 << 10, true},
		{"100MiB", 100 << 20, true}, {"1GiB", 1 << 30, true}, {"2TiB", 2 << 40, true},
		{"0", 0, true}, {"", 0, false}, {"MiB", 0, false}, {"100MB", 0, false},
		{"1.5GiB", 0, false}, {"-1", 0, false}, {"99999999TiB", 0, false},
	} {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1.5s", 1500 * time.Millisecond, true}, {"300ms", 300 * time.Millisecond, true},
		{"10", 10 * time.Second, true}, {"0.25", 250 * time.Millisecond, true}, {"0", 0, true},
		{"-1s", 0, false}, {"-1", 0, false}, {"NaN", 0, false}, {"1e300", 0, false}, {"soon", 0, false},
	} {
		got, err := parseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// wantText is print's documented output, built the slow and obvious way.
func wantText(n int64, width int) string {
	var b strings.Builder
	filler := strings.Repeat("abcdefghijklmnopqrstuvwxyz", width/26+1)
	for i := 1; int64(b.Len()) < n; i++ {
		line := fmt.Sprintf("%d %s", i, filler)
		b.WriteString(line[:width-1] + "\n")
	}
	return b.String()[:n]
}

func TestPrintText(t *testing.T) {
	for _, width := range []int{1, 2, 5, 12, 80} {
		for _, n := range []int64{0, 1, 79, 80, 81, 1000, chunk + 7} {
			var buf bytes.Buffer
			if err := printText(&buf, n, width); err != nil {
				t.Fatal(err)
			}
			if got, want := buf.String(), wantText(n, width); got != want {
				t.Errorf("printText(%d, %d): got %d bytes, want %d; they differ", n, width, len(got), len(want))
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"frob"}, {"alloc"}, {"alloc", "10XB"}, {"exit", "256"}, {"kill", "STOP"},
		{"kill", "NOPE"}, {"burn", "1s", "--threads", "0"}, {"spawn", "2"}, {"spawn", "0", "--", "exit", "0"},
		{"spawn", "2", "--", "frob"}, {"orphan", "--"}, {"print", "10", "--line", "0"}, {"-nope", "exit", "0"},
		{"echo", "-n"}, {"leak", "10MiB"}, {"leak", "10MiB", "1s", "--step", "0"}, {"leak", "1TiB", "100000s"},
		{"sawtooth", "1MiB", "0", "1s"}, {"sawtooth", "1MiB", "1s"}, {"plateau", "1XB", "1s"},
	} {
		r := runWorkload(t, args...)
		if r.status.ExitStatus() != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("workload %q: status %d, stdout %q, stderr %q; want 2, nothing, one line", args, r.status.ExitStatus(), r.stdout, r.stderr)
		}
	}
}

func TestExit(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"exit", "3"}, 3}, {[]string{"sleep", "0", "exit", "0"}, 0},
		{[]string{"exit", "255", "exit", "1"}, 255}, {[]string{"echo", "x"}, 0},
		{[]string{"spawn", "2", "--", "exit", "7"}, 1},
	} {
		if got := runWorkload(t, tc.args...).status.ExitStatus(); got != tc.want {
			t.Errorf("workload %q exited %d, want %d", tc.args, got, tc.want)
		}
	}
}

func TestKill(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want syscall.Signal
	}{
		{"TERM", syscall.SIGTERM}, {"SIGINT", syscall.SIGINT}, {"hup", syscall.SIGHUP},
		{"9", syscall.SIGKILL}, {"QUIT", syscall.SIGQUIT}, {"SEGV", syscall.SIGSEGV},
		{"ABRT", syscall.SIGABRT}, {"USR1", syscall.SIGUSR1}, {"PIPE", syscall.SIGPIPE},
	} {
		r := runWorkload(t, "kill", tc.arg)
		if !r.status.Signaled() || r.status.Signal() != tc.want || r.status.CoreDump() {
			t.Errorf("workload kill %s: status %#x, stderr %q; want killed by %v, no core", tc.arg, r.status, r.stderr, tc.want)
		}
	}
}

func TestAlloc(t *testing.T) {
	const size = 64 << 20
	r := runWorkload(t, "status", "alloc", "64MiB", "status")
	st := jsonLines[memStatus](t, r.stderr)
	if len(st) != 2 {
		t.Fatalf("want 2 status lines, got %q", r.stderr)
	}
	// The Go runtime may touch a few pages of its own between the two reads.
	if grew := int64(st[1].VmRSS) - int64(st[0].VmRSS); grew < size || grew > size+1<<20 {
		t.Errorf("RSS grew by %d bytes, want %d (+ at most 1 MiB)", grew, size)
	}
}

func TestPrint(t *testing.T) {
	r := runWorkload(t, "print", "3000001", "print", "100", "--line", "7", "--stderr")
	if want := wantText(3000001, 80); r.stdout != want {
		t.Errorf("stdout: got %d bytes, want %d; they differ", len(r.stdout), len(want))
	}
	if want := wantText(100, 7); r.stderr != want {
		t.Errorf("stderr = %q, want %q", r.stderr, want)
	}
}

func TestEcho(t *testing.T) {
	r := runWorkload(t, "echo", "ghp_0123456789abcdef", "--stderr", "echo", "--", "-n")
	if r.stdout != "-n\n" || r.stderr != "ghp_0123456789abcdef\n" {
		t.Errorf("stdout %q, stderr %q", r.stdout, r.stderr)
	}
}

func TestSpawnTree(t *testing.T) {
	r := runWorkload(t, "-report", "spawn", "2", "--", "-report", "spawn", "2", "--", "report")
	reports := jsonLines[reportLine](t, r.stderr)
	kids := map[int]int{} // reports per parent pid
	for _, rep := range reports {
		kids[rep.PPID]++
	}
	top := reports[len(reports)-1]
	if len(reports) != 7 || top.PID != r.pid || kids[r.pid] != 2 {
		t.Fatalf("want 4 grandchildren, 2 children, then the top (pid %d) with 2 children; got %+v", r.pid, reports)
	}
	for _, rep := range reports[:6] {
		if rep.PPID == r.pid && kids[rep.PID] != 2 {
			t.Errorf("child %d has %d children, want 2", rep.PID, kids[rep.PID])
		}
	}
}

func TestReportCountsWaitedChildren(t *testing.T) {
	r := runWorkload(t, "-report", "spawn", "2", "--", "burncpu", "200ms")
	reports := jsonLines[reportLine](t, r.stderr)
	if len(reports) != 1 {
		t.Fatalf("want one report, got %q", r.stderr)
	}
	if cpu := reports[0].Children.UserSeconds + reports[0].Children.SysSeconds; cpu < 0.4 {
		t.Errorf("children used %.3f CPU seconds, want at least 2 × 0.2", cpu)
	}
}

// subreaper makes the test process adopt its orphaned descendants for the
// rest of the test.
func subreaper(t *testing.T) {
	t.Helper()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatalf("PR_SET_CHILD_SUBREAPER: %v", err)
	}
	t.Cleanup(func() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
}

// procStat holds the fields of /proc/PID/stat the tests look at.
type procStat struct{ pid, ppid, sid int }

// children lists the live (or zombie) children of the test process, by
// scanning /proc.
func children(t *testing.T) []procStat {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []procStat
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone since ReadDir
		}
		// Fields after the command name, which ends with the last ')':
		// state ppid pgrp session ...
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		ppid, _ := strconv.Atoi(f[1])
		sid, _ := strconv.Atoi(f[3])
		if ppid == os.Getpid() {
			out = append(out, procStat{pid, ppid, sid})
		}
	}
	return out
}

// reap waits for the adopted process pid and returns its wait status.
func reap(t *testing.T, pid int) syscall.WaitStatus {
	t.Helper()
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatalf("wait4(%d): %v", pid, err)
	}
	return syscall.WaitStatus(ws)
}

func TestOrphan(t *testing.T) {
	subreaper(t)
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	// A file, not a pipe: the orphan keeps its stderr open after the parent ends.
	cmd := exec.Command(workloadBin, "orphan", "--", "sleep", "300ms", "report")
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("parent: %v", err)
	}
	kids := children(t)
	if len(kids) != 1 {
		t.Fatalf("want the orphan adopted by the test, got children %+v", kids)
	}
	if ws := reap(t, kids[0].pid); ws.ExitStatus() != 0 {
		t.Errorf("orphan exited %#x", ws)
	}
	b, _ := os.ReadFile(stderr.Name())
	reports := jsonLines[reportLine](t, string(b))
	if len(reports) != 1 || reports[0].PID != kids[0].pid || reports[0].PPID != os.Getpid() {
		t.Errorf("want the orphan %d to report the test %d as parent, got %s", kids[0].pid, os.Getpid(), b)
	}
}

func TestDaemon(t *testing.T) {
	subreaper(t)
	// Output uses pipes: it returns only because the daemon holds none of them.
	if out, err := exec.Command(workloadBin, "daemon", "--", "sleep", "1s").Output(); err != nil || len(out) != 0 {
		t.Fatalf("daemon: %v, stdout %q", err, out)
	}
	kids := children(t)
	if len(kids) != 1 {
		t.Fatalf("want the daemon adopted by the test, got children %+v", kids)
	}
	d := kids[0]
	if d.sid != d.pid {
		t.Errorf("daemon %d is in session %d, want its own", d.pid, d.sid)
	}
	if ws := reap(t, d.pid); ws.ExitStatus() != 0 {
		t.Errorf("daemon exited %#x", ws)
	}
}

func TestWaitSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		cmd := exec.Command(workloadBin, "wait-signal")
		pipe, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(pipe)
		lines.Scan() // "waiting for ...": the handler is in place
		cmd.Process.Signal(sig)
		lines.Scan()
		got := lines.Text()
		cmd.Wait()
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if want := "workload: received " + unix.SignalName(sig); got != want || !ws.Signaled() || ws.Signal() != sig {
			t.Errorf("sent %v: stderr %q, status %#x; want %q and killed by it", sig, got, ws, want)
		}
	}
}

func TestIgnoreSignals(t *testing.T) {
	cmd := exec.Command(workloadBin, "ignore-signals", "echo", "ready", "sleep", "300ms", "exit", "4")
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	bufio.NewScanner(pipe).Scan() // "ready": the signals are ignored
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		cmd.Process.Signal(sig)
	}
	cmd.Wait()
	if got := cmd.ProcessState.ExitCode(); got != 4 {
		t.Errorf("exit status %d, want 4 after ignoring the signals", got)
	}
}

// openPTY opens a new pseudo-terminal and returns its master and slave ends.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening pty slave: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

func TestIstty(t *testing.T) {
	_, tty := openPTY(t)
	for _, tc := range []struct {
		stdin, stderr *os.File
		want          string
	}{
		{nil, nil, "stdin=null stdout=pipe stderr=null"},
		{tty, tty, "stdin=tty stdout=pipe stderr=tty"},
	} {
		cmd := exec.Command(workloadBin, "istty")
		cmd.Stdin, cmd.Stderr = tc.stdin, tc.stderr
		cmd.Env = append(os.Environ(), "FORCE_COLOR=1", "CLICOLOR_FORCE=0")
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(out), "\n")
		if lines[0] != tc.want || !strings.Contains(string(out), "\nCLICOLOR_FORCE=0\nFORCE_COLOR=1\n") {
			t.Errorf("istty printed %q, want first line %q and the color variables", out, tc.want)
		}
	}
}

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo takes about 5 seconds")
	}
	r := runWorkload(t, "demo")
	if r.status.ExitStatus() != 0 || strings.Count(r.stdout, "\n") != 8 || !strings.Contains(r.stderr, "warning") {
		t.Errorf("demo: status %#x\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
}

func TestRampPlan(t *testing.T) {
	const page = 4096
	tests := []struct {
		size  int64
		d     time.Duration
		n     int
		sizes []int64
		at    []time.Duration
	}{
		{10 * page, time.Second, 10, []int64{page, page, page, page, page, page, page, page, page, page},
			[]time.Duration{50, 150, 250, 350, 450, 550, 650, 750, 850, 950}},
		{4 * page, time.Second, 2, []int64{2 * page, 2 * page}, []time.Duration{250, 750}},
		// Sizes round up to a page, and empty chunks are left out.
		{page + 1, time.Second, 4, []int64{page, page}, []time.Duration{375, 875}},
		{3 * page, 300 * time.Millisecond, 1, []int64{3 * page}, []time.Duration{150}},
		{0, time.Second, 10, nil, nil},
		{page, 0, 0, []int64{page}, []time.Duration{0}},
	}
	for _, tt := range tests {
		plan := rampPlan(tt.size, tt.d, tt.n, page)
		var sizes []int64
		var at []time.Duration
		for _, g := range plan {
			sizes = append(sizes, g.size)
			at = append(at, g.at/time.Millisecond)
		}
		if fmt.Sprint(sizes) != fmt.Sprint(tt.sizes) || fmt.Sprint(at) != fmt.Sprint(tt.at) {
			t.Errorf("rampPlan(%d, %v, %d): sizes %v at %v ms; want %v at %v ms", tt.size, tt.d, tt.n, sizes, at, tt.sizes, tt.at)
		}
	}
}

// rssSeries runs the workload with args, reading its VmRSS from /proc
// every 10 ms until it exits, and returns the readings with the result.
func rssSeries(t *testing.T, args ...string) ([]int64, result) {
	t.Helper()
	cmd := exec.Command(workloadBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "status")
	var series []int64
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if _, ok := err.(*exec.ExitError); err != nil && !ok {
				t.Fatalf("workload %q: %v", args, err)
			}
			return series, result{stdout.String(), stderr.String(), cmd.ProcessState.Sys().(syscall.WaitStatus), cmd.Process.Pid}
		case <-tick.C:
			if rss, ok := readVmRSS(status); ok {
				series = append(series, rss)
			}
		}
	}
}

// readVmRSS reads VmRSS from the /proc status file at path; false once the
// process has exited, when the line is gone.
func readVmRSS(path string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// within reports whether got is want ± frac of want.
func within(got, want int64, frac float64) bool {
	return float64(got) >= float64(want)*(1-frac) && float64(got) <= float64(want)*(1+frac)
}

// statusLines returns the status JSON lines of r, failing unless there are n.
func statusLines(t *testing.T, r result, n int) []memStatus {
	t.Helper()
	st := jsonLines[memStatus](t, r.stderr)
	if len(st) != n || r.status.ExitStatus() != 0 {
		t.Fatalf("exit %d, want 0 and %d status lines, stderr %q", r.status.ExitStatus(), n, r.stderr)
	}
	return st
}

func TestLeak(t *testing.T) {
	t.Parallel()
	const size = 20 << 20
	series, r := rssSeries(t, "status", "leak", "20MiB", "1s", "status")
	st := statusLines(t, r, 2)
	if grew := int64(st[1].VmRSS) - int64(st[0].VmRSS); !within(grew, size, 0.15) {
		t.Errorf("RSS grew by %d bytes, want %d ± 15%%", grew, size)
	}
	// RSS rises in steps and never falls: count the levels seen on the
	// way, well apart from both ends.
	levels := 0
	for i, rss := range series {
		if i > 0 && rss < series[i-1]-1<<20 {
			t.Errorf("RSS fell from %d to %d during a leak", series[i-1], rss)
		}
		lo, hi := int64(st[0].VmRSS)+size/10, int64(st[1].VmRSS)-size/10
		if rss > lo && rss < hi && (i == 0 || rss > series[i-1]+size/40) {
			levels++
		}
	}
	if levels < 3 {
		t.Errorf("saw %d levels of RSS between the ends of a 10-step leak, want at least 3; series %v", levels, series)
	}
}

func TestSawtooth(t *testing.T) {
	t.Parallel()
	const peak = 32 << 20
	series, r := rssSeries(t, "status", "sawtooth", "32MiB", "400ms", "800ms", "status")
	st := statusLines(t, r, 2)
	floor := int64(st[0].VmRSS)
	if after := int64(st[1].VmRSS); after-floor > 2<<20 || floor-after > 2<<20 {
		t.Errorf("RSS %d after the sawtooth, want back at the floor %d ± 2 MiB", after, floor)
	}
	if top := int64(st[1].VmHWM) - floor; !within(top, peak, 0.15) {
		t.Errorf("peak RSS %d above the floor, want %d ± 15%%", top, peak)
	}
	// Between the teeth, before the end, RSS must fall back to the floor.
	high, fell := false, false
	for _, rss := range series {
		if rss-floor > peak/2 {
			high = true
		} else if high && rss-floor < 4<<20 {
			fell = true
		}
		if fell && rss-floor > peak/2 {
			break
		}
	}
	if !high || !fell {
		t.Errorf("RSS never went above the floor %d by half the peak and back (high %v, fell %v): %v", floor, high, fell, series)
	}
}

func TestPlateau(t *testing.T) {
	t.Parallel()
	const size = 24 << 20
	r := runWorkload(t, "status", "plateau", "24MiB", "500ms", "status", "hold", "200ms", "status")
	st := statusLines(t, r, 3)
	if grew := int64(st[1].VmRSS) - int64(st[0].VmRSS); !within(grew, size, 0.15) {
		t.Errorf("RSS grew by %d bytes, want %d ± 15%%", grew, size)
	}
	if d := int64(st[2].VmRSS) - int64(st[1].VmRSS); d > 1<<20 || d < -1<<20 {
		t.Errorf("RSS moved by %d bytes while holding the plateau, want ± 1 MiB", d)
	}
}
