package main

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
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfcap/perfcap/bundle"
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
func (wr *watchRun) onAlert(a format.Alert) {
	wr.snapMu.Lock()
	wr.alerted = true
	wr.snapMu.Unlock()
	if !wr.opts.quiet {
		fmt.Fprintf(wr.stderr, "perfcap: ALERT %s at %s: %s\n", a.Rule, units.FormatElapsed(a.T), a.Message)
	}
	wr.requestSnapshot(snapshotReq{reason: "alert " + a.Rule + ": " + a.Message, alert: &a, t: a.T})
}

// requestSnapshot queues a snapshot; when one is already waiting, a
// SIGUSR1 or scheduled request is dropped, an alert's never.
func (wr *watchRun) requestSnapshot(r snapshotReq) {
	if r.t == 0 {
		r.t = time.Since(wr.epoch).Seconds()
	}
	if r.alert != nil {
		// Queued at once while there is room: the sampling goroutine ends
		// before the watch drains the queue, so an alert on the last
		// sample still gets its snapshot. Only behind a full queue does
		// the alert wait in a goroutine.
		select {
		case wr.snaps <- r:
		default:
			wr.pending.Add(1)
			go func() {
				defer wr.pending.Done()
				wr.snaps <- r
			}()
		}
		return
	}
	select {
	case wr.snaps <- r:
	default:
		fmt.Fprintf(wr.stderr, "perfcap: a snapshot is already being written; %s ignored\n", r.reason)
	}
}

// snapshotTicker asks for a snapshot every --snapshot-every.
func (wr *watchRun) snapshotTicker(ctx context.Context) {
	tick := time.NewTicker(wr.opts.snapshotEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			wr.requestSnapshot(snapshotReq{reason: "every " + wr.opts.snapshotEvery.String()})
		}
	}
}

// snapshotLoop writes the snapshots one at a time, until ctx ends and the
// queue is empty.
func (wr *watchRun) snapshotLoop(ctx context.Context) {
	defer wr.snapWG.Done()
	for {
		select {
		case r := <-wr.snaps:
			wr.writeSnapshot(r)
		case <-ctx.Done():
			for {
				select {
				case r := <-wr.snaps:
					wr.writeSnapshot(r)
				default:
					return
				}
			}
		}
	}
}

// snapshotPath is the n-th snapshot bundle's path, beside the bundle.
func (wr *watchRun) snapshotPath(n int) string {
	base := strings.TrimSuffix(strings.TrimSuffix(wr.bundle, ".zst"), ".tar")
	return fmt.Sprintf("%s.snapshot-%03d.tar.zst", base, n)
}

// writeSnapshot writes one snapshot bundle: the watch so far from the
// spool, plus the processes' status and smaps_rollup, a short perf
// recording and the heap profile; then runs --on-alert for an alert.
func (wr *watchRun) writeSnapshot(r snapshotReq) {
	wr.snapN++
	path := wr.snapshotPath(wr.snapN)
	if err := wr.w.flush(); err != nil {
		fmt.Fprintf(wr.stderr, "perfcap: snapshot: %v\n", err)
	}
	procs := wr.w.lastProcs()
	sort.Slice(procs, func(i, j int) bool { return procs[i].RSS > procs[j].RSS })
	procs = procs[:min(len(procs), snapshotProcs)]
	root := wr.opts.pid
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
	wb := &watchBundle{
		dir: wr.sp.Dir(), out: path, meta: wr.meta, red: wr.red, lang: wr.opts.lang,
		ended: "snapshot", snapshot: ref,
		add: func(w *bundle.Writer, sum *format.Summary) {
			wr.addSnapshotFiles(ctx, w, sum, procs, root)
		},
	}
	_, sha, size, err := wb.write()
	if err != nil {
		// An alert's own event is in the spool already: the final bundle
		// lists it, without a snapshot.
		fmt.Fprintf(wr.stderr, "perfcap: snapshot %s: %v\n", path, err)
		return
	}
	ev := spool.Event{T: r.t, Kind: "snapshot", Detail: r.reason, Path: path}
	if r.alert != nil {
		ev.Rule = r.alert.Rule // ties the snapshot to its alert
	}
	wr.w.event(ev)
	if !wr.opts.quiet {
		fmt.Fprintf(wr.stderr, "perfcap: snapshot (%s) written: %s (%s, sha256 %s)\n", r.reason, path, units.FormatSize(size), sha[:12])
	}
	if r.alert != nil && wr.opts.onAlert != "" {
		wr.runOnAlert(path, r.alert)
	}
}

