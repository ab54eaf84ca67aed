package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/compare"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/termsafe"
	"github.com/perfcap/perfcap/internal/units"
)

type reportOptions struct {
	io       *iostreams.IOStreams
	path     string
	lang     string
	langSet  bool
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
			opts.langSet = cmd.Flags().Changed("lang")
			return runReport(opts)
		},
	}
	cmd.Flags().StringVar(&opts.lang, "lang", "zh", "report language: zh or en")
	cmd.Flags().StringVar(&opts.template, "template", "", "render your own Go text/template `FILE` instead")
	cmd.Flags().StringVar(&opts.baseline, "baseline", "", "fill the regression sections by comparing with an earlier run's `BUNDLE` (as perfcap diff does)")
	return cmd
}

// runReport renders the report of a bundle. The summary's figures must be
// in range (format.Summary.Problems), and the rendered text is printed with its
// control characters escaped: every string in it came from the bundle.
func runReport(opts *reportOptions) error {
	listed, err := bundle.ReadManifest(opts.path)
	if err != nil {
		return err
	}
	if compare.IsDiffBundle(listed) {
		return printDiffReport(opts, listed)
	}
	_, withEnv := listed.File("env.json")
	m, sum, files, err := report.ReadBundle(opts.path, withEnv)
	if err != nil {
		return err
	}
	if bad := sum.Problems(); len(bad) > 0 {
		return fmt.Errorf("%s: summary.json: figures out of range, the bundle is damaged or was not written by perfcap: %s",
			termsafe.Text(opts.path), strings.Join(bad, ", "))
	}
	// A watch with --no-facts has no env.json: the facts are unknown.
	var env *facts.Facts
	if withEnv {
		if env, err = facts.Read(bytes.NewReader(files["env.json"])); err != nil {
			return fmt.Errorf("%s: %w", termsafe.Text(opts.path), err)
		}
	}
	d := report.NewData(m, sum, env, m.Files, opts.lang)
	a, err := report.ArchiveOf(opts.path)
	if err != nil {
		return err
	}
	d.Bundle = a
	if opts.baseline != "" {
		if d.Comparison, err = compare.LoadBaseline(opts.baseline, opts.path); err != nil {
			return err
		}
		d.Comparison.Bundles[len(d.Comparison.Bundles)-1].Archive = a
	}
	var b bytes.Buffer
	if err := report.RenderFile(&b, d, opts.lang, opts.template); err != nil {
		return err
	}
	_, err = opts.io.Out.Write(termsafe.Document(b.Bytes()))
	return err
}

// printDiffReport prints the report a diff bundle holds, rendered when
// perfcap diff wrote it (the bundle keeps the comparison, not the runs),
// with the bundle's own size and SHA-256 filled in.
func printDiffReport(opts *reportOptions, m bundle.Manifest) error {
	redo := report.ShowArgv(m.Command) + " -o NEW.tar.zst"
	if opts.template != "" || opts.baseline != "" {
		return &codeError{code: exitError, err: fmt.Errorf("%s is a diff bundle: it holds its report as written, not the runs to render another; run perfcap report --template/--baseline on a run's bundle, or compare again: %s",
			termsafe.Text(opts.path), redo)}
	}
	md, err := bundle.ReadFile(opts.path, compare.ReportName)
	if err != nil {
		return err
	}
	a, err := report.ArchiveOf(opts.path)
	if err != nil {
		return err
	}
	md, lang := report.OwnArchive(md, a)
	if opts.langSet && lang != "" && lang != opts.lang {
		return &codeError{code: exitError, err: fmt.Errorf("%s is a diff bundle whose report is in %q; for --lang %s, compare again: %s --lang %s",
			termsafe.Text(opts.path), lang, opts.lang, redo, opts.lang)}
	}
	_, err = opts.io.Out.Write(termsafe.Document(md))
	return err
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
	fmt.Fprintf(io.ErrOut, "perfcap: GitHub attachment %s (%s, sha256 %s)\n", termsafe.Text(rep.Path), units.FormatSize(rep.Size), rep.SHA256)
	if len(rep.Dropped) > 0 {
		fmt.Fprintf(io.ErrOut, "perfcap: %s\n", rep.DroppedText())
	}
	return nil
}
