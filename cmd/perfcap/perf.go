package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// perfFlags are the recording flags of a run.
type perfFlags struct {
	off       bool
	freq      int
	callGraph string
	event     string
	maxSize   string
	keepData  bool
	noInline  bool
}

func addPerfFlags(cmd *cobra.Command, p *perfFlags) {
	f := cmd.Flags()
	f.BoolVar(&p.off, "no-perf", false, "do not record CPU stacks with perf")
	f.IntVar(&p.freq, "perf-freq", 0, "perf sampling frequency in `HZ` (default 999, or 99 with dwarf unwinding)")
	f.StringVar(&p.callGraph, "call-graph", "auto", "stack unwinding: `auto`, fp, dwarf[,SIZE] or lbr (auto: dwarf,16384 for cargo, fp otherwise)")
	f.StringVar(&p.event, "perf-event", "", "perf event (default: cycles with a hardware PMU, cpu-clock without)")
	f.StringVar(&p.maxSize, "perf-max-size", "512M", "keep at most `SIZE` of perf output on disk at once, read in chunks during the run (with --keep-perf-data: stop perf.data at SIZE)")
	f.BoolVar(&p.keepData, "keep-perf-data", false, "also put perf.data itself into the bundle (perf/perf.data): one perf.data, read after the run, not chunks")
	f.BoolVar(&p.noInline, "no-inline", false, "leave the functions inlined into others out of the CPU stacks")
}

// warnTo returns a warning hook that prints to w.
func warnTo(w io.Writer) func(string) {
	return func(msg string) { fmt.Fprintf(w, "perfcap: %s\n", msg) }
}
