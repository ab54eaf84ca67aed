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

// A push that fails never changes the exit code or the bundle: a server
// that is down, answers 500, is too slow, or refuses the credentials.
// (httptest servers: these failures cannot be had from the real
// Pushgateway on demand.)
func TestPushFailuresWarn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.tar.zst")
	r := perfcap(t, "-o", path, "--quiet", "--", workloadBin, "echo", "hi")
	if r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	before := fileSum(t, path)
	var requests atomic.Int32
	auth := func(w http.ResponseWriter, req *http.Request) {
		requests.Add(1)
		if u, p, ok := req.BasicAuth(); ok && u == "ci" && p == "right" {
			w.WriteHeader(http.StatusOK)
			return
		}
		if req.Header.Get("Authorization") == "Bearer right-token" {
			w.WriteHeader(http.StatusOK)
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
		env      map[string]string
		requests int32
		warning  string // "" when the push succeeds
	}{
		{name: "server down", url: down.URL, warning: "connection refused"},
		{name: "500", handler: func(w http.ResponseWriter, _ *http.Request) { requests.Add(1); http.Error(w, "boom", 500) }, requests: 2, warning: "status code 500"},
		{name: "slow", handler: func(w http.ResponseWriter, req *http.Request) {
			requests.Add(1)
			select {
			case <-req.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, requests: 2, warning: "no answer within 200ms"},
		{name: "wrong password", handler: auth, env: map[string]string{"PERFCAP_PUSH_USER": "ci", "PERFCAP_PUSH_PASSWORD": "wrong"}, requests: 1, warning: "check PERFCAP_PUSH_USER/PERFCAP_PUSH_PASSWORD"},
		{name: "wrong token", handler: auth, env: map[string]string{"PERFCAP_PUSH_TOKEN": "wrong"}, requests: 1, warning: "status code 401"},
		{name: "right password", handler: auth, env: map[string]string{"PERFCAP_PUSH_USER": "ci", "PERFCAP_PUSH_PASSWORD": "right"}, requests: 1},
		{name: "right token", handler: auth, env: map[string]string{"PERFCAP_PUSH_TOKEN": "right-token"}, requests: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requests.Store(0)
			url := tc.url
			if tc.handler != nil {
				srv := httptest.NewServer(tc.handler)
				defer srv.Close()
				url = srv.URL
			}
			io, stdout, stderr := iostreams.Test()
			err := runPush(context.Background(), &pushOptions{io: io, gateway: url, path: path, attempts: 2, timeout: 200 * time.Millisecond,
				backoff: 10 * time.Millisecond, getenv: func(k string) string { return tc.env[k] }})
			if err != nil {
				t.Fatalf("runPush: %v (a failed push must not be an error)", err)
			}
			if got := requests.Load(); got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
			if tc.warning == "" {
				if !strings.Contains(stderr.String(), "pushed 0 benchmarks") {
					t.Errorf("stderr:\n%s", stderr)
				}
			} else if !strings.Contains(stderr.String(), "warning: the push to the Pushgateway failed") || !strings.Contains(stderr.String(), tc.warning) {
				t.Errorf("stderr does not warn %q:\n%s", tc.warning, stderr)
			}
			if strings.Contains(stderr.String(), "secret") || stdout.Len() != 0 {
				t.Errorf("a credential on stderr, or anything on stdout: %q %q", stderr, stdout)
			}
			if fileSum(t, path) != before {
				t.Error("the bundle changed")
			}
		})
	}
	// Through the CLI: exit 0 on a failed push, 125 on a bundle that
	// cannot be read or a URL with a password in it (which is not shown).
	io, _, stderr := iostreams.Test()
	if code := Main([]string{"push", "http://ci:secret@127.0.0.1:1", path}, io); code != exitError ||
		!strings.Contains(stderr.String(), "carries credentials") || strings.Contains(stderr.String(), "secret") {
		t.Errorf("a URL with credentials: exit %d, stderr %q", code, stderr)
	}
	if code := Main([]string{"push", "--attempts", "1", down.URL, path}, io); code != 0 {
		t.Errorf("a failed push exits %d", code)
	}
	if code := Main([]string{"push", down.URL, filepath.Join(t.TempDir(), "missing.tar.zst")}, io); code != exitError {
		t.Errorf("a missing bundle exits %d", code)
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
