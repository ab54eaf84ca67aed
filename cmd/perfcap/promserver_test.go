package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The real Prometheus and Pushgateway of Debian's packages (prometheus,
// prometheus-pushgateway; .ci/run installs them), started by the tests on
// 127.0.0.1 and stopped after. No service of theirs starts by itself.

// freePort returns a loopback port nothing listens on just now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer starts a server binary with args, waits until url answers
// 200 and stops it (SIGTERM, then SIGKILL) when the test ends. It skips the
// test when the binary is not installed.
func startServer(t *testing.T, bin, pkg, ready string, args ...string) {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		t.Skipf("%s is not installed: apt-get install %s (.ci/run does)", bin, pkg)
	}
	startServerEnv(t, nil, path, ready, args...)
}

// startServerEnv starts the server at path with args and env added to
// perfcap's environment, as startServer does.
func startServerEnv(t *testing.T, env []string, path, ready string, args ...string) {
	t.Helper()
	startServerWhen(t, env, path, ready, func() bool {
		resp, err := http.Get(ready)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, args...)
}

// startServerWhen starts the server at path as startServerEnv does, ready
// once isReady says so (a server behind TLS and a password); what names
// the readiness check in messages.
func startServerWhen(t *testing.T, env []string, path, what string, isReady func() bool, args ...string) {
	t.Helper()
	bin := filepath.Base(path)
	logf, err := os.Create(filepath.Join(t.TempDir(), bin+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logf.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("%s exited at start:\n%s", bin, b)
		default:
		}
		if isReady() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(logf.Name())
	t.Fatalf("%s did not answer %s within 30 s:\n%s", bin, what, b)
}

// startPrometheus starts Prometheus scraping target (HOST:PORT) every
// second and returns its base URL.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "prometheus.yml")
	yml := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: perfcap-watch
    static_configs:
      - targets: [%q]
`, target)
	if err := os.WriteFile(conf, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(freePort(t))
	startServer(t, "prometheus", "prometheus", base+"/-/ready",
		"--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+base[len("http://"):])
	// Prometheus applies discovered targets up to 5 s after it starts;
	// the watch must not begin before they are scraped.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/api/v1/targets?state=active")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), target) {
			return base
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("Prometheus did not take the target %s within 30 s", target)
	return ""
}

// promSample is one value of a series at one time.
type promSample struct {
	t float64
	v float64
}

// promSeries is one series of a query's result.
type promSeries struct {
	labels map[string]string
	values []promSample
}

// queryPrometheus runs a PromQL query through /api/v1/query and returns its
// series; a range-vector query gives every stored sample of each series.
func queryPrometheus(t *testing.T, base, query string) []promSeries {
	t.Helper()
	_, body := httpGet(t, base+"/api/v1/query?query="+url.QueryEscape(query))
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  []any             `json:"value"`
				Values [][]any           `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		t.Fatalf("query %q: %v %s %s", query, err, r.Error, body)
	}
	var out []promSeries
	for _, res := range r.Data.Result {
		s := promSeries{labels: res.Metric}
		if res.Value != nil {
			res.Values = append(res.Values, res.Value)
		}
		for _, pair := range res.Values {
			ts, _ := pair[0].(float64)
			str, _ := pair[1].(string)
			v, err := strconv.ParseFloat(str, 64)
			if err != nil {
				t.Fatalf("query %q: value %v: %v", query, pair[1], err)
			}
			s.values = append(s.values, promSample{ts, v})
		}
		out = append(out, s)
	}
	return out
}

// httpGet gets url, giving up after 30 s, and returns the status and body.
func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}
