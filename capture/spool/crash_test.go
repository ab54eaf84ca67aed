package spool

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/format"
)

// TestKilledWriter simulates a watch killed with SIGKILL: the rows it
// flushed are in the kernel, those still buffered are lost, and a row may
// be half written. The test runs in-process, copying the spool's files as
// they are while the Writer is still open (no Close), which is what the
// disk holds after the kill; the half row is appended by hand, since a
// real kill cannot be timed to land mid-write.
func TestKilledWriter(t *testing.T) {
	w, dir := newSpool(t)
	flushed := testSamples(6)
	for _, s := range flushed {
		if err := w.Sample(s, format.WatchRow{FDs: 20, PSS: 4096, USS: 2048, HavePSS: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Event(Event{T: 0, Kind: "start", PID: 100}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(false); err != nil {
		t.Fatal(err)
	}

	crashed := t.TempDir()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, crashed, de.Name(), string(b))
	}
	appendTorn := func(name, half string) {
		f, err := os.OpenFile(filepath.Join(crashed, name), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(half); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	appendTorn(TimelineFile, "6.250,75.0,1073")
	appendTorn(ProcessSamplesFile, "6.250,100,1,ser")
	appendTorn(WatchFile, "6.250,2")
	appendTorn(EventsFile, `{"t":6.3,"kind":"al`)

	// The watch is gone: nobody holds the copy's lock.
	if pid := Owner(crashed); pid != 0 {
		t.Errorf("Owner of the crashed spool = %d, want 0", pid)
	}
	if _, err := ReadMeta(crashed); err != nil {
		t.Errorf("ReadMeta of the crashed spool: %v", err)
	}

	wantTL, wantPS := captureCSV(t, flushed)
	if got := readRows(t, crashed, TimelineFile); got != wantTL {
		t.Errorf("timeline.csv of the crashed spool:\n%s\nwant the flushed rows\n%s", got, wantTL)
	}
	if got := readRows(t, crashed, ProcessSamplesFile); got != wantPS {
		t.Errorf("process_samples.csv of the crashed spool:\n%s\nwant the flushed rows\n%s", got, wantPS)
	}

	f, err := OpenRows(crashed, WatchFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := format.NewWatchReader(f)
	n := 0
	for r.Scan() {
		if want := (format.WatchRow{T: flushed[n].T, FDs: 20, PSS: 4096, USS: 2048, HavePSS: true}); r.Row() != want {
			t.Errorf("watch.csv row %d = %+v, want %+v", n, r.Row(), want)
		}
		n++
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(flushed) {
		t.Errorf("watch.csv of the crashed spool has %d rows, want %d", n, len(flushed))
	}

	evs, err := ReadEvents(crashed)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Event{{T: 0, Kind: "start", PID: 100}}; !reflect.DeepEqual(evs, want) {
		t.Errorf("events of the crashed spool = %+v, want %+v", evs, want)
	}

	// Without OpenRows, the torn row is there to be misread.
	raw, err := os.ReadFile(filepath.Join(crashed, TimelineFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(raw), "1073") {
		t.Fatalf("the copy does not end with the torn row: %q", raw[max(0, len(raw)-40):])
	}
}
