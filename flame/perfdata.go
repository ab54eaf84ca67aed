package flame

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/google/pprof/profile"
)

// PerfDataOptions says how FoldPerfData and FoldScriptProfile read stacks.
type PerfDataOptions struct {
	// Fold groups and annotates the stacks.
	Fold FoldOptions
	// Collapse, when set, is given the text too, through an io.TeeReader,
	// to fold it as stackcollapse-perf.pl does in the same pass.
	Collapse *Collapser
	// Profile also builds a pprof profile in the same pass, with Comment.
	Profile bool
	Comment string
	// NoInline leaves inlined functions out of stacks read from perf.data.
	// By default an InlineReader adds them to perf script's text, and
	// names from Binaries the code of files deleted since.
	NoInline bool
	Binaries []Binary
	// Run runs perf script to completion, for a caller whose children must
	// go through a runner of its own (a capture's reaper); its output is
	// then spooled to a file in TempDir. Nil streams perf script as a plain
	// child.
	Run     func(*exec.Cmd) error
	TempDir string
	// Warn receives each record the reader skipped, and each binary whose
	// debug information could not be read; nil drops them.
	Warn func(string)
	// Windows are stretches of time whose samples are also folded apart,
	// in the same pass (PerfData.Windows), each with its profile when
	// Profile is set: one per benchmark of a run, say.
	Windows []Window
}

// Window is a set of spans of perf's clock, in the seconds perf script
// prints as a sample's time. A sample at time t is in the span when
// Start ≤ t < End; a sample in several windows counts in each.
type Window struct {
	Spans []Span
}

// Span is a stretch of time, in seconds.
type Span struct{ Start, End float64 }

// PerfData is what FoldPerfData and FoldScriptProfile read.
type PerfData struct {
	Stacks []Stack
	// Profile is the pprof profile, when PerfDataOptions.Profile asked.
	Profile *profile.Profile
	// Stats says what the fold took in, unnamed frames included.
	Stats FoldStats
	// Inline says what the InlineReader added, if one read the text.
	Inline InlineStats
	// Windows are the samples of each PerfDataOptions.Windows, in order.
	Windows []WindowData
}

// WindowData is what was folded of one Window's samples. Stacks is empty
// (and Profile nil) when no sample fell in it.
type WindowData struct {
	Stacks  []Stack
	Profile *profile.Profile
	Stats   FoldStats
}

