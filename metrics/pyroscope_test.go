package metrics

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfcap/perfcap/flame"
)

// scriptProfile is the pprof profile perfcap builds from real perf script
// output with inlined frames (flame's fixture dwarf-inline.txt: driver
// inlines inner_loop, which inlines kernel_step), gzipped as in a bundle.
func scriptProfile(t testing.TB) ([]byte, *profile.Profile) {
	t.Helper()
	f, err := os.Open("../flame/testdata/script/dwarf-inline.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pd, err := flame.FoldScriptProfile(f, "dwarf-inline.txt", flame.PerfDataOptions{Profile: true, Comment: "inl"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := flame.WriteProfile(&b, pd.Profile); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), pd.Profile
}

// The profile sent keeps every function name and inline chain and every
// sample, and loses only the per-sample labels.
func TestPrepareProfileKeepsInlineFrames(t *testing.T) {
	data, orig := scriptProfile(t)
	var want int64
	for _, s := range orig.Sample {
		want += s.Value[0]
	}
	if len(orig.Sample) == 0 || orig.Sample[0].Label["comm"] == nil {
		t.Fatalf("the fixture's profile has no comm labels to leave out: %v", orig.Sample[0].Label)
	}
	p, err := PrepareProfile(data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Samples != want {
		t.Errorf("Samples %d, the profile holds %d", p.Samples, want)
	}
	got, err := profile.ParseData(p.Data)
	if err != nil {
		t.Fatal(err)
	}
	inlined := false
	for _, loc := range got.Location {
		if len(loc.Line) > 1 {
			inlined = true
		}
	}
	names := map[string]bool{}
	for _, fn := range got.Function {
		names[fn.Name] = true
	}
	for _, name := range []string{"kernel_step", "inner_loop", "driver", "main"} {
		if !names[name] {
			t.Errorf("function %s is gone: %v", name, names)
		}
	}
	if !inlined || len(got.Location) != len(orig.Location) {
		t.Errorf("inline chains lost: %d locations (was %d), inlined %v", len(got.Location), len(orig.Location), inlined)
	}
	for _, s := range got.Sample {
		if len(s.Label) > 0 || len(s.NumLabel) > 0 {
			t.Fatalf("a sample keeps labels %v %v", s.Label, s.NumLabel)
		}
	}
	// Plain (not gzipped) protobuf is taken too.
	var raw bytes.Buffer
	if err := orig.WriteUncompressed(&raw); err != nil {
		t.Fatal(err)
	}
	if q, err := PrepareProfile(raw.Bytes()); err != nil || q.Samples != want {
		t.Errorf("uncompressed: %v, %v", q, err)
	}
}

func TestPrepareProfileRefuses(t *testing.T) {
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zero := make([]byte, 1<<20)
	for range maxProfileUnpacked>>20 + 1 {
		_, _ = zw.Write(zero)
	}
	_ = zw.Close()
	heap := &profile.Profile{SampleType: []*profile.ValueType{{Type: "inuse_space", Unit: "bytes"}}}
	var heapData bytes.Buffer
	if err := heap.Write(&heapData); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		data []byte
		say  string
	}{
		"empty":    {nil, "not a CPU profile"},
		"text":     {[]byte("main;f 10\n"), "not a CPU profile"},
		"bad gzip": {[]byte{0x1f, 0x8b, 1, 2, 3}, "not a CPU profile"},
		"bomb":     {bomb.Bytes(), "larger than 64 MiB unpacked"},
		"heap":     {heapData.Bytes(), "no samples/count values (sample types inuse_space/bytes)"},
	} {
		_, err := PrepareProfile(tc.data)
		if !errors.Is(err, ErrNotCPUProfile) || !strings.Contains(err.Error(), tc.say) {
			t.Errorf("%s: %v, want ErrNotCPUProfile saying %q", name, err, tc.say)
		}
	}
}

// FuzzPrepareProfile: whatever the bytes, an error or a profile whose data
// parses again, never a panic.
func FuzzPrepareProfile(f *testing.F) {
	data, orig := scriptProfile(f)
	f.Add(data)
	var raw bytes.Buffer
	_ = orig.WriteUncompressed(&raw)
	f.Add(raw.Bytes())
	f.Add(raw.Bytes()[:raw.Len()/2])
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := PrepareProfile(b)
		if err != nil {
			if !errors.Is(err, ErrNotCPUProfile) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if p.Samples < 0 {
			t.Fatalf("negative samples %d", p.Samples)
		}
		if _, err := profile.ParseData(p.Data); err != nil {
			t.Fatalf("the prepared profile does not parse: %v", err)
		}
	})
}

