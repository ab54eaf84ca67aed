package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// Nothing lost: the cases of issue #12 on real processes and real files.

// summaryOf reads a verified bundle's summary.json.
func summaryOf(t *testing.T, path string) *format.Summary {
	t.Helper()
	if _, err := bundle.Verify(path); err != nil {
		t.Fatalf("%s does not verify: %v", path, err)
	}
	b, err := bundle.ReadFile(path, format.SummaryFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := format.ReadSummary(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// -o naming a directory writes the bundle inside it under its default
// name, as cp does.
func TestOutputDirectoryTakesTheDefaultName(t *testing.T) {
	dir := t.TempDir()
	io, _, stderr := iostreams.Test()
	code := Main([]string{"-q", "--no-perf", "-o", dir, "--", workloadBin, "exit", "3"}, io)
	if code != 3 {
		t.Fatalf("exit %d, want the command's 3\n%s", code, stderr.String())
	}
	names, _ := filepath.Glob(filepath.Join(dir, "perfcap-*-workload.tar.zst"))
	if len(names) != 1 {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("bundles in %s: %v (entries %v)", dir, names, entries)
	}
	if s := summaryOf(t, names[0]); s.ExitCode != 3 {
		t.Errorf("exit code in the bundle %d", s.ExitCode)
	}
}

// A bundle never replaces another silently: an existing file at -o makes
// the run take NAME-2 and say so; --force replaces.
func TestExistingBundleIsNeverReplaced(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "b.tar.zst")
	if err := os.WriteFile(out, []byte("someone else's bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	io, _, stderr := iostreams.Test()
	if code := Main([]string{"--no-perf", "-o", out, "--", workloadBin, "exit", "0"}, io); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if b, _ := os.ReadFile(out); string(b) != "someone else's bundle" {
		t.Error("the existing file was replaced")
	}
	second := filepath.Join(dir, "b-2.tar.zst")
	summaryOf(t, second)
	if !strings.Contains(stderr.String(), "already exists; this bundle is "+second) || !strings.Contains(stderr.String(), "perfcap: bundle "+second) {
		t.Errorf("stderr does not name the free name:\n%s", stderr.String())
	}
	io, _, stderr = iostreams.Test()
	if code := Main([]string{"-q", "--no-perf", "--force", "-o", out, "--", workloadBin, "exit", "0"}, io); code != 0 {
		t.Fatalf("--force: exit %d\n%s", code, stderr.String())
	}
	summaryOf(t, out)
}

// Two runs writing the same -o at once keep both bundles, and each one's
// printed SHA-256 is the SHA-256 of the file it names.
func TestConcurrentRunsKeepBothBundles(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "same.tar.zst")
	var wg sync.WaitGroup
	outs := make([]string, 3)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(perfcapBin, "--no-perf", "-o", out, "--", workloadBin, "sleep", "300ms")
			b, _ := cmd.CombinedOutput()
			outs[i] = string(b)
		}()
	}
	wg.Wait()
	re := regexp.MustCompile(`perfcap: sha256 ([0-9a-f]{64})  (\S+)`)
	seen := map[string]bool{}
	for _, o := range outs {
		m := re.FindStringSubmatch(o)
		if m == nil {
			t.Fatalf("no sha256 line in\n%s", o)
		}
		path := filepath.Join(dir, m[2])
		if seen[path] {
			t.Errorf("two runs claim %s", path)
		}
		seen[path] = true
		if got := fileSHA(t, path); got != m[1] {
			t.Errorf("%s: printed sha256 %s, the file's is %s", path, m[1], got)
		}
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "same*.tar.zst")); len(names) != 3 {
		t.Errorf("bundles %v, want 3", names)
	}
}

// smallDisk mounts a tmpfs of size bytes for the test, or skips.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// A full disk while packing: the command's result is printed, perfcap
// exits with the command's code, the staged files are kept, and the
// message names the `perfcap bundle` command that packs them later.
func TestDiskFullKeepsTheRun(t *testing.T) {
	disk := smallDisk(t, "3m")
	// 2.4 MiB of random bytes attached: staged, but the archive beside
	// them cannot fit.
	big := filepath.Join(t.TempDir(), "noise.bin")
	noise := make([]byte, 2400<<10)
	_, _ = rand.Read(noise) // incompressible: the archive is as large
	if err := os.WriteFile(big, noise, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(disk, "full.tar.zst")
	io, _, stderr := iostreams.Test()
	code := Main([]string{"--no-perf", "--attach", big, "-o", out, "--", workloadBin, "echo", "measured", "exit", "4"}, io)
	msg := stderr.String()
	if code != 4 {
		t.Errorf("exit %d, want the command's 4\n%s", code, msg)
	}
	if !strings.Contains(msg, "exit 4") || !strings.Contains(msg, "perfcap: wall") {
		t.Errorf("the command's result is not printed:\n%s", msg)
	}
	m := regexp.MustCompile("pack it with `perfcap bundle (\\S+)`").FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("no perfcap bundle command in\n%s", msg)
	}
	staging := m[1]
	if _, err := os.Stat(filepath.Join(staging, "summary.json")); err != nil {
		t.Fatalf("the staged files are gone: %v", err)
	}
	// Room again: pack elsewhere, as the message says (with -o), and the
	// bundle is the run's, complete.
	later := filepath.Join(t.TempDir(), "later.tar.zst")
	io, _, stderr = iostreams.Test()
	if code := Main([]string{"bundle", "-q", "-o", later, staging}, io); code != 0 {
		t.Fatalf("perfcap bundle: exit %d\n%s", code, stderr.String())
	}
	s := summaryOf(t, later)
	if s.ExitCode != 4 || s.Watch != nil {
		t.Errorf("recovered summary: exit %d watch %v", s.ExitCode, s.Watch)
	}
	files := readBundleFiles(t, later)
	if !strings.Contains(files["stdout.log"], "measured") || files["attach/noise.bin"] == "" || files["report.md"] == "" {
		t.Errorf("the packed bundle lacks the run's files: %v", keys(files))
	}
}

