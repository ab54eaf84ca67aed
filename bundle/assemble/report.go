package assemble

import (
	"bytes"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
)

// ReportInput is what report.md is rendered from.
type ReportInput struct {
	Manifest bundle.Manifest
	Summary  *format.Summary
	Facts    *facts.Facts
	// Lang is zh or en; Template, when set, is the user's template file.
	Lang, Template string
	// BundleName is the archive's file name, as the report names it.
	BundleName string
	// Comparison, when set, fills the regression sections (run
	// --baseline).
	Comparison *report.Comparison
}

// Report renders report.md from what w holds so far (the report lists the
// files as they will be in the bundle, report.md included) and adds it.
// A failing user template falls back to the built-in one: the returned
// error then says so, and report.md is still written.
func Report(w *bundle.Writer, in ReportInput) (*report.Data, error) {
	files := append(StagedFiles(w.Dir()), bundle.File{Path: "report.md"})
	d := report.NewData(in.Manifest, in.Summary, in.Facts, files, in.Lang)
	d.Bundle.Name = in.BundleName
	d.Comparison = in.Comparison
	var b bytes.Buffer
	tmplErr := report.RenderFile(&b, d, in.Lang, in.Template)
	if tmplErr != nil {
		if in.Template == "" {
			return d, fmt.Errorf("report.md: %w", tmplErr)
		}
		b.Reset()
		if err := report.RenderFile(&b, d, in.Lang, ""); err != nil {
			return d, fmt.Errorf("report.md: %w", err)
		}
		tmplErr = fmt.Errorf("%w; report.md uses the built-in template instead", tmplErr)
	}
	if err := w.AddBytes("report.md", b.Bytes()); err != nil {
		return d, err
	}
	return d, tmplErr
}

// StagedFiles lists what the bundle being written in dir holds so far.
func StagedFiles(dir string) []bundle.File {
	var files []bundle.File
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, bundle.File{Path: filepath.ToSlash(rel), Size: fi.Size()})
		return nil
	})
	return files
}
