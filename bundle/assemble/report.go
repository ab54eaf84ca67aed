package assemble

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
)

// ReportFile is the report's name in a bundle.
const ReportFile = "report.md"

// ReportInput is what report.md is rendered from.
type ReportInput struct {
	// Manifest is the bundle's manifest as the caller will pass it to
	// Close; its Files are filled here from what is staged.
	Manifest bundle.Manifest
	Summary  *format.Summary
	Facts    *facts.Facts
	// Lang is zh or en; Template, when set, is the user's template file.
	Lang, Template string
	// Comparison, when set, fills the regression sections (run
	// --baseline).
	Comparison *report.Comparison
}

// Report renders report.md from what w holds so far and adds it. It must
// be the last file staged: the report is what `perfcap report` renders
// from the finished bundle — the same files, redacted as Close packs them
// (report.md itself with its own size), the redacted command, the name
// Close will take — except the bundle's own size and SHA-256, which no
// file inside the bundle can hold; the report says where to find them
// instead. A failing user template falls back to the built-in one: the
// returned error then says so, and report.md is still written.
func Report(w *bundle.Writer, in ReportInput) (*report.Data, error) {
	if err := w.Redact(); err != nil {
		return nil, fmt.Errorf("%s: %w", ReportFile, err)
	}
	staged, err := w.Staged()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ReportFile, err)
	}
	files := slices.DeleteFunc(staged, func(f bundle.File) bool { return f.Path == ReportFile })
	self := bundle.File{Path: ReportFile}
	at, _ := slices.BinarySearchFunc(files, self, func(a, b bundle.File) int { return strings.Compare(a.Path, b.Path) })
	files = slices.Insert(files, at, self)
	name := filepath.Base(w.NextPath())

	// The report lists its own size, which depends on the text: render
	// until the size it states is its size. The size is printed rounded
	// (12.4 KiB), so this settles in two or three renderings — except at
	// a rounding step where the larger figure is the shorter string
	// ("14.9 KiB" makes the file 15 KiB, "15 KiB" makes it 14.9 KiB).
	// There no rendering states its own size, and the one stating the
	// larger size is padded with blank lines at its end up to that size.
	var (
		d       *report.Data
		text    []byte
		tmplErr error
	)
	m := w.RedactManifest(in.Manifest)
	short := map[int64]int64{} // stated size → the shorter size it rendered to
	for range 8 {
		m.Files = files
		d = report.NewData(m, in.Summary, in.Facts, files, in.Lang)
		d.Bundle.Name = name
		d.Comparison = in.Comparison
		if text, tmplErr, err = render(d, in.Lang, in.Template); err != nil {
			return d, fmt.Errorf("%s: %w", ReportFile, err)
		}
		packed, err := w.RedactBytes(ReportFile, text)
		if err != nil {
			return d, err
		}
		stated, got := files[at].Size, int64(len(packed))
		if got == stated {
			break
		}
		if pad := stated - got; pad > 0 && pad <= maxReportPad {
			if short[stated] == got { // seen before: a cycle
				text = append(text, bytes.Repeat([]byte("\n"), int(pad))...)
				break
			}
			short[stated] = got
		}
		files = slices.Clone(files)
		files[at].Size = got
	}
	if err := w.AddRedacted(ReportFile, text); err != nil {
		return d, err
	}
	return d, tmplErr
}

// maxReportPad bounds the blank lines report.md may end with so that it
// states its own size: the difference in length of two renderings of a
// size in units.FormatBytes3 ("14.9 KiB", "15 KiB").
const maxReportPad = 16

// render renders d with the user's template, or the built-in one when
// there is none or it fails (tmplErr then says so).
func render(d *report.Data, lang, template string) (text []byte, tmplErr, err error) {
	var b bytes.Buffer
	tmplErr = report.RenderFile(&b, d, lang, template)
	if tmplErr == nil {
		return b.Bytes(), nil, nil
	}
	if template == "" {
		return nil, nil, tmplErr
	}
	b.Reset()
	if err := report.RenderFile(&b, d, lang, ""); err != nil {
		return nil, nil, err
	}
	return b.Bytes(), fmt.Errorf("%s: %w; report.md uses the built-in template instead", ReportFile, tmplErr), nil
}
