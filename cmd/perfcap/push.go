package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/metrics"
)

// pushOptions are the flags of `perfcap push`.
type pushOptions struct {
	io       *iostreams.IOStreams
	gateway  string
	path     string
	job      string
	host     string
	labels   []string
	timeout  time.Duration
	attempts int
	quiet    bool
	// backoff is the wait before the second attempt; tests shorten it.
	backoff time.Duration
	// getenv reads the credentials; tests replace it.
	getenv func(string) string
}

func newPushCmd(io *iostreams.IOStreams) *cobra.Command {
	opts := &pushOptions{io: io}
	cmd := &cobra.Command{
		Use:   "push URL BUNDLE",
		Short: "Send a bundle's figures to a Prometheus Pushgateway",
		Long: `perfcap push sends the wall time, CPU, peak RSS, exit code and each
benchmark's estimate of BUNDLE to the Prometheus Pushgateway at URL, as the
group of --job and the --label pairs: the next push of the same job and
labels (the next CI run) replaces it. Series are labelled with the git
commit of env.json and --host.

Credentials come from the environment only: PERFCAP_PUSH_USER and
PERFCAP_PUSH_PASSWORD (basic auth) or PERFCAP_PUSH_TOKEN (bearer token).

A push that fails (server down, timeout, 5xx after the retries, rejected)
is a warning on stderr and perfcap push still exits 0: monitoring never
fails a build. A bundle that cannot be read, a bad flag, or a URL with
credentials in it exits 125.`,
		Example: `  perfcap push http://pushgateway:9091 perfcap-run-20260101-120000-cargo.tar.zst
  PERFCAP_PUSH_TOKEN=... perfcap push --job nightly-bench --label branch=main https://metrics.example/ run.tar.zst`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.gateway, opts.path = args[0], args[1]
			return runPush(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.job, "job", "", "the Pushgateway job, which pushes of the same job replace (default: the command's name)")
	f.StringVar(&opts.host, "host", "", "the host label (default: this machine's hostname)")
	f.StringArrayVar(&opts.labels, "label", nil, "add `NAME=VALUE` to the group, so only pushes with the same labels replace it (repeatable)")
	f.DurationVar(&opts.timeout, "timeout", 10*time.Second, "give up an attempt after `DURATION`")
	f.IntVar(&opts.attempts, "attempts", 3, "try at most `N` times (network errors, timeouts, 5xx and 429 are retried)")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "say nothing when the push succeeds")
	return cmd
}

func runPush(ctx context.Context, opts *pushOptions) error {
	if err := metrics.CheckGateway(opts.gateway); err != nil {
		return &codeError{code: exitError, err: err}
	}
	labels, err := metrics.ParseLabels(opts.labels, metrics.PushLabels...)
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	if opts.attempts < 1 || opts.timeout <= 0 {
		return &codeError{code: exitError, err: fmt.Errorf("--attempts %d --timeout %v: want at least one attempt and a timeout above 0", opts.attempts, opts.timeout)}
	}
	run, err := metrics.ReadRun(opts.path)
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	run.Labels = labels
	if opts.job != "" {
		run.Job = opts.job
	}
	run.Host = opts.host
	if run.Host == "" {
		run.Host, _ = os.Hostname()
	}
	pushRun(ctx, opts, run)
	return nil
}

// pushRun pushes run and reports on stderr; a failure is a warning only.
func pushRun(ctx context.Context, opts *pushOptions, run *metrics.Run) {
	warn := func(msg string) { fmt.Fprintf(opts.io.ErrOut, "perfcap: %s\n", msg) }
	if _, skipped := run.Collector(); skipped > 0 {
		warn(fmt.Sprintf("%d benchmarks listed twice in the bundle: the first estimate of each is pushed", skipped))
	}
	err := metrics.Push(ctx, opts.gateway, run, metrics.PushOptions{
		Timeout: opts.timeout, Attempts: opts.attempts, Backoff: opts.backoff, Getenv: opts.getenv, Warn: warn,
	})
	if err != nil {
		warn(fmt.Sprintf("warning: the push to the Pushgateway failed: %v; the bundle is unchanged, push it again later with `perfcap push %s %s`",
			err, opts.gateway, strconv.Quote(opts.path)))
		return
	}
	if !opts.quiet {
		warn(fmt.Sprintf("pushed %d benchmarks and the run's totals to %s as job %q", len(run.Summary.Benchmarks), opts.gateway, run.Job))
	}
}
