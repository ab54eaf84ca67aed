package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// snapRunResult is what one in-process `perfcap watch` left behind.
type snapRunResult struct {
	code      int
	stderr    string
	bundle    string
	summary   format.Summary
	snapshots []string // the snapshot bundles beside the bundle, in order
}

// snapRun runs `perfcap watch -q --no-facts -o DIR/w.tar.zst ARGS...` in-process
// and reads back the bundle and the names of the snapshot bundles.
func snapRun(t *testing.T, dir string, args ...string) snapRunResult {
	t.Helper()
	io, _, stderr := iostreams.Test()
	out := filepath.Join(dir, "w.tar.zst")
	code := Main(append([]string{"watch", "-q", "--no-facts", "-o", out}, args...), io)
	r := snapRunResult{code: code, stderr: stderr.String(), bundle: out}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("watch exited %d without a bundle; stderr:\n%s", code, r.stderr)
	}
	r.summary = snapSummary(t, out)
	r.snapshots = snapBundles(t, out)
	return r
}

// snapBundles lists the snapshot bundles written beside a bundle.
func snapBundles(t *testing.T, out string) []string {
	t.Helper()
	snaps, err := filepath.Glob(strings.TrimSuffix(out, ".tar.zst") + ".snapshot-*.tar.zst")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(snaps)
	return snaps
}

func snapSummary(t *testing.T, path string) format.Summary {
	t.Helper()
	raw, err := bundle.ReadFile(path, "summary.json")
	if err != nil {
		t.Fatalf("reading summary.json of %s: %v", path, err)
	}
	var s format.Summary
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("summary.json of %s: %v", path, err)
	}
	if s.Watch == nil {
		t.Fatalf("summary.json of %s has no watch object", path)
	}
	return s
}

// snapTimelineRows counts the data rows of a bundle's timeline.csv.
func snapTimelineRows(files map[string]string) int {
	return strings.Count(files["timeline.csv"], "\n") - 1
}

// snapPerfUsable reports whether perf is installed and allowed to record here,
// by recording a real command with it.
func snapPerfUsable(t *testing.T) (bool, string) {
	t.Helper()
	perf, err := exec.LookPath("perf")
	if err != nil {
		return false, "perf is not installed"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, perf, "record", "-q", "-g", "-o", filepath.Join(t.TempDir(), "perf.data"), "--", "true").CombinedOutput()
	if err != nil {
		return false, "perf record failed: " + err.Error() + ": " + strings.TrimSpace(string(out))
	}
	return true, ""
}

func TestWatchAlertFiresOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("watches a workload for seconds")
	}
	tests := []struct {
		name string
		rule string
		argv []string
		// burns says the workload burns CPU while the snapshot's perf
		// records, so perf must find stacks when it can record at all.
		burns bool
	}{
		{"leak", "rss>40MiB", []string{"leak", "10MiB", "7s"}, false},
		{"burn", "rss>5MiB", []string{"alloc", "10MiB", "burn", "4s"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := snapRun(t, dir, append([]string{"--interval", "50ms", "--alert", tt.rule, "--snapshot-perf", "1s", "--", workloadBin}, tt.argv...)...)
			if r.code != exitAlert {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, exitAlert, r.stderr)
			}
			if len(r.snapshots) != 1 {
				t.Fatalf("snapshot bundles %q, want exactly one", r.snapshots)
			}
			snap := r.snapshots[0]
			if _, err := bundle.Verify(snap); err != nil {
				t.Errorf("the snapshot does not verify: %v", err)
			}
			if _, err := bundle.Verify(r.bundle); err != nil {
				t.Errorf("the bundle does not verify: %v", err)
			}

			// perfcap's own children (perf record, perf script) are not
			// part of the watched tree: the workload is its only process.
			if r.summary.Processes != 1 {
				t.Errorf("the final bundle lists %d processes, want only the workload:\n%s", r.summary.Processes, readBundleFiles(t, r.bundle)["processes.csv"])
			}
			files := readBundleFiles(t, snap)
			pid := r.summary.MaxProcessRSSPID // the workload
			for _, name := range []string{"status", "smaps_rollup"} {
				if _, ok := files["snapshot/"+strconv.Itoa(pid)+"/"+name]; !ok {
					t.Errorf("the snapshot lacks snapshot/%d/%s of the workload; it has %q", pid, name, snapNames(files))
				}
			}
			if st := files["snapshot/"+strconv.Itoa(pid)+"/status"]; !strings.Contains(st, "Pid:\t"+strconv.Itoa(pid)+"\n") {
				t.Errorf("snapshot/%d/status is not the workload's: %.200q", pid, st)
			}
			for _, name := range []string{"timeline.csv", "timeline.svg", "summary.json"} {
				if _, ok := files[name]; !ok {
					t.Errorf("the snapshot lacks %s", name)
				}
			}

			ss := snapSummary(t, snap)
			if ss.Watch.Snapshot == nil || !strings.Contains(ss.Watch.Snapshot.Reason, tt.rule) {
				t.Errorf("snapshot summary watch.snapshot = %+v, want a reason naming %q", ss.Watch.Snapshot, tt.rule)
			}
			if ss.Watch.Ended != "snapshot" {
				t.Errorf("snapshot summary watch.ended = %q, want snapshot", ss.Watch.Ended)
			}
			final := readBundleFiles(t, r.bundle)
			if sr, fr := snapTimelineRows(files), snapTimelineRows(final); sr < 1 || sr >= fr {
				t.Errorf("the snapshot's timeline has %d rows, the final bundle's %d: want the snapshot's fewer", sr, fr)
			}

			alerts := r.summary.Watch.Alerts
			if len(alerts) != 1 {
				t.Fatalf("final watch.alerts = %+v, want exactly one", alerts)
			}
			if alerts[0].Snapshot != snap || alerts[0].Rule != tt.rule {
				t.Errorf("final watch.alerts[0] = %+v, want rule %q and snapshot %s", alerts[0], tt.rule, snap)
			}

			if !tt.burns {
				return
			}
			if ok, why := snapPerfUsable(t); !ok {
				t.Logf("not checking perf/flame.svg: %s", why)
				return
			}
			for _, name := range []string{"perf/flame.svg", "perf/folded.txt", "perf/profile.pb.gz"} {
				if _, ok := files[name]; !ok {
					t.Errorf("the snapshot lacks %s though perf can record; warnings: %q", name, ss.Warnings)
				}
			}
			if !strings.Contains(files["perf/folded.txt"], "main.") {
				t.Errorf("perf/folded.txt shows none of the workload's functions: %.300q", files["perf/folded.txt"])
			}
		})
	}
}

func snapNames(files map[string]string) []string {
	var n []string
	for name := range files {
		n = append(n, name)
	}
	slices.Sort(n)
	return n
}

func TestWatchOnAlertRunsCommand(t *testing.T) {
	dir := t.TempDir()
	alertFile := filepath.Join(dir, "alert.txt")
	onAlert := `echo "$1" > '` + alertFile + `'; echo "$PERFCAP_SNAPSHOT" >> '` + alertFile + `'; echo "$PERFCAP_ALERT" >> '` + alertFile + `'`
	r := snapRun(t, dir, "--interval", "50ms", "--alert", "rss>5MiB", "--snapshot-perf", "0", "--on-alert", onAlert,
		"--", workloadBin, "alloc", "10MiB", "hold", "1s")
	if r.code != exitAlert {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, exitAlert, r.stderr)
	}
	if len(r.snapshots) != 1 {
		t.Fatalf("snapshot bundles %q, want exactly one", r.snapshots)
	}
	b, err := os.ReadFile(alertFile)
	if err != nil {
		t.Fatalf("--on-alert did not run: %v; stderr:\n%s", err, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("alert.txt = %q, want 3 lines", b)
	}
	if lines[0] != r.snapshots[0] || lines[1] != r.snapshots[0] {
		t.Errorf("$1 = %q and $PERFCAP_SNAPSHOT = %q, want the snapshot %s", lines[0], lines[1], r.snapshots[0])
	}
	if !strings.HasPrefix(lines[2], "rss>5MiB") {
		t.Errorf("$PERFCAP_ALERT = %q, want it to name the rule rss>5MiB", lines[2])
	}
}

