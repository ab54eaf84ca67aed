package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// goBenchBundle makes a real bundle of `go test -bench` in a fresh git
// repository with one commit, and returns it with its summary and the
// commit.
func goBenchBundle(t *testing.T) (path string, sum format.Summary, commit string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module benchdemo\n\ngo 1.22\n",
		"demo_test.go": `package benchdemo

import "testing"

var sink int

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func BenchmarkFib15(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = fib(15)
	}
}

func BenchmarkFib20(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = fib(20)
	}
}
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "bench")
	commit = git("rev-parse", "HEAD")
	t.Chdir(dir)
	r := perfcap(t, "--quiet", "--", "go", "test", "-run", "^$", "-bench", ".", "-benchtime", "200x", "-count", "3")
	if r.code != 0 {
		t.Fatalf("perfcap -- go test -bench: exit %d\n%s", r.code, r.stderr)
	}
	s, err := readBundleSummary(r.bundle)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Benchmarks) != 2 {
		t.Fatalf("the bundle has %d benchmarks, want BenchmarkFib15 and BenchmarkFib20", len(s.Benchmarks))
	}
	return r.bundle, *s, commit
}

func readBundleSummary(path string) (*format.Summary, error) {
	raw, err := bundle.ReadFile(path, format.SummaryFile)
	if err != nil {
		return nil, err
	}
	return format.ReadSummary(strings.NewReader(string(raw)))
}

// gatewayGroup is one group as the Pushgateway's /api/v1/metrics lists it.
type gatewayGroup struct {
	Labels  map[string]string
	Metrics map[string][]gatewayMetric
}

type gatewayMetric struct {
	Labels map[string]string `json:"labels"`
	Value  string            `json:"value"`
}

// value is the value of the series name with all the labels given.
func (g *gatewayGroup) value(name string, labels ...map[string]string) (float64, bool) {
	for _, m := range g.Metrics[name] {
		ok := true
		for _, set := range labels {
			for k, v := range set {
				ok = ok && m.Labels[k] == v
			}
		}
		if v, err := strconv.ParseFloat(m.Value, 64); ok && err == nil {
			return v, true
		}
	}
	return 0, false
}

// gatewayGroups reads every group the Pushgateway holds.
func gatewayGroups(t *testing.T, base string) []gatewayGroup {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string                       `json:"status"`
		Data   []map[string]json.RawMessage `json:"data"`
	}
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		t.Fatalf("/api/v1/metrics: %v %s", err, body)
	}
	var groups []gatewayGroup
	for _, d := range r.Data {
		g := gatewayGroup{Metrics: map[string][]gatewayMetric{}}
		for k, v := range d {
			switch k {
			case "labels":
				_ = json.Unmarshal(v, &g.Labels)
			case "last_push_successful":
			default:
				var fam struct {
					Metrics []gatewayMetric `json:"metrics"`
				}
				if err := json.Unmarshal(v, &fam); err != nil {
					t.Fatalf("metric family %s: %v", k, err)
				}
				g.Metrics[k] = fam.Metrics
			}
		}
		groups = append(groups, g)
	}
	return groups
}

// A real bundle of a real `go test -bench`, pushed to a real Pushgateway:
// the gateway holds each benchmark's estimate and the run's totals,
// labelled with job, commit, host and --label; a second push of the same
// job and labels replaces the first.
func TestPushToPushgateway(t *testing.T) {
	port := freePort(t)
	gw := "http://127.0.0.1:" + strconv.Itoa(port)
	startServer(t, "prometheus-pushgateway", "prometheus-pushgateway", gw+"/-/ready",
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port), "--persistence.file=")
	path, sum, commit := goBenchBundle(t)

	push := func(host string) {
		t.Helper()
		io, _, stderr := iostreams.Test()
		code := Main([]string{"push", "--job", "ci-bench", "--host", host, "--label", "branch=main", gw, path}, io)
		if code != 0 || !strings.Contains(stderr.String(), `as job "ci-bench"`) {
			t.Fatalf("push exited %d:\n%s", code, stderr)
		}
	}
	push("runner-1")
	push("runner-2")
	group := gatewayGroupOf(t, gw, "ci-bench")
	if group.Labels["branch"] != "main" {
		t.Fatalf("the group of job ci-bench is labelled %v, want branch=main", group.Labels)
	}
	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		v, ok := group.value(name, map[string]string{"host": "runner-2", "commit": commit}, labels)
		if !ok {
			t.Fatalf("no %s%v with host runner-2 and commit %s in %v", name, labels, commit, group.Metrics[name])
		}
		return v
	}
	for _, b := range sum.Benchmarks {
		got := value("perfcap_run_benchmark_seconds", map[string]string{"benchmark": b.ID, "tool": "go", "package": b.Package})
		if got != b.Estimate/1e9 {
			t.Errorf("%s: the gateway holds %v s, the bundle %v ns", b.ID, got, b.Estimate)
		}
	}
	if got := value("perfcap_run_wall_seconds", nil); got != sum.WallSeconds {
		t.Errorf("wall %v, bundle %v", got, sum.WallSeconds)
	}
	if got := value("perfcap_run_peak_rss_bytes", nil); got != float64(sum.PeakRSSBytes) {
		t.Errorf("peak RSS %v, bundle %v", got, sum.PeakRSSBytes)
	}
	if got := value("perfcap_run_cpu_seconds", nil); got != sum.UserSeconds+sum.SysSeconds {
		t.Errorf("CPU %v, bundle %v", got, sum.UserSeconds+sum.SysSeconds)
	}
	if got := value("perfcap_run_exit_code", nil); got != 0 {
		t.Errorf("exit code %v", got)
	}
	for _, m := range group.Metrics["perfcap_run_wall_seconds"] {
		if m.Labels["host"] != "runner-2" {
			t.Errorf("the first push (host %s) was not replaced", m.Labels["host"])
		}
	}
}

// A push or an upload that fails never changes the exit code or the
// bundle: a server that is down, answers 500, is too slow, or refuses the
// credentials, for the Pushgateway and for Pyroscope alike. (httptest
// servers: these failures cannot be had from the real servers on demand,
// and Pyroscope leaves authentication to a reverse proxy, which they stand
// for.) Right credentials over https, with Pyroscope's tenant header, go
// through.
func TestPushFailuresWarn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.tar.zst")
	r := perfcap(t, "-o", path, "--quiet", "--", workloadBin, "burn", "300ms")
	if r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	before := fileSum(t, path)
	targets := []pushTarget{
		{name: "Pushgateway", env: "PERFCAP_PUSH_", failed: "warning: the push to the Pushgateway failed", done: "pushed 0 benchmarks",
			set: func(o *pushOptions, url string) { o.gateway = url }},
		{name: "Pyroscope", env: "PERFCAP_PYROSCOPE_", failed: "warning: the upload of perf/profile.pb.gz to Pyroscope failed", done: "uploaded 1 CPU profile",
			set: func(o *pushOptions, url string) { o.pyroscope = url }},
	}
	if run, _ := bundleProfiles(t, path); !run {
		t.Log("perf recorded no stacks here: the bundle has no CPU profile, Pyroscope is left out")
		targets = targets[:1]
	}
	for _, target := range targets {
		t.Run(target.name, func(t *testing.T) { target.failures(t, path) })
	}
	if fileSum(t, path) != before {
		t.Error("the bundle changed")
	}
	// Through the CLI: exit 0 on a failed push, 125 on a bundle that
	// cannot be read, on nowhere to push, or on a URL with a password in
	// it (which is not shown).
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	for _, tc := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"http://ci:secret@127.0.0.1:1", path}, exitError, "carries credentials: put them in PERFCAP_PUSH_USER"},
		{[]string{"--pyroscope", "https://ci:secret@127.0.0.1:1", path}, exitError, "carries credentials: put them in PERFCAP_PYROSCOPE_USER"},
		{[]string{"--attempts", "1", down.URL, path}, 0, "connection refused"},
		{[]string{"--attempts", "1", "--pyroscope", down.URL, path}, 0, "connection refused"},
		{[]string{down.URL, filepath.Join(t.TempDir(), "missing.tar.zst")}, exitError, "missing.tar.zst"},
		{[]string{path}, exitError, "nowhere to push"},
	} {
		io, _, stderr := iostreams.Test()
		if code := Main(append([]string{"push"}, tc.args...), io); code != tc.code || !strings.Contains(stderr.String(), tc.say) || strings.Contains(stderr.String(), "secret") {
			t.Errorf("push %q: exit %d, want %d saying %q:\n%s", tc.args, code, tc.code, tc.say, stderr)
		}
	}
}

// pushTarget is one server perfcap push sends to, as the failure tests
// drive it: the prefix of its credential variables, what stderr says when
// it failed and when it worked, and the option that points at it.
type pushTarget struct {
	name, env, failed, done string
	set                     func(o *pushOptions, url string)
}

// failures sends the bundle at path to httptest servers that fail in
// each way, and to one that takes the right credentials over https.
func (target pushTarget) failures(t *testing.T, path string) {
	var requests atomic.Int32
	var tenant atomic.Value
	auth := func(w http.ResponseWriter, req *http.Request) {
		requests.Add(1)
		tenant.Store(req.Header.Get("X-Scope-OrgID"))
		if u, p, ok := req.BasicAuth(); ok && u == "ci" && p == "right" || req.Header.Get("Authorization") == "Bearer right-token" {
			return
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	for _, tc := range []struct {
		name     string
		handler  http.HandlerFunc
		url      string
		tls      bool
		env      map[string]string // by the name after the target's prefix
		requests int32
		warning  string // "" when the push succeeds
	}{
		{name: "server down", url: down.URL, warning: "connection refused"},
		{name: "500", handler: func(w http.ResponseWriter, _ *http.Request) { requests.Add(1); http.Error(w, "boom", 500) }, requests: 2, warning: "status code 500"},
		{name: "slow", handler: func(w http.ResponseWriter, req *http.Request) {
			requests.Add(1)
			select {
			case <-req.Context().Done():
			case <-time.After(time.Second):
			}
		}, requests: 2, warning: "no answer within 200ms"},
		{name: "wrong password", handler: auth, env: map[string]string{"USER": "ci", "PASSWORD": "secret"}, requests: 1, warning: "check " + target.env + "USER/" + target.env + "PASSWORD"},
		{name: "wrong token", handler: auth, env: map[string]string{"TOKEN": "secret"}, requests: 1, warning: "status code 401"},
		{name: "right password, https", handler: auth, tls: true, env: map[string]string{"USER": "ci", "PASSWORD": "right", "TENANT": "team-a"}, requests: 1},
		{name: "right token", handler: auth, env: map[string]string{"TOKEN": "right-token"}, requests: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requests.Store(0)
			url, client := tc.url, http.DefaultClient
			if tc.handler != nil {
				srv := httptest.NewUnstartedServer(tc.handler)
				if tc.tls {
					srv.StartTLS()
				} else {
					srv.Start()
				}
				defer srv.Close()
				url, client = srv.URL, srv.Client()
			}
			io, stdout, stderr := iostreams.Test()
			opts := &pushOptions{io: io, path: path, attempts: 2, timeout: 200 * time.Millisecond, backoff: 10 * time.Millisecond, client: client,
				getenv: func(k string) string { return tc.env[strings.TrimPrefix(k, target.env)] }}
			target.set(opts, url)
			if err := runPush(context.Background(), opts); err != nil {
				t.Fatalf("runPush: %v (a failed push must not be an error)", err)
			}
			if got := requests.Load(); got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
			if tc.warning == "" && !strings.Contains(stderr.String(), target.done) ||
				tc.warning != "" && (!strings.Contains(stderr.String(), target.failed) || !strings.Contains(stderr.String(), tc.warning)) {
				t.Errorf("stderr does not say %q:\n%s", tc.warning+target.done, stderr)
			}
			if tc.tls && target.name == "Pyroscope" && tenant.Load() != "team-a" {
				t.Errorf("X-Scope-OrgID %q, want team-a", tenant.Load())
			}
			if strings.Contains(stderr.String(), "secret") || stdout.Len() != 0 {
				t.Errorf("a credential on stderr, or anything on stdout: %q %q", stderr, stdout)
			}
		})
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
