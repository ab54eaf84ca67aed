package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// watchOutcome is what one watch left behind.
type watchOutcome struct {
	code           int
	stdout, stderr string
	bundle         string
	summary        format.Summary
}

// readWatch reads a watch bundle's summary.json and verifies the bundle.
func readWatch(t *testing.T, r *watchOutcome) {
	t.Helper()
	if _, err := bundle.Verify(r.bundle); err != nil {
		t.Fatalf("the bundle does not verify: %v\nstderr:\n%s", err, r.stderr)
	}
	raw, err := bundle.ReadFile(r.bundle, "summary.json")
	if err != nil {
		t.Fatalf("reading summary.json: %v", err)
	}
	if err := json.Unmarshal(raw, &r.summary); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	if r.summary.Watch == nil {
		t.Fatalf("summary.json has no watch object")
	}
}

// watchInProcess runs perfcap watch in-process with args (flags, then
// "--" and the command, or --pid).
func watchInProcess(t *testing.T, args ...string) watchOutcome {
	t.Helper()
	io, stdout, stderr := iostreams.Test()
	out := filepath.Join(t.TempDir(), "w.tar.zst")
	code := Main(append([]string{"watch", "-o", out, "--no-facts"}, args...), io)
	return watchOutcome{code: code, stdout: stdout.String(), stderr: stderr.String(), bundle: out}
}