func TestWatchPprofURL(t *testing.T) {
	// A real Go heap profile, served by net/http/pprof in the test process.
	mux := http.NewServeMux()
	mux.Handle("/debug/pprof/heap", pprof.Handler("heap"))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name string
		path string
		heap bool // the snapshot holds snapshot/heap.pb.gz
	}{
		{"heap", "/debug/pprof/heap", true},
		{"not found", "/no/such/profile", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := snapRun(t, dir, "--interval", "50ms", "--alert", "rss>5MiB", "--snapshot-perf", "0", "--pprof-url", srv.URL+tt.path,
				"--", workloadBin, "alloc", "10MiB", "hold", "500ms")
			if r.code != exitAlert {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, exitAlert, r.stderr)
			}
			if len(r.snapshots) != 1 {
				t.Fatalf("snapshot bundles %q, want exactly one", r.snapshots)
			}
			snap := r.snapshots[0]
			if _, err := bundle.Verify(snap); err != nil {
				t.Errorf("the snapshot does not verify: %v", err)
			}
			ss := snapSummary(t, snap)
			heap, err := bundle.ReadFile(snap, "snapshot/heap.pb.gz")
			if !tt.heap {
				if err == nil {
					t.Errorf("the snapshot holds snapshot/heap.pb.gz from a URL that answers 404")
				}
				warned := false
				for _, w := range ss.Warnings {
					warned = warned || (strings.Contains(w, "heap profile") && strings.Contains(w, "404"))
				}
				if !warned {
					t.Errorf("no warning about the heap profile's 404: %q", ss.Warnings)
				}
				return
			}
			if err != nil {
				t.Fatalf("snapshot/heap.pb.gz: %v; warnings: %q", err, ss.Warnings)
			}
			p, err := profile.ParseData(heap)
			if err != nil {
				t.Fatalf("snapshot/heap.pb.gz does not parse: %v", err)
			}
			var types []string
			for _, st := range p.SampleType {
				types = append(types, st.Type)
			}
			if !slices.Contains(types, "inuse_space") {
				t.Errorf("sample types %q lack inuse_space", types)
			}

			goBin, err := exec.LookPath("go")
			if err != nil {
				t.Logf("not running go tool pprof: %v", err)
				return
			}
			file := filepath.Join(dir, "heap.pb.gz")
			if err := os.WriteFile(file, heap, 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, goBin, "tool", "pprof", "-top", file)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Errorf("go tool pprof -top: %v\n%s", err, out.String())
			} else if !strings.Contains(out.String(), "inuse_space") {
				t.Errorf("go tool pprof -top does not show inuse_space:\n%s", out.String())
			}
		})
	}
}