// FoldPerfData runs `perf script` over the perf.data file input and folds
// its output. With ScriptChunk, this is where perfcap launches perf
// script.
//
// perf script runs with --no-inline: its own resolution of inlined frames
// reads the whole debug information of every binary again for each
// address (2.2 s instead of 0.13 s on a small cargo bench recording, 24.5
// s instead of 0.77 s on a larger one). Unless opts.NoInline, it also
// prints the records of mapped files and processes, from which an
// InlineReader adds the inlined frames at a fraction of that cost.
func FoldPerfData(ctx context.Context, input string, opts PerfDataOptions) (*PerfData, error) {
	var pd *PerfData
	err := runPerfScript(ctx, input, false, opts, func(r io.Reader) (err error) {
		pd, err = foldPerfScript(r, input, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return pd, nil
}

// ScriptChunk runs `perf script` over chunk, a file of perf record's
// pipe-mode output (-o -) that starts as a stream does, and writes its
// text to w as FoldPerfData reads it: through an InlineReader unless
// opts.NoInline, with opts.Binaries. The texts of a recording's chunks,
// concatenated in order, fold with FoldScriptProfile as the recording's
// own text would.
func ScriptChunk(ctx context.Context, chunk string, w io.Writer, opts PerfDataOptions) (InlineStats, error) {
	var st InlineStats
	err := runPerfScript(ctx, chunk, true, opts, func(r io.Reader) error {
		if opts.NoInline {
			_, err := io.Copy(w, r)
			return err
		}
		ir := NewInlineReader(r, InlineOptions{Binaries: opts.Binaries, Warn: opts.Warn})
		defer ir.Close()
		_, err := io.Copy(w, ir)
		st = ir.Stats()
		return err
	})
	return st, err
}

// runPerfScript runs perf script over input, perf.data or, when stream,
// a file of pipe-mode output read on perf's stdin, and gives its text to
// read.
func runPerfScript(ctx context.Context, input string, stream bool, opts PerfDataOptions, read func(io.Reader) error) error {
	if _, err := exec.LookPath("perf"); err != nil {
		return fmt.Errorf("%s is perf.data, and reading it needs perf: install it (Debian: apt-get install linux-perf)", input)
	}
	args := []string{"script", "-i", input, "-F", "+pid", "--no-inline"}
	if stream {
		args[2] = "-"
	}
	if !opts.NoInline {
		args = append(args, "--show-mmap-events", "--show-task-events")
	}
	cmd := exec.CommandContext(ctx, "perf", args...)
	if stream {
		in, err := os.Open(input)
		if err != nil {
			return err
		}
		defer in.Close()
		cmd.Stdin = in
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	failed := func(err error) error {
		return fmt.Errorf("perf script -i %s: %v: %s", input, err, strings.TrimSpace(firstLine(stderr.String())))
	}
	if opts.Run != nil {
		out, err := os.CreateTemp(opts.TempDir, ".perf-script-*")
		if err != nil {
			return err
		}
		defer os.Remove(out.Name())
		defer out.Close()
		cmd.Stdout = out
		if err := opts.Run(cmd); err != nil {
			return failed(err)
		}
		if _, err := out.Seek(0, io.SeekStart); err != nil {
			return err
		}
		return read(out)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("perf script: %w", err)
	}
	rerr := read(out)
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return failed(err)
	}
	return rerr
}

// foldPerfScript folds the output of FoldPerfData's perf script, through
// an InlineReader unless opts.NoInline.
func foldPerfScript(r io.Reader, name string, opts PerfDataOptions) (*PerfData, error) {
	if opts.NoInline {
		return FoldScriptProfile(r, name, opts)
	}
	ir := NewInlineReader(r, InlineOptions{Binaries: opts.Binaries, Warn: opts.Warn})
	if opts.Collapse != nil {
		opts.Collapse.srclines = true
	}
	defer ir.Close()
	pd, err := FoldScriptProfile(ir, name, opts)
	if pd != nil {
		pd.Inline = ir.Stats()
	}
	return pd, err
}

// FoldScriptProfile folds perf script text read from r (named name in errors),
// building the pprof profile alongside when opts.Profile is set, and the
// stacks of each of opts.Windows.
func FoldScriptProfile(r io.Reader, name string, opts PerfDataOptions) (*PerfData, error) {
	folder := NewFolder(opts.Fold)
	var pb *ProfileBuilder
	if opts.Profile {
		pb = NewProfileBuilder(ProfileOptions{Comment: opts.Comment})
	}
	if opts.Collapse != nil {
		r = io.TeeReader(r, opts.Collapse)
	}
	windows := newWindowFolds(opts)
	sr := NewScriptReader(r)
	for sr.Scan() {
		folder.Add(sr.Sample())
		if pb != nil {
			pb.Add(sr.Sample())
		}
		windows.add(sr.Sample())
	}
	if err := sr.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if opts.Warn != nil {
		for _, w := range sr.Warnings() {
			opts.Warn(fmt.Sprintf("%s:%v (record skipped)", name, w))
		}
	}
	pd := &PerfData{Stats: folder.Stats()}
	pd.Stats.Skipped, pd.Stats.Warnings = sr.Skipped(), sr.Warnings()
	var err error
	if pd.Stacks, err = folder.Stacks(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if pb != nil {
		if pd.Profile, err = pb.Profile(); err != nil {
			return nil, err
		}
	}
	if pd.Windows, err = windows.data(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return pd, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
