package procfs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The fixtures under testdata/proc are real /proc files (a sleep, a
// zombie, kernel threads, names with spaces, parentheses and a newline)
// with their pid rewritten to the directory's name; 1006 is made up so that
// every field holds its own number.

func TestProcParseStat(t *testing.T) {
	tests := []struct {
		pid  string
		want Stat
	}{
		{"2", Stat{PID: 2, Comm: []byte("kthreadd"), State: 'S', PPID: 0, Threads: 1, StartTime: 24}},
		{"10", Stat{PID: 10, Comm: []byte("kworker/0:0H-events_highpri"), State: 'I', PPID: 2, Threads: 1, StartTime: 24}},
		{"1001", Stat{PID: 1001, Comm: []byte("sleep"), State: 'S', PPID: 13035, MinFlt: 133, Threads: 1, StartTime: 464845, RSSPages: 406}},
		{"1002", Stat{PID: 1002, Comm: []byte("(sd-pam)"), State: 'S', PPID: 13259, MinFlt: 128, Threads: 1, StartTime: 465303, RSSPages: 391}},
		{"1003", Stat{PID: 1003, Comm: []byte("a) b"), State: 'S', PPID: 13259, MinFlt: 131, Threads: 1, StartTime: 465303, RSSPages: 445}},
		{"1004", Stat{PID: 1004, Comm: []byte("python3"), State: 'Z', PPID: 13041, MinFlt: 229, Threads: 1, StartTime: 464865}},
		{"1005", Stat{PID: 1005, Comm: []byte("x\ny) (z"), State: 'S', PPID: 13035, MinFlt: 2881, UTime: 3, STime: 1, CUTime: 3, CSTime: 1, Threads: 1, StartTime: 464845, RSSPages: 3348}},
		{"1006", Stat{PID: 1006, Comm: []byte("rustc worker"), State: 'R', PPID: 4, MinFlt: 10, MajFlt: 12, UTime: 14, STime: 15, CUTime: 16, CSTime: 17, Threads: 20, StartTime: 22, RSSPages: 24}},
	}
	for _, tt := range tests {
		t.Run(tt.pid, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata/proc", tt.pid, "stat"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseStat(b)
			if err != nil {
				t.Fatalf("ParseStat: %v", err)
			}
			if !bytes.Equal(got.Comm, tt.want.Comm) {
				t.Errorf("Comm = %q, want %q", got.Comm, tt.want.Comm)
			}
			got.Comm, tt.want.Comm = nil, nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseStat =\n%+v, want\n%+v", got, tt.want)
			}
			if dead := got.Dead(); dead != (tt.pid == "1004") {
				t.Errorf("dead() = %v", dead)
			}
		})
	}
}

func TestProcParseStatErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", `stat: want "pid (comm) ..."`},
		{"no comm", "12 sleep S 1", `stat: want "pid (comm) ..."`},
		{"no close", "12 (sleep S 1", `stat: want "pid (comm) ..."`},
		{"bad pid", "1x2 (sleep) S 1", `stat field 1 (pid): invalid number "1x2"`},
		{"truncated", "12 (sleep) S 1 2 3", `stat field 7: missing`},
		{"long state", "12 (sleep) SS 1", `stat field 3 (state): want one letter, got "SS"`},
		{"negative ppid", "12 (sleep) S -1", `stat field 4 (ppid): invalid number "-1"`},
		{"double space", "12 (sleep) S  1", `stat field 4 (ppid): invalid number ""`},
		{"bad utime", "12 (a) S 1 2 3 4 5 6 7 8 9 10 u 12", `stat field 14 (utime): invalid number "u"`},
		{"overflow", "12 (a) S 1 2 3 4 5 6 99999999999999999999999 8", `stat field 10 (minflt): invalid number "99999999999999999999999"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStat([]byte(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Errorf("ParseStat(%q) error = %v, want %s", tt.in, err, tt.want)
			}
		})
	}
}

func TestProcReadStatus(t *testing.T) {
	tests := []struct {
		pid   int
		vmHWM uint64
	}{
		{2, 0},    // kernel thread: no memory of its own
		{1004, 0}, // zombie
		{1001, 1796 << 10},
		{1005, 13500 << 10},
		{1006, 123456 << 10},
	}
	for _, tt := range tests {
		got, err := ReadStatus("testdata/proc", tt.pid)
		if err != nil {
			t.Errorf("ReadStatus(%d): %v", tt.pid, err)
			continue
		}
		if got.VmHWM != tt.vmHWM {
			t.Errorf("ReadStatus(%d).VmHWM = %d, want %d", tt.pid, got.VmHWM, tt.vmHWM)
		}
	}
	if _, err := ReadStatus("testdata/proc", 999999); !os.IsNotExist(err) {
		t.Errorf("ReadStatus of a missing pid: %v, want not-exist", err)
	}
}

func TestProcParseStatusErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Name:\tx\nVmHWM:\t12 MB\n", `status line 2: want "VmHWM: <n> kB", got "VmHWM:\t12 MB"`},
		{"VmHWM:\t kB\n", `status line 1: want "VmHWM: <n> kB", got "VmHWM:\t kB"`},
	}
	for _, tt := range tests {
		_, err := ParseStatus([]byte(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseStatus(%q) error = %v, want %s", tt.in, err, tt.want)
		}
	}
}

func TestProcParseCPUTimes(t *testing.T) {
	fixture, err := os.ReadFile("testdata/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		in          string
		busy, total uint64
		err         string
	}{
		{"fixture", string(fixture), 13740 + 7051 + 140 + 104, 13740 + 7051 + 905087 + 1678 + 140 + 104, ""},
		// guest (9th) and guest_nice (10th) are inside user already.
		{"guest", "cpu  1 2 3 4 5 6 7 8 100 100\n", 1 + 2 + 3 + 6 + 7 + 8, 36, ""},
		{"not cpu", "intr 1 2\n", 0, 0, `stat line 1: want "cpu ...", got "intr 1 2"`},
		{"short", "cpu  1 2 3\n", 0, 0, `stat line 1 field 5: invalid number ""`},
	}
	for _, tt := range tests {
		busy, total, err := ParseCPUTimes([]byte(tt.in))
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: error = %v, want %s", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || busy != tt.busy || total != tt.total {
			t.Errorf("%s: ParseCPUTimes = %d, %d, %v; want %d, %d", tt.name, busy, total, err, tt.busy, tt.total)
		}
	}
}

func TestProcParseMemAvailable(t *testing.T) {
	fixture, err := os.ReadFile("testdata/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		want uint64
		err  string
	}{
		{"fixture", string(fixture), 23894240 << 10, ""},
		{"old kernel", "MemTotal: 10 kB\nMemFree:  7 kB\nBuffers: 1 kB\n", 7 << 10, ""},
		{"none", "MemTotal: 10 kB\n", 0, "meminfo: no MemAvailable or MemFree line"},
		{"bad", "MemTotal: 10 kB\nMemAvailable: x kB\n", 0, `meminfo line 2: want "MemAvailable: <n> kB", got "MemAvailable: x kB"`},
	}
	for _, tt := range tests {
		got, err := ParseMemAvailable([]byte(tt.in))
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: error = %v, want %s", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: ParseMemAvailable = %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
}

// dirent builds one linux_dirent64 record, padded to 8 bytes as the kernel
// does.
func dirent(ino uint64, name string) []byte {
	reclen := (direntHeader + len(name) + 1 + 7) &^ 7
	b := make([]byte, reclen)
	binary.NativeEndian.PutUint64(b, ino)
	binary.NativeEndian.PutUint16(b[16:], uint16(reclen))
	copy(b[direntHeader:], name)
	return b
}

func TestProcNextDirent(t *testing.T) {
	buf := bytes.Join([][]byte{dirent(1, "."), dirent(4026531840, "self"), dirent(1588, "1"), dirent(12018, "32767")}, nil)
	var got []string
	for b := buf; len(b) > 0; {
		ino, name, rest, ok := NextDirent(b)
		if !ok {
			t.Fatalf("NextDirent failed at %d", len(buf)-len(b))
		}
		got = append(got, fmt.Sprintf("%s:%d", name, ino))
		b = rest
	}
	if want := ".:1 self:4026531840 1:1588 32767:12018"; strings.Join(got, " ") != want {
		t.Errorf("records = %q, want %q", strings.Join(got, " "), want)
	}
	for _, bad := range [][]byte{buf[:10], dirent(5, "x")[:direntHeader+1]} {
		if _, _, _, ok := NextDirent(bad); ok {
			t.Errorf("NextDirent(% x) ok, want malformed", bad)
		}
	}
}

// FuzzProcParseStat checks that any content of /proc/PID/stat gives a
// result or a one-line error, never a panic.
func FuzzProcParseStat(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/proc/*/stat")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseStat(b)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error spans lines: %q", err)
			}
			return
		}
		if st.PID < 0 || st.PPID < 0 || st.Threads < 0 {
			t.Errorf("negative field in %+v", st)
		}
		if !bytes.Contains(b, st.Comm) {
			t.Errorf("Comm %q not in input", st.Comm)
		}
	})
}

// FuzzProcParseStatus is FuzzProcParseStat for /proc/PID/status.
func FuzzProcParseStatus(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/proc/*/status")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParseStatus(b); err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("error spans lines: %q", err)
		}
	})
}
