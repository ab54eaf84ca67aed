package watch

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/alert"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/units"
)

// weekEnv names the directory a child test process feeds a week into.
const weekEnv = "PERFCAP_TEST_WEEK_DIR"

// weekResult is what the child reports.
type weekResult struct {
	Samples        int     `json:"samples"`
	HWMAtStart     uint64  `json:"hwm_at_start"`
	HWMAfterFeed   uint64  `json:"hwm_after_feed"`
	HWMAfterBundle uint64  `json:"hwm_after_bundle"`
	HeapAfterFeed  uint64  `json:"heap_after_feed"`
	FeedSeconds    float64 `json:"feed_seconds"`
	BundleSeconds  float64 `json:"bundle_seconds"`
	BundleBytes    int64   `json:"bundle_bytes"`
	Verdict        string  `json:"verdict"`
	MiBPerHour     float64 `json:"mib_per_hour"`
}

// weekRSS is the tree's RSS at second i of the fed week: a 200 MiB server
// whose garbage-collected heap saws 50 MiB every minute over a floor that
// leaks 10 MiB an hour.
func weekRSS(i int) uint64 {
	return 200<<20 + uint64(float64(i)/3600*10*(1<<20)) + uint64(i%60)*(50<<20)/60
}

// feedWeek runs a week of 1 s samples of a two-process tree through the
// watch's per-sample path (spool, trend series, alert rules) and then
// writes the bundle from the spool, as a watch that ran a week would.
func feedWeek(dir string) (weekResult, error) {
	var res weekResult
	res.HWMAtStart = selfHWMBytes()
	const week = 7 * 24 * 3600
	t0 := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	out := filepath.Join(dir, "week.tar.zst")
	m := spool.Meta{PerfcapVersion: "test", Mode: "pid", PID: 4242, Command: []string{"vm-server", "--port", "8080"},
		Started: t0, Bundle: out, IntervalSeconds: 1, Alerts: []string{"rss>100GiB", "growth>1000MiB/h"}, Lang: "zh"}
	sp, err := spool.Create(filepath.Join(dir, "week.spool"), m)
	if err != nil {
		return res, err
	}
	var rules []alert.Rule
	for _, s := range m.Alerts {
		r, err := alert.Parse(s)
		if err != nil {
			return res, err
		}
		rules = append(rules, r)
	}
	w := newWatcher(sp, rules, liveTrendOptions(m), time.Second, false)
	w.extra = func(capture.Sample) (format.WatchRow, error) { return format.WatchRow{FDs: 40}, nil }
	procs := []format.ProcSample{
		{PID: 4242, PPID: 1, Name: "vm-server", Threads: 16},
		{PID: 4250, PPID: 4242, Name: "vm-worker", Threads: 4, RSS: 30 << 20},
	}
	start := time.Now()
	for i := range week {
		rss := weekRSS(i)
		procs[0].RSS = rss - procs[1].RSS
		procs[0].UserSec = float64(i) * 0.05
		w.sample(capture.Sample{TimelineRow: format.TimelineRow{T: float64(i), TreeCPUPercent: 5, TreeRSS: rss, Processes: 2, Threads: 20,
			SystemCPUPercent: 7, SystemAvailable: 8 << 30}, Procs: procs})
	}
	res.FeedSeconds = time.Since(start).Seconds()
	if p := os.Getenv("PERFCAP_TEST_WEEK_DEBUG"); p != "" {
		f, _ := os.Create(p)
		_ = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	res.Samples = w.samples
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapAfterFeed = ms.HeapInuse
	res.HWMAfterFeed = selfHWMBytes()
	if err := sp.Close(); err != nil {
		return res, err
	}
	red, _ := redact.New(nil)
	start = time.Now()
	wb := &spoolBundle{dir: sp.Dir(), out: out, meta: m, red: red, lang: "zh", ended: "duration"}
	sum, _, size, err := wb.write()
	if err != nil {
		return res, err
	}
	res.BundleSeconds = time.Since(start).Seconds()
	if p := os.Getenv("PERFCAP_TEST_WEEK_DEBUG"); p != "" {
		runtime.GC()
		runtime.GC()
		f, _ := os.Create(p + ".bundle")
		_ = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	res.HWMAfterBundle = selfHWMBytes()
	res.BundleBytes = size
	res.Verdict, res.MiBPerHour = sum.Watch.Growth.Verdict, sum.Watch.Growth.MiBPerHour
	return res, nil
}

// selfHWMBytes is this process's peak RSS (VmHWM).
func selfHWMBytes() uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n << 10
		}
	}
	return 0
}

// runWeekChild is TestMain's hook: in the child, feed the week and print
// the result as JSON.
func runWeekChild() {
	dir := os.Getenv(weekEnv)
	runtime.GOMAXPROCS(1) // as perfcap watch runs
	res, err := feedWeek(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
	if os.Getenv("PERFCAP_TEST_WEEK_DEBUG") != "" {
		b, _ := os.ReadFile("/proc/self/status")
		os.Stderr.Write(b)
	}
	os.Exit(0)
}

// A week at one sample a second through the same path as a real watch,
// in a fresh process so its peak RSS is the watch's: perfcap stays under
// 30 MB, and the verdict finds the 10 MiB/h leak under the 50 MiB
// sawtooth.
func TestWatchWeekMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("feeds 604,800 samples; skipped with -short")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), weekEnv+"="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the week feed failed: %v\n%s", err, exitStderr(err))
	}
	var res weekResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	t.Logf("start %.1f MiB", float64(res.HWMAtStart)/(1<<20))
	t.Logf("week: %d samples fed in %.1f s, bundle in %.1f s (%s); peak RSS %.1f MiB after the feed, %.1f MiB after the bundle; heap %.1f MiB; %s %.2f MiB/h",
		res.Samples, res.FeedSeconds, res.BundleSeconds, units.FormatSize(res.BundleBytes),
		float64(res.HWMAfterFeed)/(1<<20), float64(res.HWMAfterBundle)/(1<<20), float64(res.HeapAfterFeed)/(1<<20), res.Verdict, res.MiBPerHour)
	if res.Samples != 7*24*3600 {
		t.Errorf("%d samples, want a week's", res.Samples)
	}
	const limit = 30_000_000
	if res.HWMAfterFeed > limit || res.HWMAfterBundle > limit {
		t.Errorf("peak RSS %d / %d bytes, over the %d target", res.HWMAfterFeed, res.HWMAfterBundle, limit)
	}
	if res.Verdict != trend.Growing {
		t.Errorf("verdict %q on a 10 MiB/h leak", res.Verdict)
	}
	within(t, "growth MiB/h", res.MiBPerHour, 10, 0.05)
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
