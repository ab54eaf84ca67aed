package main

import (
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/format"
)

// A real Prometheus scrapes a watch of a leaking process every second.
// Every RSS it stored is the RSS the watch recorded in its bundle at that
// sample (within 5 %), the labels are the command, pid and --label, and
// the verdict gauge goes from inconclusive (in the warm-up) to growing,
// with the rate the bundle's final analysis finds.
func TestWatchMetricsInPrometheus(t *testing.T) {
	port := freePort(t)
	prom := startPrometheus(t, "127.0.0.1:"+strconv.Itoa(port))
	r := watchInProcess(t, "--metrics-addr", strconv.Itoa(port), "--label", "team=perf",
		"--interval", "100ms", "--warmup", "2s", "--trend-bucket", "500ms", "--duration", "10s", "--snapshot-perf", "0",
		"--", workloadBin, "leak", "10MiB", "60s", "--step", "50ms")
	if r.code != 0 {
		t.Fatalf("watch exited %d:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "Prometheus metrics on http://127.0.0.1:"+strconv.Itoa(port)+"/metrics") {
		t.Errorf("stderr does not say where the metrics are:\n%s", r.stderr)
	}
	readWatch(t, &r)
	m, err := bundle.ReadManifest(r.bundle)
	if err != nil {
		t.Fatal(err)
	}
	recorded := timelineRows(t, r.bundle)

	rss := queryPrometheus(t, prom, `perfcap_watch_rss_bytes{team="perf"}[5m]`)
	at := queryPrometheus(t, prom, `perfcap_watch_last_sample_timestamp_seconds{team="perf"}[5m]`)
	if len(rss) != 1 || len(at) != 1 {
		t.Fatalf("want one series each, got %d RSS and %d sample-time series", len(rss), len(at))
	}
	lbl := rss[0].labels
	wantCommand := strings.Join(m.Command, " ")
	if lbl["command"] != wantCommand || lbl["pid"] == "" || lbl["pid"] == "0" || lbl["job"] != "perfcap-watch" {
		t.Errorf("labels %v, want command %q, a pid and job perfcap-watch", lbl, wantCommand)
	}
	if len(rss[0].values) < 6 || len(rss[0].values) != len(at[0].values) {
		t.Fatalf("%d RSS and %d sample-time values scraped; want the same number, at least 6 in 10 s", len(rss[0].values), len(at[0].values))
	}
	for i, s := range rss[0].values {
		if at[0].values[i].t != s.t {
			t.Fatalf("scrape %d: RSS at %v but sample time at %v", i, s.t, at[0].values[i].t)
		}
		off := at[0].values[i].v - float64(m.Started.UnixNano())/1e9
		row, ok := rowAt(recorded, off)
		if !ok {
			t.Errorf("scrape %d: no sample in the bundle at %.3f s", i, off)
			continue
		}
		if math.Abs(s.v-float64(row.TreeRSS)) > 0.05*float64(row.TreeRSS) {
			t.Errorf("scrape %d (sample at %.3f s): Prometheus has RSS %.0f, the bundle %d", i, off, s.v, row.TreeRSS)
		}
	}

	verdicts := map[string][]promSample{}
	for _, s := range queryPrometheus(t, prom, `perfcap_watch_rss_growth_verdict{team="perf"}[5m]`) {
		verdicts[s.labels["verdict"]] = s.values
	}
	for _, v := range []string{trend.Growing, trend.Flat, trend.Inconclusive} {
		if len(verdicts[v]) != len(rss[0].values) {
			t.Fatalf("verdict %q has %d values, want one per scrape (%d)", v, len(verdicts[v]), len(rss[0].values))
		}
	}
	first, last := 0, len(rss[0].values)-1
	if verdicts[trend.Inconclusive][first].v != 1 || verdicts[trend.Growing][first].v != 0 {
		t.Errorf("first scrape (in the 2 s warm-up): inconclusive %v growing %v, want 1 and 0",
			verdicts[trend.Inconclusive][first].v, verdicts[trend.Growing][first].v)
	}
	if verdicts[trend.Growing][last].v != 1 || verdicts[trend.Flat][last].v != 0 || verdicts[trend.Inconclusive][last].v != 0 {
		t.Errorf("last scrape: growing %v flat %v inconclusive %v, want 1 0 0", verdicts[trend.Growing][last].v,
			verdicts[trend.Flat][last].v, verdicts[trend.Inconclusive][last].v)
	}
	if r.summary.Watch.Growth.Verdict != trend.Growing {
		t.Errorf("the bundle's verdict is %q", r.summary.Watch.Growth.Verdict)
	}
	rate := lastValue(t, prom, `perfcap_watch_rss_growth_bytes_per_hour{team="perf"}`)
	low := lastValue(t, prom, `perfcap_watch_rss_growth_lower_bytes_per_hour{team="perf"}`)
	high := lastValue(t, prom, `perfcap_watch_rss_growth_upper_bytes_per_hour{team="perf"}`)
	if !(low <= rate && rate <= high) {
		t.Errorf("rate %.4g outside its bounds %.4g..%.4g", rate, low, high)
	}
	within(t, "scraped growth rate (bytes/h)", rate, r.summary.Watch.Growth.SlopeBytesPerSec*3600, 0.10)
	samples := lastValue(t, prom, `perfcap_watch_samples_total{team="perf"}`)
	if samples > float64(r.summary.Samples) || samples < float64(r.summary.Samples)-20 {
		t.Errorf("last scraped samples_total %v, the bundle has %d samples", samples, r.summary.Samples)
	}
}

// lastValue is the newest stored value of the one series query selects.
func lastValue(t *testing.T, prom, query string) float64 {
	t.Helper()
	s := queryPrometheus(t, prom, query+"[5m]")
	if len(s) != 1 || len(s[0].values) == 0 {
		t.Fatalf("%s: %d series, want 1 with values", query, len(s))
	}
	return s[0].values[len(s[0].values)-1].v
}

// timelineRows reads a bundle's timeline.csv.
func timelineRows(t *testing.T, path string) []format.TimelineRow {
	t.Helper()
	b, err := bundle.ReadFile(path, format.TimelineFile)
	if err != nil {
		t.Fatal(err)
	}
	r := format.NewTimelineReader(strings.NewReader(string(b)))
	var rows []format.TimelineRow
	for r.Scan() {
		rows = append(rows, r.Row())
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// rowAt finds the row sampled at offset off (timeline.csv keeps
// milliseconds; a sample time is exact to the nanosecond).
func rowAt(rows []format.TimelineRow, off float64) (format.TimelineRow, bool) {
	i, _ := slices.BinarySearchFunc(rows, off, func(r format.TimelineRow, x float64) int {
		switch {
		case r.T < x-0.002:
			return -1
		case r.T > x+0.002:
			return 1
		}
		return 0
	})
	if i < len(rows) && math.Abs(rows[i].T-off) <= 0.002 {
		return rows[i], true
	}
	return format.TimelineRow{}, false
}

// A port that is taken costs the metrics, not the watch: a warning, the
// bundle, exit 0. A bad address or label is a usage error.
func TestWatchMetricsAddrTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := watchInProcess(t, "--metrics-addr", ln.Addr().String(), "--interval", "50ms", "--duration", "500ms", "--", workloadBin, "hold", "5s")
	if r.code != 0 || !strings.Contains(r.stderr, "address already in use; the watch goes on without it") {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	readWatch(t, &r)
	if r.summary.Samples < 5 {
		t.Errorf("%d samples", r.summary.Samples)
	}
	for _, args := range [][]string{
		{"--metrics-addr", "nowhere"},
		{"--label", "env=ci"},
		{"--metrics-addr", "9464", "--label", "pid=1"},
	} {
		r := watchInProcess(t, append(args, "--", workloadBin, "hold", "1s")...)
		if r.code != exitError || r.stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want 125 and a message", args, r.code, r.stderr)
		}
	}
}

// The README's scrape config and alert rules are what Prometheus accepts:
// promtool (from the prometheus package) checks them as they are written.
func TestReadmePrometheusSnippets(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed: apt-get install prometheus (.ci/run does)")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]string{}
	for _, part := range strings.Split(string(readme), "```yaml\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		switch {
		case strings.HasPrefix(block, "scrape_configs:"):
			blocks["config"] = block
		case strings.HasPrefix(block, "groups:") && strings.Contains(block, "perfcap_watch_rss_growth_verdict"):
			blocks["rules"] = block
		}
	}
	for kind, block := range blocks {
		f := filepath.Join(t.TempDir(), kind+".yml")
		if err := os.WriteFile(f, []byte(block), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(promtool, "check", kind, f).CombinedOutput(); err != nil {
			t.Errorf("promtool check %s of the README's block: %v\n%s\n%s", kind, err, out, block)
		}
	}
	if len(blocks) != 2 {
		t.Errorf("found %d of the README's scrape config and rules", len(blocks))
	}
}
