package metrics

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/internal/termsafe"
	"github.com/perfcap/perfcap/watch"
)

// WatchExportOptions say where a running watch's figures go besides its
// spool (perfcap watch --metrics-addr, --pyroscope): Prometheus metrics
// served over HTTP, and each snapshot's CPU profile uploaded to Pyroscope.
type WatchExportOptions struct {
	// Addr serves the metrics on http://Addr/metrics; "" serves none.
	Addr string
	// Pyroscope is the server each snapshot's profile goes to; "" none.
	Pyroscope string
	// Tenant is the X-Scope-OrgID of a multi-tenant Pyroscope.
	Tenant string
	// Labels are the user's NAME=VALUE pairs for both.
	Labels []string
	// PID is the watched process of a --pid watch; PSS exports PSS and USS.
	PID int
	PSS bool
	// SnapshotPerf is how long each snapshot records CPU stacks: the
	// profiles Pyroscope gets.
	SnapshotPerf time.Duration
	// Getenv reads the Pyroscope credentials (os.Getenv when nil).
	Getenv func(string) string
	// Messages hears the warnings, and unless Quiet what was served and
	// uploaded.
	Messages io.Writer
	Quiet    bool
}

// Check validates the options before the watch starts; it normalises Addr.
func (o *WatchExportOptions) Check() error {
	if o.Pyroscope == "" {
		if o.Tenant != "" {
			return errors.New("--pyroscope-tenant names the tenant of --pyroscope: give --pyroscope URL too")
		}
		if o.Addr == "" && len(o.Labels) > 0 {
			return errors.New("--label labels the --metrics-addr series and the --pyroscope profiles: give --metrics-addr or --pyroscope too")
		}
	} else {
		if err := CheckPyroscope(o.Pyroscope); err != nil {
			return err
		}
		if o.SnapshotPerf <= 0 {
			return errors.New("--pyroscope uploads the CPU stacks each snapshot records: give --snapshot-perf above 0 (default 5s)")
		}
	}
	if o.Addr != "" {
		addr, err := ListenAddr(o.Addr)
		if err != nil {
			return err
		}
		o.Addr = addr
	}
	_, err := ParseLabels(o.Labels, WatchLabels...)
	return err
}

// senderWait is how long the end of a watch waits for the snapshot
// uploads still queued.
const senderWait = 15 * time.Second

// WatchExports are a watch's running exports: NewWatchExports, then Hook
// the watch's Config before watch.New, Start once the watch exists, and
// Close when it has ended.
type WatchExports struct {
	opts   WatchExportOptions
	exp    *WatchExporter
	srv    *Server
	sender *ProfileSender
}

// NewWatchExports prepares the exports of opts, which Check accepted.
func NewWatchExports(opts WatchExportOptions) *WatchExports {
	opts.Messages = cmp.Or[io.Writer](opts.Messages, io.Discard)
	return &WatchExports{opts: opts}
}

// Hook chains the exports into cfg's OnSample and OnSnapshot hooks.
func (x *WatchExports) Hook(cfg *watch.Config) {
	if x.opts.Addr != "" {
		onSample := cfg.OnSample
		cfg.OnSample = func(s capture.Sample) {
			if x.exp != nil { // set by Start, before the watch samples
				x.exp.Observe(s)
			}
			if onSample != nil {
				onSample(s)
			}
		}
	}
	if x.opts.Pyroscope != "" {
		onSnapshot := cfg.OnSnapshot
		cfg.OnSnapshot = func(s watch.Snapshot) {
			x.send(s)
			if onSnapshot != nil {
				onSnapshot(s)
			}
		}
	}
}

// Start serves the metrics of w and starts the uploader of its
// snapshots. A port that is taken, or any later failure to serve, is a
// warning: the watch is what matters, and it goes on without its metrics.
func (x *WatchExports) Start(w *watch.Watch) {
	labels, _ := ParseLabels(x.opts.Labels, WatchLabels...) // checked
	msg := x.opts.Messages
	if x.opts.Addr != "" {
		x.exp = NewWatchExporter(WatchOptions{PID: x.opts.PID, PSS: x.opts.PSS, Labels: labels, Command: w.Command()})
		x.exp.Attach(w)
		warn := func(err error) { fmt.Fprintf(msg, "perfcap: %v; the watch goes on without it\n", err) }
		srv, err := Serve(x.opts.Addr, x.exp, warn)
		if err != nil {
			warn(err)
		} else {
			x.srv = srv
			if !x.opts.Quiet {
				fmt.Fprintf(msg, "perfcap: Prometheus metrics on http://%s/metrics\n", srv.Addr())
			}
		}
	}
	if x.opts.Pyroscope != "" {
		x.sender = x.startSender(w, labels)
	}
}

// startSender starts the uploader of the snapshots' CPU profiles: the
// application is the command's name (the process's with --pid), labelled
// with host and the user's labels.
func (x *WatchExports) startSender(w *watch.Watch, labels map[string]string) *ProfileSender {
	if _, ok := labels["host"]; !ok {
		labels["host"], _ = os.Hostname()
	}
	app := w.Target().Name
	if cmd := w.Command(); x.opts.PID == 0 && len(cmd) > 0 {
		app = filepath.Base(cmd[0])
	}
	app = AppName(app)
	msg, quiet := x.opts.Messages, x.opts.Quiet
	warn := func(s string) { fmt.Fprintf(msg, "perfcap: %s\n", s) }
	popts := PyroscopeOptions{Tenant: x.opts.Tenant, PushOptions: PushOptions{Getenv: x.opts.Getenv, Warn: warn}}
	return NewProfileSender(x.opts.Pyroscope, app, labels, popts, func(path string, sent int, err error) {
		switch {
		case err != nil:
			fmt.Fprintf(msg, "perfcap: warning: the upload of %s to Pyroscope failed: %s; the snapshot bundle keeps the profile\n", termsafe.Text(path), termsafe.Escape(err.Error()))
		case sent == 0:
			fmt.Fprintf(msg, "perfcap: %s holds no CPU profile to upload to Pyroscope\n", termsafe.Text(path))
		case !quiet:
			fmt.Fprintf(msg, "perfcap: uploaded the CPU profile of %s to Pyroscope as %s.cpu\n", termsafe.Text(path), app)
		}
	})
}

// send queues a snapshot's profile for upload; it never waits.
func (x *WatchExports) send(s watch.Snapshot) {
	msg := x.opts.Messages
	if s.PerfFrom.IsZero() {
		fmt.Fprintf(msg, "perfcap: %s recorded no CPU stacks: nothing to upload to Pyroscope\n", termsafe.Text(s.Path))
		return
	}
	if x.sender == nil || !x.sender.Send(s.Path, s.PerfFrom, s.PerfUntil) {
		fmt.Fprintf(msg, "perfcap: warning: earlier snapshots still wait for Pyroscope; %s is not uploaded (its bundle keeps the profile)\n", termsafe.Text(s.Path))
	}
}

// Close stops serving and waits a while for the uploads still queued.
func (x *WatchExports) Close() {
	if x.sender != nil {
		x.sender.Close(senderWait)
	}
	if x.srv != nil {
		x.srv.Close()
	}
}
