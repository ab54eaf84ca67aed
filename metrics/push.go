package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

// Run is what perfcap push sends of one bundle.
type Run struct {
	// Job names the group: a push replaces everything earlier pushes of
	// the same job and Labels sent. Commit and Host label the series.
	Job, Commit, Host string
	Labels            map[string]string
	Summary           *format.Summary
	// Started and Ended are the run's time range, from the manifest.
	Started, Ended time.Time
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
	r := &Run{Summary: sum, Started: m.Started, Ended: m.Ended}
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

// Push sends the run to the Pushgateway at gateway (http or https) with
// PUT, so it replaces the group of its job and labels, retried as retry
// says: a rejection is ErrPushRejected.
func Push(ctx context.Context, gateway string, r *Run, opts PushOptions) error {
	opts = opts.withDefaults()
	if err := CheckGateway(gateway); err != nil {
		return err
	}
	if r.Job == "" {
		return errors.New("no job name: the bundle names no command; give --job NAME")
	}
	auth, err := pushCredentials.authorization(opts.Getenv)
	if err != nil {
		return err
	}
	c, _ := r.Collector()
	doer := &statusDoer{c: opts.Client}
	p := push.New(gateway, r.Job).Collector(c).Client(doer)
	for k, v := range r.Labels {
		p = p.Grouping(k, v)
	}
	if auth != "" {
		p = p.Header(http.Header{"Authorization": {auth}})
	}
	return retry(ctx, "push", gateway, pushCredentials, opts, func(ctx context.Context) (int, error) {
		doer.status = 0
		err := p.PushContext(ctx)
		return doer.status, err
	})
}

// CheckGateway refuses a URL that is not http(s) or that carries
// credentials, which belong in the environment; the error shows the URL
// with its password masked.
func CheckGateway(gateway string) error {
	return checkURL("Pushgateway", gateway, pushCredentials)
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
