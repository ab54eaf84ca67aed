package capture

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestParseForks(t *testing.T) {
	fixture, err := os.ReadFile("procfs/testdata/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, in string
		want     uint64
		err      string
	}{
		{"recorded /proc/stat", string(fixture), 13165, ""},
		{"first line", "processes 7\ncpu  1 2 3 4\n", 7, ""},
		{"no line", "cpu  1 2 3 4\nctxt 5\n", 0, "no processes line"},
		{"not a number", "processes x1\n", 0, "invalid number"},
		{"prefix of another key", "processes_total 5\n", 0, "no processes line"},
	} {
		got, err := parseForks([]byte(tc.in))
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: parseForks = %d, %v; want %d, %q", tc.name, got, err, tc.want, tc.err)
		}
	}
}

// The machine's counter moves when a process starts: the bound the run's
// count is checked against is live.
func TestReadForksCountsAProcess(t *testing.T) {
	before, ok := readForks()
	if !ok {
		t.Skip("no /proc/stat")
	}
	if err := exec.Command("/bin/true").Run(); err != nil {
		t.Fatal(err)
	}
	after, _ := readForks()
	if after <= before {
		t.Errorf("processes counter %d then %d around starting /bin/true", before, after)
	}
}

func TestStartedAtLeast(t *testing.T) {
	procs := []Process{{PID: 10}, {PID: 11}, {PID: 11}} // 11 reused
	if got := startedAtLeast(procs, []int{10, 12, 12, 0}); got != 4 {
		t.Errorf("startedAtLeast = %d, want 4 (three seen, one more reaped)", got)
	}
}

// FuzzParseForks: a count or a one-line error for any /proc/stat.
func FuzzParseForks(f *testing.F) {
	fixture, err := os.ReadFile("procfs/testdata/proc/stat")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fixture)
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := parseForks(b); err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("error spans lines: %q", err)
		}
	})
}
