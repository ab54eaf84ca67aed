package watch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/assemble"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/units"
)

// snapshotReq asks for one snapshot bundle.
type snapshotReq struct {
	reason string        // "SIGUSR1", "schedule", or the alert's message
	alert  *format.Alert // set for an alert
	t      float64
}

// maxHeapProfile bounds the heap profile fetched from --pprof-url.
const maxHeapProfile = 64 << 20

// snapshotProcs is how many of the tree's largest processes a snapshot
// keeps /proc/PID/status and smaps_rollup of.
const snapshotProcs = 8

// onAlert is the watcher's fire hook: it records the alert and asks for
// its snapshot. It runs on the sampling goroutine, so it must not block.
func (wt *Watch) onAlert(a format.Alert) {
	wt.snapMu.Lock()
	wt.alerted = true
	wt.snapMu.Unlock()
	if !wt.cfg.Quiet {
		fmt.Fprintf(wt.cfg.Messages, "perfcap: ALERT %s at %s: %s\n", a.Rule, units.FormatElapsed(a.T), a.Message)
	}
	wt.requestSnapshot(snapshotReq{reason: "alert " + a.Rule + ": " + a.Message, alert: &a, t: a.T})
}

// requestSnapshot queues a snapshot; when one is already waiting, a
// SIGUSR1 or scheduled request is dropped, an alert's never.
func (wt *Watch) requestSnapshot(r snapshotReq) {
	if r.t == 0 {
		r.t = time.Since(wt.epoch).Seconds()
	}
	if r.alert != nil {
		// Queued at once while there is room: the sampling goroutine ends
		// before the watch drains the queue, so an alert on the last
		// sample still gets its snapshot. Only behind a full queue does
		// the alert wait in a goroutine.
		select {
		case wt.snaps <- r:
		default:
			wt.pending.Add(1)
			go func() {
				defer wt.pending.Done()
				wt.snaps <- r
			}()
		}
		return
	}
	select {
	case wt.snaps <- r:
	default:
		fmt.Fprintf(wt.cfg.Messages, "perfcap: a snapshot is already being written; %s ignored\n", r.reason)
	}
}

// snapshotTicker asks for a snapshot every --snapshot-every.
func (wt *Watch) snapshotTicker(ctx context.Context) {
	tick := time.NewTicker(wt.cfg.SnapshotEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			wt.requestSnapshot(snapshotReq{reason: "every " + wt.cfg.SnapshotEvery.String()})
		}
	}
}

// snapshotLoop writes the snapshots one at a time, until ctx ends and the
// queue is empty.
func (wt *Watch) snapshotLoop(ctx context.Context) {
	defer wt.snapWG.Done()
	for {
		select {
		case r := <-wt.snaps:
			wt.writeSnapshot(r)
		case <-ctx.Done():
			for {
				select {
				case r := <-wt.snaps:
					wt.writeSnapshot(r)
				default:
					return
				}
			}
		}
	}
}

// snapshotPath is the n-th snapshot bundle's path, beside the bundle.
func (wt *Watch) snapshotPath(n int) string {
	return fmt.Sprintf("%s.snapshot-%03d.tar.zst", bundle.Stem(wt.bundle), n)
}

// writeSnapshot writes one snapshot bundle: the watch so far from the
// spool, plus the processes' status and smaps_rollup, a short perf
// recording and the heap profile; then runs --on-alert for an alert.
func (wt *Watch) writeSnapshot(r snapshotReq) {
	wt.snapN++
	path := wt.snapshotPath(wt.snapN)
	if err := wt.w.flush(); err != nil {
		fmt.Fprintf(wt.cfg.Messages, "perfcap: snapshot: %v\n", err)
	}
	procs := wt.w.lastProcs()
	sort.Slice(procs, func(i, j int) bool { return procs[i].RSS > procs[j].RSS })
	procs = procs[:min(len(procs), snapshotProcs)]
	root := wt.cfg.PID
	if root == 0 && len(procs) > 0 {
		root = procs[0].PID
		for _, p := range procs {
			if p.PPID == os.Getpid() {
				root = p.PID // the command itself, not its largest child
				break
			}
		}
	}
	ctx := context.Background()
	ref := &format.SnapshotRef{T: r.t, Reason: r.reason, Path: path}
	if r.alert != nil {
		ref.Rule = r.alert.Rule
	}
	var snap Snapshot
	sb := &spoolBundle{
		dir: wt.sp.Dir(), out: path, meta: wt.meta, red: wt.red, lang: wt.cfg.Lang,
		ended: "snapshot", snapshot: ref,
		add: func(w *bundle.Writer, sum *format.Summary) {
			snap.PerfFrom, snap.PerfUntil = wt.addSnapshotFiles(ctx, w, sum, procs, root)
		},
	}
	_, sha, size, err := sb.write()
	if err != nil {
		// An alert's own event is in the spool already: the final bundle
		// lists it, without a snapshot.
		fmt.Fprintf(wt.cfg.Messages, "perfcap: snapshot %s: %v\n", path, err)
		return
	}
	path = sb.written
	ev := spool.Event{T: r.t, Kind: "snapshot", Detail: r.reason, Path: path}
	if r.alert != nil {
		ev.Rule = r.alert.Rule // ties the snapshot to its alert
	}
	wt.w.event(ev)
	if !wt.cfg.Quiet {
		fmt.Fprintf(wt.cfg.Messages, "perfcap: snapshot (%s) written: %s (%s, sha256 %s)\n", r.reason, path, units.FormatSize(size), sha[:12])
	}
	if wt.cfg.OnSnapshot != nil {
		snap.Path, snap.Reason = path, r.reason
		wt.cfg.OnSnapshot(snap)
	}
	if r.alert != nil && wt.cfg.OnAlert != "" {
		wt.runOnAlert(path, r.alert)
	}
}

