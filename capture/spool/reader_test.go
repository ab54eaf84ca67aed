package spool

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readRows(t *testing.T, dir, name string) string {
	t.Helper()
	f, err := OpenRows(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOpenRows(t *testing.T) {
	long := strings.Repeat("x", 10000) // longer than completeSize's 4 KiB window
	for _, tc := range []struct {
		name, content, want string
	}{
		{"empty", "", ""},
		{"complete", "h\n1\n2\n", "h\n1\n2\n"},
		{"torn last line", "h\n1\n2,3", "h\n1\n"},
		{"torn after a newline", "h\n1\n2", "h\n1\n"},
		{"no newline at all", "h,1,2", ""},
		{"only a newline", "\n", "\n"},
		{"long torn tail", "h\n" + long, "h\n"},
		{"long complete line", long + "\n" + "torn", long + "\n"},
		{"long, no newline", long, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, TimelineFile, tc.content)
			if got := readRows(t, dir, TimelineFile); got != tc.want {
				t.Errorf("OpenRows read %q, want %q", abbrev(got), abbrev(tc.want))
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		if _, err := OpenRows(t.TempDir(), TimelineFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("OpenRows of a missing file = %v, want ErrNotExist", err)
		}
	})
	t.Run("rows appended while reading are not seen", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, TimelineFile, "h\n1\n")
		f, err := OpenRows(dir, TimelineFile)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		af, err := os.OpenFile(filepath.Join(dir, TimelineFile), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		af.WriteString("2\n")
		af.Close()
		if b, _ := io.ReadAll(f); string(b) != "h\n1\n" {
			t.Errorf("read %q, want %q", b, "h\n1\n")
		}
	})
}

func abbrev(s string) string {
	if len(s) > 40 {
		return s[:20] + "…" + s[len(s)-20:]
	}
	return s
}

func TestReadMeta(t *testing.T) {
	big := `{"version":1,"mode":"pid","cwd":"` + strings.Repeat("a", maxMeta) + `"}`
	for _, tc := range []struct {
		name     string
		content  string // "" : no meta.json
		want     Meta
		wantErr  []string // substrings of the error, with META for the path
		notExist bool
	}{
		{
			name:    "pid mode",
			content: `{"version":1,"perfcap_version":"0.9.0","mode":"pid","pid":4242,"pid_start_ticks":123456,"command":["/usr/bin/app"],"cwd":"/","started":"2024-05-01T12:00:00Z","interval_seconds":0.5}`,
			want:    Meta{Version: 1, PerfcapVersion: "0.9.0", Mode: "pid", PID: 4242, PIDStartTicks: 123456, Command: []string{"/usr/bin/app"}, Cwd: "/", Started: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), IntervalSeconds: 0.5},
		},
		{
			name:    "unknown fields are ignored",
			content: `{"version":1,"mode":"command","from_the_future":true}`,
			want:    Meta{Version: 1, Mode: "command"},
		},
		{name: "missing", notExist: true},
		{name: "newer version", content: `{"version":2,"mode":"pid"}`, wantErr: []string{"META: ", "spool version 2", "reads version 1"}},
		{name: "no version", content: `{"mode":"pid"}`, wantErr: []string{"META: ", "spool version 0", "reads version 1"}},
		{name: "unknown mode", content: `{"version":1,"mode":"attach"}`, wantErr: []string{"META: ", `unknown mode "attach"`}},
		{name: "no mode", content: `{"version":1}`, wantErr: []string{"META: ", `unknown mode ""`}},
		{name: "invalid JSON", content: `{"version":1,"mode":"pid"`, wantErr: []string{"META: ", "unexpected end of JSON"}},
		{name: "wrong type", content: `{"version":"1","mode":"pid"}`, wantErr: []string{"META: ", "cannot unmarshal"}},
		{name: "not an object", content: `[1,2]`, wantErr: []string{"META: "}},
		{name: "oversized", content: big, wantErr: []string{"META: ", "larger than 1048576 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if !tc.notExist {
				writeFile(t, dir, MetaFile, tc.content)
			}
			got, err := ReadMeta(dir)
			switch {
			case tc.notExist:
				if !errors.Is(err, ErrNotSpool) {
					t.Fatalf("ReadMeta = %v, want ErrNotSpool", err)
				}
				if !strings.Contains(err.Error(), dir) {
					t.Errorf("error %q does not name %s", err, dir)
				}
			case tc.wantErr != nil:
				if err == nil {
					t.Fatalf("ReadMeta = %+v, want an error", got)
				}
				if errors.Is(err, ErrNotSpool) {
					t.Errorf("error %q is ErrNotSpool; the directory holds a meta.json", err)
				}
				msg := err.Error()
				if strings.Contains(msg, "\n") {
					t.Errorf("error is not one line: %q", msg)
				}
				for _, want := range tc.wantErr {
					want = strings.ReplaceAll(want, "META", filepath.Join(dir, MetaFile))
					if !strings.Contains(msg, want) {
						t.Errorf("error %q does not contain %q", abbrev(msg), want)
					}
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("ReadMeta = %+v, want %+v", got, tc.want)
				}
			}
		})
	}
}

