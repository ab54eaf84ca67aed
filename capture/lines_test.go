package capture

import (
	"context"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfcap/perfcap/format"
	"golang.org/x/sys/unix"
)

// runHere runs Run in the test process. Run makes its caller a child
// subreaper; the other tests of the package expect orphans to go to init,
// so that is undone afterwards.
func runHere(t *testing.T, opts Options) (*Result, error) {
	t.Cleanup(func() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
	return Run(context.Background(), opts)
}

// TestRunStampsLines runs a real command that writes a line in two
// pieces with a pause between them, '\r'-separated progress, stderr and a
// last line without its end: every line reaches OnLine with the times
// its first byte and its end came.
func TestRunStampsLines(t *testing.T) {
	var mu sync.Mutex
	var lines []Line
	res, err := runHere(t, Options{
		Argv:   []string{"sh", "-c", `printf 'name '; sleep 0.3; echo result; printf 'a\rb\n'; echo err >&2; printf tail`},
		Stdout: io.Discard, Stderr: io.Discard,
		OnLine: func(l Line) { mu.Lock(); lines = append(lines, l); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	var out, errs []string
	var pieces Line
	for _, l := range lines {
		if l.Stream == 2 {
			errs = append(errs, l.Text)
			continue
		}
		out = append(out, l.Text)
		if l.Text == "name result" {
			pieces = l
		}
	}
	if strings.Join(out, "|") != "name result|a|b|tail" || strings.Join(errs, "|") != "err" {
		t.Fatalf("stdout lines %q, stderr lines %q", out, errs)
	}
	wall := res.Ended.Sub(res.Started).Seconds()
	for _, l := range lines {
		if l.Start < 0 || l.End < l.Start || l.End > wall+drainMax.Seconds() {
			t.Errorf("line %+v outside the run (%.3f s)", l, wall)
		}
	}
	if !(pieces.End > pieces.Start) {
		t.Errorf("the line written in two pieces, a pause apart, came at once: %+v", pieces)
	}
}

// TestLineClockBounds: a line without an end is cut at MaxLineText
// bytes, the rest counted; empty lines are not lines.
func TestLineClockBounds(t *testing.T) {
	var got []Line
	c := &lineClock{stream: 1, origin: time.Now(), emit: func(l Line) { got = append(got, l) }}
	c.write([]byte("\n\r\n"+strings.Repeat("x", MaxLineText+10)), time.Now())
	c.write([]byte("y\n"), time.Now())
	c.close()
	if len(got) != 1 || len(got[0].Text) != MaxLineText || got[0].Cut != 11 {
		t.Fatalf("lines %d, first cut %+v", len(got), got)
	}
}

// TestPerfClockMapsToTheRun records a real command with perf: perf
// stamps its samples with CLOCK_MONOTONIC, and PerfResult.ClockStart
// places every one of them within the run. A clock perf refuses falls
// back to recording without -k, and says so.
func TestPerfClockMapsToTheRun(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: apt-get install linux-perf); .ci/run installs it")
	}
	busy := []string{"sh", "-c", `i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done`}
	res, err := runHere(t, Options{Argv: busy, Stdout: io.Discard, Stderr: io.Discard,
		Perf: &PerfOptions{Dir: t.TempDir(), Event: "cpu-clock", CallGraph: "fp"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Perf.Close()
	if !res.Perf.Recorded {
		t.Skipf("perf did not record here: %s (%s)", res.Perf.Reason, res.Perf.Fix)
	}
	if res.Perf.Clock != perfClock {
		t.Fatalf("clock %q, want %s (notes %q)", res.Perf.Clock, perfClock, res.Perf.Notes)
	}
	out, err := exec.Command("perf", "script", "-i", res.Perf.Data, "-F", "time").Output()
	if err != nil {
		t.Fatalf("perf script: %v", err)
	}
	wall := res.Ended.Sub(res.Started).Seconds()
	n := 0
	for _, f := range strings.Fields(string(out)) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(f, ":"), 64)
		if err != nil {
			continue
		}
		n++
		// The shim runs just before the start; perf flushes just after.
		if at := v - res.Perf.ClockStart; at < -0.5 || at > wall+0.5 {
			t.Errorf("a sample at %.3f s of a %.3f s run", at, wall)
		}
	}
	if n == 0 {
		t.Fatalf("no sample times in perf script's output:\n%.500s", out)
	}

	res, err = runHere(t, Options{Argv: busy, Stdout: io.Discard, Stderr: io.Discard,
		Perf: &PerfOptions{Dir: t.TempDir(), Event: "cpu-clock", CallGraph: "fp", clockID: "NO_SUCH_CLOCK"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Perf.Close()
	if !res.Perf.Recorded || res.Perf.Clock != "" || len(res.Perf.Notes) == 0 || !strings.Contains(res.Perf.Notes[len(res.Perf.Notes)-1], "refused -k NO_SUCH_CLOCK") {
		t.Errorf("with a clock perf refuses: recorded %v, clock %q, notes %q; want a recording without -k, said", res.Perf.Recorded, res.Perf.Clock, res.Perf.Notes)
	}

	// The same fallback when recording in chunks (the default of a run):
	// the refused attempt's chunk reader ends with it, the second records.
	chunks := t.TempDir()
	res2, err := runHere(t, Options{Argv: busy, Stdout: io.Discard, Stderr: io.Discard,
		Perf: &PerfOptions{Dir: t.TempDir(), Event: "cpu-clock", CallGraph: "fp", clockID: "NO_SUCH_CLOCK", Spool: chunks}})
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Perf.Close()
	texts, err := format.PerfChunks(chunks)
	if !res2.Perf.Recorded || res2.Perf.Clock != "" || err != nil || len(texts) == 0 {
		t.Errorf("in chunks with a clock perf refuses: recorded %v, clock %q, chunk texts %d (%v); want a recording without -k", res2.Perf.Recorded, res2.Perf.Clock, len(texts), err)
	}
}
