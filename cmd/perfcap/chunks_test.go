package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// dirBytes sums the sizes of the files under the folders matching glob.
func dirBytes(glob string) int64 {
	dirs, _ := filepath.Glob(glob)
	var n int64
	for _, d := range dirs {
		_ = filepath.Walk(d, func(_ string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				n += fi.Size()
			}
			return nil
		})
	}
	return n
}

// perfSummary reads a verified bundle's summary.json, which must have a
// perf section; it skips when perf could not record.
func perfSummary(t *testing.T, path string) *format.Summary {
	t.Helper()
	s := summaryOf(t, path)
	if s.Perf == nil {
		t.Fatalf("no perf section; warnings %q", s.Warnings)
	}
	if !s.Perf.Recorded {
		t.Skipf("perf could not record here: %s (%s)", s.Perf.Reason, s.Perf.Fix)
	}
	return s
}

// A dwarf recording six times longer than --perf-max-size keeps the
// stacks of the whole run: at least 80 % of the samples the command's CPU
// time gives at the frequency, while the perf output on disk, polled
// during the run, never passes the bound.
func TestRecordingInChunksCoversTheWholeRun(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: apt-get install linux-perf); .ci/run installs it")
	}
	// 8 s of CPU at 199 Hz, ~16 KiB a dwarf sample: ~26 MiB, 6 times the
	// bound.
	const bound, freq = 4 << 20, 199
	dir := t.TempDir()
	out := filepath.Join(dir, "long.tar.zst")
	var high int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			high = max(high, dirBytes(filepath.Join(dir, ".long.tar.zst.perf-*")))
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	io, _, stderr := iostreams.Test()
	code := Main([]string{"-q", "-o", out, "--call-graph", "dwarf", "--perf-freq", "199", "--perf-max-size", "4M", "--",
		workloadBin, "burncpu", "8", "--threads", "2"}, io)
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	s := perfSummary(t, out)
	ch := s.Perf.Chunks
	if ch == nil {
		t.Fatalf("no chunks in the perf section: %+v", s.Perf)
	}
	t.Logf("%d samples over %.1f s of CPU; chunks %+v; polled high-water %d", s.Perf.Samples, s.UserSeconds+s.SysSeconds, *ch, high)
	want := (s.UserSeconds + s.SysSeconds) * freq
	if float64(s.Perf.Samples) < 0.8*want {
		t.Errorf("%d samples, want at least 80%% of %.0f (%.1f s of CPU at %d Hz)", s.Perf.Samples, want, s.UserSeconds+s.SysSeconds, freq)
	}
	if ch.Count < 4 || ch.DiskBoundBytes != bound {
		t.Errorf("chunks %+v: want at least 4, bounded by 4 MiB", *ch)
	}
	if ch.DiskHighWaterBytes > bound || high > bound || high == 0 {
		t.Errorf("perf output on disk: high-water %d by perfcap's count, %d polled; the bound is %d", ch.DiskHighWaterBytes, high, bound)
	}
	if s.Perf.UnsymbolizedShare == nil || *s.Perf.UnsymbolizedShare > 0.1 {
		t.Errorf("unsymbolized share %v", s.Perf.UnsymbolizedShare)
	}
	files := readBundleFiles(t, out)
	if !strings.Contains(files["perf/folded.txt"], "main.spin") {
		t.Errorf("folded.txt does not name the workload's spin loop:\n%.500s", files["perf/folded.txt"])
	}
	for name := range files {
		if strings.HasPrefix(name, format.PerfChunksDir) {
			t.Errorf("the bundle holds the spool's %s", name)
		}
	}
}

// A perfcap killed during a recording in chunks leaves the texts of the
// chunks read by then in its staging directory: `perfcap bundle` folds
// them into the bundle's flamegraph.
func TestKilledRecordingInChunksKeepsItsStacks(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: apt-get install linux-perf); .ci/run installs it")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "killed.tar.zst")
	cmd := exec.Command(perfcapBin, "-q", "--call-graph", "dwarf", "--perf-max-size", "2M", "-o", out, "--",
		workloadBin, "burn", "120s")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	chunks := filepath.Join(dir, ".killed.tar.zst.spool-*", format.PerfChunksDir, "*.txt.zst")
	waitFor(t, "three chunks read during the run", 100*time.Second, func() bool {
		m, _ := filepath.Glob(chunks)
		return len(m) >= 3
	})
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	staging, _ := filepath.Glob(filepath.Join(dir, ".killed.tar.zst.spool-*"))
	if len(staging) != 1 {
		t.Fatalf("staging directories %v", staging)
	}
	read, _ := filepath.Glob(chunks)
	io, _, stderr := iostreams.Test()
	if code := Main([]string{"bundle", "-q", staging[0]}, io); code != 0 {
		t.Fatalf("perfcap bundle: exit %d\n%s", code, stderr.String())
	}
	s := perfSummary(t, out)
	// A chunk of 512 KiB holds ~30 dwarf samples.
	if s.Perf.Samples < int64(10*len(read)) || s.Perf.CallGraph != "dwarf" {
		t.Errorf("%d samples recovered from %d chunks; perf %+v", s.Perf.Samples, len(read), s.Perf)
	}
	files := readBundleFiles(t, out)
	if !strings.Contains(files["perf/folded.txt"], "main.spin") || files["perf/flame.svg"] == "" {
		t.Errorf("the recovered flamegraph does not show the workload:\n%.500s", files["perf/folded.txt"])
	}
	if !strings.Contains(strings.Join(s.Warnings, "\n"), "chunks of the recording perf script had read when perfcap was killed") {
		t.Errorf("warnings %q do not say the stacks stop where perfcap was killed", s.Warnings)
	}
}
