package capture

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runHelper runs a helper to completion as a managed child: its exit
// status, its stderr through a pipe into any writer, its stdout into a
// file, and its CPU time come back.
func TestRunHelper(t *testing.T) {
	c := newChildren()
	c.rootDone = true // no command: the reaper waits for any child
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var stderr bytes.Buffer
	cmd := exec.Command("sh", "-c", `i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo text; echo why >&2; exit 3`)
	cmd.Stdout, cmd.Stderr = out, &stderr
	var pid int
	cpu, err := c.runHelper(cmd, func(p int) { pid = p })
	if err == nil || !strings.Contains(err.Error(), "sh: exit status 3") {
		t.Errorf("error %v, want sh's exit status 3", err)
	}
	if stderr.String() != "why\n" {
		t.Errorf("stderr %q", stderr.String())
	}
	if b, _ := os.ReadFile(out.Name()); string(b) != "text\n" {
		t.Errorf("stdout %q", b)
	}
	if pid <= 0 || cpu <= 0 || c.managedCPU != 0 || len(c.helpers) != 0 {
		t.Errorf("pid %d cpu %.3f; the helper's CPU went to perf's count (%.3f) or it is still listed (%v)", pid, cpu, c.managedCPU, c.helpers)
	}
	if _, err := c.runHelper(exec.Command("true"), nil); err != nil {
		t.Errorf("true: %v", err)
	}
}
