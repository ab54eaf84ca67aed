package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/pprof/profile"
	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// perfFlags are the recording flags of a run.
type perfFlags struct {
	off       bool
	freq      int
	callGraph string
	event     string
	maxSize   string
	keepData  bool
}

func addPerfFlags(cmd *cobra.Command, p *perfFlags) {
	f := cmd.Flags()
	f.BoolVar(&p.off, "no-perf", false, "do not record CPU stacks with perf")
	f.IntVar(&p.freq, "perf-freq", 0, "perf sampling frequency in `HZ` (default 999, or 99 with dwarf unwinding)")
	f.StringVar(&p.callGraph, "call-graph", "auto", "stack unwinding: `auto`, fp, dwarf[,SIZE] or lbr (auto: dwarf,16384 for cargo, fp otherwise)")
	f.StringVar(&p.event, "perf-event", "", "perf event (default: cycles with a hardware PMU, cpu-clock without)")
	f.StringVar(&p.maxSize, "perf-max-size", "512M", "stop recording when perf.data reaches `SIZE`")
	f.BoolVar(&p.keepData, "keep-perf-data", false, "also put perf.data itself into the bundle (perf/perf.data)")
}

// finishPerf turns perf.data into the bundle's perf/ files and the hot
// spots; problems become warnings, never a failed run.
//
// fold turns perf.data into stacks; nil means foldPerfData (perf script as
// perfcap's plain child). shallowFix is the advice given with shallow stacks.
func finishPerf(ctx context.Context, io *iostreams.IOStreams, w *bundle.Writer, res *capture.PerfResult, keep bool, title string, sum *format.Summary,
	fold func(ctx context.Context, data string) ([]flame.Stack, *profile.Profile, error), shallowFix string) {
	ps := &format.Perf{PerfRecording: res.PerfRecording}
	sum.Perf = ps
	if res.Log != "" {
		if b, err := os.ReadFile(res.Log); err == nil && len(bytes.TrimSpace(b)) > 0 {
			_ = w.AddBytes("perf/perf.log", b)
			if bytes.Contains(b, []byte("size limit reached")) {
				ps.Truncated = true
				sum.Warnings = append(sum.Warnings, "perf stopped recording when perf.data reached its size limit (--perf-max-size): the stacks cover only the start of the run; raise --perf-max-size or lower --perf-freq")
			}
		}
	}
	sum.Warnings = append(sum.Warnings, res.Notes...)
	if !res.Recorded {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("no CPU stacks: %s; fix: %s", res.Reason, res.Fix))
		return
	}
	if fold == nil {
		fold = func(ctx context.Context, data string) ([]flame.Stack, *profile.Profile, error) {
			return foldPerfData(ctx, &flameOptions{io: io, input: data, pprof: "profile"})
		}
	}
	stacks, prof, err := fold(ctx, res.Data)
	if err == nil && len(stacks) == 0 {
		err = flame.ErrEmpty
	}
	if err != nil {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("no CPU stacks: %v", err))
		return
	}
	steps := []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"perf/flame.svg", func(b *bytes.Buffer) error { return flame.WriteSVG(b, stacks, flame.SVGOptions{Title: title}) }},
		{"perf/folded.txt", func(b *bytes.Buffer) error { return flame.WriteFolded(b, stacks) }},
		{"perf/profile.pb.gz", func(b *bytes.Buffer) error { return flame.WriteProfile(b, prof) }},
	}
	for _, s := range steps {
		var b bytes.Buffer
		if err := s.write(&b); err != nil {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s: %v", s.name, err))
			continue
		}
		if err := w.AddBytes(s.name, b.Bytes()); err != nil {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s: %v", s.name, err))
		}
	}
	if keep {
		if err := w.AddFile("perf/perf.data", res.Data); err != nil {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("perf/perf.data: %v", err))
		}
	}
	hot := flame.Hot(stacks, 10)
	ps.Hot, ps.Samples = &hot, hot.Weight
	ps.MedianDepth = flame.MedianDepth(stacks)
	if ps.MedianDepth <= 2 && !ps.Truncated {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf(
			"CPU stacks are shallow (median depth %.0f): callers are missing; %s", ps.MedianDepth, shallowFix))
	}
}

// perfDir is where perf.data lives during a run: beside the bundle, not in
// its staging area, since perf.data enters the bundle only on request.
func perfDir(bundlePath string) (string, error) {
	dir, base := filepath.Split(bundlePath)
	if dir == "" {
		dir = "."
	}
	return os.MkdirTemp(dir, "."+base+".perf-*")
}
