package watch

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/alert"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/format"
)

// workloadBin is internal/workload, built once: the program the tests
// watch (it allocates, leaks, holds and exits as told).
var workloadBin string

func TestMain(m *testing.M) {
	if os.Getenv(weekEnv) != "" {
		runWeekChild() // a child of TestWatchWeekMemory; it exits
	}
	dir, err := os.MkdirTemp("", "perfcap-watch-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workloadBin = filepath.Join(dir, "workload")
	if out, err := exec.Command("go", "build", "-o", workloadBin, "../internal/workload").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the workload: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func within(t *testing.T, what string, got, want, tolerance float64) {
	t.Helper()
	if got < want*(1-tolerance) || got > want*(1+tolerance) {
		t.Errorf("%s = %.4g, want %.4g ± %.0f%%", what, got, want, tolerance*100)
	}
}

// readSummary reads a bundle's summary.json after verifying the bundle.
func readSummary(t *testing.T, path string) *format.Summary {
	t.Helper()
	if _, err := bundle.Verify(path); err != nil {
		t.Fatalf("bundle %s does not verify: %v", path, err)
	}
	b, err := bundle.ReadFile(path, format.SummaryFile)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := format.ReadSummary(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// A watch driven from Go, without the CLI: a real process that leaks
// 100 MiB a second in 20 ms chunks, compressed time, an rss alert. The engine says
// growing, fires the alert once (with its snapshot bundle), calls the
// sample hook, and ends on its duration.
func TestEngineDrivesARealWatch(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "leak.tar.zst")
	rule, err := alert.Parse("rss>64MiB")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	samples := 0
	w, err := New(Config{
		Argv:     []string{workloadBin, "leak", "100MiB", "30s", "--step", "20ms"},
		Bundle:   out,
		Interval: 20 * time.Millisecond, Duration: 2500 * time.Millisecond,
		Warmup: 300 * time.Millisecond, Bucket: 100 * time.Millisecond,
		Alerts: []alert.Rule{rule}, AlertSpecs: []string{"rss>64MiB"},
		NoFacts: true, Quiet: true,
		OnSample: func(capture.Sample) { mu.Lock(); samples++; mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended != "duration" {
		t.Errorf("ended %q, want duration", res.Ended)
	}
	if !res.AlertFired {
		t.Error("the rss alert did not fire")
	}
	mu.Lock()
	n := samples
	mu.Unlock()
	sum := readSummary(t, out)
	if n < 50 || sum.Samples < 50 {
		t.Errorf("%d samples seen by the hook, %d in the bundle; want ≥ 50 at 20 ms over 2.5 s", n, sum.Samples)
	}
	ws := sum.Watch
	if ws == nil || ws.Growth.Verdict != trend.Growing {
		t.Fatalf("watch summary %+v, want growing", ws)
	}
	if len(ws.Alerts) != 1 || ws.Alerts[0].Rule != "rss>64MiB" || ws.Alerts[0].Snapshot == "" {
		t.Errorf("alerts %+v, want rss>64MiB once with its snapshot", ws.Alerts)
	}
	if len(ws.Alerts) == 1 {
		if _, err := bundle.Verify(ws.Alerts[0].Snapshot); err != nil {
			t.Errorf("the alert's snapshot: %v", err)
		}
	}
	if _, err := os.Stat(w.SpoolDir()); !os.IsNotExist(err) {
		t.Errorf("the spool %s is still there (%v)", w.SpoolDir(), err)
	}
}

// Stop on a pid watch ends it at once with "signal", and the bundle
// says the process was watched, not started.
func TestEngineStopsAPidWatch(t *testing.T) {
	cmd := exec.Command(workloadBin, "hold", "30s")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	out := filepath.Join(t.TempDir(), "pid.tar.zst")
	w, err := New(Config{PID: cmd.Process.Pid, Bundle: out, Interval: 20 * time.Millisecond, NoFacts: true})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(500*time.Millisecond, func() { w.Stop(syscall.SIGINT) })
	res, err := w.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended != "signal" {
		t.Errorf("ended %q, want signal", res.Ended)
	}
	sum := readSummary(t, out)
	if sum.Watch.Mode != "pid" || sum.Watch.PID != cmd.Process.Pid || !sum.Interrupted {
		t.Errorf("watch %+v interrupted %v", sum.Watch, sum.Interrupted)
	}
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the watched process did not outlive its watch: %v", err)
	}
}

func TestNewRefuses(t *testing.T) {
	for name, cfg := range map[string]Config{
		"nothing":         {},
		"both":            {PID: 1, Argv: []string{"true"}},
		"restart a pid":   {PID: 1, Restart: true},
		"interval":        {Argv: []string{"true"}, Interval: time.Nanosecond},
		"negative":        {Argv: []string{"true"}, Duration: -1},
		"language":        {Argv: []string{"true"}, Lang: "fr"},
		"no such process": {PID: 1 << 22},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}
