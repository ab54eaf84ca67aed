package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// bundleOptions are the flags of `perfcap bundle`.
type bundleOptions struct {
	io     *iostreams.IOStreams
	dir    string
	output string
	lang   string
	quiet  bool
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
	return cmd
}

func runBundle(opts *bundleOptions) error {
	m, err := spool.ReadMeta(opts.dir)
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	if pid := spool.Owner(opts.dir); pid < 0 {
		return &codeError{code: exitError, err: fmt.Errorf("%s is still locked by a watch that is starting or running; end that watch, then run `perfcap bundle %s` again", opts.dir, opts.dir)}
	} else if pid > 0 {
		return &codeError{code: exitError, err: fmt.Errorf("%s is still being written by a watch (pid %d): `kill -USR1 %d` writes a snapshot bundle, `kill -INT %d` ends the watch and writes its bundle", opts.dir, pid, pid, pid)}
	}
	out := opts.output
	if out == "" {
		out = m.Bundle
	}
	if out == "" {
		out = filepath.Clean(opts.dir) + ".tar.zst"
	}
	lang := opts.lang
	if lang == "" {
		lang = m.Lang
	}
	if lang != "en" {
		lang = "zh"
	}
	red, err := redact.New(m.Redact)
	if err != nil {
		return &codeError{code: exitError, err: fmt.Errorf("%s: the watch's --redact: %w", opts.dir, err)}
	}
	wb := &watchBundle{dir: opts.dir, out: out, meta: m, red: red, lang: lang, ended: "recovered"}
	sum, sha, size, err := wb.write()
	if err != nil {
		return err
	}
	if !opts.quiet {
		printWatchSummary(opts.io.ErrOut, out, sum, sha, size)
	}
	return nil
}

// printWatchSummary tells the user what the watch found.
func printWatchSummary(w io.Writer, path string, sum *bundleSummary, sha string, size int64) {
	ws := sum.Watch
	g := ws.Growth
	fmt.Fprintf(w, "perfcap: watched for %s, %s; RSS %s → %s (peak %s), fds %d (max %d)",
		formatElapsed(sum.WallSeconds), report.Plural(int64(sum.Samples), "sample", "samples"), capture.FormatSize(int64(ws.FirstRSSBytes)),
		capture.FormatSize(int64(ws.LastRSSBytes)), capture.FormatSize(int64(sum.PeakRSSBytes)), ws.LastFDs, ws.MaxFDs)
	if ws.Restarts > 0 {
		fmt.Fprintf(w, ", %s", report.Plural(int64(ws.Restarts), "restart", "restarts"))
	}
	fmt.Fprintln(w)
	switch g.Verdict {
	case trend.Growing:
		fmt.Fprintf(w, "perfcap: memory GROWING at %+.3g MiB/h (%.3g to %.3g) since %s\n", g.MiBPerHour, g.LowMiBPerHour, g.HighMiBPerHour, formatElapsed(g.Since.Seconds()))
	case trend.Flat:
		fmt.Fprintf(w, "perfcap: memory flat: %+.3g MiB/h (%.3g to %.3g), %s\n", g.MiBPerHour, g.LowMiBPerHour, g.HighMiBPerHour, g.Reason)
	default:
		fmt.Fprintf(w, "perfcap: memory growth inconclusive: %s\n", g.Reason)
	}
	for _, a := range ws.Alerts {
		fmt.Fprintf(w, "perfcap: alert %s fired at %s: %s (snapshot %s)\n", a.Rule, formatElapsed(a.T), a.Message, a.Snapshot)
	}
	fmt.Fprintf(w, "perfcap: bundle %s (%s), sha256 %s\n", path, capture.FormatSize(size), sha)
}