func TestParseEvents(t *testing.T) {
	start := Event{T: 0, Kind: "start", PID: 7}
	exit := Event{T: 2.5, Kind: "exit", PID: 7, Detail: "exit 1"}
	for _, tc := range []struct {
		name, content string
		want          []Event
		wantErr       string
	}{
		{name: "empty", content: ""},
		{name: "good", content: `{"t":0,"kind":"start","pid":7}` + "\n" + `{"t":2.5,"kind":"exit","pid":7,"detail":"exit 1"}` + "\n", want: []Event{start, exit}},
		{name: "torn last line", content: `{"t":0,"kind":"start","pid":7}` + "\n" + `{"t":2.5,"kind":"ex`, want: []Event{start}},
		{name: "torn only line", content: `{"t":0,"kind":"sta`},
		{name: "complete last line without newline is dropped", content: `{"t":0,"kind":"start","pid":7}`},
		{name: "blank lines", content: "\n" + `{"t":0,"kind":"start","pid":7}` + "\n  \n\n", want: []Event{start}},
		{name: "crlf", content: `{"t":0,"kind":"start","pid":7}` + "\r\n", want: []Event{start}},
		{
			name:    "bad middle line",
			content: `{"t":0,"kind":"start","pid":7}` + "\n" + `{"t":1,"kind":` + "\n" + `{"t":2.5,"kind":"exit","pid":7,"detail":"exit 1"}` + "\n",
			want:    []Event{start},
			wantErr: "events.jsonl:2: ",
		},
		{
			name:    "bad line after a blank one",
			content: `{"t":0,"kind":"start","pid":7}` + "\n\n" + `not json` + "\n",
			want:    []Event{start},
			wantErr: "events.jsonl:3: ",
		},
		{
			name:    "wrong type",
			content: `{"t":"soon","kind":"start"}` + "\n",
			wantErr: "events.jsonl:1: ",
		},
		{
			name:    "line too long",
			content: `{"t":0,"kind":"start","pid":7}` + "\n" + `{"detail":"` + strings.Repeat("a", maxMeta) + `"}` + "\n",
			want:    []Event{start},
			wantErr: "events.jsonl:2: line longer than 1048576 bytes",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEvents([]byte(tc.content), EventsFile)
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("no error, want %q", tc.wantErr)
				}
				if !strings.HasPrefix(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q, want one line starting %q", err, tc.wantErr)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("events %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestReadEventsMissing(t *testing.T) {
	evs, err := ReadEvents(t.TempDir())
	if err != nil || evs != nil {
		t.Errorf("ReadEvents of a spool with no events.jsonl = %v, %v; want nil, nil", evs, err)
	}
}
