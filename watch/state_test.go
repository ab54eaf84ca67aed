package watch

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/alert"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/format"
)

// Processes perfcap may not read (another user's, without root) make the
// open-file and PSS figures partial: said once on stderr and in the bundle.
func TestWatcherWarnsOnceWhenRefused(t *testing.T) {
	dir := t.TempDir()
	m := spool.Meta{Mode: "pid", PID: 4242, Command: []string{"server"}, Started: time.Now(), IntervalSeconds: 1}
	sp, err := spool.Create(filepath.Join(dir, "s"), m)
	if err != nil {
		t.Fatal(err)
	}
	w := newWatcher(sp, nil, trendOptions(m), time.Second, false)
	var stderr bytes.Buffer
	w.warn = &stderr
	w.extra = func(capture.Sample) (format.WatchRow, error) {
		return format.WatchRow{}, fmt.Errorf("reading /proc/4242/fd: %w", os.ErrPermission)
	}
	for i := range 3 {
		w.sample(capture.Sample{TimelineRow: format.TimelineRow{T: float64(i), TreeRSS: 1 << 20, Processes: 1}, Procs: []format.ProcSample{{PID: 4242, Name: "server", RSS: 1 << 20}}})
	}
	if n := strings.Count(stderr.String(), "not counted"); n != 1 {
		t.Errorf("warned %d times:\n%s", n, stderr.String())
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	red, _ := redact.New(nil)
	wb := &spoolBundle{dir: sp.Dir(), out: filepath.Join(dir, "w.tar.zst"), meta: m, red: red, lang: "en", ended: "exited"}
	sum, _, _, err := wb.write()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(sum.Warnings, "\n"), "run perfcap as the processes' user or as root") {
		t.Errorf("the bundle's warnings do not say so: %q", sum.Warnings)
	}
}

// An alert fires once, on the first sample that breaks its rule, and never
// again; a growth rule waits for the verdict.
func TestWatcherAlertsFireOnce(t *testing.T) {
	m := spool.Meta{Mode: "pid", PID: 1, Started: time.Now(), IntervalSeconds: 1, WarmupSeconds: 10, BucketSeconds: 5}
	sp, err := spool.Create(filepath.Join(t.TempDir(), "s"), m)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	var rules []alert.Rule
	for _, s := range []string{"rss>100MiB", "growth>10MiB/h", "fds>=50"} {
		r, err := alert.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	w := newWatcher(sp, rules, trendOptions(m), time.Second, false)
	w.extra = func(capture.Sample) (format.WatchRow, error) { return format.WatchRow{FDs: 10}, nil }
	var fired []format.Alert
	w.fire = func(a format.Alert) { fired = append(fired, a) }
	// 10 MiB/min for 10 minutes: rss>100MiB at 10 min, growth as soon as
	// the verdict has enough buckets after the warm-up.
	for i := range 600 {
		rss := uint64(1<<20) + uint64(i)*(10<<20)/60
		w.sample(capture.Sample{TimelineRow: format.TimelineRow{T: float64(i), TreeRSS: rss, Processes: 1}})
	}
	var got []string
	for _, a := range fired {
		got = append(got, a.Rule)
	}
	if strings.Join(got, " ") != "growth>10MiB/h" && strings.Join(got, " ") != "growth>10MiB/h rss>100MiB" {
		t.Errorf("fired %q", got)
	}
	for i := range 60 {
		w.sample(capture.Sample{TimelineRow: format.TimelineRow{T: float64(600 + i), TreeRSS: 200 << 20, Processes: 1}})
	}
	counts := map[string]int{}
	for _, a := range fired {
		counts[a.Rule]++
	}
	if counts["rss>100MiB"] != 1 || counts["growth>10MiB/h"] != 1 || counts["fds>=50"] != 0 {
		t.Errorf("fired %v, want rss and growth once each, fds never", counts)
	}
	for _, a := range fired {
		if a.Message == "" || a.T <= 0 {
			t.Errorf("alert %+v lacks its message or time", a)
		}
	}
	// Each alert is in the spool the moment it fires, before any snapshot:
	// a perfcap killed while writing the snapshot does not lose it.
	events, err := spool.ReadEvents(sp.Dir())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Kind == "alert" {
			n++
		}
	}
	if n != len(fired) {
		t.Errorf("%d alert events in the spool, %d alerts fired", n, len(fired))
	}
}

