package capture

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSymbolKeeperHoldsDeletedProgram: the program of a process is held
// from when the keeper is told of it, and stays readable once deleted;
// each file is held once, with the identity perf records of it.
func TestSymbolKeeperHoldsDeletedProgram(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	orig, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(prog, orig, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, "5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// Wait for the dynamic loader to map the libraries.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/maps"); bytes.Contains(b, []byte("libc")) {
			break
		}
	}
	var st unix.Stat_t
	if err := unix.Stat(prog, &st); err != nil {
		t.Fatal(err)
	}
	k := newSymbolKeeper("")
	k.exec(cmd.Process.Pid)
	k.exec(cmd.Process.Pid)
	if err := os.Remove(prog); err != nil {
		t.Fatal(err)
	}
	var progs, libs int
	for _, b := range k.binaries() {
		switch {
		case b.Path == prog:
			progs++
			if b.Ino != st.Ino || b.Major != unix.Major(st.Dev) || b.Minor != unix.Minor(st.Dev) {
				t.Errorf("held %+v, the file was %d:%d inode %d", b, unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
			}
			got, err := io.ReadAll(io.NewSectionReader(b.File, 0, int64(len(orig))+1))
			if err != nil || !bytes.Equal(got, orig) {
				t.Errorf("the held program reads %d bytes (%v), the deleted file had %d", len(got), err, len(orig))
			}
		case strings.Contains(b.Path, "libc"):
			libs++
		}
	}
	if progs != 1 || libs != 1 {
		t.Errorf("held %d copies of the program and %d of libc, want 1 each: %+v", progs, libs, k.binaries())
	}
	for _, b := range k.binaries() {
		b.File.Close()
	}
}

// TestSamplerOnExec: the sampler reports a tree process when it first
// reads it and again when it runs a new program.
func TestSamplerOnExec(t *testing.T) {
	cmd := exec.Command("sh", "-c", "read _; exec sleep 30")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := cmd.Process.Pid
	var calls []string
	s := NewSampler(SamplerConfig{Self: os.Getpid(), Root: pid, Start: time.Now(), OnExec: func(p int) {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/comm")
		calls = append(calls, strconv.Itoa(p)+":"+strings.TrimSpace(string(comm)))
	}})
	defer s.Close()
	sampleUntil(t, s, func(Sample) bool { return len(calls) > 0 })
	if _, err := in.Write([]byte("\n")); err != nil {
		t.Fatal(err)
	}
	sampleUntil(t, s, func(Sample) bool { return len(calls) > 1 })
	want := []string{strconv.Itoa(pid) + ":sh", strconv.Itoa(pid) + ":sleep"}
	if strings.Join(calls, " ") != strings.Join(want, " ") {
		t.Errorf("OnExec calls %q, want %q", calls, want)
	}
}
