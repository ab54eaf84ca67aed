package metrics

import (
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/watch"
)

func TestWatchExportCheck(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts WatchExportOptions
		err  string
	}{
		{"nothing", WatchExportOptions{}, ""},
		{"a port alone is loopback", WatchExportOptions{Addr: "9464"}, ""},
		{"labels without an export", WatchExportOptions{Labels: []string{"env=ci"}}, "give --metrics-addr or --pyroscope too"},
		{"tenant without Pyroscope", WatchExportOptions{Tenant: "t1"}, "give --pyroscope URL too"},
		{"Pyroscope without stacks", WatchExportOptions{Pyroscope: "http://127.0.0.1:4040"}, "--snapshot-perf above 0"},
		{"Pyroscope URL with a password", WatchExportOptions{Pyroscope: "http://u:p@127.0.0.1:4040", SnapshotPerf: time.Second}, "credentials"},
		{"bad address", WatchExportOptions{Addr: "localhost:http"}, "is not a port number"},
		{"a label perfcap sets", WatchExportOptions{Addr: "9464", Labels: []string{"pid=1"}}, "pid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Check()
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("Check() = %v, want %q", err, tt.err)
			}
		})
	}
	o := WatchExportOptions{Addr: ":9464"}
	if err := o.Check(); err != nil || o.Addr != "127.0.0.1:9464" {
		t.Errorf("Check(:9464) = %v, address %s; want 127.0.0.1:9464", err, o.Addr)
	}
}

// A real watch of a real process, driven from Go, serves its metrics
// through WatchExports while it runs, with the user's labels.
func TestWatchExportsServeARealWatch(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var msgs iostreams.SyncBuffer
	xopts := WatchExportOptions{Addr: addr, Labels: []string{"env=ci"}, PID: cmd.Process.Pid, Messages: &msgs}
	if err := xopts.Check(); err != nil {
		t.Fatal(err)
	}
	x := NewWatchExports(xopts)
	cfg := watch.Config{PID: cmd.Process.Pid, Bundle: filepath.Join(t.TempDir(), "w.tar.zst"), Interval: 20 * time.Millisecond, NoFacts: true, Quiet: true}
	x.Hook(&cfg)
	w, err := watch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x.Start(w)
	defer x.Close()
	done := make(chan error, 1)
	go func() { _, err := w.Run(context.Background()); done <- err }()

	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatalf("scraping the watch: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if body = string(b); strings.Contains(body, "perfcap_watch_samples_total") {
			break
		}
	}
	w.Stop(syscall.SIGINT)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	labels := `{command="sleep 30",env="ci",pid="` + strconv.Itoa(cmd.Process.Pid) + `"}`
	for _, series := range []string{"perfcap_watch_rss_bytes", "perfcap_watch_samples_total", "perfcap_watch_cpu_seconds_total"} {
		if !strings.Contains(body, series+labels) {
			t.Errorf("no %s%s in\n%s", series, labels, body)
		}
	}
	if !strings.Contains(msgs.String(), "perfcap: Prometheus metrics on http://"+addr+"/metrics") {
		t.Errorf("messages %q do not say where the metrics are", msgs.String())
	}
}