// The live line of a watch adds open files and the recent RSS change.
func TestWatcherStatusSuffix(t *testing.T) {
	sp, err := spool.Create(filepath.Join(t.TempDir(), "s"), spool.Meta{Mode: "pid", PID: 1, Started: time.Now(), IntervalSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	w := newWatcher(sp, nil, trendOptions(spool.Meta{}), time.Second, false)
	w.extra = func(capture.Sample) (format.WatchRow, error) { return format.WatchRow{FDs: 7}, nil }
	if got := w.statusSuffix(); got != "  fds 0" {
		t.Errorf("before any sample: %q", got)
	}
	for i := range 700 {
		w.sample(capture.Sample{TimelineRow: format.TimelineRow{T: float64(i), TreeRSS: uint64(100<<20 + i<<20), Processes: 1}})
	}
	// The window is the last 600 samples: 599 s and 599 MiB.
	if got, want := w.statusSuffix(), "  fds 7  rss +599.0 MiB in 9:59.0"; got != want {
		t.Errorf("suffix %q, want %q", got, want)
	}
}

// status gives the last sample with its open files, the counts, and a
// verdict analysed again only once a fit bucket has passed: a linear
// climb is growing once the warm-up and eight buckets are behind it.
func TestWatcherStatus(t *testing.T) {
	m := spool.Meta{Mode: "pid", PID: 1, Started: time.Now(), IntervalSeconds: 1, WarmupSeconds: 10, BucketSeconds: 5}
	sp, err := spool.Create(filepath.Join(t.TempDir(), "s"), m)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	rule, err := alert.Parse("rss>100MiB")
	if err != nil {
		t.Fatal(err)
	}
	w := newWatcher(sp, []alert.Rule{rule}, trendOptions(m), time.Second, false)
	w.extra = func(s capture.Sample) (format.WatchRow, error) {
		return format.WatchRow{T: s.T, FDs: int(s.T) + 3}, nil
	}
	if st := w.status(); st.Samples != 0 || st.Growth.Verdict != "inconclusive" {
		t.Errorf("before any sample: %+v", st)
	}
	at := func(i int) {
		rss := uint64(64<<20 + i<<20) // 1 MiB a second: 3.5 GiB/h
		w.sample(capture.Sample{TimelineRow: format.TimelineRow{T: float64(i), TreeRSS: rss, Processes: 1, Threads: 2}})
	}
	for i := range 5 {
		at(i)
	}
	st := w.status()
	if st.Last.T != 4 || st.Last.TreeRSS != 68<<20 || st.Extra.FDs != 7 || st.Samples != 5 || st.AlertsFired != 0 {
		t.Errorf("after 5 samples: %+v", st)
	}
	if st.Growth.Verdict != "inconclusive" {
		t.Errorf("verdict %q inside the warm-up", st.Growth.Verdict)
	}
	w.event(spool.Event{T: 4, Kind: "restart"})
	for i := 5; i < 61; i++ {
		at(i)
	}
	st = w.status()
	if st.Restarts != 1 || st.AlertsFired != 1 || st.Samples != 61 {
		t.Errorf("restarts %d, alerts %d, samples %d; want 1, 1, 61", st.Restarts, st.AlertsFired, st.Samples)
	}
	if st.Growth.Verdict != "growing" || st.Growth.MiBPerHour < 3000 || st.Growth.MiBPerHour > 4000 {
		t.Errorf("growth %+v, want growing at ~3600 MiB/h", st.Growth)
	}
	cached := st.Growth
	at(61) // less than a fit bucket later: the same analysis
	if st = w.status(); st.Growth != cached {
		t.Errorf("analysed again after 1 s of a 5 s bucket")
	}
}
