package watch

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/format"
)

// smallSpool writes the spool of a short watch of a command that printed
// something, and returns its directory.
func smallSpool(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "w.spool")
	m := spool.Meta{PerfcapVersion: "test", Mode: "command", Command: []string{"server", "--port", "80"}, Cwd: "/srv",
		Started: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), Bundle: filepath.Join(filepath.Dir(dir), "w.tar.zst"),
		IntervalSeconds: 1, WarmupSeconds: 5, BucketSeconds: 2}
	sp, err := spool.Create(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	out := sp.Log("stdout", 64, 128)
	for i := range 60 {
		procs := []format.ProcSample{{PID: 100, PPID: 1, Name: "server", UserSec: float64(i) / 10, RSS: uint64(10<<20 + i<<16)}}
		if i > 20 {
			procs = append(procs, format.ProcSample{PID: 101, PPID: 100, Name: "worker, \"quoted\"", SysSec: 0.5, RSS: 1 << 20})
		}
		var rss uint64
		for _, p := range procs {
			rss += p.RSS
		}
		if err := sp.Sample(capture.Sample{TimelineRow: format.TimelineRow{T: float64(i), TreeRSS: rss, Processes: len(procs)}, Procs: procs}, format.WatchRow{FDs: 9}); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(out, "request %d served\n", i)
	}
	for _, e := range []spool.Event{{T: 0, Kind: "start"}, {T: 0, Kind: "process", PID: 100, Argv: []string{"server", "--port", "80"}},
		{T: 30, Kind: "alert", Rule: "rss>1MiB", Detail: "rss 12 MiB > 1 MiB", Path: "/tmp/x.snapshot-001.tar.zst"}} {
		if err := sp.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sp.AddFile(spool.EnvFile, []byte(`{"os":{"name":"Debian"}}`)); err != nil {
		t.Fatal(err)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A spool is outside input once its watch is gone: damaged files make
// `perfcap bundle` write what it can with warnings, or fail with one line
// naming the problem — never panic, never write a bundle that does not
// verify.
func TestBundleFromDamagedSpool(t *testing.T) {
	damages := map[string]func([]byte) []byte{
		"deleted":   nil,
		"empty":     func([]byte) []byte { return nil },
		"half":      func(b []byte) []byte { return b[:len(b)/2] },
		"garbage":   func(b []byte) []byte { return bytes.Repeat([]byte("\x00\xff,\n\"{"), 200) },
		"one byte":  func(b []byte) []byte { return b[:min(1, len(b))] },
		"nan times": func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n1.000,"), []byte("\nNaN,")) },
		"huge numbers": func(b []byte) []byte {
			return bytes.ReplaceAll(b, []byte(",9,"), []byte(fmt.Sprintf(",%d,", uint64(math.MaxUint64))))
		},
	}
	files := []string{spool.MetaFile, spool.TimelineFile, spool.ProcessSamplesFile, spool.WatchFile, spool.EventsFile,
		spool.EnvFile, "stdout.head", "stdout.tail.*", "stdout.total"}
	for _, name := range files {
		for what, damage := range damages {
			t.Run(name+"/"+what, func(t *testing.T) {
				dir := smallSpool(t)
				paths, _ := filepath.Glob(filepath.Join(dir, name))
				if len(paths) == 0 {
					t.Fatalf("the fixture has no %s", name)
				}
				for _, path := range paths {
					b, err := os.ReadFile(path)
					if err != nil {
						t.Fatal(err)
					}
					if damage == nil {
						err = os.Remove(path)
					} else {
						err = os.WriteFile(path, damage(b), 0o600)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				out := filepath.Join(t.TempDir(), "r.tar.zst")
				_, err := Recover(dir, RecoverOptions{Out: out})
				t.Logf("err %v", err)
				if err == nil {
					if _, err := bundle.Verify(out); err != nil {
						t.Errorf("the bundle written does not verify: %v", err)
					}
				} else if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
					t.Errorf("want one line saying what is wrong, got %q", msg)
				}
			})
		}
	}
}

// FuzzScanProcessSamples feeds process_samples.csv from a spool, outside
// input, to the reader that builds processes.csv: no panic, and what it
// returns is sane.
func FuzzScanProcessSamples(f *testing.F) {
	f.Add([]byte("t_seconds,pid,ppid,name,user_seconds,sys_seconds,rss_bytes,threads\n0.000,100,1,server,0.000,0.000,1048576,4\n1.000,100,1,server,0.100,0.010,2097152,4\n1.000,101,100,\"a, b\",0.000,0.000,4096,1\n"))
	f.Add([]byte("t_seconds,pid,ppid,name,user_seconds,sys_seconds,rss_bytes,threads\n0.000,100,1,x,5,5,1,1\n2.000,100,1,x,1,1,1,1\n"))
	f.Add([]byte("garbage\n\"unterminated\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "ps.csv")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{"pid", "command"} {
			procs, dropped, cpu, err := scanProcessSamples(path, spool.Meta{Mode: mode, PID: 100}, nil)
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("a multi-line error: %q", err)
			}
			if dropped < 0 || cpu.user < 0 || cpu.sys < 0 || math.IsNaN(cpu.user) || math.IsNaN(cpu.sys) {
				t.Errorf("dropped %d cpu %+v", dropped, cpu)
			}
			for _, p := range procs {
				if p.CPUSeconds < 0 || (p.End >= 0 && p.End < p.Start) {
					t.Errorf("process %+v", p)
				}
			}
		}
	})
}
