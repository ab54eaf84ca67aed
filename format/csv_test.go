package format

import (
	"bytes"
	"encoding/csv"
	"errors"
	"testing"
)

// The headers as the files hold them.
const (
	timelineHeader      = TimelineHeader + "\n"
	processSampleHeader = ProcessSamplesHeader + "\n"
	processesHeader     = ProcessesHeader + "\n"
)

func TestCSVTimeline(t *testing.T) {
	tests := []struct {
		name    string
		samples []TimelineRow
		want    string
	}{
		{"empty", nil, timelineHeader},
		{"two", []TimelineRow{
			{T: 0.0004, TreeCPUPercent: 0, TreeRSS: 4096, Processes: 1, Threads: 1, SystemCPUPercent: 3.25, SystemAvailable: 1 << 30},
			{T: 0.1, TreeCPUPercent: 199.96, TreeRSS: 1 << 20, Processes: 3, Threads: 40, SystemCPUPercent: 100, SystemAvailable: 5},
		}, timelineHeader +
			"0.000,0.0,4096,1,1,3.2,1073741824\n" +
			"0.100,200.0,1048576,3,40,100.0,5\n"},
		{"negative zero", []TimelineRow{{T: -0.0001, TreeCPUPercent: -0.01}}, timelineHeader + "0.000,0.0,0,0,0,0.0,0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewTimelineWriter(&buf)
			for _, s := range tt.samples {
				if err := w.Write(s); err != nil {
					t.Fatal(err)
				}
			}
			if buf.Len() != 0 {
				t.Errorf("rows written before Flush: %q", buf.String())
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", buf.String(), tt.want)
			}
		})
	}
}

func TestCSVProcessSamples(t *testing.T) {
	var buf bytes.Buffer
	w := NewProcessSampleWriter(&buf)
	samples := []struct {
		T     float64
		Procs []ProcSample
	}{
		{T: 1.5, Procs: []ProcSample{
			{PID: 10, PPID: 1, Name: "cargo", UserSec: 1.23, SysSec: 0.01, RSS: 8192, Threads: 4},
			{PID: 11, PPID: 10, Name: `a,"b"`, RSS: 1},
		}},
		{T: 1.6}, // a sample without processes adds no row
		{T: 1.7, Procs: []ProcSample{{PID: 12, PPID: 10, Name: "x\ny) (z", Threads: 1}}},
	}
	for _, s := range samples {
		if err := w.Write(s.T, s.Procs); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := processSampleHeader +
		"1.500,10,1,cargo,1.230,0.010,8192,4\n" +
		"1.500,11,10,\"a,\"\"b\"\"\",0.000,0.000,1,0\n" +
		"1.700,12,10,\"x\ny) (z\",0.000,0.000,0,1\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read it: %v", err)
	}
	if rows[2][3] != `a,"b"` || rows[3][3] != "x\ny) (z" {
		t.Errorf("names read back as %q and %q", rows[2][3], rows[3][3])
	}
}

func TestCSVProcesses(t *testing.T) {
	procs := []Process{
		{PID: 100, PPID: 99, Name: "cargo", Argv: ShellJoin([]string{"cargo", "bench", "--bench", "my bench"}), Start: 0, End: 12.3456, CPUSeconds: 1.5, PeakRSS: 1 << 20},
		{PID: 101, PPID: 100, Name: "rustc", Argv: ShellJoin([]string{"rustc", "--token=***", "it's", ""}), Start: 0.2, End: -1, CPUSeconds: 10, PeakRSS: 7},
		{PID: 102, PPID: 100, Name: "zombie"},
	}
	want := processesHeader +
		"100,99,cargo,cargo bench --bench 'my bench',0.000,12.346,1.500,1048576\n" +
		"101,100,rustc,rustc '--token=***' 'it'\\''s' '',0.200,,10.000,7\n" +
		"102,100,zombie,,0.000,0.000,0.000,0\n"
	var buf bytes.Buffer
	if err := WriteProcesses(&buf, procs); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestCSVShellWord(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a/b.c:d=e,f@g%h+i-j_k", "a/b.c:d=e,f@g%h+i-j_k"},
		{"", "''"},
		{"two words", "'two words'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
		{"*.rs", "'*.rs'"},
		{"naïve", "'naïve'"},
		{"line\nbreak", "'line\nbreak'"},
	}
	for _, tt := range tests {
		if got := string(appendShellWord(nil, tt.in)); got != tt.want {
			t.Errorf("appendShellWord(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{ writes int }

func (f *failingWriter) Write([]byte) (int, error) {
	f.writes++
	return 0, errors.New("disk full")
}

func TestCSVWriteErrorSticks(t *testing.T) {
	fw := &failingWriter{}
	w := NewTimelineWriter(fw)
	var big TimelineRow
	var err error
	for i := 0; i < csvFlushAt && err == nil; i++ {
		err = w.Write(big)
	}
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("Write error = %v, want disk full", err)
	}
	if err := w.Write(big); err == nil {
		t.Error("Write after a failure succeeded")
	}
	if err := w.Flush(); err == nil {
		t.Error("Flush after a failure succeeded")
	}
	if fw.writes != 1 {
		t.Errorf("%d writes after the first failure, want none", fw.writes-1)
	}
	if err := WriteProcesses(&failingWriter{}, nil); err == nil {
		t.Error("WriteProcesses succeeded on a failing writer")
	}
}
