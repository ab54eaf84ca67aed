package capture

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

func TestCheckPerfOptions(t *testing.T) {
	for _, tc := range []struct {
		opts    PerfOptions
		wantErr string
		maxSize string
	}{
		{opts: PerfOptions{CallGraph: "auto", MaxSize: "512M"}, maxSize: "524288K"},
		{opts: PerfOptions{CallGraph: "dwarf,16384", MaxSize: "2GiB", Freq: 99}, maxSize: "2097152K"},
		{opts: PerfOptions{CallGraph: "fp"}},
		{opts: PerfOptions{CallGraph: "lbr"}},
		{opts: PerfOptions{CallGraph: "bogus"}, wantErr: `--call-graph "bogus"`},
		{opts: PerfOptions{CallGraph: "dwarf,100000"}, wantErr: "multiple of 8"},
		{opts: PerfOptions{CallGraph: "dwarf,12"}, wantErr: "multiple of 8"},
		{opts: PerfOptions{CallGraph: "dwarf,"}, wantErr: "multiple of 8"},
		{opts: PerfOptions{Freq: -1}, wantErr: "--perf-freq -1"},
		{opts: PerfOptions{MaxSize: "x"}, wantErr: `--perf-max-size "x"`},
		{opts: PerfOptions{MaxSize: "10K"}, wantErr: "at least 64KiB"},
	} {
		opts := tc.opts
		err := CheckPerfOptions(context.Background(), &opts)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%+v: %v", tc.opts, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%+v: err %v, want one with %q", tc.opts, err, tc.wantErr)
		case tc.maxSize != "" && opts.MaxSize != tc.maxSize:
			t.Errorf("%+v: MaxSize %q, want %q", tc.opts, opts.MaxSize, tc.maxSize)
		}
	}
}

// The event probe asks the real perf.
func TestCheckPerfEventProbe(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (apt-get install linux-perf)")
	}
	if err := CheckPerfOptions(context.Background(), &PerfOptions{Event: "cpu-clock"}); err != nil {
		t.Errorf("cpu-clock refused: %v", err)
	}
	err := CheckPerfOptions(context.Background(), &PerfOptions{Event: "no-such-event"})
	if err == nil || !strings.Contains(err.Error(), "perf list") || strings.Contains(err.Error(), "\n") {
		t.Errorf("err %v, want one line pointing at perf list", err)
	}
}
