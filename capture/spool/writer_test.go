package spool

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/format"
)

// testMeta is a realistic meta.json for a command-mode watch.
func testMeta() Meta {
	return Meta{
		PerfcapVersion:  "0.9.0",
		Mode:            "command",
		Command:         []string{"./server", "--port", "8080"},
		Cwd:             "/srv/app",
		Started:         time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		Bundle:          "/tmp/server.tar.zst",
		IntervalSeconds: 1,
		Alerts:          []string{"rss>2GiB"},
		PSS:             true,
	}
}

// testSamples returns n samples of a two-process tree, one second apart.
func testSamples(n int) []capture.Sample {
	var ss []capture.Sample
	for i := range n {
		t := float64(i) + 0.25
		ss = append(ss, capture.Sample{
			TimelineRow: format.TimelineRow{
				T:                t,
				TreeCPUPercent:   12.5 * float64(i),
				TreeRSS:          uint64(100<<20 + i<<20),
				Processes:        2,
				Threads:          9,
				SystemCPUPercent: 33.3,
				SystemAvailable:  8 << 30,
			},
			Procs: []format.ProcSample{
				{PID: 100, PPID: 1, Name: "server", UserSec: t / 2, SysSec: t / 10, RSS: 80 << 20, Threads: 8},
				{PID: 101, PPID: 100, Name: "worker, \"quoted\"", UserSec: t / 4, SysSec: 0, RSS: uint64(20<<20 + i<<20), Threads: 1},
			},
		})
	}
	return ss
}

// captureCSV returns what the format package's writers produce for ss:
// the spool must hold the bundle's format byte for byte.
func captureCSV(t *testing.T, ss []capture.Sample) (timeline, procs string) {
	t.Helper()
	var tb, pb bytes.Buffer
	tw, pw := format.NewTimelineWriter(&tb), format.NewProcessSampleWriter(&pb)
	for _, s := range ss {
		if err := tw.Write(s.Row()); err != nil {
			t.Fatal(err)
		}
		if err := pw.Write(s.T, s.Procs); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := pw.Flush(); err != nil {
		t.Fatal(err)
	}
	return tb.String(), pb.String()
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newSpool creates a spool in a fresh directory and closes it when the
// test ends.
func newSpool(t *testing.T) (*Writer, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "spool")
	w, err := Create(dir, testMeta())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() }) // a second Close only reports os.ErrClosed
	return w, dir
}

func TestCreate(t *testing.T) {
	m := testMeta()
	m.Version = 99 // Create writes its own version, whatever the caller says.
	dir := filepath.Join(t.TempDir(), "a", "spool")
	w, err := Create(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", w.Dir(), dir)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("spool directory mode %o, want 700", perm)
	}

	emptyTL, emptyPS := captureCSV(t, nil)
	for _, tc := range []struct{ name, want string }{
		{TimelineFile, emptyTL},
		{ProcessSamplesFile, emptyPS},
		{WatchFile, format.WatchHeader + "\n"},
		{EventsFile, ""},
		{LockFile, strconv.Itoa(os.Getpid()) + "\n"},
	} {
		if got := readFile(t, dir, tc.name); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, got, tc.want)
		}
	}

	var raw map[string]any
	if err := json.Unmarshal([]byte(readFile(t, dir, MetaFile)), &raw); err != nil {
		t.Fatalf("meta.json: %v", err)
	}
	if raw["version"] != float64(Version) {
		t.Errorf("meta.json version = %v, want %d", raw["version"], Version)
	}
	got, err := ReadMeta(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := testMeta()
	want.Version = Version
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadMeta = %+v\nwant %+v", got, want)
	}
}

func TestCreateRefusesExistingSpool(t *testing.T) {
	w, dir := newSpool(t)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, dir, MetaFile)
	_, err := Create(dir, testMeta())
	if err == nil {
		t.Fatal("Create on an existing spool succeeded")
	}
	if want := "`perfcap bundle " + dir + "`"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
	if after := readFile(t, dir, MetaFile); after != before {
		t.Errorf("refused Create changed meta.json:\n%s\nwas\n%s", after, before)
	}
}

