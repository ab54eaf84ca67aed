package metrics

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfcap/perfcap/bundle/bundletest"
)

// profileBundle writes a bundle with the whole run's profile, one
// benchmark's, and a benchmark profile that is no CPU profile.
func profileBundle(t *testing.T) (string, *CPUProfile) {
	t.Helper()
	data, _ := scriptProfile(t)
	heap := &profile.Profile{SampleType: []*profile.ValueType{{Type: "inuse_space", Unit: "bytes"}}}
	var heapData bytes.Buffer
	if err := heap.Write(&heapData); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "run.tar.zst")
	members := []bundletest.Member{
		{Name: RunProfileFile, Data: data},
		{Name: "perf/bench/fib_20/profile.pb.gz", Data: data},
		{Name: "perf/bench/heap/profile.pb.gz", Data: heapData.Bytes()},
		{Name: "perf/bench/fib_20/folded.txt", Data: []byte("main;fib 1\n")},
		{Name: "snapshot/1/profile.pb.gz/ignored", Data: []byte("x")},
	}
	if err := bundletest.WriteTarZst(path, bundletest.Manifest(bundletest.Listing(members...), nil), members...); err != nil {
		t.Fatal(err)
	}
	p, err := PrepareProfile(data)
	if err != nil {
		t.Fatal(err)
	}
	return path, p
}

func TestReadProfilesListsTheBundle(t *testing.T) {
	path, want := profileBundle(t)
	profiles, warnings, err := ReadProfiles(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, p := range profiles {
		got[p.File+" "+p.Benchmark] = p.Samples
	}
	if len(got) != 2 || got["perf/profile.pb.gz "] != want.Samples || got["perf/bench/fib_20/profile.pb.gz fib_20"] != want.Samples {
		t.Errorf("profiles %v, want the run's and fib_20's with %d samples", got, want.Samples)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "perf/bench/heap/profile.pb.gz: metrics: not a CPU profile: no samples/count values") {
		t.Errorf("warnings %q", warnings)
	}
	if _, _, err := ReadProfiles(filepath.Join(t.TempDir(), "missing.tar.zst")); err == nil {
		t.Error("a missing bundle reads")
	}
}

// The sender uploads a snapshot's whole profile (not a benchmark's) in
// the background; Close waits for the queue, and abandons a server that
// does not answer once its wait is over.
func TestProfileSender(t *testing.T) {
	path, want := profileBundle(t)
	rec := &ingestRecorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	type result struct {
		sent int
		err  error
	}
	var mu sync.Mutex
	var results []result
	done := func(_ string, sent int, err error) {
		mu.Lock()
		results = append(results, result{sent, err})
		mu.Unlock()
	}
	s := NewProfileSender(srv.URL, "server", map[string]string{"host": "h"}, PyroscopeOptions{}, done)
	from := time.Now()
	if !s.Send(path, from, from.Add(5*time.Second)) {
		t.Fatal("Send refused the first snapshot")
	}
	s.Close(time.Minute)
	if s.Send(path, from, from) {
		t.Error("Send took a snapshot after Close")
	}
	if len(results) != 1 || results[0].sent != 1 || results[0].err != nil || len(rec.requests) != 1 {
		t.Fatalf("results %v, %d requests; want one profile sent", results, len(rec.requests))
	}
	if q := rec.requests[0].URL.Query(); q.Get("name") != "server{host=h}" || string(rec.bodies[0]) != string(want.Data) {
		t.Errorf("name %q; the body is the prepared profile: %v", q.Get("name"), string(rec.bodies[0]) == string(want.Data))
	}

	// A server that never answers: Close gives up after its wait, and
	// the upload ends with the context cancelled.
	stuck := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stuck:
		}
	}))
	defer slow.Close()
	defer close(stuck)
	results = nil
	s = NewProfileSender(slow.URL, "server", nil, PyroscopeOptions{PushOptions: PushOptions{Timeout: time.Hour}}, done)
	s.Send(path, from, from)
	s.Close(50 * time.Millisecond)
	if len(results) != 1 || !errors.Is(results[0].err, context.Canceled) {
		t.Errorf("results %v, want the upload cancelled", results)
	}
}
