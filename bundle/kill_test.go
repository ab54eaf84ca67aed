package bundle

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// killChildEnv, when set, makes the test binary a child that writes a
// bundle to the path it holds, for TestKillDuringClose to kill.
const killChildEnv = "PERFCAP_BUNDLE_TEST_KILL_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(killChildEnv); path != "" {
		os.Exit(killChild(path))
	}
	os.Exit(m.Run())
}

func killChild(path string) int {
	w, err := NewWriter(path, testRedactor{})
	if err != nil {
		return 1
	}
	if err := w.AddBytes("timeline.csv", csv(100_000)); err != nil {
		return 1
	}
	os.Stdout.WriteString("closing\n")
	if err := w.Close(testManifest()); err != nil {
		return 1
	}
	return 0
}

// TestKillDuringClose kills a real process at several moments of Close:
// the bundle path then holds nothing or a bundle that verifies.
func TestKillDuringClose(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	complete := 0
	for i := range 6 {
		delay := time.Duration(i) * 20 * time.Millisecond
		path := filepath.Join(t.TempDir(), "run.tar.zst")
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
			t.Fatalf("child did not start closing: %v", err)
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
		_, err = os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			t.Fatal(err)
		default:
			complete++
			if _, err := Verify(path); err != nil {
				t.Errorf("killed %v into Close: the bundle exists but does not verify: %v", delay, err)
			}
		}
	}
	t.Logf("%d of 6 kills came after the rename", complete)
}
