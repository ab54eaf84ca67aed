package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/compare"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/units"
)

type reportOptions struct {
	io       *iostreams.IOStreams
	path     string
	lang     string
	template string
	baseline string
}

func newReportCmd(io *iostreams.IOStreams) *cobra.Command {
	opts := &reportOptions{io: io}
	cmd := &cobra.Command{
		Use:   "report BUNDLE [--lang en|zh] [--template FILE]",
		Short: "Render a bundle's performance-issue report again (to stdout)",
		Long: `report renders the pre-filled performance issue from a bundle (.tar.zst or
the GitHub .zip), in Chinese (default) or English, or with your own Go
text/template over the data model described in the README. The bundle's name
and SHA-256 are filled in, so a reader can check they hold the right file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.path = args[0]
			return runReport(opts)
		},
	}
	cmd.Flags().StringVar(&opts.lang, "lang", "zh", "report language: zh or en")
	cmd.Flags().StringVar(&opts.template, "template", "", "render your own Go text/template `FILE` instead")
	cmd.Flags().StringVar(&opts.baseline, "baseline", "", "fill the regression sections by comparing with an earlier run's `BUNDLE` (as perfcap diff does)")
	return cmd
}

func runReport(opts *reportOptions) error {
	m, err := bundle.ReadManifest(opts.path)
	if err != nil {
		return err
	}
	var sum format.Summary
	if err := readBundleJSON(opts.path, "summary.json", &sum); err != nil {
		return err
	}
	env := &facts.Facts{}
	if err := readBundleJSON(opts.path, "env.json", env); err != nil {
		return err
	}
	d := report.NewData(m, &sum, env, m.Files, opts.lang)
	a, err := archiveOf(opts.path)
	if err != nil {
		return err
	}
	d.Bundle = a
	if opts.baseline != "" {
		if d.Comparison, err = baselineComparison(opts.baseline, opts.path); err != nil {
			return err
		}
		d.Comparison.Bundles[len(d.Comparison.Bundles)-1].Archive = a
	}
	var b bytes.Buffer
	if err := report.RenderFile(&b, d, opts.lang, opts.template); err != nil {
		return err
	}
	_, err = opts.io.Out.Write(b.Bytes())
	return err
}

// baselineComparison compares the bundle at path with the baseline bundle.
func baselineComparison(baseline, path string) (*report.Comparison, error) {
	base, err := compare.Load(baseline)
	if err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	cur, err := compare.Load(path)
	if err != nil {
		return nil, err
	}
	return compare.Baseline(base, cur, compare.Options{})
}

func readBundleJSON(path, name string, v any) error {
	raw, err := bundle.ReadFile(path, name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %s: %w", path, name, err)
	}
	return nil
}

// archiveOf names a file and gives its size and SHA-256.
func archiveOf(path string) (report.Archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return report.Archive{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return report.Archive{}, err
	}
	return report.Archive{Name: filepath.Base(path), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

func newExportCmd(io *iostreams.IOStreams) *cobra.Command {
	var github bool
	var out string
	cmd := &cobra.Command{
		Use:   "export --github BUNDLE [-o FILE.zip]",
		Short: "Write a .zip of the bundle that GitHub accepts as an issue attachment",
		Long: `GitHub refuses .zst attachments and files over 25 MB. export --github writes
the bundle's files into a deflate-compressed .zip beside it, dropping the
largest optional files (listed in its manifest and printed here) when needed to
stay under 25,000,000 bytes. perfcap's readers accept the .zip too.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !github {
				return &codeError{code: exitError, err: fmt.Errorf("say which kind of export: perfcap export --github %s", args[0])}
			}
			if out == "" {
				out = zipName(args[0])
			}
			return exportGitHub(io, args[0], out)
		},
	}
	cmd.Flags().BoolVar(&github, "github", false, "write a .zip GitHub accepts (deflate, ≤ 25 MB)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "the .zip's path (default: beside the bundle)")
	return cmd
}

// zipName is the bundle's path with .zip for .tar.zst.
func zipName(bundlePath string) string {
	return bundle.Stem(bundlePath) + ".zip"
}

func exportGitHub(io *iostreams.IOStreams, bundlePath, zipPath string) error {
	rep, err := bundle.ExportZip(bundlePath, zipPath, bundle.ZipOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(io.ErrOut, "perfcap: GitHub attachment %s (%s, sha256 %s)\n", rep.Path, units.FormatSize(rep.Size), rep.SHA256)
	for _, f := range rep.Dropped {
		fmt.Fprintf(io.ErrOut, "perfcap: left out of the .zip to stay under 25 MB: %s (%s)\n", f.Path, units.FormatSize(f.Size))
	}
	return nil
}
