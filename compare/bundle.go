package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
)

// Files of a diff bundle.
const (
	// DiffJSON is the Diff as `perfcap diff --json` prints it.
	DiffJSON = "diff.json"
	// ReportName is the performance-issue report of the newest run with
	// the regression sections filled.
	ReportName = "report.md"
)

// IsDiffBundle says whether a manifest is a diff bundle's (diff.json and
// report.md, no summary.json), which holds a comparison, not a run.
func IsDiffBundle(m bundle.Manifest) bool {
	_, diff := m.File(DiffJSON)
	_, sum := m.File(format.SummaryFile)
	return diff && !sum
}

// ProfileFiles are the paths of a compared profile's differential
// flamegraph and folded diff in a diff bundle: perf/diff.svg and
// perf/diff.folded for the whole run of the newest bundle against the base,
// perf/bench/NAME/… for a benchmark's own profile; a comparison of an
// intermediate bundle (the K-th of more than two) gets a "K/" directory
// after "perf/".
func ProfileFiles(d *Diff, c *Comparison, p *Profile) (svg, folded string) {
	dir := "perf/"
	if c != d.Comparisons[len(d.Comparisons)-1] {
		dir += fmt.Sprintf("%d/", c.New+1)
	}
	if p.Name != "" {
		dir += "bench/" + p.Name + "/"
	}
	return dir + "diff.svg", dir + "diff.folded"
}

// BundleOptions configures WriteBundle.
type BundleOptions struct {
	// Redactor is the bundle writer's redaction step (required).
	Redactor bundle.Redactor
	// Force replaces a file at the path; without it the bundle takes the
	// next free name (bundle.FreeName), which Writer.Path says.
	Force bool
	// Lang is the report's language ("zh", the default, or "en").
	Lang string
	// PerfcapVersion goes into the manifest; Command is perfcap's own
	// command line, Cwd its directory.
	PerfcapVersion string
	Command        []string
	Cwd            string
}

// WriteBundle writes the diff bundle at path (format version 1, every file
// in the manifest with its SHA-256, as a run's): diff.json; for each
// compared profile its differential flamegraph (flame.WriteDiffSVG) and
// folded diff (WriteFoldedDiff, counts as recorded: pipe it to
// flamegraph.pl, or normalise with difffolded.pl -n's arithmetic); and
// report.md, the performance-issue report of the newest run with the
// regression sections filled from the comparison (ReportComparison). runs
// are the compared runs, in d's order. It returns the writer, closed, so
// the caller can name the bundle (Path, Archive).
func WriteBundle(path string, d *Diff, runs []*Run, opts BundleOptions) (w *bundle.Writer, err error) {
	w, err = bundle.NewWriterWith(path, bundle.WriterOptions{Redactor: opts.Redactor, Force: opts.Force})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	started := time.Now().UTC()
	js, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", DiffJSON, err)
	}
	if err := w.AddBytes(DiffJSON, append(js, '\n')); err != nil {
		return nil, err
	}
	for _, c := range d.Comparisons {
		for _, p := range append([]*Profile{c.Profile}, c.BenchProfiles...) {
			if p == nil {
				continue
			}
			if err := addProfile(w, d, c, p); err != nil {
				return nil, err
			}
		}
	}
	archives := make([]report.Archive, len(runs))
	for i, r := range runs {
		if archives[i], err = report.ArchiveOf(r.Path); err != nil {
			return nil, err
		}
	}
	last := runs[len(runs)-1]
	rd := report.NewData(last.Manifest, last.Summary, last.Facts, nil, opts.Lang)
	rd.Comparison = d.ReportComparison(archives)
	rd.Bundle = report.Archive{Name: filepath.Base(w.NextPath())}
	// The report's attachments are this bundle's files, as Close will
	// pack them (redacted).
	if err := w.Redact(); err != nil {
		return nil, err
	}
	staged, err := w.Staged()
	if err != nil {
		return nil, err
	}
	for _, f := range staged {
		rd.Attachments = append(rd.Attachments, report.Attachment{Path: f.Path, Size: f.Size, Description: describe(f.Path, opts.Lang)})
	}
	var md bytes.Buffer
	if err := report.Render(&md, rd, opts.Lang); err != nil {
		return nil, err
	}
	if err := w.AddBytes(ReportName, md.Bytes()); err != nil {
		return nil, err
	}
	m := bundle.Manifest{PerfcapVersion: opts.PerfcapVersion, Command: opts.Command, Cwd: opts.Cwd, Started: started, Ended: time.Now().UTC()}
	if err := w.Close(m); err != nil {
		return nil, err
	}
	return w, nil
}

// addProfile writes one profile's differential flamegraph and folded diff.
func addProfile(w *bundle.Writer, d *Diff, c *Comparison, p *Profile) error {
	svgName, foldedName := ProfileFiles(d, c, p)
	title := fmt.Sprintf("Differential flame graph: %s → %s", d.Bundles[c.Base].Label, d.Bundles[c.New].Label)
	if p.Name != "" {
		title += " — " + p.Name
	}
	var svg bytes.Buffer
	err := flame.WriteDiffSVG(&svg, p.DiffStacks(), flame.SVGOptions{
		Title:    title,
		Subtitle: "width: the new profile's samples; red: the frame's self share grew, blue: it shrank (each profile's shares of its own samples)",
	})
	if err != nil {
		return fmt.Errorf("%s: %w", svgName, err)
	}
	if err := w.AddBytes(svgName, svg.Bytes()); err != nil {
		return err
	}
	var folded bytes.Buffer
	if err := WriteFoldedDiff(&folded, p.DiffStacks(), false); err != nil {
		return err
	}
	return w.AddBytes(foldedName, folded.Bytes())
}

// describe says what a file of a diff bundle holds.
func describe(p, lang string) string {
	zh := lang != "en"
	switch {
	case p == DiffJSON:
		return pickLang(zh, "the comparison: benchmarks, resources, facts, profiles (perfcap diff --json)", "对比结果：基准、资源、环境差异、剖析（perfcap diff --json）")
	case filepath.Ext(p) == ".svg":
		return pickLang(zh, "differential flame graph: red grew, blue shrank", "差分火焰图：红色变多，蓝色变少")
	case filepath.Ext(p) == ".folded":
		return pickLang(zh, "folded diff, difffolded.pl's \"stack base new\" format", "折叠栈差分（difffolded.pl 的“栈 基线 新”格式）")
	}
	return ""
}

func pickLang(zh bool, en, zhText string) string {
	if zh {
		return zhText
	}
	return en
}
