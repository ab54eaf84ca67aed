package format

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/capture/bench"
)

// FuzzProcessSampleReader reads arbitrary process_samples.csv: no panic,
// every row within bounds, errors one line each naming the file.
func FuzzProcessSampleReader(f *testing.F) {
	h := ProcessSamplesHeader + "\n"
	f.Add([]byte(h + "1.500,10,1,cargo,1.230,0.010,8192,4\n1.500,11,10,\"a,\"\"b\"\"\",0.000,0.000,1,0\n"))
	f.Add([]byte(h + "1,2,1,\"broken,0,0,1,1\n"))
	f.Add([]byte("t_seconds,pid\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewProcessSampleReader(bytes.NewReader(b))
		for r.Scan() {
			row := r.Row()
			for _, v := range []float64{row.T, row.UserSec, row.SysSec} {
				if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					t.Fatalf("row with %v", v)
				}
			}
			if row.PID <= 0 || row.PPID < 0 || row.Threads < 0 {
				t.Fatalf("row %+v", row)
			}
		}
		if err := r.Err(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "process_samples.csv") && !strings.HasPrefix(line, "reading process_samples.csv") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
		}
		if r.Scan() {
			t.Fatal("Scan returned true after it had stopped")
		}
	})
}

// FuzzReadPhases reads arbitrary phases.csv: no panic, every phase a
// known kind within the run, errors one line each naming the file.
func FuzzReadPhases(f *testing.F) {
	h := PhasesHeader + "\n"
	f.Add([]byte(h + "criterion,interpret 10k,measure,1.500,4.250,0\ngo,\"a,\"\"b\"\"\",measure,0.000,0.001,1\n"))
	f.Add([]byte(h + "go,x,measure,2,1,0\nlibtest,y,nap,1,2,0\n"))
	f.Add([]byte(h + "go,\"broken,measure,1,2,0\n"))
	f.Add([]byte("tool,benchmark\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		phases, err := ReadPhases(bytes.NewReader(b))
		for _, p := range phases {
			if !(p.Start >= 0) || !(p.End >= p.Start) || math.IsInf(p.End, 0) {
				t.Fatalf("phase %+v", p)
			}
			switch p.Kind {
			case bench.PhaseWarmup, bench.PhaseMeasure, bench.PhaseAnalysis:
			default:
				t.Fatalf("phase %+v", p)
			}
		}
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, PhasesFile) && !strings.HasPrefix(line, "reading "+PhasesFile) {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
		}
	})
}
