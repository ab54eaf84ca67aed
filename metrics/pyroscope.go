package metrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/perfcap/perfcap/internal/termsafe"
)

// The environment variables perfcap takes Pyroscope's credentials and
// tenant from. Credentials are never flags and never written to a bundle;
// the tenant is no secret, and --pyroscope-tenant overrides it.
const (
	EnvPyroscopeUser     = "PERFCAP_PYROSCOPE_USER"
	EnvPyroscopePassword = "PERFCAP_PYROSCOPE_PASSWORD"
	EnvPyroscopeToken    = "PERFCAP_PYROSCOPE_TOKEN"
	EnvPyroscopeTenant   = "PERFCAP_PYROSCOPE_TENANT"
)

// SpyName is the spyName perfcap's uploads carry: Pyroscope shows it as
// the profiler that took them.
const SpyName = "perfcap"

// maxLabelValue bounds a label value sent to Pyroscope, as maxCommandLabel
// does for Prometheus.
const maxLabelValue = 200

// PyroscopeOptions bound an upload to Pyroscope: the PushOptions, and the
// tenant sent as X-Scope-OrgID to a multi-tenant Pyroscope (default
// $PERFCAP_PYROSCOPE_TENANT, none when both are empty).
type PyroscopeOptions struct {
	PushOptions
	Tenant string
}

// Upload is one CPU profile for Pyroscope's ingest API.
type Upload struct {
	// App is the application name; Pyroscope appends the profile type,
	// so the upload is queried as App.cpu{Labels}.
	App    string
	Labels map[string]string
	// From and Until are the time range the samples were taken in;
	// Pyroscope spreads them evenly over its 10 s slots in that range.
	From, Until time.Time
	Profile     *CPUProfile
}

// CheckPyroscope refuses a Pyroscope URL that is not http(s) or that
// carries credentials, which belong in the environment.
func CheckPyroscope(server string) error {
	return checkURL("Pyroscope", server, pyroscopeCredentials)
}

// AppName makes name a Pyroscope application name: letters, digits, _,
// - and . only (others become _), "perfcap" when nothing is left.
func AppName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	if s := strings.Trim(string(b), "._-"); s != "" {
		return s
	}
	return "perfcap"
}

// LabelValue is v as perfcap sends it to Pyroscope as a label value.
func LabelValue(v string) string { return labelValue(v) }

// labelValue makes v safe in Pyroscope's APP{k=v,...} key and in a
// query's k="v": no separators, quotes, spaces or control characters, at
// most maxLabelValue bytes.
func labelValue(v string) string {
	v = strings.Map(func(r rune) rune {
		switch {
		case r == ',' || r == '{' || r == '}' || r == '=' || r == '"' || r == '\\' || r == utf8.RuneError:
			return '_'
		case r <= ' ' || r == 0x7f:
			return '_'
		}
		return r
	}, v)
	if len(v) > maxLabelValue {
		cut := maxLabelValue
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
	}
	return v
}

// Key is the upload's series as Pyroscope's name parameter takes it:
// APP{k=v,...}, labels sorted, empty values left out.
func (u Upload) Key() string {
	names := make([]string, 0, len(u.Labels))
	for k, v := range u.Labels {
		if labelValue(v) != "" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(AppName(u.App) + "{")
	for i, k := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + labelValue(u.Labels[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// ingestURL is the POST /ingest URL of server for u.
func (u Upload) ingestURL(server string) (string, error) {
	base, err := url.Parse(server)
	if err != nil {
		return "", err
	}
	from, until := u.From.Unix(), u.Until.Unix()
	if until <= from {
		until = from + 1 // Pyroscope needs a range
	}
	q := url.Values{
		"name": {u.Key()}, "format": {"pprof"}, "spyName": {SpyName},
		"from": {strconv.FormatInt(from, 10)}, "until": {strconv.FormatInt(until, 10)},
	}
	if u.Profile.SampleRate > 0 {
		q.Set("sampleRate", strconv.FormatInt(u.Profile.SampleRate, 10))
	}
	base.Path = strings.TrimSuffix(base.Path, "/") + "/ingest"
	base.RawQuery = q.Encode()
	return base.String(), nil
}

// UploadProfile sends u to the Pyroscope server at server (http or https)
// with POST /ingest?format=pprof, the profile as the body: the form the
// open-source Pyroscope server and Grafana Pyroscope both take. Failures
// are retried as Push retries them; a rejection is ErrPushRejected.
func UploadProfile(ctx context.Context, server string, u Upload, opts PyroscopeOptions) error {
	opts.PushOptions = opts.withDefaults()
	if err := CheckPyroscope(server); err != nil {
		return err
	}
	auth, err := pyroscopeCredentials.authorization(opts.Getenv)
	if err != nil {
		return err
	}
	tenant := opts.Tenant
	if tenant == "" {
		tenant = opts.Getenv(EnvPyroscopeTenant)
	}
	target, err := u.ingestURL(server)
	if err != nil {
		return err
	}
	return retry(ctx, "upload", server, pyroscopeCredentials, opts.PushOptions, func(ctx context.Context) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(u.Profile.Data))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if tenant != "" {
			req.Header.Set("X-Scope-OrgID", tenant)
		}
		resp, err := opts.Client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if resp.StatusCode/100 == 2 {
			return resp.StatusCode, nil
		}
		return resp.StatusCode, fmt.Errorf("status code %d (%s): %s", resp.StatusCode, http.StatusText(resp.StatusCode), termsafe.Escape(strings.TrimSpace(string(body))))
	})
}

// BenchApp is the suffix of the application the per-benchmark profiles go
// to: apart from the whole run's, since Pyroscope adds up every series a
// query matches and each benchmark's samples are also the run's.
const BenchApp = ".bench"

// ProfileUploads are the uploads of the run's CPU profiles, labelled as
// its push is (the job is the application, then host, commit and the
// user's labels) over the run's time range: the whole run's profile as
// JOB.cpu, each benchmark's as JOB.bench.cpu with a benchmark label.
func (r *Run) ProfileUploads(profiles []*CPUProfile) []Upload {
	until := r.Ended
	if until.IsZero() {
		until = r.Started.Add(time.Duration(r.Summary.WallSeconds * float64(time.Second)))
	}
	var ups []Upload
	for _, p := range profiles {
		labels := map[string]string{"host": r.Host, "commit": r.Commit}
		for k, v := range r.Labels {
			labels[k] = v
		}
		app := AppName(r.Job)
		if p.Benchmark != "" {
			app += BenchApp
			labels["benchmark"] = p.Benchmark
		}
		ups = append(ups, Upload{App: app, Labels: labels, From: r.Started, Until: until, Profile: p})
	}
	return ups
}
