package flame

import (
	"testing"
)

// Side-band lines as perf 6.1 prints them with -F +pid
// --show-mmap-events --show-task-events.
func TestParseSideband(t *testing.T) {
	tests := []struct {
		line string
		want sideEvent
		ok   bool
	}{
		{
			"vm-67145c900822   631/631  3756.119135: PERF_RECORD_MMAP2 631/631: [0x55c2818d1000(0x237000) @ 0x100000 fe:00 10002589 1487773522]: r-xp /tmp/target/release/deps/vm-67145c900822c7cf",
			sideEvent{kind: sideMmap, pid: 631, tid: 631, m: mapping{start: 0x55c2818d1000, size: 0x237000, pgoff: 0x100000, major: 0xfe, minor: 0, ino: 10002589, path: "/tmp/target/release/deps/vm-67145c900822c7cf"}},
			true,
		},
		{
			"sh     0/0         0.000000: PERF_RECORD_MMAP2 612/612: [0x565534640000(0x4000) @ 0 fe:00 247072 0]: r--p /usr/bin/dash",
			sideEvent{kind: sideMmap, pid: 612, tid: 612, m: mapping{start: 0x565534640000, size: 0x4000, major: 0xfe, ino: 247072, path: "/usr/bin/dash"}},
			true,
		},
		{
			"x 1/1 1.0: PERF_RECORD_MMAP2 7/8: [0x400000(0x1000) @ 0 08:11 99 0]: r-xp /tmp/a b/prog (deleted)",
			sideEvent{kind: sideMmap, pid: 7, tid: 8, m: mapping{start: 0x400000, size: 0x1000, major: 8, minor: 0x11, ino: 99, path: "/tmp/a b/prog"}},
			true,
		},
		{
			"x 1/1 1.0: PERF_RECORD_MMAP2 7/7: [0x7f00(0x100) @ 0x2000 <32a7f3bacee6bf69da94f497a8a076483baea20e>]: r-xp /lib/libc.so.6",
			sideEvent{kind: sideMmap, pid: 7, tid: 7, m: mapping{start: 0x7f00, size: 0x100, pgoff: 0x2000, buildID: "32a7f3bacee6bf69da94f497a8a076483baea20e", path: "/lib/libc.so.6"}},
			true,
		},
		{
			"swapper     0/0         0.000000: PERF_RECORD_MMAP -1/0: [0xffffffff81000000(0x1259b00) @ 0xffffffff81000000]: x [kernel.kallsyms]_text",
			sideEvent{kind: sideMmap, pid: -1, tid: 0, m: mapping{start: 0xffffffff81000000, size: 0x1259b00, pgoff: 0xffffffff81000000, path: "[kernel.kallsyms]_text"}},
			true,
		},
		{
			"go 17680/17731  3258.748711: PERF_RECORD_FORK(17748:17748):(17680:17731)",
			sideEvent{kind: sideFork, pid: 17748, tid: 17748, ppid: 17680},
			true,
		},
		{
			"compile 17749/17749  3258.749334: PERF_RECORD_COMM exec: compile:17749/17749",
			sideEvent{kind: sideExec, pid: 17749, tid: 17749},
			true,
		},
		{
			"a:b 5/5  1.0: PERF_RECORD_COMM exec: a:b:5/6",
			sideEvent{kind: sideExec, pid: 5, tid: 6},
			true,
		},
		{
			"go 17748/17748  3258.748797: PERF_RECORD_EXIT(17748:17748):(17680:17680)",
			sideEvent{kind: sideExit, pid: 17748, tid: 17748, ppid: 17680},
			true,
		},
		{"sh     0/0         0.000000: PERF_RECORD_COMM: sh:612/612", sideEvent{kind: sideOther}, true},
		{"x 1/1 1.0: PERF_RECORD_MMAP2 7/7: [0x7f00(0x100 @ 0 08:11 99 0]: r-xp /p", sideEvent{}, false},
		{"x 1/1 1.0: PERF_RECORD_FORK(1:1)", sideEvent{}, false},
		{"x 1/1 1.0: PERF_RECORD_COMM exec: nocolon", sideEvent{}, false},
	}
	for _, tt := range tests {
		got, ok := parseSideband([]byte(tt.line))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseSideband(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func mmapEvent(pid int, start, size, pgoff, ino uint64, path string) sideEvent {
	return sideEvent{kind: sideMmap, pid: pid, tid: pid, m: mapping{start: start, size: size, pgoff: pgoff, ino: ino, path: path}}
}

func TestProcMaps(t *testing.T) {
	var pm procMaps
	pm.apply(&sideEvent{kind: sideMmap, pid: 1, m: mapping{start: 0x7f00, size: 0x100, path: "[vdso]"}})
	pm.apply(ptr(mmapEvent(1, 0x55550000, 0x1000, 0, 10, "/bin/a")))
	pm.apply(ptr(mmapEvent(1, 0x55551000, 0x3000, 0x1000, 10, "/bin/a")))
	// A forked child shares its parent's mappings; a thread adds none.
	pm.apply(&sideEvent{kind: sideFork, pid: 2, tid: 2, ppid: 1})
	pm.apply(&sideEvent{kind: sideFork, pid: 1, tid: 3, ppid: 1})
	// perf 6.1 prints the offset in the file: 0x1234 lies in the second
	// mapping's [0x1000, 0x4000).
	for _, pid := range []int{1, 2} {
		m, off, ok := pm.find(pid, "/bin/a", 0x1234)
		if !ok || off != 0x1234 || m.start != 0x55551000 {
			t.Errorf("pid %d: find = %+v, %#x, %v", pid, m, off, ok)
		}
	}
	if _, _, ok := pm.find(1, "[vdso]", 0x7f10); ok {
		t.Errorf("a mapping without a file was kept")
	}
	if _, _, ok := pm.find(3, "/bin/a", 0x1234); ok {
		t.Errorf("a thread's tid has mappings of its own")
	}
	// An exec leaves nothing of the old program; a new mapping over an
	// old range replaces it.
	pm.apply(&sideEvent{kind: sideExec, pid: 2, tid: 2})
	if _, _, ok := pm.find(2, "/bin/a", 0x1234); ok {
		t.Errorf("mappings survived an exec")
	}
	pm.apply(ptr(mmapEvent(1, 0x55551000, 0x3000, 0x1000, 11, "/bin/b")))
	if _, _, ok := pm.find(1, "/bin/a", 0x1234); ok {
		t.Errorf("a replaced mapping was kept")
	}
	if m, _, ok := pm.find(1, "/bin/b", 0x1234); !ok || m.ino != 11 {
		t.Errorf("find(/bin/b) = %+v, %v", m, ok)
	}
	pm.apply(&sideEvent{kind: sideExit, pid: 1, tid: 1})
	if _, _, ok := pm.find(1, "/bin/b", 0x1234); ok {
		t.Errorf("mappings survived the exit")
	}
}

// An older perf prints the address itself: the first address that only
// fits that form switches to it.
func TestProcMapsAbsoluteAddresses(t *testing.T) {
	var pm procMaps
	pm.apply(ptr(mmapEvent(9, 0x55550000, 0x4000, 0x1000, 10, "/bin/a")))
	m, off, ok := pm.find(9, "/bin/a", 0x55551234)
	if !ok || off != 0x2234 || m.ino != 10 || pm.form != formAbsolute {
		t.Fatalf("find = %+v, %#x, %v, form %d", m, off, ok, pm.form)
	}
}

func ptr[T any](v T) *T { return &v }
