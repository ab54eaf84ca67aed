package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/pprof/profile"
	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/internal/atomicfile"
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
	// collapse, when set, folds the text perf script gives as
	// stackcollapse-perf.pl does, for --folded.
	collapse *flame.Collapser
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
	f, err := os.Open(opts.input)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, flame.SniffSize)
	head, err := br.Peek(flame.SniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return err
	}
	// Told apart before anything is written: an input that is no profile
	// is an error, not a flamegraph of one garbage frame.
	kind, err := flame.DetectInput(head)
	if err != nil {
		return &codeError{code: exitError, err: fmt.Errorf("%s: %w", termsafe.Text(opts.input), err)}
	}
	if opts.pprof != "" && kind == flame.InputFolded {
		return &codeError{code: exitError, err: errors.New("--pprof needs addresses and DSOs, which folded stacks do not carry; give perf.data or perf script text")}
	}

	if opts.folded != "" && (kind == flame.InputScript || kind == flame.InputPerfData) {
		opts.collapse = flame.NewCollapser(flame.CollapseOptions{PID: opts.pid, TID: opts.tid, Addrs: opts.addrs, Kernel: true, JIT: true})
	}
	var (
		stacks []flame.Stack
		prof   *profile.Profile
		pd     *flame.PerfData
	)
	switch kind {
	case flame.InputFolded:
		stacks, err = flame.ReadFolded(br)
		if err != nil {
			err = fmt.Errorf("%s:%w", opts.input, err)
		}
	case flame.InputPprof:
		prof, err = profile.Parse(br)
		if err != nil {
			return fmt.Errorf("%s: not a pprof profile: %w", opts.input, err)
		}
		stacks = flame.StacksFromProfile(prof, 0)
	case flame.InputScript:
		pd, err = flame.FoldScriptProfile(br, opts.input, opts.dataOptions())
	case flame.InputPerfData:
		pd, err = flame.FoldPerfData(ctx, opts.input, opts.dataOptions())
	}
	if err != nil {
		return err
	}
	if pd != nil {
		stacks, prof = pd.Stacks, pd.Profile
	}
	if len(stacks) == 0 {
		return fmt.Errorf("%s: %w", opts.input, flame.ErrEmpty)
	}

	svg := opts.svg
	if svg == "" {
		svg = strings.TrimSuffix(opts.input, filepath.Ext(opts.input)) + ".svg"
	}
	title := opts.title
	if title == "" {
		title = filepath.Base(opts.input)
	}
	if err := writeAtomic(svg, func(w io.Writer) error {
		return flame.WriteSVG(w, stacks, flame.SVGOptions{Title: title, Inverted: opts.inverted})
	}); err != nil {
		return err
	}
	if opts.folded != "" {
		folded := stacks
		if opts.collapse != nil {
			folded = collapsed(opts)
		}
		if err := writeAtomic(opts.folded, func(w io.Writer) error { return flame.WriteFolded(w, folded) }); err != nil {
			return err
		}
	}
	if opts.pprof != "" {
		if err := writeAtomic(opts.pprof, func(w io.Writer) error { return flame.WriteProfile(w, prof) }); err != nil {
			return err
		}
	}
	fmt.Fprintf(opts.io.ErrOut, "perfcap: flamegraph %s\n", svg)
	if opts.top > 0 {
		hot := flame.Hot(stacks, opts.top)
		hot.AddSourceLines(prof)
		printHot(opts.io.Out, hot)
	}
	return nil
}

// dataOptions are the flame package's options for opts.
func (opts *flameOptions) dataOptions() flame.PerfDataOptions {
	return flame.PerfDataOptions{
		Fold:     flame.FoldOptions{PID: opts.pid, TID: opts.tid, Addrs: opts.addrs, Annotate: true, ByPeriod: opts.byPeriod},
		Collapse: opts.collapse,
		Profile:  opts.pprof != "" || opts.top > 0, // the hot list's source lines
		Comment:  opts.input,
		NoInline: opts.noInline,
		Warn:     warnTo(opts.io.ErrOut),
	}
}

// collapsed returns the stacks opts.collapse folded, saying on stderr
// what it left out; none, when stackcollapse-perf.pl would fold none.
func collapsed(opts *flameOptions) []flame.Stack {
	stacks, err := opts.collapse.Stacks()
	st := opts.collapse.Stats()
	if st.Unrecognized > 0 {
		fmt.Fprintf(opts.io.ErrOut, "perfcap: --folded %s leaves out %d lines, as stackcollapse-perf.pl does; the first: %s:%v\n", opts.folded, st.Unrecognized, opts.input, st.Warnings[0])
	}
	if err != nil {
		fmt.Fprintf(opts.io.ErrOut, "perfcap: --folded %s is empty: %v\n", opts.folded, err)
	}
	return stacks
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

// writeAtomic writes a file through a temporary one beside it, renamed into
// place only when complete.
func writeAtomic(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, 0o644, false, write)
}