// watchProcess runs the perfcap binary's watch as a child, for tests that
// run in parallel or signal perfcap.
func watchProcess(t *testing.T, args ...string) watchOutcome {
	t.Helper()
	out := filepath.Join(t.TempDir(), "w.tar.zst")
	cmd := exec.Command(perfcapBin, append([]string{"watch", "-q", "-o", out, "--no-facts"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return watchOutcome{code: code, stdout: stdout.String(), stderr: stderr.String(), bundle: out}
}

// compressed are the trend settings of a watch compressed in time: a 1 s
// warm-up, 200 ms fit buckets (each spans two cycles of a 100 ms
// sawtooth) and 100 MiB/h as the slowest growth worth calling growing.
var compressed = []string{"--interval", "20ms", "--warmup", "1s", "--trend-bucket", "200ms", "--min-growth", "100MiB/h"}

// The four shapes of the issue, on real processes whose RSS follows them
// exactly (mmap'ed and touched, munmap'ed to free): only the leak grows.
func TestWatchVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("8 s watches; skipped with -short")
	}
	for _, tc := range []struct {
		name, want string
		steps      []string
	}{
		{"steady leak", trend.Growing, []string{"leak", "10MiB", "8s"}},
		{"flat", trend.Flat, []string{"alloc", "30MiB", "hold", "8s"}},
		{"GC sawtooth", trend.Flat, []string{"sawtooth", "30MiB", "100ms", "8s"}},
		{"plateau after warm-up", trend.Flat, []string{"plateau", "40MiB", "800ms", "hold", "7s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{}, compressed...), "--")
			r := watchProcess(t, append(append(args, workloadBin), tc.steps...)...)
			if r.code != 0 {
				t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
			}
			readWatch(t, &r)
			g := r.summary.Watch.Growth
			t.Logf("%s: %s %.0f MiB/h [%.0f, %.0f] over %d buckets, p=%.2g", tc.name, g.Verdict, g.MiBPerHour, g.LowMiBPerHour, g.HighMiBPerHour, g.Buckets, g.P)
			switch {
			case tc.name == "GC sawtooth" && g.Verdict == trend.Inconclusive:
				// 20 ms samples of a 100 ms sawtooth: on a loaded machine
				// late samples miss some floors, and the bucket minima can
				// straddle the threshold. Never growing is what matters.
				t.Logf("inconclusive on this machine (%s): not called growing", g.Reason)
			case g.Verdict != tc.want:
				t.Errorf("verdict %q (%s), want %q", g.Verdict, g.Reason, tc.want)
			}
			if tc.want == trend.Growing {
				// 10 MiB/s is 36000 MiB/h.
				within(t, "growth MiB/h", g.MiBPerHour, 36000, 0.10)
				if g.LowMiBPerHour > 36000 || g.HighMiBPerHour < 36000 {
					t.Errorf("interval [%.0f, %.0f] MiB/h misses the true 36000", g.LowMiBPerHour, g.HighMiBPerHour)
				}
			}
			files := readBundleFiles(t, r.bundle)
			report := files["report.md"]
			ticked := strings.Contains(report, "[x] 📊 **内存增长**")
			if ticked != (tc.want == trend.Growing) {
				t.Errorf("report ticks 内存增长 = %v, want %v", ticked, tc.want == trend.Growing)
			}
			if !strings.Contains(report, "| 内存增长 |") {
				t.Errorf("report.md has no 内存增长 row in its metrics table")
			}
			if svg := files["timeline.svg"]; !strings.Contains(svg, g.Verdict) {
				t.Errorf("timeline.svg does not label the trend line with %q", g.Verdict)
			}
			if r.summary.Watch.Ended != "exited" {
				t.Errorf("ended %q, want exited", r.summary.Watch.Ended)
			}
		})
	}
}

// perfcap killed with SIGKILL mid-watch: the spool holds every sample up
// to the last flush, and `perfcap bundle DIR` makes a bundle of it.
func TestWatchRecoversAfterSIGKILL(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "w.tar.zst")
	sp := filepath.Join(dir, "w.spool")
	cmd := exec.Command(perfcapBin, "watch", "-q", "--no-facts", "--interval", "50ms", "-o", out,
		"--redact", "hunter[0-9]+", "--",
		workloadBin, "echo", "hello from the watch, password hunter42", "leak", "2MiB", "60s")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// Wait until a flush (every 2 s) put at least 40 samples on disk.
	rows := 0
	for deadline := time.Now().Add(30 * time.Second); rows < 41 && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		b, _ := os.ReadFile(filepath.Join(sp, spool.TimelineFile))
		rows = bytes.Count(b, []byte("\n"))
	}
	if rows < 41 {
		t.Fatalf("the spool has %d lines after 30 s\n%s", rows, stderr.String())
	}

	// While the watch runs, perfcap bundle refuses and says what to do.
	io, _, errOut := iostreams.Test()
	if code := Main([]string{"bundle", sp}, io); code != exitError || !strings.Contains(errOut.String(), "kill -USR1") {
		t.Errorf("perfcap bundle on a live spool: exit %d, %q", code, errOut.String())
	}

	time.Sleep(500 * time.Millisecond)
	killedAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// The workload is orphaned in its own process group: end it.
	if pid := firstPID(t, sp); pid > 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("a killed watch wrote its bundle?")
	}
	b, _ := os.ReadFile(filepath.Join(sp, spool.TimelineFile))
	onDisk := bytes.Count(b, []byte("\n")) - 1

	io, _, errOut = iostreams.Test()
	recovered := filepath.Join(dir, "recovered.tar.zst")
	if code := Main([]string{"bundle", "-o", recovered, sp}, io); code != 0 {
		t.Fatalf("perfcap bundle: exit %d\n%s", code, errOut.String())
	}
	r := watchOutcome{bundle: recovered}
	readWatch(t, &r)
	ws := r.summary.Watch
	if !ws.Recovered || ws.Ended != "recovered" {
		t.Errorf("recovered=%v ended=%q", ws.Recovered, ws.Ended)
	}
	if r.summary.Samples != onDisk {
		t.Errorf("the bundle has %d samples, the spool %d rows", r.summary.Samples, onDisk)
	}
	// At most the last flush interval (2 s) is lost.
	if lastT := r.summary.WallSeconds; killedAt.Sub(startOf(t, sp)).Seconds()-lastT > spool.FlushEvery.Seconds()+0.5 {
		t.Errorf("the last recovered sample is at %.2f s, the kill at %.2f s: more than %v lost", lastT, killedAt.Sub(startOf(t, sp)).Seconds(), spool.FlushEvery)
	}
	if ws.Growth.Verdict == "" || !strings.Contains(strings.Join(r.summary.Warnings, "\n"), "recovered from the spool") {
		t.Errorf("warnings %q", r.summary.Warnings)
	}
	files := readBundleFiles(t, recovered)
	for _, name := range []string{"timeline.csv", "timeline.svg", "process_samples.csv", "processes.csv", "watch.csv", "report.md"} {
		if files[name] == "" {
			t.Errorf("the recovered bundle has no %s", name)
		}
	}
	if log := files["stdout.log"]; !strings.Contains(log, "hello from the watch") || strings.Contains(log, "hunter42") {
		t.Errorf("the recovered stdout.log is %q: want the output, redacted with the watch's --redact", log)
	}
	if strings.Contains(files["manifest.json"]+files["processes.csv"], "hunter42") {
		t.Errorf("the watch's --redact was not applied to the command line")
	}
	if !strings.Contains(files["processes.csv"], "leak") {
		t.Errorf("processes.csv does not name the command:\n%s", files["processes.csv"])
	}
}

