package format

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/flame"
)

func TestSummaryRoundTrip(t *testing.T) {
	in := &Summary{
		Totals: Totals{
			WallSeconds: 12.5, UserSeconds: 11, SysSeconds: 0.5, CPUPercent: 92, PeakRSSBytes: 1 << 30,
			MaxProcessRSSBytes: 1 << 29, MaxProcessRSSPID: 42, MaxProcessRSSSource: "vmhwm",
			ExitCode: 3, Signal: "", FirstOutputSeconds: -1, Samples: 125, LeftRunning: []int{7},
			LoadAverage: [3]float64{1, 2, 3}, Warnings: []string{"w"},
		},
		Perf: &Perf{
			PerfRecording: PerfRecording{Recorded: true, Event: "cpu-clock", Freq: 99, CallGraph: "fp", Notes: []string{"n"}},
			Samples:       100, MedianDepth: 12, Truncated: true,
			Frames: 400, UnsymbolizedFrames: 40, UnsymbolizedShare: ptrTo(0.1), NoInline: true,
			Hot: &flame.HotSpots{Weight: 100, BySelf: []flame.HotFunction{{Name: "main", Self: 50, Total: 100, SelfShare: 0.5, TotalShare: 1}}},
		},
		Benchmarks:  []bench.Result{{Tool: "criterion", ID: "fib 20", Estimate: 1, Low: 0.5, High: 2}},
		Metrics:     []bench.Metric{{Name: "ops", Value: 3, Text: "3", Stream: "stdout", Line: 4}},
		Attachments: []string{"attach/x"},
		Watch: &Watch{
			Mode: "pid", PID: 9, Ended: "signal", Growth: trend.Result{Verdict: trend.Growing, Since: time.Minute, Buckets: 9},
			Alerts:    []Alert{{Rule: "rss>1GiB", T: 3, Value: 4, Message: "m", Snapshot: "s"}},
			Snapshots: []SnapshotRef{{T: 3, Reason: "alert", Path: "s", Rule: "rss>1GiB"}},
			Snapshot:  &SnapshotRef{T: 3, Reason: "SIGUSR1"},
		},
	}
	var buf bytes.Buffer
	if err := in.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	// The names of the format's version 1, as users' scripts read them.
	for _, key := range []string{`"wall_seconds"`, `"peak_rss_bytes"`, `"perf": {`, `"frequency_hz"`, `"unsymbolized_share": 0.1`, `"benchmarks"`, `"watch": {`, `"growth"`, `"t_seconds"`} {
		if !strings.Contains(buf.String(), key) {
			t.Errorf("summary.json lacks %s:\n%s", key, buf.String())
		}
	}
	out, err := ReadSummary(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("read back\n%+v\nwant\n%+v", out, in)
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestReadSummaryRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"not json":   "[",
		"too large":  `{"warnings":["` + strings.Repeat("a", MaxSummarySize) + `"]}`,
		"wrong type": `{"wall_seconds":"x"}`,
	} {
		if _, err := ReadSummary(strings.NewReader(in)); err == nil || !strings.HasPrefix(err.Error(), "summary.json") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want a one-line summary.json error", name, err)
		}
	}
}

func TestTallyAndCPUShares(t *testing.T) {
	var tl Tally
	for _, r := range []TimelineRow{
		{T: 0, TreeRSS: 10, Processes: 1, Threads: 2, SystemCPUPercent: 50, SystemAvailable: 100},
		{T: 1, TreeRSS: 30, Processes: 3, Threads: 1, SystemCPUPercent: 100, SystemAvailable: 50},
		{T: 2, TreeRSS: 20, Processes: 2, Threads: 5, SystemCPUPercent: 0, SystemAvailable: 70},
	} {
		tl.Add(r)
	}
	s := Totals{PeakRSSBytes: 25, WallSeconds: 2, UserSeconds: 1, SysSeconds: 1, PerfRecordCPUSeconds: 0.5}
	tl.Fill(&s)
	s.SetCPUShares(2)
	want := Totals{PeakRSSBytes: 30, WallSeconds: 2, UserSeconds: 1, SysSeconds: 1, PerfRecordCPUSeconds: 0.5,
		Samples: 3, MaxProcesses: 3, MaxThreads: 5, SystemCPUPercent: 50, MinAvailableBytes: 50,
		// tree 2 s of CPU over 2 s; the machine's 50 % of 2 cores is 2 s,
		// of which the tree and perf record used 2.5 s: nothing left.
		CPUPercent: 100, OtherCPUPercent: 0}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
	s.PerfRecordCPUSeconds, s.SystemCPUPercent = 0, 75
	s.SetCPUShares(2)
	if s.OtherCPUPercent != 25 {
		t.Errorf("other CPU %v %%, want 25", s.OtherCPUPercent)
	}
}