func TestProfileBenchmark(t *testing.T) {
	for name, want := range map[string]string{
		"perf/profile.pb.gz":               "",
		"perf/bench/fib_20/profile.pb.gz":  "fib_20",
		"perf/bench/a/b/profile.pb.gz":     "-",
		"perf/bench//profile.pb.gz":        "-",
		"perf/bench/fib_20/folded.txt":     "-",
		"perf/profile.pb":                  "-",
		"snapshot/perf/profile.pb.gz":      "-",
		"perf/bench/fib_20/profile.pb.gz/": "-",
	} {
		bench, ok := profileBenchmark(name)
		if got := map[bool]string{true: bench, false: "-"}[ok]; got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

func TestUploadKey(t *testing.T) {
	u := Upload{App: "my app/v2", Labels: map[string]string{
		"host": "ci-1", "commit": "", "branch": "feat,x}y=z \"q\"\n", "long": strings.Repeat("é", 150),
	}}
	got := u.Key()
	want := "my_app_v2{branch=feat_x_y_z__q__,host=ci-1,long=" + strings.Repeat("é", 100) + "}"
	if got != want {
		t.Errorf("Key %q\nwant %q", got, want)
	}
	if AppName("") != "perfcap" || AppName("./server") != "server" || AppName("fib-bench.exe") != "fib-bench.exe" {
		t.Errorf("AppName: %q %q %q", AppName(""), AppName("./server"), AppName("fib-bench.exe"))
	}
}

// ingestRecorder is a stand-in for Pyroscope's /ingest that records what
// it was sent (httptest: only for what it checks, headers and retries; the
// real server is tested in cmd/perfcap).
type ingestRecorder struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   [][]byte
	status   func(n int) int
}

func (rec *ingestRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.requests = append(rec.requests, r)
	rec.bodies = append(rec.bodies, body)
	n := len(rec.requests)
	rec.mu.Unlock()
	status := http.StatusOK
	if rec.status != nil {
		status = rec.status(n)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte("answer \x1b[31m\n"))
}

func TestUploadProfileRequest(t *testing.T) {
	data, _ := scriptProfile(t)
	p, err := PrepareProfile(data)
	if err != nil {
		t.Fatal(err)
	}
	rec := &ingestRecorder{status: func(n int) int { return map[bool]int{true: 503, false: 200}[n == 1] }}
	srv := httptest.NewTLSServer(rec)
	defer srv.Close()
	from := time.Unix(1_700_000_003, 0)
	u := Upload{App: "fib", Labels: map[string]string{"host": "h"}, From: from, Until: from.Add(2500 * time.Millisecond), Profile: p}
	env := map[string]string{EnvPyroscopeToken: "tok", EnvPyroscopeTenant: "team-a"}
	var warned []string
	err = UploadProfile(context.Background(), srv.URL+"/prefix/", u, PyroscopeOptions{PushOptions: PushOptions{
		Backoff: time.Millisecond, Getenv: func(k string) string { return env[k] }, Client: srv.Client(),
		Warn: func(s string) { warned = append(warned, s) },
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.requests) != 2 || len(warned) != 1 || !strings.Contains(warned[0], "503") {
		t.Fatalf("%d requests, warnings %q; want a retry after the 503", len(rec.requests), warned)
	}
	r := rec.requests[1]
	q := r.URL.Query()
	want := url.Values{"name": {"fib{host=h}"}, "from": {"1700000003"}, "until": {"1700000005"}, "format": {"pprof"},
		"spyName": {"perfcap"}, "sampleRate": {"999"}}
	for k, v := range want {
		if q.Get(k) != v[0] {
			t.Errorf("%s=%q, want %q", k, q.Get(k), v[0])
		}
	}
	if r.Method != http.MethodPost || r.URL.Path != "/prefix/ingest" || r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("X-Scope-OrgID") != "team-a" {
		t.Errorf("%s %s, Authorization %q, X-Scope-OrgID %q", r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("X-Scope-OrgID"))
	}
	if !bytes.Equal(rec.bodies[1], p.Data) {
		t.Error("the body is not the prepared profile")
	}
}

func TestUploadProfileFailures(t *testing.T) {
	data, _ := scriptProfile(t)
	p, _ := PrepareProfile(data)
	u := Upload{App: "fib", From: time.Now(), Until: time.Now(), Profile: p}
	for name, tc := range map[string]struct {
		status   int
		env      map[string]string
		requests int
		say      string
	}{
		"401 basic": {401, map[string]string{EnvPyroscopeUser: "u", EnvPyroscopePassword: "secret"}, 1, "check PERFCAP_PYROSCOPE_USER/PERFCAP_PYROSCOPE_PASSWORD"},
		"500":       {500, nil, 2, `upload to`},
		"both":      {200, map[string]string{EnvPyroscopeUser: "u", EnvPyroscopeToken: "t"}, 0, "both PERFCAP_PYROSCOPE_TOKEN and"},
	} {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			if u, pw, ok := r.BasicAuth(); tc.env[EnvPyroscopeUser] != "" && (!ok || u != "u" || pw != "secret") {
				t.Errorf("%s: basic auth %q %q %v", name, u, pw, ok)
			}
			http.Error(w, "no \x1b]0;title\a", tc.status)
		}))
		err := UploadProfile(context.Background(), srv.URL, u, PyroscopeOptions{PushOptions: PushOptions{
			Attempts: 2, Backoff: time.Millisecond, Getenv: func(k string) string { return tc.env[k] }}})
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), tc.say) || strings.Contains(err.Error(), "\x1b") || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v, want an error saying %q without escapes or secrets", name, err, tc.say)
		}
		if n.Load() != int32(tc.requests) {
			t.Errorf("%s: %d requests, want %d", name, n.Load(), tc.requests)
		}
	}
	if err := CheckPyroscope("http://u:pw@host:4040"); err == nil || strings.Contains(err.Error(), "pw") {
		t.Errorf("a URL with a password: %v", err)
	}
	if err := CheckPyroscope("pyroscope:4040"); err == nil {
		t.Error("a URL without a scheme is taken")
	}
}
