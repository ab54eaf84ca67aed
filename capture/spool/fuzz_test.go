package spool

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The fuzzers are seeded from testdata/fuzz/<FuzzName>/: real spool
// content, torn, and broken in the ways the readers must report.

func FuzzParseEvents(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := ParseEvents(b, EventsFile)
		if err != nil {
			checkOneLine(t, err, EventsFile+":")
		}
		if n := strings.Count(string(b), "\n"); len(evs) > n {
			t.Fatalf("%d events from %d lines", len(evs), n)
		}
		// A crash tears at most the last line: whatever follows the last
		// newline must not change the result.
		torn := append(append([]byte(nil), b...), `{"t":1,"kind":"ex`...)
		evs2, err2 := ParseEvents(torn, EventsFile)
		if !reflect.DeepEqual(evs, evs2) || errString(err) != errString(err2) {
			t.Fatalf("a torn tail changed the result: %v, %v; then %v, %v", evs, err, evs2, err2)
		}
		if err != nil {
			return
		}
		// What parses writes back as the Writer would and reads the same.
		var out []byte
		for _, e := range evs {
			line, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("marshalling %+v: %v", e, err)
			}
			out = append(append(out, line...), '\n')
		}
		again, err := ParseEvents(out, EventsFile)
		if err != nil {
			t.Fatalf("re-reading written events: %v", err)
		}
		if !reflect.DeepEqual(again, evs) {
			t.Fatalf("round trip: %+v, want %+v", again, evs)
		}
	})
}

func FuzzReadMeta(f *testing.F) {
	// One directory for all inputs: a fuzz worker runs them one at a time,
	// and a directory per input would cost more than ReadMeta.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, MetaFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := ReadMeta(dir)
		if err != nil {
			checkOneLine(t, err, filepath.Join(dir, MetaFile)+": ")
			return
		}
		if m.Version != Version || (m.Mode != "pid" && m.Mode != "command") {
			t.Fatalf("ReadMeta accepted version %d mode %q", m.Version, m.Mode)
		}
		// What ReadMeta accepts, Create writes back and ReadMeta reads the
		// same.
		out, err := json.Marshal(m)
		if err != nil {
			return // a time encoding/json reads but will not write
		}
		if err := WriteFileAtomic(filepath.Join(dir, MetaFile), out); err != nil {
			t.Fatal(err)
		}
		again, err := ReadMeta(dir)
		if err != nil {
			t.Fatalf("re-reading written meta.json: %v", err)
		}
		if !again.Started.Equal(m.Started) {
			t.Fatalf("started %v, then %v", m.Started, again.Started)
		}
		again.Started = m.Started
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip: %+v, want %+v", again, m)
		}
	})
}

// checkOneLine fails t unless err is one line starting with prefix, the
// place it is about.
func checkOneLine(t *testing.T, err error, prefix string) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) || strings.Contains(msg, "\n") {
		t.Fatalf("error %q, want one line starting %q", msg, prefix)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
