package flame

import (
	"context"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// record runs argv under the real perf record with frame-pointer call
// graphs and returns the perf.data path; it skips the test where perf
// cannot record.
func record(t *testing.T, argv ...string) string {
	t.Helper()
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: apt-get install linux-perf)")
	}
	data := filepath.Join(t.TempDir(), "perf.data")
	args := append([]string{"record", "-q", "-g", "-F", "999", "-o", data, "--"}, argv...)
	if out, err := exec.Command("perf", args...).CombinedOutput(); err != nil {
		t.Skipf("perf cannot record here (%v): %s", err, out)
	}
	return data
}

// hotOf returns the functions with their self share, by name and kind.
func hotOf(stacks []Stack) map[string]float64 {
	h := Hot(stacks, 0)
	m := make(map[string]float64)
	for _, f := range h.BySelf {
		m[f.Name+"/"+f.Kind] = f.SelfShare
	}
	return m
}

// TestInlineDeletedGoBinary is `go test`'s case: the binary, linked with
// -s -w (no symbol table, no DWARF), is deleted before perf script runs.
// Kept open and given as a Binary, its code is named from Go's function
// table, inlined functions included; without it the code is unnamed. The
// same with a binary that has DWARF.
func TestInlineDeletedGoBinary(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ldflags string
	}{
		{"stripped like go test", "-s -w"},
		{"with DWARF", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog := filepath.Join(t.TempDir(), "goprog")
			if out, err := exec.Command("go", "build", "-ldflags="+tc.ldflags, "-o", prog, "./testdata/inline/goprog").CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			held, err := os.Open(prog)
			if err != nil {
				t.Fatal(err)
			}
			defer held.Close()
			var st unix.Stat_t
			if err := unix.Fstat(int(held.Fd()), &st); err != nil {
				t.Fatal(err)
			}
			data := record(t, prog, "-delete", "400")
			if _, err := os.Stat(prog); err == nil {
				t.Fatalf("%s did not delete itself", prog)
			}
			bin := Binary{Path: prog, Major: unix.Major(st.Dev), Minor: unix.Minor(st.Dev), Ino: st.Ino, File: held}

			lost, err := FoldPerfData(context.Background(), data, PerfDataOptions{Fold: FoldOptions{Annotate: true}})
			if err != nil {
				t.Fatal(err)
			}
			if share := lost.Stats.UnsymbolizedShare(); share < 0.5 {
				t.Errorf("without the kept binary %.0f%% of the frames are unnamed; the test expects the deleted binary's code to be", share*100)
			}

			pd, err := FoldPerfData(context.Background(), data, PerfDataOptions{Fold: FoldOptions{Annotate: true}, Binaries: []Binary{bin}})
			if err != nil {
				t.Fatal(err)
			}
			if share := pd.Stats.UnsymbolizedShare(); share > 0.05 {
				t.Errorf("%.1f%% of the frames are unnamed with the kept binary, want < 5%%: %v", share*100, pd.Stats.UnsymbolizedDSOs)
			}
			hot := hotOf(pd.Stacks)
			if hot["main.mix/inlined"] < 0.3 {
				t.Errorf("main.mix, inlined into main.checksum, has %.0f%% self, want most of it: %v", hot["main.mix/inlined"]*100, hot)
			}
			if pd.Inline.Named == 0 || pd.Inline.Inlined == 0 {
				t.Errorf("inline stats %+v: frames should have been named and inlined ones added", pd.Inline)
			}
			found := false
			for _, s := range pd.Stacks {
				n := len(s.Frames)
				if n >= 2 && s.Frames[n-1] == "main.mix_[i]" && s.Frames[n-2] == "main.checksum" {
					found = true
				}
			}
			if !found {
				t.Errorf("no stack ends in main.checksum;main.mix_[i]")
			}
		})
	}
}

// TestInlineRecordedCProgram records a C program whose hot loop is made of
// always-inlined functions: they take the samples by default, and the
// function they are inlined into with NoInline. (perf script --inline of
// perf 6.1 finds no inlined function in this program at all, where
// addr2line and llvm-symbolizer find the same as perfcap: see
// TestDwarfFramesMatchAddr2line. The comparison with perf script --inline
// is on a Rust benchmark: cmd/perfcap's TestCargoBenchInline.)
func TestInlineRecordedCProgram(t *testing.T) {
	data := record(t, filepath.Join("testdata", "inline", "inl-dwarf5.elf"), "3000000")
	pd, err := FoldPerfData(context.Background(), data, PerfDataOptions{Fold: FoldOptions{Annotate: true}, Profile: true})
	if err != nil {
		t.Fatal(err)
	}
	hot := hotOf(pd.Stacks)
	if s := hot["mix/inlined"] + hot["step/inlined"]; s < 0.5 {
		t.Errorf("the inlined mix and step have %.0f%% self, want most of the samples: %v", s*100, hot)
	}
	// In the pprof profile an inlined chain is one Location, its Lines
	// from the innermost function to checksum.
	chains := 0
	for _, l := range pd.Profile.Location {
		if n := len(l.Line); n >= 2 && l.Line[n-1].Function.Name == "checksum" &&
			(l.Line[0].Function.Name == "mix" || l.Line[0].Function.Name == "step") {
			chains++
		}
	}
	if chains == 0 {
		t.Errorf("no pprof Location holds an inlined chain ending in checksum")
	}
	no, err := FoldPerfData(context.Background(), data, PerfDataOptions{Fold: FoldOptions{Annotate: true}, NoInline: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range no.Stacks {
		for _, f := range s.Frames {
			if strings.HasSuffix(f, "_[i]") {
				t.Fatalf("an inlined frame with NoInline: %v", s.Frames)
			}
		}
	}
	if s := hotOf(no.Stacks)["checksum/"]; math.Abs(s-hot["mix/inlined"]-hot["step/inlined"]-hot["checksum/"]) > 0.01 {
		t.Errorf("with NoInline checksum has %.1f%% self, the sum of itself and its inlined functions otherwise: %v", s*100, hot)
	}
}

// TestInlineReaderPassesTextThrough: text with no file it can read comes
// out as it went in, overlong lines included; side-band records are left
// out.
func TestInlineReaderPassesTextThrough(t *testing.T) {
	long := "\t" + strings.Repeat("x", 3*scriptBufSize) + " PERF_RECORD_MMAP2 (nothing)\n"
	text := "p 7/7 1.5: 1000 cpu-clock:\n\t 11c2 f+0x22 (/nonexistent/bin)\n" + long + "\n" +
		"p 7/7 1.6: 1000 cpu-clock:\n\t 11c2 f+0x22 (/nonexistent/bin)\n\n"
	side := "p 7/7 1.0: PERF_RECORD_MMAP2 7/7: [0x5555000(0x2000) @ 0 00:00 1 0]: r-xp /nonexistent/bin\n"
	r := NewInlineReader(strings.NewReader(side+text), InlineOptions{})
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != text {
		t.Errorf("the text changed on its way through: %d bytes in, %d out", len(text), len(out))
	}
}
