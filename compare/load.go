package compare

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
)

// Sentinel errors of Load, checked with errors.Is.
var (
	// ErrWatch means the bundle was written by `perfcap watch`: its figures
	// describe hours of a server, not one run, and are not compared.
	ErrWatch = errors.New("compare: a watch bundle")
	// ErrNoSummary means the bundle holds no summary.json, so it is not
	// the bundle of a run (a diff bundle, for one).
	ErrNoSummary = errors.New("compare: not the bundle of a run")
)

// Names of the files Load reads.
const (
	envName    = "env.json"
	foldedName = "perf/folded.txt"
	// benchProfileDir holds one directory per benchmark, each with its
	// own folded.txt, when the bundle has per-benchmark profiles.
	benchProfileDir = "perf/bench/"
)

// Run is one bundle as a comparison needs it.
type Run struct {
	// Path is the bundle's path as given.
	Path     string
	Manifest bundle.Manifest
	Summary  *format.Summary
	// Facts is env.json; nil when the bundle has none.
	Facts *facts.Facts
	// Stacks are perf/folded.txt, the whole run's profile; nil without one.
	Stacks []flame.Stack
	// BenchStacks are the per-benchmark profiles, perf/bench/NAME/folded.txt,
	// by NAME.
	BenchStacks map[string][]flame.Stack
	// Warnings say what could not be used (a folded file that does not
	// parse), one line each.
	Warnings []string
}

// Load reads the bundle at path (.tar.zst or the GitHub .zip) in one pass,
// every file verified against the manifest. It refuses a file that is no
// bundle, a damaged one ([bundle.Error] kinds), a watch bundle (ErrWatch)
// and a bundle without summary.json (ErrNoSummary); each error is one line
// naming the bundle. A folded stacks file that does not parse only adds a
// warning: the benchmarks can still be compared.
func Load(p string) (*Run, error) {
	m, err := bundle.ReadManifest(p)
	if err != nil {
		return nil, err
	}
	r := &Run{Path: p, Manifest: m}
	// Walk verifies each file's SHA-256 once fn returns, so what fn parses
	// is kept only if the whole walk succeeds.
	err = bundle.Walk(p, func(f bundle.File, rd io.Reader) error {
		switch {
		case f.Path == format.SummaryFile:
			s, err := format.ReadSummary(rd)
			if err != nil {
				return fmt.Errorf("%s: %w", oneLine(p), err)
			}
			r.Summary = s
		case f.Path == envName:
			env, err := facts.Read(rd)
			if err != nil {
				return fmt.Errorf("%s: %w", oneLine(p), err)
			}
			r.Facts = env
		case f.Path == foldedName:
			r.Stacks = r.readStacks(f.Path, rd)
		case strings.HasPrefix(f.Path, benchProfileDir) && path.Base(f.Path) == "folded.txt":
			name := strings.TrimPrefix(path.Dir(f.Path), benchProfileDir)
			if name == "" || strings.Contains(name, "/") {
				return nil
			}
			if st := r.readStacks(f.Path, rd); st != nil {
				if r.BenchStacks == nil {
					r.BenchStacks = map[string][]flame.Stack{}
				}
				r.BenchStacks[name] = st
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if r.Summary == nil {
		return nil, fmt.Errorf("%s: %w: it holds no %s (perfcap diff compares bundles of `perfcap -- COMMAND`)", oneLine(p), ErrNoSummary, format.SummaryFile)
	}
	if r.Summary.Watch != nil {
		return nil, fmt.Errorf("%s: %w: perfcap diff compares runs (`perfcap -- COMMAND`); compare watches by their memory verdicts with `perfcap inspect`", oneLine(p), ErrWatch)
	}
	return r, nil
}

// LoadAll loads the bundles at paths concurrently (each Load is a
// decompression and a parse: two bundles take the time of one on two
// cores) and returns them in order, or the first path's error.
func LoadAll(paths []string) ([]*Run, error) {
	runs := make([]*Run, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Go(func() { runs[i], errs[i] = Load(p) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// readStacks parses one folded file, or notes why it cannot.
func (r *Run) readStacks(name string, rd io.Reader) []flame.Stack {
	st, err := flame.ReadFolded(rd)
	if err != nil {
		if !errors.Is(err, flame.ErrEmpty) {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %s: %s; its profile is not compared", oneLine(r.Path), name, oneLine(err.Error())))
		}
		return nil
	}
	return st
}

// Label names the run for tables: its crate version or git commit when the
// facts hold one, else the bundle's file name.
func (r *Run) Label() string {
	if v := r.Version(); v != "" {
		return v
	}
	return path.Base(strings.ReplaceAll(r.Path, "\\", "/"))
}

// Version is what identifies the code that ran: "v0.2.0 (abc1234)",
// "abc1234-dirty", "v0.2.0", or "" when the facts say neither.
func (r *Run) Version() string {
	if r.Facts == nil {
		return ""
	}
	var crate, commit string
	if r.Facts.Cargo != nil && r.Facts.Cargo.Version != "" {
		crate = "v" + strings.TrimPrefix(r.Facts.Cargo.Version, "v")
	}
	if g := r.Facts.Git; g != nil && g.Commit != "" {
		commit = g.Commit[:min(len(g.Commit), 12)]
		if g.Dirty != nil && *g.Dirty {
			commit += "-dirty"
		}
	}
	switch {
	case crate != "" && commit != "":
		return crate + " (" + commit + ")"
	case crate != "":
		return crate
	}
	return commit
}