func TestCreateRefusesLockedSpool(t *testing.T) {
	_, dir := newSpool(t)
	// Remove meta.json so the second Create gets as far as the lock, as
	// one racing the first would.
	if err := os.Remove(filepath.Join(dir, MetaFile)); err != nil {
		t.Fatal(err)
	}
	w2, err := Create(dir, testMeta())
	if err == nil {
		w2.Close()
		t.Fatal("second Create while the first holds the lock succeeded")
	}
	if !strings.Contains(err.Error(), "in use by another watch") || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not say %s is in use", err, dir)
	}
	// The refused Create must leave the first watch's lock alone.
	if got := Owner(dir); got != os.Getpid() {
		t.Errorf("Owner after a refused Create = %d, want %d", got, os.Getpid())
	}
	if got, want := readFile(t, dir, LockFile), strconv.Itoa(os.Getpid())+"\n"; got != want {
		t.Errorf("lock = %q, want %q", got, want)
	}
}

func TestOwner(t *testing.T) {
	if got := Owner(t.TempDir()); got != 0 {
		t.Errorf("Owner of a directory with no lock = %d, want 0", got)
	}
	w, dir := newSpool(t)
	if got := Owner(dir); got != os.Getpid() {
		t.Errorf("Owner while open = %d, want %d", got, os.Getpid())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := Owner(dir); got != 0 {
		t.Errorf("Owner after Close = %d, want 0", got)
	}
}

func TestSampleRows(t *testing.T) {
	w, dir := newSpool(t)
	ss := testSamples(5)
	for _, s := range ss {
		if err := w.Sample(s, format.WatchRow{FDs: 12}); err != nil {
			t.Fatal(err)
		}
	}
	wantTL, wantPS := captureCSV(t, ss)
	// Before Flush the files hold a prefix of the rows (the headers at
	// least; more only if FlushEvery passed on a slow machine).
	for _, tc := range []struct{ name, want string }{{TimelineFile, wantTL}, {ProcessSamplesFile, wantPS}} {
		if got := readFile(t, dir, tc.name); !strings.HasPrefix(tc.want, got) || got == "" {
			t.Errorf("%s before Flush = %q, want a non-empty prefix of %q", tc.name, got, tc.want)
		}
	}
	if err := w.Flush(false); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, dir, TimelineFile); got != wantTL {
		t.Errorf("timeline.csv after Flush:\n%s\nwant\n%s", got, wantTL)
	}
	if got := readFile(t, dir, ProcessSamplesFile); got != wantPS {
		t.Errorf("process_samples.csv after Flush:\n%s\nwant\n%s", got, wantPS)
	}

	// More samples append; Close flushes them.
	more := testSamples(8)[5:]
	for _, s := range more {
		if err := w.Sample(s, format.WatchRow{FDs: 12}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wantTL, wantPS = captureCSV(t, append(ss, more...))
	if got := readFile(t, dir, TimelineFile); got != wantTL {
		t.Errorf("timeline.csv after Close:\n%s\nwant\n%s", got, wantTL)
	}
	if got := readFile(t, dir, ProcessSamplesFile); got != wantPS {
		t.Errorf("process_samples.csv after Close:\n%s\nwant\n%s", got, wantPS)
	}
}

func TestWatchRows(t *testing.T) {
	for _, tc := range []struct {
		name  string
		t     []float64
		extra []format.WatchRow
		want  string
		rows  []format.WatchRow
	}{
		{
			name:  "without PSS",
			t:     []float64{0, 1.5, 2.0004},
			extra: []format.WatchRow{{FDs: 3}, {FDs: 0}, {FDs: 1024}},
			want:  "0.000,3,,\n1.500,0,,\n2.000,1024,,\n",
			rows:  []format.WatchRow{{T: 0, FDs: 3}, {T: 1.5, FDs: 0}, {T: 2, FDs: 1024}},
		},
		{
			name: "with PSS",
			t:    []float64{0.25, 1.25},
			extra: []format.WatchRow{
				{FDs: 7, PSS: 123456789, USS: 100000000, HavePSS: true},
				{FDs: 8, PSS: 0, USS: 0, HavePSS: true},
			},
			want: "0.250,7,123456789,100000000\n1.250,8,0,0\n",
			rows: []format.WatchRow{
				{T: 0.25, FDs: 7, PSS: 123456789, USS: 100000000, HavePSS: true},
				{T: 1.25, FDs: 8, HavePSS: true},
			},
		},
		{
			name: "PSS lost midway",
			t:    []float64{1, 2},
			extra: []format.WatchRow{
				{FDs: 5, PSS: 4096, USS: 2048, HavePSS: true},
				{FDs: 5, PSS: 999, USS: 999}, // not HavePSS: the figures are ignored
			},
			want: "1.000,5,4096,2048\n2.000,5,,\n",
			rows: []format.WatchRow{{T: 1, FDs: 5, PSS: 4096, USS: 2048, HavePSS: true}, {T: 2, FDs: 5}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, dir := newSpool(t)
			for i, x := range tc.extra {
				if err := w.Sample(capture.Sample{TimelineRow: format.TimelineRow{T: tc.t[i]}}, x); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(false); err != nil {
				t.Fatal(err)
			}
			want := format.WatchHeader + "\n" + tc.want
			if got := readFile(t, dir, WatchFile); got != want {
				t.Errorf("watch.csv = %q, want %q", got, want)
			}
			f, err := OpenRows(dir, WatchFile)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var rows []format.WatchRow
			r := format.NewWatchReader(f)
			for r.Scan() {
				rows = append(rows, r.Row())
			}
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rows, tc.rows) {
				t.Errorf("read back %+v, want %+v", rows, tc.rows)
			}
		})
	}
}

func TestEventsRoundTrip(t *testing.T) {
	w, dir := newSpool(t)
	if evs, err := ReadEvents(dir); err != nil || len(evs) != 0 {
		t.Errorf("ReadEvents of a new spool = %v, %v; want none", evs, err)
	}
	evs := []Event{
		{T: 0, Kind: "start", PID: 100},
		{T: 12.5, Kind: "alert", Rule: "rss>2GiB", Detail: "rss 2.1 GiB > 2 GiB", Path: "/tmp/snap-1.tar.zst"},
		{T: 13, Kind: "snapshot", Detail: "SIGUSR1\nwith \"quotes\" and ünïcode", Path: "/tmp/snap-2.tar.zst"},
		{T: 20.125, Kind: "exit", PID: 100, Detail: "exit 1"},
		{T: 21, Kind: "restart", PID: 102},
		{T: 30, Kind: "end"},
	}
	for _, e := range evs {
		if err := w.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	// Events are written at once, no Flush needed.
	got, err := ReadEvents(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, evs) {
		t.Errorf("ReadEvents = %+v\nwant %+v", got, evs)
	}
	if n := strings.Count(readFile(t, dir, EventsFile), "\n"); n != len(evs) {
		t.Errorf("events.jsonl has %d lines, want %d", n, len(evs))
	}
}

// tmpFiles lists the temporary files WriteFileAtomic left in dir.
func tmpFiles(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var tmp []string
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".tmp-") {
			tmp = append(tmp, de.Name())
		}
	}
	return tmp
}

func TestAddFile(t *testing.T) {
	w, dir := newSpool(t)
	for _, content := range []string{`{"cpu":"first"}` + "\n", `{"cpu":"second, longer than the first"}` + "\n", `{}`} {
		if err := w.AddFile(EnvFile, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, dir, EnvFile); got != content {
			t.Errorf("env.json = %q, want %q", got, content)
		}
	}
	if tmp := tmpFiles(t, dir); len(tmp) != 0 {
		t.Errorf("AddFile left temporary files: %v", tmp)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	for _, tc := range []struct {
		name    string
		path    string
		content string
		wantErr bool
	}{
		{name: "new file", path: path, content: "one\n"},
		{name: "replace", path: path, content: "two, longer\n"},
		{name: "empty", path: path, content: ""},
		{name: "missing directory", path: filepath.Join(dir, "missing", "f.json"), content: "x", wantErr: true},
		{name: "onto a directory", path: dir, content: "x", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteFileAtomic(tc.path, []byte(tc.content))
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if got := readFile(t, filepath.Dir(tc.path), filepath.Base(tc.path)); got != tc.content {
					t.Errorf("content %q, want %q", got, tc.content)
				}
				fi, err := os.Stat(tc.path)
				if err != nil {
					t.Fatal(err)
				}
				if perm := fi.Mode().Perm(); perm != 0o600 {
					t.Errorf("mode %o, want 600", perm)
				}
			}
			for _, d := range []string{dir, filepath.Dir(dir)} {
				if tmp := tmpFiles(t, d); len(tmp) != 0 {
					t.Errorf("temporary files left in %s: %v", d, tmp)
				}
			}
		})
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	des, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	return len(des)
}

func TestCreateFailureClosesFiles(t *testing.T) {
	_, dir := newSpool(t)
	if err := os.Remove(filepath.Join(dir, MetaFile)); err != nil {
		t.Fatal(err)
	}
	before := openFDs(t)
	for range 10 {
		if w, err := Create(dir, testMeta()); err == nil {
			w.Close()
			t.Fatal("Create on a locked spool succeeded")
		}
	}
	if after := openFDs(t); after != before {
		t.Errorf("10 refused Creates left %d files open", after-before)
	}
}

func TestOwnerUnreadablePid(t *testing.T) {
	for _, content := range []string{"", "\n", "garbage\n", "0\n", "-7\n"} {
		t.Run(strconv.Quote(content), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, LockFile)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := Owner(dir); got != 0 {
				t.Errorf("Owner of an unlocked lock = %d, want 0", got)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
				t.Fatal(err)
			}
			// Locked, as by a Create that has not yet written its pid:
			// someone owns the spool, so Owner must not say 0.
			if got := Owner(dir); got != -1 {
				t.Errorf("Owner of a locked lock holding %q = %d, want -1", content, got)
			}
		})
	}
}