// A full disk for a command that succeeded: exit 125, the result still
// printed.
func TestDiskFullOfAGoodRunExits125(t *testing.T) {
	disk := smallDisk(t, "1m")
	big := filepath.Join(t.TempDir(), "noise.bin")
	noise := make([]byte, 600<<10)
	_, _ = rand.Read(noise)
	if err := os.WriteFile(big, noise, 0o644); err != nil {
		t.Fatal(err)
	}
	io, _, stderr := iostreams.Test()
	code := Main([]string{"--no-perf", "--attach", big, "-o", filepath.Join(disk, "x.tar.zst"), "--", workloadBin, "exit", "0"}, io)
	if code != exitError || !strings.Contains(stderr.String(), "exit 0") || !strings.Contains(stderr.String(), "perfcap bundle ") {
		t.Errorf("exit %d\n%s", code, stderr.String())
	}
}

// waitFor polls until ok or the deadline.
func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("no %s after %v", what, d)
}

// dead reports whether pid is gone or a zombie (killed, not yet reaped by
// whoever inherited it).
func dead(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	_, after, ok := bytes.Cut(b, []byte(") "))
	return ok && len(after) > 0 && after[0] == 'Z'
}

// A SIGKILLed run: its command dies with it (PR_SET_PDEATHSIG), and the
// staging directory packs into a run's bundle with the output so far and
// an unknown exit.
func TestKilledRunLosesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run.tar.zst")
	pidFile := filepath.Join(dir, "pid")
	cmd := exec.Command(perfcapBin, "-q", "--no-perf", "-o", out, "--", "sh", "-c",
		`echo $$ > `+pidFile+`; exec `+workloadBin+` echo "line on stdout" echo "line on stderr" --stderr alloc 20MiB hold 30s`)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var staging string
	waitFor(t, "staging directory with samples", 20*time.Second, func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, ".run.tar.zst.spool-*", "timeline.csv"))
		if len(m) == 1 {
			if b, _ := os.ReadFile(m[0]); bytes.Count(b, []byte("\n")) > 25 {
				staging = filepath.Dir(m[0])
				return true
			}
		}
		return false
	})
	b, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		t.Fatalf("no pid in %q", b)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	waitFor(t, "end of the command after perfcap's", 5*time.Second, func() bool { return dead(pid) })
	io, _, stderr := iostreams.Test()
	if code := Main([]string{"bundle", "-q", staging}, io); code != 0 {
		t.Fatalf("perfcap bundle of a killed run: exit %d\n%s", code, stderr.String())
	}
	s := summaryOf(t, out) // where the run would have written it
	if s.Watch != nil {
		t.Errorf("a run's bundle calls itself a watch: %+v", s.Watch)
	}
	if s.ExitCode != -1 || !s.Interrupted {
		t.Errorf("exit %d interrupted %v, want unknown (-1) and interrupted", s.ExitCode, s.Interrupted)
	}
	within(t, "peak RSS MiB", float64(s.PeakRSSBytes)/(1<<20), 20, 0.3)
	files := readBundleFiles(t, out)
	if !strings.Contains(files["stdout.log"], "line on stdout") || !strings.Contains(files["stderr.log"], "line on stderr") {
		t.Errorf("logs: stdout %q stderr %q", files["stdout.log"], files["stderr.log"])
	}
	if strings.Contains(files["report.md"], "watch") && !strings.Contains(files["report.md"], "perfcap --") {
		t.Errorf("the report is not a run's:\n%s", files["report.md"])
	}
	io, stdout, _ := iostreams.Test()
	Main([]string{"inspect", out}, io)
	if !strings.Contains(stdout.String(), "unknown: perfcap was killed") {
		t.Errorf("inspect does not say the exit is unknown:\n%s", stdout.String())
	}
}

