package main

// Tests that run perfcap as its own process: signals sent to it, its own
// memory, and terminals.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// startPerfcap starts the perfcap binary and returns once the command has
// said it waits for a signal.
func startPerfcap(t *testing.T, out string, argv ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(perfcapBin, append([]string{"--quiet", "-o", out, "--"}, argv...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rest := new(bytes.Buffer)
	br := bufio.NewReader(stderr)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("perfcap ended before the command waited for a signal: %v", err)
		}
		if strings.Contains(line, "waiting for SIG") {
			break
		}
	}
	go io.Copy(rest, br)
	return cmd, rest
}

func TestSignalsAreForwardedAndABundleIsLeft(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "b.tar.zst")
			// The command's child waits too: the whole group must get it.
			cmd, _ := startPerfcap(t, out, workloadBin, "spawn", "1", "--", "wait-signal")
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			// The workload's parent exits 1 when its child died by the
			// signal, unless the signal reached it too (128+N).
			if code != 1 && code != 128+int(sig) {
				t.Fatalf("perfcap exit %d (%v), want the command's", code, err)
			}
			m, err := bundle.Verify(out)
			if err != nil {
				t.Fatalf("no valid bundle after %v: %v", sig, err)
			}
			if !m.Interrupted {
				t.Errorf("manifest not marked interrupted")
			}
		})
	}
}

func TestSecondSignalWhileWritingLeavesNoBrokenFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "b.tar.zst")
	// Enough output that writing the logs takes a moment.
	cmd, _ := startPerfcap(t, out, "sh", "-c", workloadBin+" print 64MiB >/dev/null; "+workloadBin+" wait-signal")
	for i := 0; i < 5; i++ {
		_ = cmd.Process.Signal(syscall.SIGINT)
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Wait()
	if _, err := bundle.Verify(out); err != nil {
		t.Fatalf("bundle after repeated SIGINT: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestPerfcapMemoryStaysBoundedOnHugeOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1 GiB through perfcap")
	}
	out := filepath.Join(t.TempDir(), "b.tar.zst")
	// --no-perf: the figure is perfcap's own; the rusage of a process
	// includes its reaped children's peak, and perf record's buffers on a
	// busy machine are not perfcap's memory. peakRSSOf starts perfcap from
	// a small launcher: ru_maxrss also counts the forking process's RSS.
	peak := peakRSSOf(t, perfcapBin, "--quiet", "--no-perf", "-o", out, "--", workloadBin, "print", "1GiB")
	if peak > 80*mib {
		t.Errorf("perfcap peaked at %d MiB for 1 GiB of output; the logs are capped at 5 MiB a stream", peak/mib)
	}
	files := readBundleFiles(t, out)
	if n := len(files["stdout.log"]); n > 5*mib+1024 || n < 5*mib {
		t.Errorf("stdout.log is %d bytes, want 5 MiB and a marker", n)
	}
}

func TestTerminalOutputKeepsItsTerminal(t *testing.T) {
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skipf("no pseudo-terminals here (%v): the colour pass-through cannot be tested", err)
	}
	out := filepath.Join(t.TempDir(), "b.tar.zst")
	run := func(extra ...string) string {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer ptmx.Close()
		cmd := exec.Command(perfcapBin, append([]string{"-o", out}, append(extra, "--", workloadBin, "istty")...)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Once perfcap ends, no one holds the terminal and reads end (EIO).
		tty.Close()
		var buf bytes.Buffer
		_, _ = io.Copy(&buf, ptmx)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("perfcap on a terminal: %v\n%s", err, buf.String())
		}
		return buf.String()
	}
	got := run()
	if !strings.Contains(got, "stdout=tty stderr=tty") {
		t.Errorf("on a terminal the command saw %q, want stdout and stderr terminals", got)
	}
	if log := readBundleFiles(t, out)["stdout.log"]; !strings.Contains(log, "stdout=tty") || strings.Contains(log, "\r\n") {
		t.Errorf("stdout.log = %q: want the command's bytes, no CRLF added", log)
	}
	os.Remove(out)
	if got := run("--no-pty"); !strings.Contains(got, "stdout=pipe stderr=pipe") {
		t.Errorf("with --no-pty the command saw %q, want pipes", got)
	}
}

// Ctrl-Z on the terminal stops the command, and perfcap relays it: it takes
// the terminal back and stops too, so a shell sees a stopped job; continued,
// it gives the terminal back and continues the command, which finishes.
func TestCtrlZStopsPerfcapToo(t *testing.T) {
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skipf("no pseudo-terminals here (%v)", err)
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	out := filepath.Join(t.TempDir(), "b.tar.zst")
	cmd := exec.Command(perfcapBin, "-q", "--no-perf", "-o", out, "--", workloadBin, "echo", "started", "hold", "1500ms", "echo", "finished")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	defer cmd.Process.Kill()
	output := make(chan string, 1)
	var seen iostreams.SyncBuffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			seen.Write(buf[:n])
			if strings.Contains(seen.String(), "started") {
				select {
				case output <- seen.String():
				default:
				}
			}
			if err != nil {
				close(output)
				return
			}
		}
	}()
	if _, ok := <-output; !ok {
		t.Fatalf("the command never started: %q", seen.String())
	}
	if _, err := ptmx.Write([]byte{0x1a}); err != nil { // Ctrl-Z
		t.Fatal(err)
	}
	state := func(pid int) byte {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
			return b[i+2]
		}
		return 0
	}
	deadline := time.Now().Add(10 * time.Second)
	for state(cmd.Process.Pid) != 'T' && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s := state(cmd.Process.Pid); s != 'T' {
		t.Fatalf("perfcap is in state %q after Ctrl-Z, want stopped (T)", s)
	}
	time.Sleep(300 * time.Millisecond) // stopped for a while
	// As a shell's fg would: SIGCONT to perfcap only, though, to check
	// that perfcap continues its own stopped children (probes) itself.
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("perfcap after fg: %v\n%s", err, seen.String())
	}
	files := readBundleFiles(t, out)
	if !strings.Contains(files["stdout.log"], "finished") {
		t.Errorf("the command did not finish after it was continued: %q", files["stdout.log"])
	}
	// perfcap's probes (git, gcc) stopped with its group were continued
	// too: none is left stopped, reparented to this subreaper.
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			continue
		}
		fields := strings.Fields(string(b[i+2:]))
		if len(fields) > 1 && fields[0] == "T" && fields[1] == strconv.Itoa(os.Getpid()) {
			t.Errorf("a stopped process is left behind: %s", b)
		}
	}
	if !strings.Contains(files["summary.json"], "stopped (Ctrl-Z) once") {
		t.Errorf("summary.json does not say the command was stopped:\n%s", files["summary.json"])
	}
}