func TestClosedWriter(t *testing.T) {
	w, _ := newSpool(t)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"Close", w.Close},
		{"Flush", func() error { return w.Flush(true) }},
		{"Sample", func() error { return w.Sample(testSamples(1)[0], format.WatchRow{FDs: 1}) }},
		{"Event", func() error { return w.Event(Event{Kind: "end"}) }},
	} {
		if err := tc.call(); !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s after Close = %v, want an error wrapping os.ErrClosed", tc.name, err)
		}
	}
}

// A run's staging directory marked recoverable reads as a spool, is owned
// while marked, and is a plain directory again after release.
func TestMark(t *testing.T) {
	dir := t.TempDir()
	release, _, err := Mark(dir, Meta{Mode: "command", Command: []string{"cargo", "bench"}, IntervalSeconds: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadMeta(dir)
	if err != nil || m.Version != Version || m.Command[0] != "cargo" {
		t.Errorf("ReadMeta = %+v, %v", m, err)
	}
	if Owner(dir) != os.Getpid() {
		t.Errorf("Owner = %d, want this process", Owner(dir))
	}
	if _, _, err := Mark(dir, Meta{Mode: "command"}); err == nil {
		t.Errorf("a second Mark of a marked directory succeeded")
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left after release: %v", left)
	}
}

func TestIsPrivate(t *testing.T) {
	for name, want := range map[string]bool{
		"meta.json": true, "lock": true, "events.jsonl": true, "manifest.pending.json": true,
		"stdout.head": true, "stderr.total": true, "stdout.tail.0": true, "stderr.tail.12": true,
		"stdout.log": false, "stdout.tail.": false, "stdout.tail.x": false, "timeline.csv": false,
		"summary.json": false, "perf/flame.svg": false, "attach/stdout.head": false, "env.json": false,
	} {
		if got := IsPrivate(name); got != want {
			t.Errorf("IsPrivate(%q) = %v, want %v", name, got, want)
		}
	}
}
