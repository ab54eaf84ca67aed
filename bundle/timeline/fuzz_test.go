package timeline

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/format"
)

// seedFiles adds every testdata file whose name ends in suffix to f.
func seedFiles(f *testing.F, suffix string) {
	names, err := filepath.Glob(filepath.Join("testdata", "*"+suffix))
	if err != nil || len(names) == 0 {
		f.Fatalf("no testdata/*%s: %v", suffix, err)
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzReadTimeline reads arbitrary timeline.csv into a few buckets and
// draws it: no panic, no hang, the buckets within bounds and holding
// every good row, and the SVG well-formed.
func FuzzReadTimeline(f *testing.F) {
	seedFiles(f, "-timeline.csv")
	f.Add([]byte(header + "0.000,1e308,18446744073709551615,1,1,1e308,0\n1e300,0,0,0,0,0,0\n"))
	f.Add([]byte(header + "0.1,1,2,1,1,1,1\n0.1,1,2,1,1,1,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const buckets = 8
		tl, err := ReadTimeline(bytes.NewReader(data), buckets)
		if err != nil && !strings.Contains(err.Error(), "timeline.csv:") {
			t.Fatalf("error names no position: %v", err)
		}
		if len(tl.Buckets) > buckets {
			t.Fatalf("%d buckets, want ≤ %d", len(tl.Buckets), buckets)
		}
		n := 0
		for _, b := range tl.Buckets {
			n += b.Samples
			if b.Samples < 1 || b.Last < b.First || b.TreeRSS.Max > float64(tl.PeakRSS) {
				t.Fatalf("bad bucket %+v (peak %d)", b, tl.PeakRSS)
			}
		}
		if n != tl.Rows {
			t.Fatalf("buckets hold %d rows of %d", n, tl.Rows)
		}
		var svg bytes.Buffer
		if err := WriteSVG(&svg, tl, Options{Title: string(data[:min(len(data), 20)]), NumCPU: 4, SystemCPU: true}); err != nil {
			t.Fatal(err)
		}
		wellFormed(t, svg.Bytes())
	})
}

// FuzzReadProcesses reads arbitrary processes.csv and marks the
// processes on the demo timeline: no panic, and the SVG well-formed.
func FuzzReadProcesses(f *testing.F) {
	seedFiles(f, "-processes.csv")
	tl, err := ReadTimeline(strings.NewReader(header+"0.0,1,1,1,1,1,1\n1.0,1,1,1,1,1,1\n"), 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		procs, err := format.ReadProcesses(bytes.NewReader(data))
		if err != nil && !strings.Contains(err.Error(), "processes.csv") {
			t.Fatalf("error names no file: %v", err)
		}
		var svg bytes.Buffer
		if err := WriteSVG(&svg, tl, Options{Processes: procs}); err != nil {
			t.Fatal(err)
		}
		wellFormed(t, svg.Bytes())
	})
}