// firstPID is the first process the spool's process_samples.csv names.
func firstPID(t *testing.T, sp string) int {
	b, _ := os.ReadFile(filepath.Join(sp, spool.ProcessSamplesFile))
	lines := strings.Split(string(b), "\n")
	if len(lines) < 2 {
		return 0
	}
	var pid int
	fields := strings.Split(lines[1], ",")
	if len(fields) > 1 {
		fmt.Sscan(fields[1], &pid)
	}
	return pid
}

// startOf is the watch's start from the spool's meta.json.
func startOf(t *testing.T, sp string) time.Time {
	m, err := spool.ReadMeta(sp)
	if err != nil {
		t.Fatal(err)
	}
	return m.Started
}

// A watched pid that exits ends the watch; the bundle says so.
func TestWatchPIDThatExits(t *testing.T) {
	child := exec.Command(workloadBin, "alloc", "20MiB", "hold", "1500ms")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- child.Wait() }()
	r := watchInProcess(t, "-q", "--interval", "50ms", "--pid", fmt.Sprint(child.Process.Pid))
	<-waited
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	readWatch(t, &r)
	ws := r.summary.Watch
	if ws.Mode != "pid" || ws.PID != child.Process.Pid || ws.Ended != "exited" {
		t.Errorf("mode %q pid %d ended %q", ws.Mode, ws.PID, ws.Ended)
	}
	if r.summary.Samples < 10 {
		t.Errorf("%d samples over a 1.5 s process", r.summary.Samples)
	}
	within(t, "peak RSS MiB", float64(r.summary.PeakRSSBytes)/(1<<20), 20, 0.25)
	if ws.MaxFDs < 3 {
		t.Errorf("max fds %d: the workload has at least stdin, stdout, stderr", ws.MaxFDs)
	}
	io, out, _ := iostreams.Test()
	if code := Main([]string{"inspect", r.bundle}, io); code != 0 ||
		!strings.Contains(out.String(), "watch:      pid, ended: exited") || !strings.Contains(out.String(), "memory:") {
		t.Errorf("perfcap inspect of a watch bundle: exit %d\n%s", code, out.String())
	}
}

func TestWatchPIDErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--pid", "999999999"}, exitInvalid, "no process 999999999 to watch"},
		{[]string{"--pid", "1", "--", "true"}, exitError, "not both"},
		{[]string{}, exitError, "nothing to watch"},
		{[]string{"--restart", "--pid", "1"}, exitError, "--restart needs -- COMMAND"},
		{[]string{"--alert", "rss>2XB", "--", "true"}, exitError, `unknown size unit "XB"`},
		{[]string{"--min-growth", "fast", "--", "true"}, exitError, "--min-growth"},
	} {
		r := watchInProcess(t, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("watch %q: exit %d %q, want %d and %q", tc.args, r.code, r.stderr, tc.code, tc.msg)
		}
	}
}

