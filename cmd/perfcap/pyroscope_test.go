package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/metrics"
)

// pyroscopeBin is the open-source Pyroscope server (pyroscope-io v0.37.2)
// that ../shared/servers/build-pyroscope.sh builds and caches; .ci/run
// builds it before the tests. PERFCAP_PYROSCOPE_BIN names another.
func pyroscopeBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("PERFCAP_PYROSCOPE_BIN")
	if bin == "" {
		home, _ := os.UserHomeDir()
		bin = filepath.Join(home, ".cache", "perfcap-test", "pyroscope")
	}
	if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o111 == 0 {
		t.Skipf("no Pyroscope server at %s: build it with ../shared/servers/build-pyroscope.sh (.ci/run does), or set PERFCAP_PYROSCOPE_BIN", bin)
	}
	return bin
}

// startPyroscope starts the Pyroscope server on a free loopback port with
// a temporary storage directory and admin socket, stops it when the test
// ends, and returns its base URL. Its once-a-day check for a newer
// version is sent to a closed loopback port through HTTPS_PROXY, so the
// server reaches nothing outside this machine.
func startPyroscope(t *testing.T) string {
	t.Helper()
	bin := pyroscopeBin(t)
	dir := t.TempDir()
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startServerEnv(t, []string{"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=127.0.0.1,localhost"},
		bin, "http://"+addr+"/healthz",
		"server", "--api-bind-addr", addr, "--storage-path", filepath.Join(dir, "data"),
		"--admin-socket-path", filepath.Join(dir, "admin.sock"), "--no-self-profiling", "--analytics-opt-out", "--log-level", "warn")
	return "http://" + addr
}

// pyroFlame is what Pyroscope's /render says of a query: the total of
// samples and each function's own (self) samples, added up over its nodes.
type pyroFlame struct {
	ticks int64
	self  map[string]int64
}

