package main

import (
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

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// Binaries built once for every test: perfcap itself (for tests that need a
// separate process: signals, memory of perfcap, terminals) and the workload
// whose behaviour is known exactly.
var (
	perfcapBin  string
	workloadBin string
)

func TestMain(m *testing.M) {
	if args := os.Getenv(launchEnv); args != "" {
		launch(args) // a child of peakRSSOf; it exits
	}
	dir, err := os.MkdirTemp("", "perfcap-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	perfcapBin = filepath.Join(dir, "perfcap")
	workloadBin = filepath.Join(dir, "workload")
	for bin, pkg := range map[string]string{perfcapBin: ".", workloadBin: "../../internal/workload"} {
		out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runResult is what one in-process perfcap run left behind.
type runResult struct {
	code     int
	stdout   string
	stderr   string
	bundle   string
	manifest bundle.Manifest
	summary  format.Totals
}

// perfcap runs perfcap in-process with args (flags, then the command) and
// reads the bundle back.
func perfcap(t *testing.T, args ...string) runResult {
	t.Helper()
	io, stdout, stderr := iostreams.Test()
	out := filepath.Join(t.TempDir(), "run.tar.zst")
	code := Main(append([]string{"-o", out}, args...), io)
	r := runResult{code: code, stdout: stdout.String(), stderr: stderr.String(), bundle: out}
	if _, err := os.Stat(out); err != nil {
		return r
	}
	var err error
	if r.manifest, err = bundle.ReadManifest(out); err != nil {
		t.Fatalf("reading the manifest: %v", err)
	}
	raw, err := bundle.ReadFile(out, "summary.json")
	if err != nil {
		t.Fatalf("reading summary.json: %v", err)
	}
	if err := json.Unmarshal(raw, &r.summary); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	return r
}

// workloadReport is the JSON line `workload -report` prints on stderr.
type workloadReport struct {
	PID      int   `json:"pid"`
	PPID     int   `json:"ppid"`
	Self     usage `json:"self"`
	Children usage `json:"children"`
}

type usage struct {
	User   float64 `json:"user_seconds"`
	Sys    float64 `json:"sys_seconds"`
	MaxRSS uint64  `json:"maxrss_bytes"`
}

// lastReport finds the last workload report line in stderr.
func lastReport(t *testing.T, stderr string) workloadReport {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var r workloadReport
		if strings.HasPrefix(lines[i], "{") && json.Unmarshal([]byte(lines[i]), &r) == nil && r.PID != 0 {
			return r
		}
	}
	t.Fatalf("no workload report in stderr:\n%s", stderr)
	return workloadReport{}
}

func within(t *testing.T, what string, got, want, tolerance float64) {
	t.Helper()
	if got < want*(1-tolerance) || got > want*(1+tolerance) {
		t.Errorf("%s = %.4g, want %.4g ± %.0f%%", what, got, want, tolerance*100)
	}
}

const mib = 1 << 20

func TestExitCodes(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Executable, but neither ELF nor "#!": execve says ENOEXEC.
	noFormat := filepath.Join(t.TempDir(), "noshebang")
	if err := os.WriteFile(noFormat, []byte("echo hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		argv     []string
		code     int
		signal   string
		noBundle bool
	}{
		{"success", []string{workloadBin, "exit", "0"}, 0, "", false},
		{"failure", []string{workloadBin, "exit", "3"}, 3, "", false},
		{"killed by TERM", []string{workloadBin, "kill", "TERM"}, 128 + 15, "SIGTERM", false},
		{"killed by KILL", []string{workloadBin, "kill", "KILL"}, 128 + 9, "SIGKILL", false},
		{"not found", []string{"perfcap-no-such-command"}, 127, "", true},
		{"not executable", []string{notExec}, 126, "", true},
		{"directory", []string{t.TempDir()}, 126, "", true},
		{"no executable format", []string{noFormat}, 126, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := perfcap(t, append([]string{"--quiet", "--"}, tt.argv...)...)
			if r.code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			if tt.noBundle {
				if _, err := os.Stat(r.bundle); err == nil {
					t.Errorf("a bundle was written for a command that never ran")
				}
				if !strings.HasPrefix(r.stderr, "perfcap: ") || strings.Count(r.stderr, "\n") != 1 {
					t.Errorf("want one perfcap: line on stderr, got %q", r.stderr)
				}
				return
			}
			if r.manifest.Exit.Code != tt.code || r.manifest.Exit.Signal != tt.signal {
				t.Errorf("manifest exit = %+v, want code %d signal %q", r.manifest.Exit, tt.code, tt.signal)
			}
			if r.summary.ExitCode != tt.code {
				t.Errorf("summary exit_code = %d, want %d", r.summary.ExitCode, tt.code)
			}
		})
	}
}

func TestUsageErrorsExit125(t *testing.T) {
	for _, args := range [][]string{
		{"--interval", "1ms", "--", "true"},
		{"--interval", "2h", "--", "true"},
		{"--log-limit", "lots", "--", "true"},
		{"--redact", "(", "--", "true"},
		{"--no-such-flag", "--", "true"},
		{"--lang", "fr", "--", "true"},
		{"--template", "/no/such/template", "--", "true"},
	} {
		io, _, stderr := iostreams.Test()
		if code := Main(args, io); code != exitError {
			t.Errorf("perfcap %q: exit %d, want %d", args, code, exitError)
		}
		if !strings.HasPrefix(stderr.String(), "perfcap: ") {
			t.Errorf("perfcap %q: stderr %q does not say what went wrong", args, stderr)
		}
	}
}

func TestStdoutCarriesOnlyTheCommandsOutput(t *testing.T) {
	r := perfcap(t, "--", workloadBin, "echo", "to-stdout", "echo", "to-stderr", "--stderr")
	if r.stdout != "to-stdout\n" {
		t.Errorf("stdout = %q, want only the command's", r.stdout)
	}
	if !strings.Contains(r.stderr, "to-stderr\n") || !strings.Contains(r.stderr, "perfcap: bundle ") {
		t.Errorf("stderr = %q, want the command's stderr and perfcap's summary", r.stderr)
	}
	logs := readBundleFiles(t, r.bundle)
	if logs["stdout.log"] != "to-stdout\n" || logs["stderr.log"] != "to-stderr\n" {
		t.Errorf("logs = %q / %q", logs["stdout.log"], logs["stderr.log"])
	}
	if r.summary.FirstOutputSeconds < 0 || r.summary.FirstOutputSeconds > r.summary.WallSeconds {
		t.Errorf("first_output_seconds = %v, wall %v", r.summary.FirstOutputSeconds, r.summary.WallSeconds)
	}
}

func TestPeakRSSOfOneProcess(t *testing.T) {
	r := perfcap(t, "--quiet", "--", workloadBin, "alloc", "200MiB", "hold", "500ms")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// The workload's Go runtime adds a few MiB to what it allocates.
	within(t, "max_process_rss_bytes", float64(r.summary.MaxProcessRSSBytes), 200*mib, 0.05)
	within(t, "peak_rss_bytes", float64(r.summary.PeakRSSBytes), 200*mib, 0.05)
}

func TestTreePeakCountsConcurrentChildren(t *testing.T) {
	r := perfcap(t, "--quiet", "--", workloadBin, "spawn", "2", "--", "alloc", "100MiB", "hold", "1s")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	within(t, "peak_rss_bytes (tree)", float64(r.summary.PeakRSSBytes), 200*mib, 0.08)
	within(t, "max_process_rss_bytes", float64(r.summary.MaxProcessRSSBytes), 100*mib, 0.05)
	if r.summary.MaxProcesses != 3 || r.summary.Processes != 3 {
		t.Errorf("processes = %d (at most %d at once), want 3", r.summary.Processes, r.summary.MaxProcesses)
	}
}

func TestCPUMatchesRusage(t *testing.T) {
	// Two children burn 0.6 s each on 2 threads; the root reports its own
	// and its children's rusage, the truth perfcap must match.
	r := perfcap(t, "--quiet", "--interval", "20ms", "--", workloadBin, "-report", "spawn", "2", "--", "burncpu", "0.6", "--threads", "2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rep := lastReport(t, r.stderr)
	truth := rep.Self.User + rep.Self.Sys + rep.Children.User + rep.Children.Sys
	got := r.summary.UserSeconds + r.summary.SysSeconds
	within(t, "user+sys seconds", got, truth, 0.10)
	// The samples alone see almost all of it too.
	sampled := sampledCPU(t, r.bundle)
	within(t, "CPU seen in the samples", sampled, truth, 0.10)
}

// sampledCPU sums each process's last cumulative CPU from process_samples.csv.
func sampledCPU(t *testing.T, path string) float64 {
	t.Helper()
	csv := readBundleFiles(t, path)["process_samples.csv"]
	last := map[string]float64{}
	for i, line := range strings.Split(strings.TrimSpace(csv), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, ",")
		var user, sys float64
		fmt.Sscan(f[4], &user)
		fmt.Sscan(f[5], &sys)
		last[f[1]] = user + sys
	}
	var sum float64
	for _, v := range last {
		sum += v
	}
	return sum
}

func TestOrphansStayInTheTreeAndAreReaped(t *testing.T) {
	// The orphan outlives its parent and burns CPU as a child of perfcap;
	// the root sleeps meanwhile, so the orphan's CPU reaches perfcap only
	// by reaping it.
	r := perfcap(t, "--quiet", "--interval", "20ms", "--", "sh", "-c",
		workloadBin+" orphan -- burncpu 0.5; sleep 1.5")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r.summary.ReapedOrphans < 1 {
		t.Errorf("reaped_orphans = %d, want ≥ 1", r.summary.ReapedOrphans)
	}
	if cpu := r.summary.UserSeconds + r.summary.SysSeconds; cpu < 0.45 {
		t.Errorf("user+sys = %.3f s, want ≥ 0.45 (the orphan's 0.5 s)", cpu)
	}
	if len(r.summary.LeftRunning) != 0 {
		t.Errorf("left_running = %v", r.summary.LeftRunning)
	}
}

func TestSecretsNeverEnterTheBundle(t *testing.T) {
	const token = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
	const aws = "AKIAIOSFODNN7EXAMPLE"
	t.Setenv("GITHUB_TOKEN", token)
	t.Setenv("CARGO_REGISTRY_TOKEN", "cargo-secret-value-42")
	t.Setenv("RUSTFLAGS", "-C target-cpu=native")
	r := perfcap(t, "--redact", "hunter[0-9]+", "--", workloadBin, "echo", "token="+token, "echo", "aws "+aws, "--stderr",
		"echo", "password is hunter22", "echo", "--stderr", "--", "--password=s3cr3t-pass")
	files := readBundleFiles(t, r.bundle)
	files["manifest.json"] = mustJSON(t, r.manifest)
	for name, content := range files {
		for _, secret := range []string{token, aws, "cargo-secret-value-42", "hunter22", "s3cr3t-pass"} {
			if strings.Contains(content, secret) {
				t.Errorf("%s holds the secret %q", name, secret)
			}
		}
	}
	if !strings.Contains(files["env.json"], "target-cpu=native") {
		t.Errorf("env.json lost the build-relevant RUSTFLAGS")
	}
	if !strings.Contains(files["stdout.log"], "[redacted]") {
		t.Errorf("stdout.log shows no redaction: %q", files["stdout.log"])
	}
}

func TestLogsAreCapped(t *testing.T) {
	r := perfcap(t, "--quiet", "--log-limit", "64KiB,256KiB", "--", workloadBin, "print", "8MiB")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if len(r.stdout) != 8*mib {
		t.Errorf("the terminal got %d bytes, want all %d", len(r.stdout), 8*mib)
	}
	log := readBundleFiles(t, r.bundle)["stdout.log"]
	// The kept parts end and start at whole lines (80 bytes each here).
	head, tail, ok := strings.Cut(log, "[perfcap: ")
	if !ok {
		t.Fatalf("stdout.log has no cut marker")
	}
	marker, tail, _ := strings.Cut(tail, "\n")
	if len(head) < 64<<10-80 || !strings.HasPrefix(r.stdout, head) {
		t.Errorf("stdout.log's head (%d bytes) is not the first 64 KiB of the output", len(head))
	}
	if len(tail) < 256<<10-80 || !strings.HasSuffix(r.stdout, tail) {
		t.Errorf("stdout.log's tail (%d bytes) is not the last 256 KiB of the output", len(tail))
	}
	if cut := fmt.Sprint(8*mib - len(head) - len(tail)); !strings.HasPrefix(marker, cut+" bytes cut") {
		t.Errorf("marker %q does not say %s bytes were cut", marker, cut)
	}
	if r.summary.StdoutBytes != 8*mib {
		t.Errorf("stdout_bytes = %d", r.summary.StdoutBytes)
	}
}

// readBundleFiles extracts a bundle and returns every file's content.
func readBundleFiles(t *testing.T, path string) map[string]string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "x")
	if _, err := bundle.Extract(path, dir); err != nil {
		t.Fatalf("extracting %s: %v", path, err)
	}
	files := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBundleHasEveryFileAndVerifies(t *testing.T) {
	r := perfcap(t, "--quiet", "--interval", "10ms", "--", workloadBin, "burn", "300ms")
	files := readBundleFiles(t, r.bundle)
	for _, name := range []string{"manifest.json", "summary.json", "env.json", "timeline.csv", "timeline.svg", "process_samples.csv", "processes.csv", "stdout.log", "stderr.log", "report.md"} {
		if _, ok := files[name]; !ok {
			t.Errorf("bundle lacks %s", name)
		}
	}
	if _, err := bundle.Verify(r.bundle); err != nil {
		t.Errorf("verify: %v", err)
	}
	rows := strings.Count(files["timeline.csv"], "\n") - 1
	if rows != r.summary.Samples || rows < 20 {
		t.Errorf("timeline.csv has %d rows, summary says %d samples (want ≥ 20 at 10ms over 300ms)", rows, r.summary.Samples)
	}
	if r.summary.OnSchedule < r.summary.ExpectedSamples*9/10 {
		t.Errorf("%d of %d samples on schedule", r.summary.OnSchedule, r.summary.ExpectedSamples)
	}
	if !strings.Contains(files["timeline.svg"], "<svg") || !strings.Contains(files["timeline.svg"], "peak") {
		t.Errorf("timeline.svg is not a timeline: %.200q", files["timeline.svg"])
	}
	if !bytes.HasPrefix([]byte(files["timeline.csv"]), []byte("t_seconds,")) {
		t.Errorf("timeline.csv header: %q", strings.SplitN(files["timeline.csv"], "\n", 2)[0])
	}
}

func TestDaemonsLeftRunningAreReported(t *testing.T) {
	// The command daemonizes a child and exits at once: perfcap does not
	// wait for it, but names it.
	r := perfcap(t, "--quiet", "--no-perf", "--", workloadBin, "daemon", "--", "sleep", "1s")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if len(r.summary.LeftRunning) != 1 {
		t.Fatalf("left_running = %v, want the daemon", r.summary.LeftRunning)
	}
	// The test process is the daemon's subreaper now: reap it, so it
	// cannot join the tree of a later test's run.
	defer syscall.Wait4(r.summary.LeftRunning[0], nil, 0, nil)
	warned := false
	for _, w := range r.summary.Warnings {
		warned = warned || strings.Contains(w, "still running")
	}
	if !warned {
		t.Errorf("no warning about the daemon: %q", r.summary.Warnings)
	}
}

// launchEnv names the JSON argv a child of peakRSSOf runs.
const launchEnv = "PERFCAP_TEST_LAUNCH"

// launch runs argv with stdout on /dev/null and prints its ru_maxrss in
// bytes. It runs in a fresh exec of the test binary, whose small memory is
// all the child inherits: ru_maxrss counts the forking parent's RSS too,
// and the test binary itself may have grown large.
func launch(args string) {
	var argv []string
	if err := json.Unmarshal([]byte(args), &argv); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024)
	os.Exit(0)
}

// peakRSSOf runs argv and returns its peak RSS (with its reaped children's)
// measured from a small launcher process.
func peakRSSOf(t *testing.T, argv ...string) int64 {
	t.Helper()
	b, _ := json.Marshal(argv)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), launchEnv+"="+string(b))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", argv, err, stderr.String())
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		t.Fatalf("launcher said %q", out)
	}
	return n
}