// --restart starts a dying command again and marks each restart;
// --duration ends the watch.
func TestWatchRestartAndDuration(t *testing.T) {
	r := watchInProcess(t, "-q", "--interval", "50ms", "--restart", "--duration", "4s", "--",
		workloadBin, "alloc", "5MiB", "hold", "300ms", "exit", "3")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0 (the watch ran its duration)\n%s", r.code, r.stderr)
	}
	readWatch(t, &r)
	ws := r.summary.Watch
	if ws.Restarts < 1 || ws.Ended != "duration" {
		t.Errorf("restarts %d ended %q, want ≥ 1 and duration", ws.Restarts, ws.Ended)
	}
	files := readBundleFiles(t, r.bundle)
	if n := strings.Count(files["timeline.svg"], "restart "); n < ws.Restarts {
		t.Errorf("timeline.svg marks %d restarts, want %d", n, ws.Restarts)
	}
	// Every run's row names its command line, not only the first.
	if procs := strings.Count(files["processes.csv"], "alloc 5MiB hold 300ms exit 3"); procs < ws.Restarts+1 {
		t.Errorf("processes.csv lists %d runs of the command, want %d:\n%s", procs, ws.Restarts+1, files["processes.csv"])
	}

	// Without --restart, the command's failure is the watch's exit code.
	r = watchInProcess(t, "-q", "--interval", "50ms", "--", workloadBin, "exit", "4")
	if r.code != 4 {
		t.Errorf("exit %d, want the command's 4", r.code)
	}
	// --duration stops a command that would run on.
	r = watchInProcess(t, "-q", "--interval", "50ms", "--duration", "1s", "--", workloadBin, "hold", "60s")
	readWatch(t, &r)
	if r.code != 0 || r.summary.Watch.Ended != "duration" || r.summary.WallSeconds > 5 {
		t.Errorf("exit %d ended %q after %.1f s", r.code, r.summary.Watch.Ended, r.summary.WallSeconds)
	}
}

// SIGINT to perfcap ends the watch of a command: the command gets that
// signal (once, not also a SIGTERM), is not restarted, and the bundle is
// written and says it was interrupted.
func TestWatchSIGINTWritesTheBundle(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "w.tar.zst")
	cmd := exec.Command(perfcapBin, "watch", "-q", "--no-facts", "--restart", "--interval", "50ms", "-o", out, "--", workloadBin, "wait-signal")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sp := filepath.Join(dir, "w.spool")
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if b, _ := os.ReadFile(filepath.Join(sp, spool.TimelineFile)); bytes.Count(b, []byte("\n")) > 3 {
			break
		}
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	_ = cmd.Wait()
	r := watchOutcome{bundle: out}
	readWatch(t, &r)
	if r.summary.Watch.Ended != "signal" || !r.summary.Interrupted || r.summary.Watch.Restarts != 0 {
		t.Errorf("ended %q interrupted %v restarts %d", r.summary.Watch.Ended, r.summary.Interrupted, r.summary.Watch.Restarts)
	}
	if got := strings.Count(stderr.String(), "workload: received"); got != 1 || !strings.Contains(stderr.String(), "received SIGINT") {
		t.Errorf("the command should receive SIGINT once; its stderr:\n%s", stderr.String())
	}
	if r.summary.Signal != "SIGINT" {
		t.Errorf("summary signal %q, want the command's death by SIGINT", r.summary.Signal)
	}
	if _, err := os.Stat(sp); !os.IsNotExist(err) {
		t.Errorf("the spool is still there after the bundle was written: %v", err)
	}
}