// renderPyroscope queries /render?format=json. The range is the run's
// widened by two days on both sides: Pyroscope spreads an upload over
// its 10 s slots and keeps the whole profile in the smallest coarser node
// (100 s, 1000 s, ...) that holds the range, and a query that contains
// that node reads it whole, without the rounding of the 10 s shares.
func renderPyroscope(t *testing.T, base, query string, from, until time.Time) pyroFlame {
	t.Helper()
	q := url.Values{"query": {query}, "format": {"json"}, "max-nodes": {"65536"},
		"from": {strconv.FormatInt(from.Add(-48*time.Hour).Unix(), 10)}, "until": {strconv.FormatInt(until.Add(48*time.Hour).Unix(), 10)}}
	status, body := httpGet(t, base+"/render?"+q.Encode())
	var r struct {
		Flamebearer struct {
			Names    []string  `json:"names"`
			Levels   [][]int64 `json:"levels"`
			NumTicks int64     `json:"numTicks"`
		} `json:"flamebearer"`
		Metadata struct {
			Format string `json:"format"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(body, &r); err != nil || status != http.StatusOK {
		t.Fatalf("/render %s: %d %v\n%.500s", query, status, err, body)
	}
	if r.Metadata.Format != "single" {
		t.Fatalf("/render %s: format %q, want single", query, r.Metadata.Format)
	}
	f := pyroFlame{ticks: r.Flamebearer.NumTicks, self: map[string]int64{}}
	// Each level is a run of (x offset, total, self, name index) nodes.
	for _, level := range r.Flamebearer.Levels {
		for i := 0; i+3 < len(level); i += 4 {
			if n := level[i+3]; n >= 0 && int(n) < len(r.Flamebearer.Names) && level[i+2] > 0 {
				f.self[r.Flamebearer.Names[n]] += level[i+2]
			}
		}
	}
	return f
}

// bundleFlame is the same figures from a profile in a bundle, as
// Pyroscope counts them: samples/count, the leaf function of each sample
// (the innermost inlined line of its first location).
func bundleFlame(t *testing.T, path, name string) pyroFlame {
	t.Helper()
	data, err := bundle.ReadFile(path, name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.ParseData(data)
	if err != nil {
		t.Fatal(err)
	}
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "samples" {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatalf("%s of %s has no samples/count", name, path)
	}
	f := pyroFlame{self: map[string]int64{}}
	for _, s := range p.Sample {
		f.ticks += s.Value[idx]
		if len(s.Location) > 0 && len(s.Location[0].Line) > 0 && s.Location[0].Line[0].Function != nil {
			f.self[s.Location[0].Line[0].Function.Name] += s.Value[idx]
		}
	}
	return f
}

// hottest is the function with the most self samples.
func (f pyroFlame) hottest() string {
	best := ""
	for name, n := range f.self {
		if n > f.self[best] || n == f.self[best] && name < best {
			best = name
		}
	}
	return best
}

// checkRendered asserts that Pyroscope holds the bundle's profile name
// under query: the same total of samples and the same hottest function
// with the same self samples.
func checkRendered(t *testing.T, base, query, path, name string, from, until time.Time) {
	t.Helper()
	checkFlame(t, base, query, bundleFlame(t, path, name), name, from, until)
}

// checkFlame asserts that Pyroscope's query matches want. Pyroscope
// stores what it ingests through a queue: the query is repeated for up
// to 30 s until its total is reached.
func checkFlame(t *testing.T, base, query string, want pyroFlame, name string, from, until time.Time) {
	t.Helper()
	var got pyroFlame
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		got = renderPyroscope(t, base, query, from, until)
		if got.ticks >= want.ticks || time.Now().After(deadline) {
			break
		}
	}
	hot := want.hottest()
	if got.ticks != want.ticks || got.hottest() != hot || got.self[hot] != want.self[hot] {
		t.Errorf("Pyroscope's %s: %d samples, hottest %s (%d self); %s of the bundle: %d samples, hottest %s (%d self)",
			query, got.ticks, got.hottest(), got.self[got.hottest()], name, want.ticks, hot, want.self[hot])
	}
}

// bundleProfiles lists the CPU profiles of a bundle: the run's, and each
// benchmark's (perf/bench/NAME/profile.pb.gz) by NAME.
func bundleProfiles(t *testing.T, path string) (run bool, benches map[string]string) {
	t.Helper()
	m, err := bundle.ReadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	benches = map[string]string{}
	for _, f := range m.Files {
		if f.Path == "perf/profile.pb.gz" {
			run = true
		}
		if rest, ok := strings.CutPrefix(f.Path, "perf/bench/"); ok && strings.HasSuffix(rest, "/profile.pb.gz") && strings.Count(rest, "/") == 1 {
			benches[strings.TrimSuffix(rest, "/profile.pb.gz")] = f.Path
		}
	}
	return run, benches
}

// A real Criterion `cargo bench` under `perfcap run --push --pyroscope`:
// once the bundle is written, the real Pushgateway holds each benchmark's
// estimate, and the real Pyroscope's /render returns the bundle's CPU
// profile for the run's labels, with its sample count and hot function
// (each benchmark's own profile too, when the bundle has them). `perfcap
// push --pyroscope` of the same bundle under another job does the same.
func TestRunPushCargoBench(t *testing.T) {
	criterionBuilt(t, "../../testdata/criterion-demo", "fib", true)
	port := freePort(t)
	gw := "http://127.0.0.1:" + strconv.Itoa(port)
	startServer(t, "prometheus-pushgateway", "prometheus-pushgateway", gw+"/-/ready",
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port), "--persistence.file=")
	pyro := startPyroscope(t)
	r := perfcap(t, "--quiet", "--push", gw, "--pyroscope", pyro, "--job", "ci-bench", "--label", "branch=main",
		"--", "cargo", "bench", "--bench", "fib", "--", "--warm-up-time", "1", "--measurement-time", "2", "--noplot")
	if r.code != 0 || strings.Contains(r.stderr, "perfcap: warning") {
		t.Fatalf("perfcap run --push --pyroscope -- cargo bench: exit %d\n%s", r.code, r.stderr)
	}
	sum, err := readBundleSummary(r.bundle)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Benchmarks) == 0 {
		t.Fatal("the bundle has no benchmark")
	}
	group := gatewayGroupOf(t, gw, "ci-bench")
	for _, b := range sum.Benchmarks {
		got, ok := group.value("perfcap_run_benchmark_seconds", map[string]string{"benchmark": b.ID, "tool": b.Tool, "package": b.Package, "branch": "main"})
		if !ok || got != b.Estimate/1e9 {
			t.Errorf("%s: the Pushgateway holds %v (%v), the bundle %v ns", b.ID, got, ok, b.Estimate)
		}
	}
	run, benches := bundleProfiles(t, r.bundle)
	if !run {
		t.Skipf("perf recorded no stacks here, nothing went to Pyroscope: %v", sum.Warnings)
	}
	host, _ := os.Hostname()
	from, until := r.manifest.Started, r.manifest.Ended
	labels := `branch="main",host="` + metrics.LabelValue(host) + `"`
	checkRendered(t, pyro, "ci-bench.cpu{"+labels+"}", r.bundle, "perf/profile.pb.gz", from, until)
	for name, file := range benches {
		checkRendered(t, pyro, `ci-bench.bench.cpu{benchmark="`+metrics.LabelValue(name)+`",`+labels+"}", r.bundle, file, from, until)
	}

	io, _, stderr := iostreams.Test()
	if code := Main([]string{"push", "--pyroscope", pyro, "--job", "replay", "--label", "branch=main", r.bundle}, io); code != 0 ||
		!strings.Contains(stderr.String(), "uploaded "+strconv.Itoa(1+len(benches))+" CPU profile") {
		t.Fatalf("push --pyroscope: exit %d\n%s", code, stderr)
	}
	checkRendered(t, pyro, "replay.cpu{"+labels+"}", r.bundle, "perf/profile.pb.gz", from, until)
}

// gatewayGroupOf is the Pushgateway's one group of job.
func gatewayGroupOf(t *testing.T, base, job string) *gatewayGroup {
	t.Helper()
	var group *gatewayGroup
	groups := gatewayGroups(t, base)
	for i, g := range groups {
		if g.Labels["job"] == job {
			if group != nil {
				t.Fatalf("two groups of job %s: %v and %v", job, group.Labels, g.Labels)
			}
			group = &groups[i]
		}
	}
	if group == nil {
		t.Fatalf("no group of job %s among %d groups", job, len(groups))
	}
	return group
}

// perfcap run --push/--pyroscope to servers that are down: the command's
// exit code stays perfcap's, and the bundle is written whole. Flags that
// cannot work are refused before the command runs.
func TestRunPushFailsQuietly(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	r := perfcap(t, "--quiet", "--push", down.URL, "--pyroscope", down.URL, "--label", "branch=main",
		"--", workloadBin, "burn", "200ms", "exit", "3")
	if r.code != 3 {
		t.Errorf("exit %d, want the command's 3\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"warning: the push to the Pushgateway failed", "connection refused", "perfcap push --label \"branch=main\" " + down.URL} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	if run, _ := bundleProfiles(t, r.bundle); run && !strings.Contains(r.stderr, "warning: the upload of perf/profile.pb.gz to Pyroscope failed") {
		t.Errorf("stderr does not warn of the upload:\n%s", r.stderr)
	}
	if _, err := bundle.Verify(r.bundle); err != nil {
		t.Errorf("the bundle does not verify: %v", err)
	}
	for _, args := range [][]string{
		{"--push", "http://u:pw@127.0.0.1:1"},
		{"--pyroscope", "127.0.0.1:4040"},
		{"--label", "branch=main"},
		{"--push", down.URL, "--label", "job=x"},
	} {
		io, _, stderr := iostreams.Test()
		out := filepath.Join(t.TempDir(), "never.tar.zst")
		code := Main(append(append([]string{"-o", out}, args...), "--", workloadBin, "exit", "0"), io)
		if _, err := os.Stat(out); code != exitError || err == nil {
			t.Errorf("%q: exit %d, bundle %v; want 125 before the command runs\n%s", args, code, err, stderr)
		}
	}
}

// perfcap watch --pyroscope uploads the CPU profile of each snapshot to
// the real Pyroscope, in the background: /render for the watch's labels
// adds up to the snapshots' own profiles. A server that is down costs a
// warning, not the watch, its bundle or its exit code.
func TestWatchPyroscope(t *testing.T) {
	if ok, why := snapPerfUsable(t); !ok {
		t.Skip(why)
	}
	pyro := startPyroscope(t)
	dir := t.TempDir()
	start := time.Now()
	r := snapRun(t, dir, "--interval", "100ms", "--snapshot-every", "1500ms", "--snapshot-perf", "1s",
		"--pyroscope", pyro, "--label", "env=test", "--", workloadBin, "burn", "4s")
	if r.code != 0 || strings.Contains(r.stderr, "perfcap: warning") {
		t.Fatalf("watch --pyroscope: exit %d\n%s", r.code, r.stderr)
	}
	want := pyroFlame{self: map[string]int64{}}
	for _, snap := range r.snapshots {
		if run, _ := bundleProfiles(t, snap); !run {
			continue
		}
		f := bundleFlame(t, snap, "perf/profile.pb.gz")
		want.ticks += f.ticks
		for name, n := range f.self {
			want.self[name] += n
		}
	}
	if want.ticks == 0 {
		t.Fatalf("no snapshot of %d holds a CPU profile:\n%s", len(r.snapshots), r.stderr)
	}
	host, _ := os.Hostname()
	checkFlame(t, pyro, `workload.cpu{env="test",host="`+metrics.LabelValue(host)+`"}`, want, "the snapshots' profiles", start, time.Now())

	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	dir = t.TempDir()
	io, _, stderr := iostreams.Test()
	code := Main([]string{"watch", "--no-facts", "-o", filepath.Join(dir, "w.tar.zst"), "--interval", "100ms", "--snapshot-every", "1s",
		"--snapshot-perf", "500ms", "--pyroscope", down.URL, "--", workloadBin, "burn", "3s", "exit", "4"}, io)
	if code != 4 || !strings.Contains(stderr.String(), "to Pyroscope failed") {
		t.Errorf("watch --pyroscope to a server that is down: exit %d, want the command's 4 and a warning\n%s", code, stderr)
	}
	if _, err := bundle.Verify(filepath.Join(dir, "w.tar.zst")); err != nil {
		t.Errorf("the watch's bundle: %v", err)
	}
}