// A SIGKILL while packing leaves the staged run recoverable: the marker
// stays until the final rename.
func TestKilledWhilePackingIsRecoverable(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.bin")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for i := range 300 {
		for j := range chunk {
			chunk[j] = byte(i*131 + j*7 + j>>9)
		}
		f.Write(chunk)
	}
	f.Close()
	out := filepath.Join(dir, "pack.tar.zst")
	cmd := exec.Command(perfcapBin, "-q", "--no-perf", "--attach", big, "-o", out, "--", workloadBin, "echo", "done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var tmp []string
	waitFor(t, "archive being packed", 60*time.Second, func() bool {
		tmp, _ = filepath.Glob(filepath.Join(dir, ".pack.tar.zst.tmp-*"))
		return len(tmp) > 0
	})
	killAndRecover(t, cmd, out, filepath.Join(dir, ".pack.tar.zst.spool-*"))
	s := summaryOf(t, out)
	if s.ExitCode != 0 || s.Watch != nil {
		t.Errorf("exit %d watch %v", s.ExitCode, s.Watch)
	}
	// Sizes from the verified manifest: reading 300 MiB back would grow
	// this test binary, whose peak RSS the perfcap processes later tests
	// fork inherit in their ru_maxrss.
	m, err := bundle.Verify(out)
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for _, f := range m.Files {
		sizes[f.Path] = f.Size
	}
	stdout, _ := bundle.ReadFile(out, "stdout.log")
	if sizes["attach/big.bin"] != 300<<20 || !strings.Contains(string(stdout), "done") {
		t.Errorf("files %v", sizes)
	}
}

// perfScriptOf finds a running `perf script` reading a perf.data under
// dir, the sign that a run's post-processing has begun.
func perfScriptOf(dir string) bool {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		if bytes.HasPrefix(b, []byte("perf\x00script\x00")) && bytes.Contains(b, []byte(dir)) {
			return true
		}
	}
	return false
}

// killAndRecover SIGKILLs the perfcap of cmd and packs the staging
// directory matching glob with perfcap bundle into out, where the run
// would have written it; it skips when perfcap had finished already.
func killAndRecover(t *testing.T, cmd *exec.Cmd, out, glob string) {
	t.Helper()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if _, err := os.Stat(out); err == nil {
		t.Skip("perfcap finished before the kill; nothing to recover")
	}
	staging, _ := filepath.Glob(glob)
	if len(staging) != 1 {
		t.Fatalf("staging directories %v", staging)
	}
	io, _, stderr := iostreams.Test()
	if code := Main([]string{"bundle", "-q", staging[0]}, io); code != 0 {
		t.Fatalf("perfcap bundle: exit %d\n%s", code, stderr.String())
	}
}

// Everything measured is on disk before post-processing: a perfcap killed
// while perf script runs after the command ended loses no sample.
func TestKilledAfterTheCommandKeepsEverySample(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (apt-get install linux-perf)")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "post.tar.zst")
	// --keep-perf-data: one perf.data, read by perf script once the
	// command has ended (a recording in chunks is read during the run).
	cmd := exec.Command(perfcapBin, "-q", "--interval", "50ms", "--call-graph", "dwarf", "--perf-freq", "499", "--keep-perf-data", "-o", out, "--",
		workloadBin, "burn", "4s", "--threads", "2")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitFor(t, "perf script after the command", 60*time.Second, func() bool {
		if cmd.ProcessState != nil {
			return true
		}
		return perfScriptOf(dir)
	})
	killAndRecover(t, cmd, out, filepath.Join(dir, ".post.tar.zst.spool-*"))
	s := summaryOf(t, out)
	// The rows reach to the command's end (the final sample at its exit),
	// not to the last periodic flush, up to 2 s earlier.
	if s.WallSeconds < 3.95 || s.Samples < 40 {
		t.Errorf("%d samples over %.2f s recovered of a 4 s command: the rows were not on disk when it ended", s.Samples, s.WallSeconds)
	}
}

// Bad recording flags fail before the command runs: rc 125, one line with
// the fix, and the command never started.
func TestBadPerfFlagsFailBeforeTheCommand(t *testing.T) {
	for _, flags := range [][]string{
		{"--call-graph", "bogus"},
		{"--call-graph", "dwarf,7"},
		{"--perf-max-size", "x"},
		{"--perf-freq", "-1"},
		{"--perf-event", "no-such-event"},
	} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			if flags[0] == "--perf-event" {
				if _, err := exec.LookPath("perf"); err != nil {
					t.Skip("perf is not installed")
				}
			}
			dir := t.TempDir()
			marker := filepath.Join(dir, "ran")
			io, _, stderr := iostreams.Test()
			args := append(append([]string{"-q", "-o", filepath.Join(dir, "b.tar.zst")}, flags...), "--", "touch", marker)
			code := Main(args, io)
			msg := strings.TrimSpace(stderr.String())
			if code != exitError || strings.Count(msg, "\n") > 0 || !strings.Contains(msg, flags[0]) {
				t.Errorf("exit %d, stderr %q; want 125 and one line naming %s", code, msg, flags[0])
			}
			if _, err := os.Stat(marker); err == nil {
				t.Error("the command ran")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
}