// addSnapshotFiles adds the evidence of the moment to a snapshot bundle.
func (wr *watchRun) addSnapshotFiles(ctx context.Context, w *bundle.Writer, sum *format.Summary, procs []format.ProcSample, root int) {
	for _, p := range procs {
		for _, name := range []string{"status", "smaps_rollup"} {
			b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.PID), name))
			if err != nil {
				continue // ended since, or not ours to read
			}
			_ = w.AddBytes(fmt.Sprintf("snapshot/%d/%s", p.PID, name), b)
		}
	}
	if wr.opts.snapshotPerf > 0 && root > 0 {
		wr.addSnapshotPerf(ctx, w, sum, root, procs)
	}
	if wr.opts.pprofURL != "" {
		if err := fetchHeap(ctx, w, wr.opts.pprofURL); err != nil {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("heap profile: %v", err))
		}
	}
}

// addSnapshotPerf records the CPU stacks of root and of the tree's largest
// processes for --snapshot-perf into perf/.
// Both perf record and perf script run through runForeign: while the
// command runs, any other child of perfcap joins the watched tree (its RSS
// and CPU counted as the command's, in processes.csv, able to trip an rss
// alert) and Run's reaper may take its exit status from os/exec. That is
// why this does not use finishPerf, whose perf script is a plain child.
func (wr *watchRun) addSnapshotPerf(ctx context.Context, w *bundle.Writer, sum *format.Summary, root int, procs []format.ProcSample) {
	dir, err := os.MkdirTemp(filepath.Dir(w.Dir()), ".perfcap-snapshot-perf-*")
	if err != nil {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("no CPU stacks: %v", err))
		return
	}
	defer os.RemoveAll(dir)
	title := fmt.Sprintf("perfcap watch snapshot: pid %d", root)
	others := make([]int, 0, len(procs))
	for _, p := range procs {
		others = append(others, p.PID)
	}
	res := capture.RecordPID(ctx, capture.RecordOptions{PID: root, Others: others, Duration: wr.opts.snapshotPerf, Dir: dir, Run: wr.runForeign})
	// perf script runs through the foreign runner: as perfcap's plain
	// child it would be sampled as part of the watched tree (and reaped by
	// Run's reaper).
	finishPerf(ctx, wr.opts.io, w, res, false, title, sum,
		func(ctx context.Context, data string) ([]flame.Stack, *profile.Profile, error) {
			return wr.foldSnapshotPerf(ctx, data, dir)
		}, "build Rust with RUSTFLAGS=-Cforce-frame-pointers=yes")
}

func (wr *watchRun) foldSnapshotPerf(ctx context.Context, data, dir string) ([]flame.Stack, *profile.Profile, error) {
	script := filepath.Join(dir, "perf.script")
	out, err := os.Create(script)
	if err != nil {
		return nil, nil, err
	}
	defer out.Close()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "perf", "script", "-i", data, "--no-inline")
	cmd.Stdout, cmd.Stderr = out, &stderr
	if err := wr.runForeign(cmd); err != nil {
		return nil, nil, fmt.Errorf("perf script -i %s: %v: %s", data, err, strings.TrimSpace(firstLine(stderr.String())))
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return nil, nil, err
	}
	return foldScript(out, &flameOptions{io: wr.opts.io, input: data, pprof: "profile"})
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
func (wr *watchRun) runOnAlert(path string, a *format.Alert) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", wr.opts.onAlert, "perfcap-on-alert", path)
	cmd.Env = append(os.Environ(), "PERFCAP_SNAPSHOT="+path, "PERFCAP_ALERT="+a.Rule+": "+a.Message)
	cmd.Stdout, cmd.Stderr = wr.stderr, wr.stderr
	if err := wr.runForeign(cmd); err != nil {
		fmt.Fprintf(wr.stderr, "perfcap: --on-alert %q: %v\n", wr.opts.onAlert, err)
	}
}
