package capture

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestReadProcessInfo(t *testing.T) {
	self, err := ReadProcessInfo("", os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if self.PID != os.Getpid() || self.StartTicks == 0 || len(self.Argv) == 0 || self.Argv[0] != os.Args[0] {
		t.Errorf("self = %+v", self)
	}
	for _, pid := range []int{0, -1, 1 << 30} {
		if _, err := ReadProcessInfo("", pid); !errors.Is(err, ErrNoProcess) {
			t.Errorf("pid %d: %v, want ErrNoProcess", pid, err)
		}
	}
}

// startSleeper starts `sleep d` and reaps it in the background.
func startSleeper(t *testing.T, d string) (ProcessInfo, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command("sleep", d)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	var info ProcessInfo
	var err error
	// Until exec has happened, the child is still a copy of the test.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if info, err = ReadProcessInfo("", cmd.Process.Pid); err == nil && info.Name == "sleep" {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return info, done
}

func TestWatchPIDEndsWithTheProcess(t *testing.T) {
	info, _ := startSleeper(t, "0.5")
	var samples []Sample
	exited, err := WatchPID(context.Background(), WatchPIDOptions{Process: info, Interval: 20 * time.Millisecond, Epoch: time.Now(),
		OnSample: func(s Sample) { samples = append(samples, s) }})
	if err != nil || !exited {
		t.Fatalf("exited %v, err %v", exited, err)
	}
	if len(samples) < 5 {
		t.Fatalf("%d samples over half a second at 20 ms", len(samples))
	}
	if s := samples[0]; s.Processes != 1 || len(s.Procs) != 1 || s.Procs[0].PID != info.PID {
		t.Errorf("first sample %+v", s)
	}
	// Right after exec the new image may have no page yet: RSS shows later.
	if s := samples[len(samples)/2]; s.TreeRSS == 0 {
		t.Errorf("a sample in the middle has no RSS: %+v", s)
	}
	// perfcap's own children (this test's sleep is one; so are perf and
	// the --on-alert command during a watch) never join a watched tree
	// unless they descend from the watched process.
	for _, s := range samples {
		for _, p := range s.Procs {
			if p.PID != info.PID {
				t.Errorf("sample at %.2f s has process %d (%s)", s.T, p.PID, p.Name)
			}
		}
	}
}

func TestWatchPIDRecognisesAReusedPID(t *testing.T) {
	info, _ := startSleeper(t, "5")
	info.StartTicks++ // as if the pid now belonged to a later process
	n := 0
	exited, err := WatchPID(context.Background(), WatchPIDOptions{Process: info, Interval: 20 * time.Millisecond, Epoch: time.Now(),
		OnSample: func(Sample) { n++ }})
	if err != nil || !exited || n != 0 {
		t.Errorf("exited %v, err %v, %d samples: want the watch over before its first sample", exited, err, n)
	}
}

func TestWatchPIDStopsWithTheContext(t *testing.T) {
	info, _ := startSleeper(t, "5")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	exited, err := WatchPID(ctx, WatchPIDOptions{Process: info, Interval: 50 * time.Millisecond, Epoch: time.Now()})
	if err != nil || exited {
		t.Errorf("exited %v, err %v; want a watch stopped by its context", exited, err)
	}
}

func TestRecordPID(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (apt-get install linux-perf)")
	}
	cmd := exec.Command("sh", "-c", "while :; do :; done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	res := RecordPID(context.Background(), RecordOptions{PID: cmd.Process.Pid, Duration: 500 * time.Millisecond, Dir: t.TempDir()})
	if !res.Recorded {
		t.Skipf("perf did not record here: %s (%s)", res.Reason, res.Fix)
	}
	fi, err := os.Stat(res.Data)
	if err != nil || fi.Size() == 0 {
		t.Errorf("perf.data: %v", err)
	}
	if res.Freq != 99 || res.CallGraph != "fp" {
		t.Errorf("freq %d call graph %q, want the snapshot defaults 99 and fp", res.Freq, res.CallGraph)
	}
	// Other processes recorded with it: both show in the samples; a pid
	// gone by then is skipped.
	other := exec.Command("sh", "-c", "while :; do :; done")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Process.Kill(); _ = other.Wait() }()
	res = RecordPID(context.Background(), RecordOptions{PID: cmd.Process.Pid, Others: []int{other.Process.Pid, 1 << 30},
		Duration: 500 * time.Millisecond, Dir: t.TempDir()})
	if !res.Recorded {
		t.Fatalf("recording two processes: %s", res.Reason)
	}
	out, err := exec.Command("perf", "script", "-i", res.Data, "-F", "pid").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{cmd.Process.Pid, other.Process.Pid} {
		if !strings.Contains(string(out), strconv.Itoa(pid)) {
			t.Errorf("no samples of pid %d in the recording", pid)
		}
	}
	// A process that is gone: a reason, not a recording.
	res = RecordPID(context.Background(), RecordOptions{PID: 1 << 30, Duration: 100 * time.Millisecond, Dir: t.TempDir()})
	if res.Recorded || res.Reason == "" {
		t.Errorf("recording a missing pid: %+v", res)
	}
}

// perf's messages start with a bare "Error:" line at times; the reason
// quotes the line after it.
func TestPerfFailureSkipsBareError(t *testing.T) {
	log := filepath.Join(t.TempDir(), "perf.log")
	text := "Error:\nAccess to performance monitoring and observability operations is limited.\nConsider adjusting /proc/sys/kernel/perf_event_paranoid setting\n"
	if err := os.WriteFile(log, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	reason, fix := perfFailure(log)
	if !strings.Contains(reason, "Access to performance monitoring") || fix == "" {
		t.Errorf("reason %q fix %q", reason, fix)
	}
}

func TestProcessUID(t *testing.T) {
	uid, err := processUID("/proc", os.Getpid())
	if err != nil || uid != os.Getuid() {
		t.Errorf("uid %d, %v; want %d", uid, err, os.Getuid())
	}
}

// A process alive at the last sample has no rusage yet: its CPU comes from
// the sample, split into user and system time as /proc gives it.
func TestLiveCPUSplitsSystemTime(t *testing.T) {
	dd := exec.Command("dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=100000000")
	if err := dd.Start(); err != nil {
		t.Skipf("dd: %v", err)
	}
	defer func() { _ = dd.Process.Kill(); _ = dd.Wait() }()
	start := time.Now()
	s := NewSampler(SamplerConfig{Self: os.Getpid(), Root: dd.Process.Pid, Start: start})
	defer s.Close()
	if _, err := s.Sample(time.Now()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if _, err := s.Sample(time.Now()); err != nil {
		t.Fatal(err)
	}
	all, sys := s.LiveCPUSeconds(), s.LiveSystemSeconds()
	// dd with one-byte blocks spends most of its time in read and write.
	if all < 0.3 || sys < 0.3*all || sys > all {
		t.Errorf("live CPU %.2f s, of which system %.2f s: want most of it system", all, sys)
	}
}
