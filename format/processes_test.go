package format

import (
	"strings"
	"testing"
)

func TestReadProcesses(t *testing.T) {
	in := ProcessesHeader + "\n" +
		"20,10,b,\"sh -c 'echo \"\"a, b\"\"'\",1.500,,0.100,4096\n" +
		"10,1,a,/bin/a,-0.518,2.000,1.000,8192\n" +
		"x,1,c,/bin/c,0.000,2.000,1.000,8192\n" +
		"30,1,d,/bin/d,0.5\n"
	procs, err := ReadProcesses(strings.NewReader(in))
	if err == nil || !strings.Contains(err.Error(), "processes.csv:4: expected pid") ||
		!strings.Contains(err.Error(), "processes.csv:5: expected 8 comma-separated fields") {
		t.Errorf("error %v, want lines 4 and 5", err)
	}
	if len(procs) != 2 {
		t.Fatalf("read %d processes, want 2: %+v", len(procs), procs)
	}
	a, b := procs[0], procs[1]
	// The command perf attached to started before 0: it is still read.
	if a.PID != 10 || a.Start != -0.518 || a.End != 2 || a.PeakRSS != 8192 {
		t.Errorf("first process %+v", a)
	}
	if b.PID != 20 || b.Argv != `sh -c 'echo "a, b"'` || b.End != -1 || b.Start != 1.5 {
		t.Errorf("second process %+v", b)
	}
	if _, err := ReadProcesses(strings.NewReader("pid,name\n")); err == nil || !strings.Contains(err.Error(), "processes.csv:1: expected the header") {
		t.Errorf("other header: %v", err)
	}
}
