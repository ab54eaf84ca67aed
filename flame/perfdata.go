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

// PerfDataOptions says how FoldPerfData and FoldScript read stacks.
type PerfDataOptions struct {
	// Fold groups and annotates the stacks.
	Fold FoldOptions
	// Collapse, when set, is given the text too, through an io.TeeReader,
	// to fold it as stackcollapse-perf.pl does in the same pass.
	Collapse *Collapser
	// Profile also builds a pprof profile in the same pass, with Comment.
	Profile bool
	Comment string
	// Inline lets perf script resolve inlined frames (slow).
	Inline bool
	// Run runs perf script to completion, for a caller whose children must
	// go through a runner of its own (a capture's reaper); its output is
	// then spooled to a file in TempDir. Nil streams perf script as a plain
	// child.
	Run     func(*exec.Cmd) error
	TempDir string
	// Warn receives each record the reader skipped; nil drops them.
	Warn func(string)
}

// FoldPerfData runs `perf script` over the perf.data file input and folds
// its output. This is the one place perfcap launches perf script.
func FoldPerfData(ctx context.Context, input string, opts PerfDataOptions) ([]Stack, *profile.Profile, error) {
	if _, err := exec.LookPath("perf"); err != nil {
		return nil, nil, fmt.Errorf("%s is perf.data, and reading it needs perf: install it (Debian: apt-get install linux-perf)", input)
	}
	args := []string{"script", "-i", input}
	if !opts.Inline {
		args = append(args, "--no-inline")
	}
	cmd := exec.CommandContext(ctx, "perf", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	failed := func(err error) error {
		return fmt.Errorf("perf script -i %s: %v: %s", input, err, strings.TrimSpace(firstLine(stderr.String())))
	}
	if opts.Run != nil {
		out, err := os.CreateTemp(opts.TempDir, ".perf-script-*")
		if err != nil {
			return nil, nil, err
		}
		defer os.Remove(out.Name())
		defer out.Close()
		cmd.Stdout = out
		if err := opts.Run(cmd); err != nil {
			return nil, nil, failed(err)
		}
		if _, err := out.Seek(0, io.SeekStart); err != nil {
			return nil, nil, err
		}
		return FoldScriptProfile(out, input, opts)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("perf script: %w", err)
	}
	stacks, prof, ferr := FoldScriptProfile(out, input, opts)
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return nil, nil, failed(err)
	}
	return stacks, prof, ferr
}

// FoldScriptProfile folds perf script text read from r (named name in errors),
// building the pprof profile alongside when opts.Profile is set.
func FoldScriptProfile(r io.Reader, name string, opts PerfDataOptions) ([]Stack, *profile.Profile, error) {
	folder := NewFolder(opts.Fold)
	var pb *ProfileBuilder
	if opts.Profile {
		pb = NewProfileBuilder(ProfileOptions{Comment: opts.Comment})
	}
	if opts.Collapse != nil {
		r = io.TeeReader(r, opts.Collapse)
	}
	sr := NewScriptReader(r)
	for sr.Scan() {
		folder.Add(sr.Sample())
		if pb != nil {
			pb.Add(sr.Sample())
		}
	}
	if err := sr.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if opts.Warn != nil {
		for _, w := range sr.Warnings() {
			opts.Warn(fmt.Sprintf("%s:%v (record skipped)", name, w))
		}
	}
	stacks, err := folder.Stacks()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	var prof *profile.Profile
	if pb != nil {
		if prof, err = pb.Profile(); err != nil {
			return nil, nil, err
		}
	}
	return stacks, prof, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