// addSnapshotFiles adds the evidence of the moment to a snapshot bundle,
// and returns when its CPU stacks were recorded (zero without).
func (wt *Watch) addSnapshotFiles(ctx context.Context, w *bundle.Writer, sum *format.Summary, procs []format.ProcSample, root int) (perfFrom, perfUntil time.Time) {
	for _, p := range procs {
		for _, name := range []string{"status", "smaps_rollup"} {
			b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.PID), name))
			if err != nil {
				continue // ended since, or not ours to read
			}
			_ = w.AddBytes(fmt.Sprintf("snapshot/%d/%s", p.PID, name), b)
		}
	}
	if wt.cfg.SnapshotPerf > 0 && root > 0 {
		perfFrom, perfUntil = wt.addSnapshotPerf(ctx, w, sum, root, procs)
	}
	if wt.cfg.PprofURL != "" {
		if err := fetchHeap(ctx, w, wt.cfg.PprofURL); err != nil {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("heap profile: %v", err))
		}
	}
	return perfFrom, perfUntil
}

// addSnapshotPerf records the CPU stacks of root and of the tree's largest
// processes for SnapshotPerf into perf/, and returns when it recorded
// (zero when it did not).
// Both perf record and perf script run through runForeign: while the
// command runs, any other child of perfcap joins the watched tree (its RSS
// and CPU counted as the command's, in processes.csv, able to trip an rss
// alert) and Run's reaper may take its exit status from os/exec.
func (wt *Watch) addSnapshotPerf(ctx context.Context, w *bundle.Writer, sum *format.Summary, root int, procs []format.ProcSample) (from, until time.Time) {
	dir, err := os.MkdirTemp(filepath.Dir(w.Dir()), ".perfcap-snapshot-perf-*")
	if err != nil {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("no CPU stacks: %v", err))
		return
	}
	defer os.RemoveAll(dir)
	others := make([]int, 0, len(procs))
	for _, p := range procs {
		others = append(others, p.PID)
	}
	from = time.Now()
	res := capture.RecordPID(ctx, capture.RecordOptions{PID: root, Others: others, Duration: wt.cfg.SnapshotPerf, Dir: dir, Run: wt.runForeign})
	until = time.Now()
	if !res.PerfRecording.Recorded {
		from, until = time.Time{}, time.Time{}
	}
	assemble.Perf(ctx, w, assemble.PerfInput{
		Recording: res.PerfRecording, Data: res.Data, Log: res.Log,
		Title:      fmt.Sprintf("perfcap watch snapshot: pid %d", root),
		ShallowFix: "build Rust with RUSTFLAGS=-Cforce-frame-pointers=yes",
		Read: flame.PerfDataOptions{
			Fold: flame.FoldOptions{Annotate: true}, Run: wt.runForeign, TempDir: dir,
			Warn: func(msg string) { fmt.Fprintf(wt.cfg.Messages, "perfcap: %s\n", msg) },
		},
	}, sum)
	return from, until
}

// fetchHeap gets a Go heap profile from url and stores it as
// snapshot/heap.pb.gz, once it parses as a pprof profile.
func fetchHeap(ctx context.Context, w *bundle.Writer, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("--pprof-url %q: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching %s: %s; is net/http/pprof imported by the program?", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxHeapProfile+1))
	if err != nil {
		return fmt.Errorf("fetching %s: %w", url, err)
	}
	if len(b) > maxHeapProfile {
		return fmt.Errorf("%s: the profile is larger than %s", url, units.FormatSize(maxHeapProfile))
	}
	p, err := profile.ParseData(b)
	if err != nil {
		return fmt.Errorf("%s did not return a pprof profile (%v); point --pprof-url at /debug/pprof/heap", url, err)
	}
	var out bytes.Buffer
	if err := p.Write(&out); err != nil {
		return err
	}
	return w.AddBytes("snapshot/heap.pb.gz", out.Bytes())
}

// runOnAlert runs --on-alert with sh: $1 and $PERFCAP_SNAPSHOT are the
// snapshot bundle, $PERFCAP_ALERT the rule and what it saw. It may run for
// up to a minute; its output goes to perfcap's stderr.
func (wt *Watch) runOnAlert(path string, a *format.Alert) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", wt.cfg.OnAlert, "perfcap-on-alert", path)
	cmd.Env = append(os.Environ(), "PERFCAP_SNAPSHOT="+path, "PERFCAP_ALERT="+a.Rule+": "+a.Message)
	cmd.Stdout, cmd.Stderr = wt.cfg.Messages, wt.cfg.Messages
	if err := wt.runForeign(cmd); err != nil {
		fmt.Fprintf(wt.cfg.Messages, "perfcap: --on-alert %q: %v\n", wt.cfg.OnAlert, err)
	}
}