func TestWatchSIGUSR1Snapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("watches a workload for seconds")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "w.tar.zst")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, perfcapBin, "watch", "-q", "--no-facts", "--interval", "50ms", "--snapshot-perf", "0", "-o", out,
		"--", workloadBin, "alloc", "10MiB", "hold", "6s")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	defer func() {
		if !waited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	// The spool shows samples once perfcap has flushed a few.
	spooled := filepath.Join(dir, "w.spool", "timeline.csv")
	for {
		b, _ := os.ReadFile(spooled)
		if strings.Count(string(b), "\n") > 5 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the spool's timeline.csv never got more than 5 lines: %q; stderr:\n%s", b, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	waited = true
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d, want 0 (no alert); stderr:\n%s", code, stderr.String())
	}
	snaps := snapBundles(t, out)
	if len(snaps) != 1 {
		t.Fatalf("snapshot bundles %q, want exactly one", snaps)
	}
	if _, err := bundle.Verify(snaps[0]); err != nil {
		t.Errorf("the snapshot does not verify: %v", err)
	}
	ss, fs := snapSummary(t, snaps[0]), snapSummary(t, out)
	if ss.Watch.Snapshot == nil || ss.Watch.Snapshot.Reason != "SIGUSR1" {
		t.Errorf("snapshot summary watch.snapshot = %+v, want reason SIGUSR1", ss.Watch.Snapshot)
	}
	if ss.Samples >= fs.Samples {
		t.Errorf("the snapshot has %d samples, the final bundle %d: the watch did not go on", ss.Samples, fs.Samples)
	}
	if fs.Watch.Ended != "exited" {
		t.Errorf("final watch.ended = %q, want exited", fs.Watch.Ended)
	}
	if len(fs.Watch.Alerts) != 0 {
		t.Errorf("final watch.alerts = %+v, want none", fs.Watch.Alerts)
	}
	if got := fs.Watch.Snapshots; len(got) != 1 || got[0].Path != snaps[0] || got[0].Reason != "SIGUSR1" {
		t.Errorf("final watch.snapshots = %+v, want the SIGUSR1 snapshot %s", got, snaps[0])
	}
}

func TestWatchSnapshotEvery(t *testing.T) {
	dir := t.TempDir()
	r := snapRun(t, dir, "--interval", "50ms", "--snapshot-every", "1s", "--snapshot-perf", "0",
		"--", workloadBin, "alloc", "5MiB", "hold", "3500ms")
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	if len(r.snapshots) < 2 {
		t.Fatalf("snapshot bundles %q, want at least 2 over 3.5s", r.snapshots)
	}
	for _, s := range r.snapshots {
		if _, err := bundle.Verify(s); err != nil {
			t.Errorf("%s does not verify: %v", s, err)
		}
		if ss := snapSummary(t, s); ss.Watch.Snapshot == nil || ss.Watch.Snapshot.Reason != "every 1s" {
			t.Errorf("%s: watch.snapshot = %+v, want reason \"every 1s\"", s, ss.Watch.Snapshot)
		}
	}
	var listed []string
	for _, s := range r.summary.Watch.Snapshots {
		listed = append(listed, s.Path)
	}
	if !slices.Equal(listed, r.snapshots) {
		t.Errorf("final watch.snapshots lists %q, want the snapshot bundles %q", listed, r.snapshots)
	}
}

func TestWatchGrowthAlert(t *testing.T) {
	if testing.Short() {
		t.Skip("watches workloads for 16s")
	}
	const rule = "growth>1000MiB/h"
	tests := []struct {
		name string
		argv []string
		code int
	}{
		{"leak", []string{"leak", "10MiB", "8s"}, exitAlert},
		{"flat", []string{"alloc", "20MiB", "hold", "8s"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := snapRun(t, dir, append([]string{"--interval", "20ms", "--warmup", "1s", "--trend-bucket", "200ms", "--min-growth", "100MiB/h",
				"--alert", rule, "--snapshot-perf", "0", "--", workloadBin}, tt.argv...)...)
			g := r.summary.Watch.Growth
			if r.code != tt.code {
				t.Fatalf("exit code %d, want %d (verdict %s at %.3g MiB/h); stderr:\n%s", r.code, tt.code, g.Verdict, g.MiBPerHour, r.stderr)
			}
			if tt.code == 0 {
				if len(r.summary.Watch.Alerts) != 0 || len(r.snapshots) != 0 {
					t.Errorf("a flat RSS fired %+v, snapshots %q", r.summary.Watch.Alerts, r.snapshots)
				}
				return
			}
			if a := r.summary.Watch.Alerts; len(a) != 1 || a[0].Rule != rule || len(r.snapshots) != 1 || a[0].Snapshot != r.snapshots[0] {
				t.Errorf("final watch.alerts = %+v, snapshots %q: want one %s alert with its snapshot", a, r.snapshots, rule)
			}
		})
	}
}
