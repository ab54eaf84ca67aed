package metrics

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestParseLabels(t *testing.T) {
	for _, tc := range []struct {
		specs []string
		want  map[string]string
		bad   string // in the error, when it fails
	}{
		{specs: nil, want: map[string]string{}},
		{specs: []string{"env=staging", "region=eu-west", "empty="}, want: map[string]string{"env": "staging", "region": "eu-west", "empty": ""}},
		{specs: []string{"note=a=b"}, want: map[string]string{"note": "a=b"}},
		{specs: []string{"env"}, bad: "NAME=VALUE"},
		{specs: []string{"1env=x"}, bad: "letters, digits"},
		{specs: []string{"__name__=x"}, bad: "letters, digits"},
		{specs: []string{"my-env=x"}, bad: "letters, digits"},
		{specs: []string{"pid=1"}, bad: "perfcap sets"},
		{specs: []string{"a=1", "a=2"}, bad: "twice"},
	} {
		got, err := ParseLabels(tc.specs, WatchLabels...)
		if tc.bad != "" {
			if !errors.Is(err, ErrBadLabel) || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%q: error %v, want ErrBadLabel saying %q", tc.specs, err, tc.bad)
			}
			continue
		}
		if err != nil || !maps.Equal(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v", tc.specs, got, err, tc.want)
		}
	}
}

func TestCommandLabelIsCut(t *testing.T) {
	if got := commandLabel([]string{"./server", "--port", "8080"}); got != "./server --port 8080" {
		t.Errorf("short command: %q", got)
	}
	long := commandLabel([]string{strings.Repeat("é", 150)}) // 300 bytes
	if len(long) > maxCommandLabel+len("…") || !strings.HasSuffix(long, "é…") {
		t.Errorf("long command cut to %d bytes: %q", len(long), long)
	}
}

func TestListenAddr(t *testing.T) {
	for in, want := range map[string]string{
		"9464": "127.0.0.1:9464", ":9464": "127.0.0.1:9464", "0.0.0.0:9464": "0.0.0.0:9464",
		"[::]:9464": "[::]:9464", "localhost:1": "localhost:1", "9464x": "", "host:port": "", "70000": "", "": "",
	} {
		got, err := ListenAddr(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("ListenAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
