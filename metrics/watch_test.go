package metrics

import (
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/watch"
)

// The CPU counter adds each process's CPU as the bundle does: in pid mode
// from when the watch first saw it, ended processes keep theirs, and a
// pid reused by a new process (less CPU than before) starts from zero.
func TestTreeCPU(t *testing.T) {
	proc := func(pid int, user, sys float64) format.ProcSample {
		return format.ProcSample{PID: pid, UserSec: user, SysSec: sys}
	}
	for _, tc := range []struct {
		name    string
		pidMode bool
		samples [][]format.ProcSample
		want    float64
	}{
		{"command", false, [][]format.ProcSample{{proc(10, 1, 0.5)}, {proc(10, 2, 1)}}, 3},
		{"pid mode skips the past", true, [][]format.ProcSample{{proc(10, 100, 50)}, {proc(10, 101, 50.5)}}, 1.5},
		{"a child started later counts whole", true, [][]format.ProcSample{{proc(10, 100, 0)}, {proc(10, 100, 0), proc(11, 2, 0)}}, 2},
		{"ended processes keep theirs", false, [][]format.ProcSample{{proc(10, 1, 0), proc(11, 2, 0)}, {proc(10, 1, 0)}, {proc(10, 3, 0)}}, 5},
		{"a reused pid", false, [][]format.ProcSample{{proc(10, 5, 0)}, {proc(10, 1, 0)}}, 6},
	} {
		c := treeCPU{pidMode: tc.pidMode}
		for _, procs := range tc.samples {
			c.add(capture.Sample{Procs: procs})
		}
		if got := c.total(); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: %v CPU seconds, want %v", tc.name, got, tc.want)
		}
	}
}

// statusOf is a watch's status as a test gives it: the exporter's input
// when no process is needed to say what it exports.
type statusOf watch.Status

func (s statusOf) Status() watch.Status { return watch.Status(s) }

// Served over HTTP as Prometheus reads it: the series of a watch with
// their labels, PSS only with --pss, the rates only once the fit ran, and
// one verdict series per state.
func TestWatchExporterServes(t *testing.T) {
	epoch := time.Unix(1_700_000_000, 0)
	st := watch.Status{
		Epoch:   epoch,
		Last:    format.TimelineRow{T: 12.5, TreeRSS: 300 << 20, Processes: 3, Threads: 7},
		Extra:   format.WatchRow{FDs: 42, PSS: 200 << 20, USS: 150 << 20, HavePSS: true},
		Samples: 125, Restarts: 2, AlertsFired: 1,
		Growth: trend.Result{Verdict: trend.Growing, SlopeBytesPerSec: 1000, LowBytesPerSec: 900, HighBytesPerSec: 1100,
			ThresholdMiBPerHour: 1, Until: 10 * time.Second},
	}
	e := NewWatchExporter(WatchOptions{Command: []string{"./server", "--token=[redacted]"}, PID: 4242, PSS: true, Labels: map[string]string{"env": "ci"}})
	e.Attach(statusOf(st))
	e.Observe(capture.Sample{Procs: []format.ProcSample{{PID: 4242, UserSec: 10}}})
	e.Observe(capture.Sample{Procs: []format.ProcSample{{PID: 4242, UserSec: 12, SysSec: 1}}})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv, err := Serve(addr, e, func(err error) { t.Errorf("serving: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get("http://" + srv.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	labels := `{command="./server --token=[redacted]",env="ci",pid="4242"}`
	for _, line := range []string{
		"perfcap_watch_rss_bytes" + labels + " 3.145728e+08",
		"perfcap_watch_pss_bytes" + labels + " 2.097152e+08",
		"perfcap_watch_uss_bytes" + labels + " 1.572864e+08",
		"perfcap_watch_cpu_seconds_total" + labels + " 3",
		"perfcap_watch_processes" + labels + " 3",
		"perfcap_watch_threads" + labels + " 7",
		"perfcap_watch_open_fds" + labels + " 42",
		"perfcap_watch_samples_total" + labels + " 125",
		"perfcap_watch_restarts_total" + labels + " 2",
		"perfcap_watch_alerts_fired_total" + labels + " 1",
		"perfcap_watch_rss_growth_bytes_per_hour" + labels + " 3.6e+06",
		"perfcap_watch_rss_growth_lower_bytes_per_hour" + labels + " 3.24e+06",
		"perfcap_watch_rss_growth_upper_bytes_per_hour" + labels + " 3.96e+06",
		"perfcap_watch_rss_growth_threshold_bytes_per_hour" + labels + " 1.048576e+06",
		`perfcap_watch_rss_growth_verdict{command="./server --token=[redacted]",env="ci",pid="4242",verdict="growing"} 1`,
		`perfcap_watch_rss_growth_verdict{command="./server --token=[redacted]",env="ci",pid="4242",verdict="flat"} 0`,
		`perfcap_watch_rss_growth_verdict{command="./server --token=[redacted]",env="ci",pid="4242",verdict="inconclusive"} 0`,
		"perfcap_watch_last_sample_timestamp_seconds" + labels + " 1.7000000125e+09",
		"# TYPE perfcap_watch_cpu_seconds_total counter",
		"# TYPE perfcap_watch_rss_bytes gauge",
	} {
		if !strings.Contains(string(body), line+"\n") {
			t.Errorf("no line %s in\n%s", line, body)
		}
	}

	// Without --pss, and before the fit ran: neither PSS nor rates.
	st.Growth = trend.Result{Verdict: trend.Inconclusive}
	e = NewWatchExporter(WatchOptions{Command: []string{"x"}, PID: 1})
	e.Attach(statusOf(st))
	n, err := testutil.GatherAndCount(registryOf(t, e))
	if err != nil {
		t.Fatal(err)
	}
	if want := 9 + 3; n != want { // RSS, CPU, processes, threads, fds, samples, restarts, alerts, sample time; 3 verdicts
		t.Errorf("%d series without --pss and fit, want %d", n, want)
	}
	// Before the first sample: nothing.
	e = NewWatchExporter(WatchOptions{Command: []string{"x"}, PID: 1})
	e.Attach(statusOf(watch.Status{}))
	if n, _ := testutil.GatherAndCount(registryOf(t, e)); n != 0 {
		t.Errorf("%d series before the first sample", n)
	}
}

// A port already taken fails Serve at once, so the caller can warn.
func TestServeOnATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Serve(ln.Addr().String(), NewWatchExporter(WatchOptions{}), func(error) {})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("Serve on a taken port: %v", err)
	}
}

func registryOf(t *testing.T, e *WatchExporter) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := reg.Register(e); err != nil {
		t.Fatal(err)
	}
	return reg
}
