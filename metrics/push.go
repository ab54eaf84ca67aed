package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
)

// The environment variables perfcap push takes credentials from; they are
// never flags (a command line is visible to every user of the machine and
// lands in shell history) and never written to a bundle.
const (
	EnvPushUser     = "PERFCAP_PUSH_USER"
	EnvPushPassword = "PERFCAP_PUSH_PASSWORD"
	EnvPushToken    = "PERFCAP_PUSH_TOKEN"
)

// PushLabels are the labels perfcap push sets itself.
var PushLabels = []string{"job", "instance", "benchmark", "tool", "package", "commit", "host"}

// ErrPushRejected means the Pushgateway answered with a status that
// retrying cannot change (bad credentials, a malformed push).
var ErrPushRejected = errors.New("metrics: push rejected")

// Run is what perfcap push sends of one bundle.
type Run struct {
	// Job names the group: a push replaces everything earlier pushes of
	// the same job and Labels sent. Commit and Host label the series.
	Job, Commit, Host string
	Labels            map[string]string
	Summary           *format.Summary
	Started           time.Time
}

// ReadRun reads what a push needs from a bundle: summary.json, the start
// from the manifest, the git commit from env.json (when the bundle has
// one), and the default job, the command's name.
func ReadRun(path string) (*Run, error) {
	m, err := bundle.ReadManifest(path)
	if err != nil {
		return nil, err
	}
	raw, err := bundle.ReadFile(path, format.SummaryFile)
	if err != nil {
		return nil, err
	}
	sum, err := format.ReadSummary(strings.NewReader(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := &Run{Summary: sum, Started: m.Started}
	if len(m.Command) > 0 {
		r.Job = filepath.Base(m.Command[0])
	}
	if raw, err := bundle.ReadFile(path, "env.json"); err == nil {
		if env, err := facts.Read(strings.NewReader(string(raw))); err == nil && env.Git != nil {
			r.Commit = env.Git.Commit
		}
	}
	return r, nil
}

// Collector returns the run's figures as constant gauges: wall, CPU, peak
// RSS, exit code, start time, and each benchmark's estimate in seconds. A
// benchmark listed twice (same tool, package and name) keeps its first
// estimate; skipped counts the others.
func (r *Run) Collector() (c prometheus.Collector, skipped int) {
	labels := prometheus.Labels{"commit": r.Commit, "host": r.Host}
	gauge := func(name, help string, v float64) prometheus.Metric {
		return prometheus.MustNewConstMetric(prometheus.NewDesc(name, help, nil, labels), prometheus.GaugeValue, v)
	}
	s := r.Summary
	ms := []prometheus.Metric{
		gauge("perfcap_run_wall_seconds", "Wall time of the command.", s.WallSeconds),
		gauge("perfcap_run_cpu_seconds", "User and system CPU of the command's process tree.", s.UserSeconds+s.SysSeconds),
		gauge("perfcap_run_peak_rss_bytes", "Peak resident set size of the command's process tree.", float64(s.PeakRSSBytes)),
		gauge("perfcap_run_exit_code", "The command's exit code (128+N when killed by signal N).", float64(s.ExitCode)),
		gauge("perfcap_run_started_timestamp_seconds", "Unix time the run started.", float64(r.Started.UnixNano())/1e9),
	}
	bench := prometheus.NewDesc("perfcap_run_benchmark_seconds", "A benchmark's estimate of the time per iteration.",
		[]string{"benchmark", "tool", "package"}, labels)
	seen := map[[3]string]bool{}
	for _, b := range s.Benchmarks {
		key := [3]string{b.ID, b.Tool, b.Package}
		if seen[key] {
			skipped++
			continue
		}
		seen[key] = true
		ms = append(ms, prometheus.MustNewConstMetric(bench, prometheus.GaugeValue, b.Estimate/1e9, key[:]...))
	}
	return metricList(ms), skipped
}

// metricList is a fixed set of metrics as a collector.
type metricList []prometheus.Metric

func (l metricList) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(l, ch) }
func (l metricList) Collect(ch chan<- prometheus.Metric) {
	for _, m := range l {
		ch <- m
	}
}

// PushOptions bound a push.
type PushOptions struct {
	// Timeout bounds each attempt (default 10 s); Attempts the attempts
	// (default 3), Backoff the wait before the second (default 1 s,
	// doubling).
	Timeout  time.Duration
	Attempts int
	Backoff  time.Duration
	// Getenv reads the credentials (default os.Getenv).
	Getenv func(string) string
	// Warn receives a line per failed attempt that is retried.
	Warn func(string)
}

// Push sends the run to the Pushgateway at gateway (http or https) with
// PUT, so it replaces the group of its job and labels. Network errors,
// timeouts, 5xx and 429 are retried; other statuses fail at once with
// ErrPushRejected.
func Push(ctx context.Context, gateway string, r *Run, opts PushOptions) error {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if err := CheckGateway(gateway); err != nil {
		return err
	}
	if r.Job == "" {
		return errors.New("no job name: the bundle names no command; give --job NAME")
	}
	c, _ := r.Collector()
	doer := &statusDoer{c: &http.Client{}}
	p := push.New(gateway, r.Job).Collector(c).Client(doer)
	for k, v := range r.Labels {
		p = p.Grouping(k, v)
	}
	user, pass, token := opts.Getenv(EnvPushUser), opts.Getenv(EnvPushPassword), opts.Getenv(EnvPushToken)
	switch {
	case token != "" && (user != "" || pass != ""):
		return fmt.Errorf("both %s and %s/%s are set: keep the one the Pushgateway expects", EnvPushToken, EnvPushUser, EnvPushPassword)
	case token != "":
		p = p.Header(http.Header{"Authorization": {"Bearer " + token}})
	case user != "" || pass != "":
		p = p.BasicAuth(user, pass)
	}
	backoff := opts.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, opts.Timeout)
		doer.status = 0
		err = p.PushContext(actx)
		cancel()
		if err == nil {
			return nil
		}
		if s := doer.status; s != 0 && s < 500 && s != http.StatusTooManyRequests {
			hint := ""
			if s == http.StatusUnauthorized || s == http.StatusForbidden {
				hint = fmt.Sprintf("; check %s/%s or %s", EnvPushUser, EnvPushPassword, EnvPushToken)
			}
			return fmt.Errorf("%w: %v%s", ErrPushRejected, err, hint)
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("no answer within %v: %w", opts.Timeout, err)
		}
		if attempt >= opts.Attempts || ctx.Err() != nil {
			return fmt.Errorf("pushing to %s failed %d times, last: %w", gateway, attempt, err)
		}
		if opts.Warn != nil {
			opts.Warn(fmt.Sprintf("push attempt %d of %d failed: %v; retrying in %v", attempt, opts.Attempts, err, backoff))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pushing to %s: %w", gateway, ctx.Err())
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

// CheckGateway refuses a URL that is not http(s) or that carries
// credentials, which belong in the environment; the error shows the URL
// with its password masked.
func CheckGateway(gateway string) error {
	u, err := url.Parse(gateway)
	switch {
	case err != nil:
		return fmt.Errorf("Pushgateway URL %q: %w", gateway, err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return fmt.Errorf("Pushgateway URL %q: want http://HOST:PORT or https://HOST:PORT", gateway)
	case u.User != nil:
		return fmt.Errorf("Pushgateway URL %q carries credentials: put them in %s and %s (or %s) instead", u.Redacted(), EnvPushUser, EnvPushPassword, EnvPushToken)
	}
	return nil
}

// statusDoer remembers the status of the last response, so Push can tell
// a rejection from a failure worth retrying.
type statusDoer struct {
	c      *http.Client
	status int
}

func (d *statusDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.c.Do(req)
	if resp != nil {
		d.status = resp.StatusCode
	}
	return resp, err
}
