package perfpipe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// tasksData is a real perf.data: `perf record -e cpu-clock -c 10000000
// --no-buildid -- sh -c 'i=0; while [ $i -lt 5 ]; do /bin/true;
// i=$((i+1)); done; /bin/true & wait; workload burn 30ms --threads 2'`.
// `perf script --show-task-events` lists 12 forks in it: 7 processes (six
// /bin/true, the workload) and 5 threads of the Go workload.
const tasksData = "testdata/perf/tasks.data"

func TestReadTasksOfARecording(t *testing.T) {
	got, err := ReadTasksFile(tasksData)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Tasks{Processes: 7, Threads: 5}); got != want {
		t.Errorf("ReadTasks = %+v, want %+v", got, want)
	}
}

// forkLine is a fork as `perf script --show-task-events` prints it:
// PERF_RECORD_FORK(pid:tid):(ppid:ptid).
var forkLine = regexp.MustCompile(`PERF_RECORD_FORK\((\d+):\d+\):\((\d+):\d+\)`)

// The count agrees with the real perf's own reading of a fresh recording
// of a command that starts 200 short processes.
func TestReadTasksAgreesWithPerfScript(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: apt-get install linux-perf); .ci/run installs it")
	}
	data := filepath.Join(t.TempDir(), "perf.data")
	rec := exec.Command("perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-g", "-o", data, "--",
		"sh", "-c", `i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done`)
	if out, err := rec.CombinedOutput(); err != nil {
		t.Skipf("perf cannot record here: %v\n%s", err, out)
	}
	script, err := exec.Command("perf", "script", "-i", data, "--show-task-events").Output()
	if err != nil {
		t.Fatalf("perf script: %v", err)
	}
	var want Tasks
	for _, m := range forkLine.FindAllStringSubmatch(string(script), -1) {
		if m[1] != m[2] {
			want.Processes++
		} else {
			want.Threads++
		}
	}
	got, err := ReadTasksFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || got.Processes != 200 {
		t.Errorf("ReadTasks = %+v; perf script's forks give %+v; the command started 200 processes", got, want)
	}
}

func TestReadTasksErrors(t *testing.T) {
	good, err := os.ReadFile(tasksData)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	dataOff := le.Uint64(good[40:])
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "reading the perf.data header"},
		{"not perf.data", edit(func(b []byte) []byte { copy(b, "PERFILE1"); return b }), "offset 0: expected the magic PERFILE2"},
		{"other byte order", edit(func(b []byte) []byte { binary.BigEndian.PutUint64(b, magic); return b }), "other byte order"},
		{"unfinished", edit(func(b []byte) []byte { le.PutUint64(b[48:], 0); return b }), "was not finished"},
		{"data past the end", edit(func(b []byte) []byte { return b[:dataOff+100] }), "passes the end of the file"},
		{"record shorter than its header", edit(func(b []byte) []byte { le.PutUint16(b[dataOff+6:], 4); return b }), "claims 4 bytes"},
		{"compressed", edit(func(b []byte) []byte { le.PutUint32(b[dataOff:], recordCompressed); return b }), "compressed records"},
	} {
		_, err := ReadTasks(bytes.NewReader(tc.data), int64(len(tc.data)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
		if tc.name == "unfinished" && !errors.Is(err, ErrUnfinished) {
			t.Errorf("unfinished: %v is not ErrUnfinished", err)
		}
	}
}

// FuzzReadTasks reads arbitrary bytes as perf.data: a count or a
// one-line error, never a panic, and never more tasks than records fit.
func FuzzReadTasks(f *testing.F) {
	good, err := os.ReadFile(tasksData)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:fileHeaderSize])
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ReadTasks(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error spans lines: %q", err)
			}
			return
		}
		if got.Processes < 0 || got.Threads < 0 || (got.Processes+got.Threads)*32 > len(b) {
			t.Errorf("%+v from %d bytes", got, len(b))
		}
	})
}
