package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/format"
)

// Most developers are not root: perfcap run as nobody still records its
// command's CPU stacks (user space, as perf_event_paranoid 2 allows), or
// says exactly why not.
func TestRunUnprivileged(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (apt-get install linux-perf)")
	}
	setpriv, dir, bin, workload := asNobody(t)
	out := filepath.Join(dir, "run.tar.zst")
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin, "-q", "-o", out, "--", workload, "burn", "1s")
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("perfcap as nobody: %v\n%s", err, msg)
	}
	raw, err := bundle.ReadFile(out, "summary.json")
	if err != nil {
		t.Fatal(err)
	}
	var sum format.Summary
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile("/proc/sys/kernel/perf_event_paranoid")
	p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	switch {
	case sum.Perf == nil:
		t.Fatal("summary.json says nothing about perf")
	case p > 2:
		if sum.Perf.Recorded || !strings.Contains(sum.Perf.Fix, "perf_event_paranoid") {
			t.Errorf("paranoid %d: perf %+v", p, sum.Perf)
		}
	case !sum.Perf.Recorded:
		t.Errorf("paranoid %d allows recording one's own process, but: %s (%s)", p, sum.Perf.Reason, sum.Perf.Fix)
	default:
		folded, err := bundle.ReadFile(out, "perf/folded.txt")
		if err != nil || !strings.Contains(string(folded), "main.onThreads") {
			t.Errorf("no stacks of the burning threads: %v\n%.300s", err, folded)
		}
	}
}
