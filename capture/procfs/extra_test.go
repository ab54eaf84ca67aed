package procfs

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// smapsRollupNew is /proc/self/smaps_rollup of a cat on Linux 6.18, which
// splits Pss into Pss_Anon, Pss_File and Pss_Shmem and adds Pss_Dirty.
const smapsRollupNew = `565430833000-7ffce3109000 ---p 00000000 00:00 0                          [rollup]
Rss:                1672 kB
Pss:                 512 kB
Pss_Dirty:           112 kB
Pss_Anon:            112 kB
Pss_File:            400 kB
Pss_Shmem:             0 kB
Shared_Clean:       1500 kB
Shared_Dirty:          0 kB
Private_Clean:        60 kB
Private_Dirty:       112 kB
Referenced:         1672 kB
Anonymous:           112 kB
KSM:                   0 kB
LazyFree:              0 kB
AnonHugePages:         0 kB
ShmemPmdMapped:        0 kB
FilePmdMapped:         0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:       0 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
`

// smapsRollupOld is the format of Linux 4.14 to 5.x, before the Pss split;
// the numbers are made distinct so a swapped field shows.
const smapsRollupOld = `00400000-7ffc4f9d9000 ---p 00000000 00:00 0                              [rollup]
Rss:                 884 kB
Pss:                 385 kB
Shared_Clean:        504 kB
Shared_Dirty:          8 kB
Private_Clean:       100 kB
Private_Dirty:       280 kB
Referenced:          884 kB
Anonymous:           280 kB
LazyFree:              0 kB
AnonHugePages:      2048 kB
ShmemPmdMapped:        0 kB
Shared_Hugetlb:        0 kB
Private_Hugetlb:    4096 kB
Swap:                 12 kB
SwapPss:               6 kB
Locked:                0 kB
`

func TestParseSmapsRollup(t *testing.T) {
	tests := []struct {
		name, in string
		want     SmapsRollup
		uss      uint64
	}{
		{"new kernel", smapsRollupNew, SmapsRollup{
			Rss: 1672 << 10, Pss: 512 << 10, PssAnon: 112 << 10, PssFile: 400 << 10,
			SharedClean: 1500 << 10, PrivateClean: 60 << 10, PrivateDirty: 112 << 10, HavePssSplit: true,
		}, 172 << 10},
		{"old kernel", smapsRollupOld, SmapsRollup{
			Rss: 884 << 10, Pss: 385 << 10, SharedClean: 504 << 10, SharedDirty: 8 << 10,
			PrivateClean: 100 << 10, PrivateDirty: 280 << 10, AnonHugePages: 2048 << 10,
			PrivateHugetlb: 4096 << 10, Swap: 12 << 10, SwapPss: 6 << 10,
		}, (100 + 280 + 4096) << 10},
		{"no header, no final newline", "Rss: 8 kB\nPss: 4 kB", SmapsRollup{Rss: 8 << 10, Pss: 4 << 10}, 0},
		{"unknown keys skipped whatever their value", "x-y ---p 0 00:00 0 [rollup]\nRss: 8 kB\nNewThing: yes\nPss: 4 kB\n",
			SmapsRollup{Rss: 8 << 10, Pss: 4 << 10}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSmapsRollup([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if got.USS() != tt.uss {
				t.Errorf("USS() = %d, want %d", got.USS(), tt.uss)
			}
		})
	}
}

func TestParseSmapsRollupErrors(t *testing.T) {
	const header = "55d0c0a0e000-7ffd1b1fe000 ---p 00000000 00:00 0 [rollup]\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty"},
		{"header only", header, "no Rss and Pss"},
		{"no Pss", header + "Rss: 4 kB\n", "no Rss and Pss"},
		{"no unit", header + "Rss: 4\nPss: 4 kB\n", `line 2: want "Rss: <n> kB"`},
		{"MB", header + "Rss: 4 kB\nPss: 4 MB\n", `line 3: want "Pss: <n> kB"`},
		{"negative", header + "Rss: -4 kB\nPss: 4 kB\n", "line 2:"},
		{"not a number", header + "Rss: 4 kB\nSwap: lots kB\nPss: 4 kB\n", "line 3:"},
		{"overflow", header + "Rss: 99999999999999999999999 kB\nPss: 4 kB\n", "line 2:"},
		{"no colon", header + "Rss: 4 kB\ngarbage\nPss: 4 kB\n", `line 3: want "Key: <n> kB", got "garbage"`},
		{"blank line", header + "Rss: 4 kB\n\nPss: 4 kB\n", "line 3:"},
		{"spaced key", header + "Rss: 4 kB\nPss Anon: 4 kB\nPss: 4 kB\n", "line 3:"},
		{"long garbage clipped", header + strings.Repeat("x", 5000) + "\n", "line 2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSmapsRollup([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if len(err.Error()) > 200 || strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error is not one short line: %q", err)
			}
		})
	}
	if _, err := ParseSmapsRollup(nil); !errors.Is(err, ErrNoAddressSpace) {
		t.Errorf("empty content: %v, want ErrNoAddressSpace", err)
	}
}

