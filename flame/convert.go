package flame

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

	"github.com/perfcap/perfcap/internal/atomicfile"
	"github.com/perfcap/perfcap/internal/termsafe"
)

// ConvertOptions say what Convert reads and writes (perfcap flame).
type ConvertOptions struct {
	// Input is a perf.data file, perf script text, folded stacks or a
	// pprof profile, told apart by their content (DetectInput).
	Input string
	// SVG is the flamegraph's path (default: Input's name with .svg).
	SVG string
	// Folded and Pprof, when set, are where the folded stacks and the
	// pprof profile go too. Folded stacks of perf's text are folded as
	// stackcollapse-perf.pl --all folds them, with PID, TID and Addrs as
	// its options.
	Folded, Pprof string
	// Title is the flamegraph's (default: Input's base name).
	Title    string
	Inverted bool
	PID, TID bool
	Addrs    bool
	ByPeriod bool
	NoInline bool
	// Top is how many hot functions the result lists (0: none).
	Top int
	// Warn hears what was left out.
	Warn func(string)
}

// Converted is what Convert wrote.
type Converted struct {
	SVG string
	// Hot are the Top hottest functions, with their source lines.
	Hot HotSpots
}

// Convert turns opts.Input into a flamegraph SVG, and on request folded
// stacks and a pprof profile, each written atomically. An input that is
// no profile is an error before anything is written.
func Convert(ctx context.Context, opts ConvertOptions) (*Converted, error) {
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	f, err := os.Open(opts.Input)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, SniffSize)
	head, err := br.Peek(SniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	kind, err := DetectInput(head)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", termsafe.Text(opts.Input), err)
	}
	if opts.Pprof != "" && kind == InputFolded {
		return nil, errors.New("--pprof needs addresses and DSOs, which folded stacks do not carry; give perf.data or perf script text")
	}
	var collapse *Collapser
	if opts.Folded != "" && (kind == InputScript || kind == InputPerfData) {
		collapse = NewCollapser(CollapseOptions{PID: opts.PID, TID: opts.TID, Addrs: opts.Addrs, Kernel: true, JIT: true})
	}
	stacks, prof, err := readInput(ctx, br, kind, opts, collapse)
	if err != nil {
		return nil, err
	}
	if len(stacks) == 0 {
		return nil, fmt.Errorf("%s: %w", opts.Input, ErrEmpty)
	}
	return writeConverted(opts, stacks, prof, collapse)
}

// readInput reads the stacks, and the profile when the input has one.
func readInput(ctx context.Context, br *bufio.Reader, kind Input, opts ConvertOptions, collapse *Collapser) ([]Stack, *profile.Profile, error) {
	dopts := PerfDataOptions{
		Fold:     FoldOptions{PID: opts.PID, TID: opts.TID, Addrs: opts.Addrs, Annotate: true, ByPeriod: opts.ByPeriod},
		Collapse: collapse,
		Profile:  opts.Pprof != "" || opts.Top > 0, // the hot list's source lines
		Comment:  opts.Input,
		NoInline: opts.NoInline,
		Warn:     opts.Warn,
	}
	var pd *PerfData
	var err error
	switch kind {
	case InputFolded:
		stacks, err := ReadFolded(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%w", opts.Input, err)
		}
		return stacks, nil, nil
	case InputPprof:
		prof, err := profile.Parse(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: not a pprof profile: %w", opts.Input, err)
		}
		return StacksFromProfile(prof, 0), prof, nil
	case InputScript:
		pd, err = FoldScriptProfile(br, opts.Input, dopts)
	default:
		pd, err = FoldPerfData(ctx, opts.Input, dopts)
	}
	if err != nil {
		return nil, nil, err
	}
	return pd.Stacks, pd.Profile, nil
}

// writeConverted writes the outputs Convert was asked for.
func writeConverted(opts ConvertOptions, stacks []Stack, prof *profile.Profile, collapse *Collapser) (*Converted, error) {
	svg := opts.SVG
	if svg == "" {
		svg = strings.TrimSuffix(opts.Input, filepath.Ext(opts.Input)) + ".svg"
	}
	title := opts.Title
	if title == "" {
		title = filepath.Base(opts.Input)
	}
	write := func(path string, write func(io.Writer) error) error {
		return atomicfile.Write(path, 0o644, false, write)
	}
	if err := write(svg, func(w io.Writer) error {
		return WriteSVG(w, stacks, SVGOptions{Title: title, Inverted: opts.Inverted})
	}); err != nil {
		return nil, err
	}
	if opts.Folded != "" {
		folded := stacks
		if collapse != nil {
			folded = collapsed(opts, collapse)
		}
		if err := write(opts.Folded, func(w io.Writer) error { return WriteFolded(w, folded) }); err != nil {
			return nil, err
		}
	}
	if opts.Pprof != "" {
		if err := write(opts.Pprof, func(w io.Writer) error { return WriteProfile(w, prof) }); err != nil {
			return nil, err
		}
	}
	c := &Converted{SVG: svg}
	if opts.Top > 0 {
		c.Hot = Hot(stacks, opts.Top)
		c.Hot.AddSourceLines(prof)
	}
	return c, nil
}

// collapsed returns the stacks collapse folded, warning of what it left
// out; none, when stackcollapse-perf.pl would fold none.
func collapsed(opts ConvertOptions, collapse *Collapser) []Stack {
	stacks, err := collapse.Stacks()
	st := collapse.Stats()
	if st.Unrecognized > 0 {
		opts.Warn(fmt.Sprintf("--folded %s leaves out %d lines, as stackcollapse-perf.pl does; the first: %s:%v", opts.Folded, st.Unrecognized, opts.Input, st.Warnings[0]))
	}
	if err != nil {
		opts.Warn(fmt.Sprintf("--folded %s is empty: %v", opts.Folded, err))
	}
	return stacks
}