// An alert on a watched pid: the snapshot holds the process's status and
// smaps_rollup and a perf recording of it, and the watch goes on until the
// process ends.
func TestWatchPIDAlertSnapshot(t *testing.T) {
	child := exec.Command(workloadBin, "alloc", "30MiB", "burn", "3s")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- child.Wait() }()
	r := watchInProcess(t, "-q", "--interval", "50ms", "--alert", "rss>20MiB", "--snapshot-perf", "1s", "--pid", fmt.Sprint(child.Process.Pid))
	<-waited
	if r.code != exitAlert {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitAlert, r.stderr)
	}
	readWatch(t, &r)
	alerts := r.summary.Watch.Alerts
	if len(alerts) != 1 || alerts[0].Snapshot == "" {
		t.Fatalf("alerts %+v", alerts)
	}
	if r.summary.Watch.Ended != "exited" {
		t.Errorf("ended %q: the watch should go on after the alert", r.summary.Watch.Ended)
	}
	files := readBundleFiles(t, alerts[0].Snapshot)
	pid := fmt.Sprint(child.Process.Pid)
	if !strings.Contains(files["snapshot/"+pid+"/status"], "VmRSS") || !strings.Contains(files["snapshot/"+pid+"/smaps_rollup"], "Pss:") {
		t.Errorf("the snapshot lacks the process's status or smaps_rollup: %v", keys(files))
	}
	var snap format.Summary
	if err := json.Unmarshal([]byte(files["summary.json"]), &snap); err != nil {
		t.Fatal(err)
	}
	switch {
	case snap.Perf == nil:
		t.Errorf("the snapshot says nothing about perf")
	case !snap.Perf.Recorded:
		t.Logf("perf did not record here: %s (%s)", snap.Perf.Reason, snap.Perf.Fix)
	case !strings.Contains(files["perf/folded.txt"], "main.onThreads"): // burn spins in these threads
		t.Errorf("the snapshot's perf recording has no stacks of the burning workload:\n%.500s", files["perf/folded.txt"])
	}
}

func keys(m map[string]string) []string {
	var k []string
	for name := range m {
		k = append(k, name)
	}
	return k
}

// A command that cannot start leaves neither bundle nor spool, and exits
// as env(1) would.
func TestWatchCommandNotFound(t *testing.T) {
	dir := t.TempDir()
	io, _, stderr := iostreams.Test()
	code := Main([]string{"watch", "-q", "--no-facts", "-o", filepath.Join(dir, "w.tar.zst"), "--", "no-such-command-perfcap"}, io)
	if code != exitNotFound || !strings.Contains(stderr.String(), "command not found") {
		t.Errorf("exit %d %q", code, stderr.String())
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// A --pid watch collects the machine's facts in the background; even a
// watch shorter than the probes has them.
func TestWatchPIDShortHasFacts(t *testing.T) {
	child := exec.Command(workloadBin, "hold", "200ms")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	go child.Wait()
	io, _, stderr := iostreams.Test()
	out := filepath.Join(t.TempDir(), "w.tar.zst")
	if code := Main([]string{"watch", "-q", "--interval", "50ms", "-o", out, "--pid", fmt.Sprint(child.Process.Pid)}, io); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if b, err := bundle.ReadFile(out, "env.json"); err != nil || !strings.Contains(string(b), "kernel") {
		t.Errorf("env.json: %v %.200s", err, b)
	}
}

// An unprivileged watch of another user's process: the watch works (RSS,
// CPU from /proc), and a snapshot says why it has no CPU stacks and what
// to do, instead of a failed perf.
func TestWatchAnotherUsersProcess(t *testing.T) {
	setpriv, dir, bin, _ := asNobody(t)
	root := exec.Command(workloadBin, "alloc", "10MiB", "hold", "20s") // ours: root's
	if err := root.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = root.Process.Kill(); _ = root.Wait() }()
	out := filepath.Join(dir, "w.tar.zst")
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin, "watch", "-q", "--no-facts",
		"--interval", "100ms", "--duration", "2s", "--alert", "rss>5MiB", "--snapshot-perf", "500ms", "-o", out, "--pid", fmt.Sprint(root.Process.Pid))
	cmd.Env = append(os.Environ(), "HOME="+dir)
	msg, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitAlert {
		t.Fatalf("watch as nobody: %v\n%s", err, msg)
	}
	files := readBundleFiles(t, filepath.Join(dir, "w.snapshot-001.tar.zst"))
	var snap format.Summary
	if err := json.Unmarshal([]byte(files["summary.json"]), &snap); err != nil {
		t.Fatal(err)
	}
	if snap.Perf == nil || snap.Perf.Recorded || !strings.Contains(snap.Perf.Reason, "belongs to user 0") || !strings.Contains(snap.Perf.Fix, "as root") {
		t.Errorf("the snapshot's perf: %+v", snap.Perf)
	}
	if snap.PeakRSSBytes < 10<<20 {
		t.Errorf("peak RSS %d: the watch should still read another user's RSS", snap.PeakRSSBytes)
	}
}

