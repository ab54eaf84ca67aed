package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/units"
	"github.com/perfcap/perfcap/watch"
)

// bundleOptions are the flags of `perfcap bundle`.
type bundleOptions struct {
	io     *iostreams.IOStreams
	dir    string
	output string
	lang   string
	quiet  bool
	force  bool
}

func newBundleCmd(io *iostreams.IOStreams) *cobra.Command {
	opts := &bundleOptions{io: io}
	cmd := &cobra.Command{
		Use:   "bundle SPOOL-DIR",
		Short: "Turn the spool of a watch or run that did not finish (killed, rebooted) into its bundle",
		Long: `perfcap bundle reads the spool directory a watch appends its samples to (or
the .NAME.spool-* staging directory a killed perfcap run left beside its
bundle) and writes the bundle that would have been written, with the growth
verdict, timeline.svg and report.md. The spool is left in place.`,
		Example: `  perfcap bundle perfcap-watch-20261129-101500-server.spool
  perfcap bundle -o leak.tar.zst /var/tmp/watch.spool
  perfcap bundle .perfcap-20261129-101500-cargo.tar.zst.spool-123456`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.dir = args[0]
			return runBundle(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", "write the bundle to `PATH` (default: where the watch would have written it)")
	cmd.Flags().StringVar(&opts.lang, "lang", "", "language of report.md: zh or en (default: the watch's)")
	cmd.Flags().BoolVarP(&opts.quiet, "quiet", "q", false, "print nothing but errors")
	cmd.Flags().BoolVar(&opts.force, "force", false, "replace a file at the bundle's path (default: take the next free name)")
	return cmd
}

func runBundle(opts *bundleOptions) error {
	out := opts.output
	if out != "" {
		out = bundle.OutputPath(out, "", time.Now(), filepath.Base(filepath.Clean(opts.dir)))
	}
	res, err := watch.Recover(opts.dir, watch.RecoverOptions{Out: out, Lang: opts.lang, Force: opts.force})
	var inUse *watch.ErrSpoolInUse
	if errors.Is(err, spool.ErrNotSpool) || errors.As(err, &inUse) {
		return &codeError{code: exitError, err: err}
	}
	if err != nil {
		return err
	}
	if res.Bundle != res.Asked {
		fmt.Fprintf(opts.io.ErrOut, "perfcap: %s already exists; this bundle is %s (--force replaces)\n", res.Asked, res.Bundle)
	}
	if opts.quiet {
		return nil
	}
	if res.Summary.Watch == nil {
		printSummary(opts.io.ErrOut, res.Bundle, &res.Summary.Totals)
		fmt.Fprintf(opts.io.ErrOut, "perfcap: sha256 %s  %s (%s)\n", res.SHA256, filepath.Base(res.Bundle), units.FormatSize(res.Size))
		return nil
	}
	printWatchSummary(opts.io.ErrOut, res.Bundle, res.Summary, res.SHA256, res.Size)
	return nil
}

// printWatchSummary tells the user what the watch found.
func printWatchSummary(w io.Writer, path string, sum *format.Summary, sha string, size int64) {
	ws := sum.Watch
	g := ws.Growth
	fmt.Fprintf(w, "perfcap: watched for %s, %s; RSS %s → %s (peak %s), fds %d (max %d)",
		units.FormatElapsed(sum.WallSeconds), report.Plural(int64(sum.Samples), "sample", "samples"), units.FormatSize(int64(ws.FirstRSSBytes)),
		units.FormatSize(int64(ws.LastRSSBytes)), units.FormatSize(int64(sum.PeakRSSBytes)), ws.LastFDs, ws.MaxFDs)
	if ws.Restarts > 0 {
		fmt.Fprintf(w, ", %s", report.Plural(int64(ws.Restarts), "restart", "restarts"))
	}
	fmt.Fprintln(w)
	switch g.Verdict {
	case trend.Growing:
		fmt.Fprintf(w, "perfcap: memory GROWING at %s since %s\n", g.Rate(), units.FormatElapsed(g.Since.Seconds()))
	case trend.Flat:
		fmt.Fprintf(w, "perfcap: memory flat: %s, %s\n", g.Rate(), g.Reason)
	default:
		fmt.Fprintf(w, "perfcap: memory growth inconclusive: %s\n", g.Reason)
	}
	for _, a := range ws.Alerts {
		fmt.Fprintf(w, "perfcap: alert %s fired at %s: %s (snapshot %s)\n", a.Rule, units.FormatElapsed(a.T), a.Message, a.Snapshot)
	}
	fmt.Fprintf(w, "perfcap: bundle %s (%s), sha256 %s\n", path, units.FormatSize(size), sha)
}
