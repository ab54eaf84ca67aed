package format

import (
	"bytes"
	"math"
	"reflect"
	"testing"

	"github.com/perfcap/perfcap/capture/bench"
)

// Every data file round-trips: what a writer writes, its reader reads back
// as the same rows (times and percentages at the precision the file keeps).

func TestTimelineRoundTrip(t *testing.T) {
	rows := []TimelineRow{
		{T: 0, TreeCPUPercent: 0, TreeRSS: 4096, Processes: 1, Threads: 1, SystemCPUPercent: 3.2, SystemAvailable: 1 << 30},
		{T: 0.1, TreeCPUPercent: 199.9, TreeRSS: 1<<64 - 1, Processes: 3, Threads: 40, SystemCPUPercent: 100, SystemAvailable: 5},
		{T: 86400.125, TreeCPUPercent: 12.5, TreeRSS: 0, Processes: 0, Threads: 0, SystemCPUPercent: 0, SystemAvailable: 0},
	}
	var buf bytes.Buffer
	w := NewTimelineWriter(&buf)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := NewTimelineReader(&buf)
	var got []TimelineRow
	for r.Scan() {
		got = append(got, r.Row())
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, rows)
	}
}

func TestProcessSamplesRoundTrip(t *testing.T) {
	samples := []struct {
		t     float64
		procs []ProcSample
	}{
		{1.5, []ProcSample{
			{PID: 10, PPID: 1, Name: "cargo", UserSec: 1.23, SysSec: 0.01, RSS: 8192, Threads: 4},
			{PID: 11, PPID: 10, Name: `a,"b"`, RSS: 1},
		}},
		{1.6, nil},
		{1.7, []ProcSample{{PID: 12, PPID: 10, Name: "x\ny) (z", Threads: 1, RSS: 1<<64 - 1}}},
	}
	var buf bytes.Buffer
	w := NewProcessSampleWriter(&buf)
	var want []ProcessSampleRow
	for _, s := range samples {
		if err := w.Write(s.t, s.procs); err != nil {
			t.Fatal(err)
		}
		for _, p := range s.procs {
			want = append(want, ProcessSampleRow{T: s.t, ProcSample: p})
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := NewProcessSampleReader(&buf)
	var got []ProcessSampleRow
	for r.Scan() {
		got = append(got, r.Row())
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
}

func TestProcessSampleReaderErrors(t *testing.T) {
	h := ProcessSamplesHeader + "\n"
	for _, tc := range []struct {
		name, in string
		rows     int
		wantErr  string
	}{
		{"empty", "", 0, "process_samples.csv:1: expected the header"},
		{"other columns", "t_seconds,pid,name\n1,2,x\n", 0, "process_samples.csv:1: expected the header"},
		{"timeline.csv", "t_seconds,tree_cpu_percent,tree_rss_bytes,processes,threads,system_cpu_percent,system_available_bytes\n", 0, "process_samples.csv:1: expected the header"},
		{"bad row kept going", h + "1,2,1,a,0,0,1,1\nx,2,1,a,0,0,1,1\n2,2,1,a,0,0,1,1\n", 2, `process_samples.csv:3: expected t_seconds, a number of seconds ≥ 0, found "x"`},
		{"NaN cpu", h + "1,2,1,a,NaN,0,1,1\n", 0, "process_samples.csv:2: expected user_seconds"},
		{"too few fields", h + "1,2,1,a,0,0,1\n", 0, "process_samples.csv:2: expected 8 comma-separated fields"},
		{"pid zero", h + "1,0,1,a,0,0,1,1\n", 0, "process_samples.csv:2: expected pid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewProcessSampleReader(bytes.NewReader([]byte(tc.in)))
			n := 0
			for r.Scan() {
				n++
			}
			err := r.Err()
			if n != tc.rows {
				t.Errorf("%d rows, want %d", n, tc.rows)
			}
			if err == nil || !bytes.HasPrefix([]byte(err.Error()), []byte(tc.wantErr)) {
				t.Errorf("error %v, want one starting %q", err, tc.wantErr)
			}
		})
	}
}

func TestProcessesRoundTrip(t *testing.T) {
	procs := []Process{
		{PID: 100, PPID: 99, Name: "cargo", Argv: ShellJoin([]string{"cargo", "bench", "--bench", "my bench"}), Start: 0, End: 12.346, CPUSeconds: 1.5, PeakRSS: 1 << 20},
		{PID: 101, PPID: 100, Name: "a,\"b\"", Argv: ShellJoin([]string{"rustc", "it's", ""}), Start: 0.2, End: -1, CPUSeconds: 10, PeakRSS: 7},
		{PID: 102, PPID: 100, Name: "zombie", Start: 0.3},
	}
	var buf bytes.Buffer
	if err := WriteProcesses(&buf, procs); err != nil {
		t.Fatal(err)
	}
	got, err := ReadProcesses(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, procs) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, procs)
	}
}

func TestWatchRoundTrip(t *testing.T) {
	rows := []WatchRow{
		{T: 0, FDs: 3},
		{T: 1.5, FDs: 1024, PSS: 4096, USS: 2048, HavePSS: true},
		{T: 2, FDs: 0, PSS: 1<<64 - 1, HavePSS: true},
	}
	var buf bytes.Buffer
	w := NewWatchWriter(&buf)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := NewWatchReader(&buf)
	var got []WatchRow
	for r.Scan() {
		got = append(got, r.Row())
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, rows)
	}
}

// TestWritersKeepPrecision: seconds keep milliseconds and percents one
// decimal, whatever the float's noise.
func TestWritersKeepPrecision(t *testing.T) {
	var buf bytes.Buffer
	w := NewTimelineWriter(&buf)
	if err := w.Write(TimelineRow{T: 1.0004999, TreeCPUPercent: 33.349999}); err != nil {
		t.Fatal(err)
	}
	_ = w.Flush()
	r := NewTimelineReader(&buf)
	if !r.Scan() {
		t.Fatal(r.Err())
	}
	if row := r.Row(); row.T != 1 || math.Abs(row.TreeCPUPercent-33.3) > 1e-9 {
		t.Errorf("read back %+v", row)
	}
}

func TestPhasesRoundTrip(t *testing.T) {
	phases := []bench.Phase{
		{Tool: "criterion", Benchmark: "parse json/nested arrays, \"deep\"", Kind: bench.PhaseWarmup, Start: 0.5, End: 1.5},
		{Tool: "criterion", Benchmark: "parse json/nested arrays, \"deep\"", Kind: bench.PhaseMeasure, Start: 1.5, End: 4.25},
		{Tool: "criterion", Benchmark: " x\ny", Kind: bench.PhaseAnalysis, Start: 4.25, End: 4.25},
		{Tool: "go", Benchmark: "BenchmarkX/y=1-2", Kind: bench.PhaseMeasure, Start: 86400.125, End: 86401, Approximate: true},
	}
	var buf bytes.Buffer
	if err := WritePhases(&buf, phases); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPhases(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, phases) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, phases)
	}
	buf.Reset()
	if err := WritePhases(&buf, nil); err != nil || buf.String() != PhasesHeader+"\n" {
		t.Errorf("no phases: %q, %v; want the header alone", buf.String(), err)
	}
}
