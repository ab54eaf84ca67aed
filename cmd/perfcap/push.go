package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/termsafe"
	"github.com/perfcap/perfcap/metrics"
)

// pushOptions are the flags of `perfcap push`, and of `perfcap run --push
// / --pyroscope`: where a finished bundle goes besides the disk.
type pushOptions struct {
	io        *iostreams.IOStreams
	gateway   string
	pyroscope string
	tenant    string
	path      string
	job       string
	host      string
	labels    []string
	timeout   time.Duration
	attempts  int
	quiet     bool
	// backoff is the wait before the second attempt; tests shorten it.
	backoff time.Duration
	// getenv reads the credentials; tests replace it.
	getenv func(string) string
	// client sends the requests; tests give one that trusts their TLS server.
	client *http.Client
	// parsed are the --label pairs, once checked.
	parsed map[string]string
}

func newPushCmd(io *iostreams.IOStreams) *cobra.Command {
	opts := &pushOptions{io: io}
	cmd := &cobra.Command{
		Use:   "push [PUSHGATEWAY-URL] BUNDLE",
		Short: "Send a bundle's figures to a Pushgateway and its CPU profiles to Pyroscope",
		Long: `perfcap push sends the wall time, CPU, peak RSS, exit code and each
benchmark's estimate of BUNDLE to the Prometheus Pushgateway at
PUSHGATEWAY-URL, as the group of --job and the --label pairs: the next push
of the same job and labels (the next CI run) replaces it. Series are
labelled with the git commit of env.json and --host.

With --pyroscope URL it also uploads the bundle's CPU profiles (the whole
run's perf/profile.pb.gz, and perf/bench/NAME/profile.pb.gz for each
benchmark profiled on its own) to Pyroscope's /ingest API over the run's
time range: application JOB.cpu (JOB.bench.cpu for the benchmarks', with a
benchmark label), labelled with host, commit and the --label pairs.
PUSHGATEWAY-URL may then be left out.

Credentials come from the environment only: PERFCAP_PUSH_USER and
PERFCAP_PUSH_PASSWORD (basic auth) or PERFCAP_PUSH_TOKEN (bearer token) for
the Pushgateway; PERFCAP_PYROSCOPE_USER and PERFCAP_PYROSCOPE_PASSWORD or
PERFCAP_PYROSCOPE_TOKEN for Pyroscope, and PERFCAP_PYROSCOPE_TENANT (or
--pyroscope-tenant) for the X-Scope-OrgID of a multi-tenant Pyroscope.

A push that fails (server down, timeout, 5xx after the retries, rejected)
is a warning on stderr and perfcap push still exits 0: monitoring never
fails a build. A bundle that cannot be read, a bad flag, or a URL with
credentials in it exits 125.`,
		Example: `  perfcap push http://pushgateway:9091 perfcap-run-20260101-120000-cargo.tar.zst
  PERFCAP_PUSH_TOKEN=... perfcap push --job nightly-bench --label branch=main https://metrics.example/ run.tar.zst
  perfcap push --pyroscope http://pyroscope:4040 --label branch=main run.tar.zst`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.path = args[len(args)-1]
			if len(args) == 2 {
				opts.gateway = args[0]
			}
			return runPush(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	addPushFlags(cmd, opts)
	f.StringVar(&opts.host, "host", "", "the host label (default: this machine's hostname)")
	f.DurationVar(&opts.timeout, "timeout", 10*time.Second, "give up an attempt after `DURATION`")
	f.IntVar(&opts.attempts, "attempts", 3, "try at most `N` times (network errors, timeouts, 5xx and 429 are retried)")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "say nothing when the push succeeds")
	return cmd
}

// addPushFlags adds the flags push and run share.
func addPushFlags(cmd *cobra.Command, opts *pushOptions) {
	f := cmd.Flags()
	f.StringVar(&opts.pyroscope, "pyroscope", "", "upload the CPU profiles to the Pyroscope server at `URL` (/ingest)")
	f.StringVar(&opts.tenant, "pyroscope-tenant", "", "send `ID` as X-Scope-OrgID to a multi-tenant Pyroscope (default $PERFCAP_PYROSCOPE_TENANT)")
	f.StringVar(&opts.job, "job", "", "the Pushgateway job, which pushes of the same job replace, and the Pyroscope application (default: the command's name)")
	f.StringArrayVar(&opts.labels, "label", nil, "add `NAME=VALUE` to the Pushgateway group (so only pushes with the same labels replace it) and to the Pyroscope labels (repeatable)")
}

func runPush(ctx context.Context, opts *pushOptions) error {
	if opts.gateway == "" && opts.pyroscope == "" {
		return &codeError{code: exitError, err: errors.New("nowhere to push: give the Pushgateway's URL before the bundle (perfcap push http://pushgateway:9091 BUNDLE), --pyroscope URL, or both")}
	}
	if err := opts.check(); err != nil {
		return &codeError{code: exitError, err: err}
	}
	if opts.attempts < 1 || opts.timeout <= 0 {
		return &codeError{code: exitError, err: fmt.Errorf("--attempts %d --timeout %v: want at least one attempt and a timeout above 0", opts.attempts, opts.timeout)}
	}
	if err := opts.send(ctx); err != nil {
		return &codeError{code: exitError, err: err}
	}
	return nil
}

// enabled tells whether the bundle goes anywhere.
func (opts *pushOptions) enabled() bool { return opts.gateway != "" || opts.pyroscope != "" }

// check validates the URLs and labels, before anything runs.
func (opts *pushOptions) check() error {
	if !opts.enabled() {
		if opts.job != "" || len(opts.labels) > 0 || opts.tenant != "" {
			return errors.New("--job, --label and --pyroscope-tenant describe a push: give --push URL or --pyroscope URL too")
		}
		return nil
	}
	if opts.gateway != "" {
		if err := metrics.CheckGateway(opts.gateway); err != nil {
			return err
		}
	}
	if opts.pyroscope != "" {
		if err := metrics.CheckPyroscope(opts.pyroscope); err != nil {
			return err
		}
	}
	labels, err := metrics.ParseLabels(opts.labels, metrics.PushLabels...)
	if err != nil {
		return err
	}
	opts.parsed = labels
	return nil
}

// send reads the bundle at opts.path and sends it where opts say. Only a
// bundle that cannot be read is an error: failed pushes are warnings.
func (opts *pushOptions) send(ctx context.Context) error {
	run, err := metrics.ReadRun(opts.path)
	if err != nil {
		return err
	}
	run.Labels = opts.parsed
	if opts.job != "" {
		run.Job = opts.job
	}
	run.Host = opts.host
	if run.Host == "" {
		run.Host, _ = os.Hostname()
	}
	if opts.gateway != "" {
		pushRun(ctx, opts, run)
	}
	if opts.pyroscope != "" {
		return uploadProfiles(ctx, opts, run)
	}
	return nil
}

// pushOpts are the metrics package's options from the flags.
func (opts *pushOptions) pushOpts() metrics.PushOptions {
	return metrics.PushOptions{Timeout: opts.timeout, Attempts: opts.attempts, Backoff: opts.backoff,
		Getenv: opts.getenv, Warn: warnTo(opts.io.ErrOut), Client: opts.client}
}

// pushRun pushes run and reports on stderr; a failure is a warning only.
func pushRun(ctx context.Context, opts *pushOptions, run *metrics.Run) {
	warn := warnTo(opts.io.ErrOut)
	if _, skipped := run.Collector(); skipped > 0 {
		warn(fmt.Sprintf("%d benchmarks listed twice in the bundle: the first estimate of each is pushed", skipped))
	}
	if err := metrics.Push(ctx, opts.gateway, run, opts.pushOpts()); err != nil {
		warn(fmt.Sprintf("warning: the push to the Pushgateway failed: %v; the bundle is unchanged, push it again later with `%s`",
			err, opts.again(opts.gateway)))
		return
	}
	if !opts.quiet {
		warn(fmt.Sprintf("pushed %d benchmarks and the run's totals to %s as job %q", len(run.Summary.Benchmarks), opts.gateway, run.Job))
	}
}

// again is the perfcap push command that sends the bundle to target
// again, with the same job, host, labels and tenant.
func (opts *pushOptions) again(target string) string {
	words := []string{"perfcap push"}
	if opts.job != "" {
		words = append(words, "--job "+strconv.Quote(opts.job))
	}
	if opts.host != "" {
		words = append(words, "--host "+strconv.Quote(opts.host))
	}
	for _, l := range opts.labels {
		words = append(words, "--label "+strconv.Quote(l))
	}
	if opts.tenant != "" && strings.HasPrefix(target, "--pyroscope") {
		words = append(words, "--pyroscope-tenant "+strconv.Quote(opts.tenant))
	}
	return termsafe.Escape(strings.Join(append(words, target, strconv.Quote(opts.path)), " "))
}

// uploadProfiles uploads the bundle's CPU profiles to Pyroscope and
// reports on stderr; a failed upload is a warning only.
func uploadProfiles(ctx context.Context, opts *pushOptions, run *metrics.Run) error {
	warn := warnTo(opts.io.ErrOut)
	profiles, warnings, err := metrics.ReadProfiles(opts.path)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		warn("warning: " + termsafe.Escape(w))
	}
	if len(profiles) == 0 {
		warn(fmt.Sprintf("warning: %s holds no CPU profile (%s): nothing to upload to Pyroscope; perf recorded no stacks (see the bundle's summary.json warnings)",
			termsafe.Text(opts.path), metrics.RunProfileFile))
		return nil
	}
	popts := metrics.PyroscopeOptions{PushOptions: opts.pushOpts(), Tenant: opts.tenant}
	var keys []string
	for _, u := range run.ProfileUploads(profiles) {
		if err := metrics.UploadProfile(ctx, opts.pyroscope, u, popts); err != nil {
			warn(fmt.Sprintf("warning: the upload of %s to Pyroscope failed: %v; the bundle is unchanged, upload it again later with `%s`",
				u.Profile.File, err, opts.again("--pyroscope "+opts.pyroscope)))
			return nil // the next would fail alike: do not wait for each
		}
		keys = append(keys, u.Key())
	}
	if !opts.quiet {
		what := "1 CPU profile"
		if len(keys) != 1 {
			what = fmt.Sprintf("%d CPU profiles", len(keys))
		}
		warn(fmt.Sprintf("uploaded %s to Pyroscope at %s: %s", what, opts.pyroscope, termsafe.Escape(strings.Join(keys, " "))))
	}
	return nil
}
