package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/termsafe"
)

type flameOptions struct {
	io       *iostreams.IOStreams
	input    string
	svg      string
	folded   string
	pprof    string
	title    string
	inverted bool
	pid      bool
	tid      bool
	addrs    bool
	byPeriod bool
	noInline bool
	top      int
}

func newFlameCmd(io *iostreams.IOStreams) *cobra.Command {
	opts := &flameOptions{io: io}
	inline := true // the deprecated --inline; --inline=false is --no-inline
	cmd := &cobra.Command{
		Use:   "flame INPUT [-o out.svg] [--folded F] [--pprof F]",
		Short: "Turn perf.data, perf script text, folded stacks or a pprof profile into a flamegraph",
		Long: `flame reads INPUT — a perf.data file, the text of perf script, folded
stacks (one "comm;outer;...;inner COUNT" per line) or a pprof profile, told
apart by their content — and writes an interactive flamegraph SVG, and on
request the folded stacks and a pprof profile. It prints the hot functions.

--folded writes what stackcollapse-perf.pl --all writes of the same perf
script text (--pid, --tid and --addrs as its options), so the two merge;
the flamegraph, the hot list and the pprof profile keep full names.

Of perf.data, the stacks include the functions inlined into others, which
perfcap reads from the binaries' DWARF itself (perf script's own inline
resolution took 24.5 s against 0.77 s on a cargo bench); --no-inline leaves
them out. Code of binaries deleted since the recording shows unnamed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.input = args[0]
			if !inline {
				opts.noInline = true
			}
			return runFlame(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.svg, "output", "o", "", "write the flamegraph to `FILE` (default: INPUT's name with .svg)")
	f.StringVar(&opts.folded, "folded", "", "also write the folded stacks to `FILE`, as stackcollapse-perf.pl --all folds them")
	f.StringVar(&opts.pprof, "pprof", "", "also write a pprof profile (gzipped protobuf) to `FILE`")
	f.StringVar(&opts.title, "title", "", "the flamegraph's title (default: INPUT's name)")
	f.BoolVar(&opts.inverted, "inverted", false, "draw an icicle graph (roots at the top)")
	f.BoolVar(&opts.pid, "pid", false, "group stacks by process: comm-PID")
	f.BoolVar(&opts.tid, "tid", false, "group stacks by thread: comm-PID/TID")
	f.BoolVar(&opts.addrs, "addrs", false, "name unresolved frames with their address: [dso <addr>]")
	f.BoolVar(&opts.byPeriod, "by-period", false, "weigh samples by their period instead of counting them")
	f.BoolVar(&opts.noInline, "no-inline", false, "leave the functions inlined into others out of the stacks of perf.data")
	f.BoolVar(&inline, "inline", true, "resolve inlined functions (the default)")
	_ = f.MarkDeprecated("inline", "inlined functions are resolved by default; --no-inline leaves them out")
	f.IntVar(&opts.top, "top", 10, "print the `N` hottest functions (0: none)")
	return cmd
}

func runFlame(ctx context.Context, opts *flameOptions) error {
	c, err := flame.Convert(ctx, flame.ConvertOptions{
		Input: opts.input, SVG: opts.svg, Folded: opts.folded, Pprof: opts.pprof, Title: opts.title, Inverted: opts.inverted,
		PID: opts.pid, TID: opts.tid, Addrs: opts.addrs, ByPeriod: opts.byPeriod, NoInline: opts.noInline, Top: opts.top,
		Warn: warnTo(opts.io.ErrOut),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.io.ErrOut, "perfcap: flamegraph %s\n", c.SVG)
	if opts.top > 0 {
		printHot(opts.io.Out, c.Hot)
	}
	return nil
}

func printHot(w io.Writer, h flame.HotSpots) {
	fmt.Fprintf(w, "%-7s %-7s %s\n", "self", "total", "function")
	for _, f := range h.BySelf {
		at := ""
		if f.File != "" {
			at = fmt.Sprintf("  (%s:%d)", termsafe.Text(f.File), f.Line)
		}
		fmt.Fprintf(w, "%6.1f%% %6.1f%% %s%s\n", f.SelfShare*100, f.TotalShare*100, f.Name, at)
	}
}