func TestReadSmapsRollupSelf(t *testing.T) {
	s, err := ReadSmapsRollup("", os.Getpid())
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("no smaps_rollup on this kernel: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	// A Go test binary has megabytes resident, most of it private.
	if s.Rss < 1<<20 || s.Pss == 0 || s.Pss > s.Rss || s.USS() == 0 || s.USS() > s.Rss {
		t.Errorf("implausible rollup of the test process: %+v", s)
	}
	if s.HavePssSplit && s.PssAnon+s.PssFile+s.PssShmem > s.Pss+3<<10 {
		t.Errorf("Pss split %d+%d+%d exceeds Pss %d", s.PssAnon, s.PssFile, s.PssShmem, s.Pss)
	}
}

func TestReadSmapsRollupErrors(t *testing.T) {
	gone := unusedPID(t)
	tests := []struct {
		name      string
		proc      string
		pid       int
		want      string
		noAddress bool
	}{
		{"no such pid", "", gone, "pid " + strconv.Itoa(gone) + ": no such process", false},
		{"invalid pid", "", -3, "invalid pid -3", false},
		{"kernel thread", "", 2, "pid 2: ", true},
		{"no smaps_rollup in this procfs", "testdata/proc", 1001, "pid 1001: no smaps_rollup under testdata/proc: it needs Linux 4.14", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadSmapsRollup(tt.proc, tt.pid)
			if tt.noAddress {
				if _, serr := os.Stat("/proc/2/stat"); serr != nil {
					t.Skip("no pid 2 (kthreadd) here: in a pid namespace")
				}
				if !errors.Is(err, ErrNoAddressSpace) {
					t.Fatalf("error %v, want ErrNoAddressSpace", err)
				}
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// unusedPID returns a pid no process has: above the kernel's pid_max.
func unusedPID(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	n, ok := ParseUint([]byte(strings.TrimSpace(string(b))))
	if !ok {
		t.Fatalf("pid_max %q", b)
	}
	return int(n) + 1
}

func TestCountFDs(t *testing.T) {
	pid := os.Getpid()
	before, err := CountFDs("", pid)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := countFDsByListing("/proc", pid, filepath.Join("/proc", strconv.Itoa(pid), "fd"))
	if err != nil {
		t.Fatal(err)
	}
	if listed != before {
		t.Errorf("CountFDs = %d, listing gives %d; want the same", before, listed)
	}
	dir := t.TempDir()
	for i := range 10 {
		f, err := os.Create(filepath.Join(dir, strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
	}
	after, err := CountFDs("", pid)
	if err != nil {
		t.Fatal(err)
	}
	if after-before != 10 {
		t.Errorf("CountFDs went from %d to %d after opening 10 files, want +10", before, after)
	}
	listed, err = countFDsByListing("/proc", pid, filepath.Join("/proc", strconv.Itoa(pid), "fd"))
	if err != nil {
		t.Fatal(err)
	}
	if listed != after {
		t.Errorf("listing gives %d after opening 10 files, CountFDs %d; want the same", listed, after)
	}
}

func TestCountFDsErrors(t *testing.T) {
	gone := unusedPID(t)
	for _, tt := range []struct {
		pid  int
		want string
	}{
		{gone, "pid " + strconv.Itoa(gone) + ": no such process"},
		{0, "invalid pid 0"},
	} {
		if n, err := CountFDs("", tt.pid); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CountFDs(%d) = %d, %v; want an error containing %q", tt.pid, n, err, tt.want)
		}
	}
}

// FuzzParseSmapsRollup checks that any content gives a rollup or a
// one-line error, never a panic, and that a rollup keeps its invariants.
func FuzzParseSmapsRollup(f *testing.F) {
	f.Add([]byte(smapsRollupNew))
	f.Add([]byte(smapsRollupOld))
	if b, err := os.ReadFile("/proc/self/smaps_rollup"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSmapsRollup(b)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error spans lines: %q", err)
			}
			return
		}
		if s.Rss%1024 != 0 || s.Pss%1024 != 0 {
			t.Errorf("sizes not whole kB: %+v", s)
		}
		if s.USS() < s.PrivateClean || s.USS() < s.PrivateDirty {
			t.Errorf("USS wrapped around: %+v", s)
		}
	})
}

func BenchmarkReadSmapsRollup(b *testing.B) {
	pid := os.Getpid()
	for b.Loop() {
		if _, err := ReadSmapsRollup("", pid); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCountFDs(b *testing.B) {
	pid := os.Getpid()
	path := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	b.Run("stat", func(b *testing.B) {
		for b.Loop() {
			if _, err := CountFDs("", pid); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("getdents", func(b *testing.B) {
		for b.Loop() {
			if _, err := countFDsByListing("/proc", pid, path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ReadDir", func(b *testing.B) {
		for b.Loop() {
			if _, err := os.ReadDir(path); err != nil {
				b.Fatal(err)
			}
		}
	})
}
