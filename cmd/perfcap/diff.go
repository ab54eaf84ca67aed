package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/compare"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/termsafe"
	"github.com/perfcap/perfcap/internal/units"
)

// exitRegressed is diff's exit code when a --fail-on rule is broken.
const exitRegressed = 1

type diffOptions struct {
	io       *iostreams.IOStreams
	paths    []string
	asJSON   bool
	markdown bool
	failOn   []string
	match    string
	output   string
	force    bool
	lang     string
}

func newDiffCmd(io *iostreams.IOStreams) *cobra.Command {
	opts := &diffOptions{io: io}
	cmd := &cobra.Command{
		Use:   "diff BASE NEW [MORE...]",
		Short: "Compare bundles: what got slower, how sure we are, and where",
		Long: `diff compares run bundles (.tar.zst or the GitHub .zip), oldest first: each
bundle after the first against the first. Benchmarks are matched by name and
compared on their raw measurements with benchstat's statistics (median, 95%
interval, Mann-Whitney U test; "~" when not significant at p ≤ 0.05), beside
the runs' resources, the facts that differ (commit, toolchain, build
settings, machine) and the functions whose share of the CPU profile moved.
-o also writes a bundle with the differential flamegraphs, the folded diffs
and the performance-issue report with its regression sections filled.

Exit codes: 0 when no --fail-on rule is broken (always, without rules),
1 when one is (each printed on stderr), 125 when a bundle cannot be read or
a flag is wrong.`,
		Example: `  perfcap diff before.tar.zst after.tar.zst
  perfcap diff --fail-on 'time>5%' --fail-on 'rss>10%' main.tar.zst pr.tar.zst
  perfcap diff --markdown base.tar.zst new.tar.zst > comment.md
  perfcap diff --match '^interp_(.*)$' old.tar.zst new.tar.zst`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return &codeError{code: exitError, err: errors.New("diff needs two bundles or more, oldest first: perfcap diff BASE NEW [MORE...]")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.paths = args
			return runDiff(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.asJSON, "json", false, "print the comparison as JSON")
	f.BoolVar(&opts.markdown, "markdown", false, "print Markdown ready to paste as a pull-request comment")
	f.StringArrayVar(&opts.failOn, "fail-on", nil, "exit 1 when the newest bundle breaks `RULE`: time>5% (a significant benchmark slowdown), rss>10%, wall>3%, ... (repeatable)")
	f.StringVar(&opts.match, "match", "", "pair benchmarks by the groups of `REGEX` matched against their names")
	f.StringVarP(&opts.output, "output", "o", "", "also write a diff bundle `DIFF.tar.zst`: diff.json, differential flamegraphs, folded diffs, report.md")
	f.BoolVar(&opts.force, "force", false, "replace a file at the -o path (otherwise the bundle takes the next free name)")
	f.StringVar(&opts.lang, "lang", "zh", "language of the bundle's report.md: zh or en")
	return cmd
}

func runDiff(ctx context.Context, opts *diffOptions) error {
	if opts.asJSON && opts.markdown {
		return &codeError{code: exitError, err: errors.New("--json and --markdown are exclusive: choose one output")}
	}
	if !slices.Contains(report.Langs, opts.lang) {
		return &codeError{code: exitError, err: fmt.Errorf("--lang %q: the report is written in %s", opts.lang, strings.Join(report.Langs, " or "))}
	}
	var copts compare.Options
	if opts.match != "" {
		re, err := compare.CompileMatch(opts.match)
		if err != nil {
			return &codeError{code: exitError, err: err}
		}
		copts.Match = re
	}
	var rules []compare.Rule
	for _, s := range opts.failOn {
		r, err := compare.ParseRule(s)
		if err != nil {
			return &codeError{code: exitError, err: err}
		}
		rules = append(rules, r)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	runs, err := compare.LoadAll(opts.paths)
	if err != nil {
		return err
	}
	d, err := compare.New(runs, copts)
	if err != nil {
		return err
	}
	d.Violations = d.Check(rules)
	switch {
	case opts.asJSON:
		var b []byte
		if b, err = json.MarshalIndent(d, "", "  "); err == nil {
			// Names from the bundles may hold escapes for a terminal.
			_, err = opts.io.Out.Write(append(termsafe.JSON(b), '\n'))
		}
	case opts.markdown:
		err = compare.WriteMarkdown(opts.io.Out, d)
	default:
		err = compare.WriteText(opts.io.Out, d, compare.TextOptions{Color: opts.io.OutTTY != nil && !opts.io.NoColor})
	}
	if err != nil {
		return err
	}
	if opts.output != "" {
		if err := writeDiffBundle(opts, d, runs); err != nil {
			return err
		}
	}
	for _, v := range d.Violations {
		fmt.Fprintf(opts.io.ErrOut, "perfcap: regression: %s\n", v.Message)
	}
	if len(d.Violations) > 0 {
		return &codeError{code: exitRegressed}
	}
	return nil
}

// writeDiffBundle writes the -o bundle and names it on stderr.
func writeDiffBundle(opts *diffOptions, d *compare.Diff, runs []*compare.Run) error {
	red, err := redact.New(nil)
	if err != nil {
		return err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	w, err := compare.WriteBundle(opts.output, d, runs, compare.BundleOptions{
		Redactor: red, Force: opts.force, Lang: opts.lang, PerfcapVersion: version,
		Command: append([]string{"perfcap", "diff"}, opts.paths...), Cwd: cwd,
	})
	if err != nil {
		return err
	}
	sha, size := w.Archive()
	fmt.Fprintf(opts.io.ErrOut, "perfcap: diff bundle %s (%s, sha256 %s)\n", w.Path(), units.FormatSize(size), sha)
	return nil
}