// asNobody prepares to run perfcap as the unprivileged user nobody: it
// returns setpriv, a directory nobody may write to, and copies of the
// perfcap and workload binaries nobody may run. It skips unless the tests
// run as root with setpriv (util-linux).
func asNobody(t *testing.T) (setpriv, dir, perfcap, workload string) {
	t.Helper()
	setpriv, err := exec.LookPath("setpriv")
	if os.Geteuid() != 0 || err != nil {
		t.Skip("needs root and setpriv (util-linux) to run perfcap as nobody")
	}
	dir, err = os.MkdirTemp("", "perfcap-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	copyBin := func(src string) string {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.Base(src))
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	return setpriv, dir, copyBin(perfcapBin), copyBin(workloadBin)
}

// Without a terminal (a CI log), a long watch prints a progress line with
// the verdict so far every --progress.
func TestWatchProgressLines(t *testing.T) {
	r := watchInProcess(t, "--interval", "50ms", "--progress", "500ms", "--duration", "1800ms", "--", workloadBin, "hold", "60s")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if n := strings.Count(r.stderr, "  memory inconclusive: "); n < 2 || n > 4 {
		t.Errorf("%d progress lines over 1.8 s at 500 ms:\n%s", n, r.stderr)
	}
	r = watchInProcess(t, "-q", "--interval", "50ms", "--progress", "200ms", "--duration", "600ms", "--", workloadBin, "hold", "60s")
	if strings.Contains(r.stderr, "memory") {
		t.Errorf("-q printed progress:\n%s", r.stderr)
	}
}

// A spool that cannot be created says where else to put it.
func TestWatchSpoolNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere: use a path under a file instead.
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		r := watchInProcess(t, "-q", "--dir", filepath.Join(f, "spool"), "--", "true")
		if r.code != exitError || !strings.Contains(r.stderr, "creating the spool") || !strings.Contains(r.stderr, "--dir DIR") {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
		return
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	r := watchInProcess(t, "-q", "--dir", filepath.Join(dir, "spool"), "--", "true")
	if r.code != exitError || !strings.Contains(r.stderr, "--dir DIR") {
		t.Errorf("exit %d %q", r.code, r.stderr)
	}
}

// --pss reads PSS and USS into watch.csv and the summary; --keep-spool
// leaves the spool beside the bundle.
func TestWatchPSSAndKeepSpool(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "w.tar.zst")
	io, _, stderr := iostreams.Test()
	code := Main([]string{"watch", "-q", "--no-facts", "--pss", "--keep-spool", "--interval", "50ms", "-o", out, "--",
		workloadBin, "alloc", "20MiB", "hold", "2s"}, io)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	r := watchOutcome{bundle: out}
	readWatch(t, &r)
	ws := r.summary.Watch
	// The mapping is private to the workload: PSS and USS count it whole.
	within(t, "peak PSS MiB", float64(ws.PeakPSSBytes)/(1<<20), 21, 0.25)
	within(t, "peak USS MiB", float64(ws.PeakUSSBytes)/(1<<20), 21, 0.25)
	wr := format.NewWatchReader(strings.NewReader(readBundleFiles(t, out)["watch.csv"]))
	withPSS := 0
	for wr.Scan() {
		if row := wr.Row(); row.HavePSS && row.PSS > 0 {
			withPSS++
		}
	}
	if wr.Err() != nil || withPSS < 10 {
		t.Errorf("watch.csv: %d rows with PSS, %v", withPSS, wr.Err())
	}
	if _, err := os.Stat(filepath.Join(dir, "w.spool", spool.MetaFile)); err != nil {
		t.Errorf("--keep-spool: %v", err)
	}
}
