package main

import (
	"bytes"
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/compare"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/termsafe"
)

type inspectOptions struct {
	io     *iostreams.IOStreams
	path   string
	asJSON bool
}

func newInspectCmd(io *iostreams.IOStreams) *cobra.Command {
	opts := &inspectOptions{io: io}
	cmd := &cobra.Command{
		Use:   "inspect BUNDLE",
		Short: "Print a bundle's manifest and summary",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.path = args[0]
			return runInspect(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.asJSON, "json", false, "print {\"manifest\": ..., \"summary\": ...} as JSON")
	return cmd
}

// runInspect prints a bundle's manifest and summary (report.WriteInspect),
// or with --json the manifest and summary.json (diff.json for a diff
// bundle) as they are, escaped.
func runInspect(opts *inspectOptions) error {
	listed, err := bundle.ReadManifest(opts.path)
	diff := err == nil && compare.IsDiffBundle(listed)
	switch {
	case diff && opts.asJSON:
		m, files, err := bundle.ReadJSONFiles(opts.path, map[string]int64{compare.DiffJSON: format.MaxSummarySize})
		if err != nil {
			return err
		}
		return printInspectJSON(opts, struct {
			Manifest bundle.Manifest `json:"manifest"`
			Diff     json.RawMessage `json:"diff"`
		}{m, files[compare.DiffJSON]})
	case diff:
		return report.WriteInspectDiff(opts.io.Out, opts.path, listed)
	}
	m, sum, files, err := report.ReadBundle(opts.path, false)
	if err != nil {
		return err
	}
	if opts.asJSON {
		return printInspectJSON(opts, struct {
			Manifest bundle.Manifest `json:"manifest"`
			Summary  json.RawMessage `json:"summary"`
		}{m, files[format.SummaryFile]})
	}
	return report.WriteInspect(opts.io.Out, m, sum)
}

// printInspectJSON prints v, the manifest and one raw JSON file, indented
// and escaped: names from the bundle may hold escapes for a terminal.
func printInspectJSON(opts *inspectOptions, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := opts.io.Out.Write(termsafe.JSON(b.Bytes()))
	return err
}
