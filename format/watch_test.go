package format

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestWatchReader(t *testing.T) {
	h := WatchHeader + "\n"
	for _, tc := range []struct {
		name, content string
		want          []WatchRow
		wantErr       string
	}{
		{name: "empty", content: ""},
		{name: "header only", content: h},
		{name: "without PSS", content: h + "0.000,3,,\n1.500,4,,\n", want: []WatchRow{{T: 0, FDs: 3}, {T: 1.5, FDs: 4}}},
		{name: "with PSS", content: h + "0.250,7,4096,2048\n", want: []WatchRow{{T: 0.25, FDs: 7, PSS: 4096, USS: 2048, HavePSS: true}}},
		{name: "largest PSS", content: h + "1,0,18446744073709551615,0\n", want: []WatchRow{{T: 1, PSS: 1<<64 - 1, HavePSS: true}}},
		{name: "no final newline", content: h + "1,2,,", want: []WatchRow{{T: 1, FDs: 2}}},
		{name: "crlf", content: WatchHeader + "\r\n1,2,,\r\n", want: []WatchRow{{T: 1, FDs: 2}}},

		{name: "bad header", content: "t,fds\n1,2,,\n", wantErr: "watch.csv:1: header"},
		{name: "timeline header", content: "t_seconds,tree_cpu_percent,tree_rss_bytes\n", wantErr: "watch.csv:1: header"},
		{name: "too few fields", content: h + "1,2,,\n3,4,\n", want: []WatchRow{{T: 1, FDs: 2}}, wantErr: "watch.csv:3: 3 fields, want 4"},
		{name: "too many fields", content: h + "1,2,,,\n", wantErr: "watch.csv:2: 5 fields, want 4"},
		{name: "blank line", content: h + "\n", wantErr: "watch.csv:2: 1 fields, want 4"},
		{name: "negative time", content: h + "-1,2,,\n", wantErr: `watch.csv:2: bad time "-1"`},
		{name: "NaN time", content: h + "NaN,2,,\n", wantErr: `watch.csv:2: bad time "NaN"`},
		{name: "infinite time", content: h + "+Inf,2,,\n", wantErr: `watch.csv:2: bad time "+Inf"`},
		{name: "overflowing time", content: h + "1e999,2,,\n", wantErr: `watch.csv:2: bad time "1e999"`},
		{name: "empty time", content: h + ",2,,\n", wantErr: `watch.csv:2: bad time ""`},
		{name: "negative fds", content: h + "1,-2,,\n", wantErr: `watch.csv:2: bad fds "-2"`},
		{name: "fractional fds", content: h + "1,2.5,,\n", wantErr: `watch.csv:2: bad fds "2.5"`},
		{name: "empty fds", content: h + "1,,,\n", wantErr: `watch.csv:2: bad fds ""`},
		{name: "negative pss", content: h + "1,2,-5,3\n", wantErr: `watch.csv:2: bad pss_bytes "-5"`},
		{name: "pss without uss", content: h + "1,2,5,\n", wantErr: `watch.csv:2: bad uss_bytes ""`},
		{name: "uss without pss", content: h + "1,2,,5\n", wantErr: `watch.csv:2: bad pss_bytes ""`},
		{name: "pss overflow", content: h + "1,2,18446744073709551616,0\n", wantErr: `watch.csv:2: bad pss_bytes`},
		{name: "line too long", content: h + "1,2,,\n" + strings.Repeat("9", 5000) + ",1,,\n", want: []WatchRow{{T: 1, FDs: 2}}, wantErr: "watch.csv:3: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewWatchReader(strings.NewReader(tc.content))
			var got []WatchRow
			for r.Scan() {
				got = append(got, r.Row())
			}
			err := r.Err()
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
				t.Errorf("rows %+v, want %+v", got, tc.want)
			}
			if r.Scan() {
				t.Error("Scan after the end returned true")
			}
		})
	}
}

func FuzzWatchReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewWatchReader(strings.NewReader(string(b)))
		for r.Scan() {
			row := r.Row()
			if math.IsNaN(row.T) || math.IsInf(row.T, 0) || row.T < 0 {
				t.Fatalf("row with time %v", row.T)
			}
			if row.FDs < 0 {
				t.Fatalf("row with %d fds", row.FDs)
			}
			if !row.HavePSS && (row.PSS != 0 || row.USS != 0) {
				t.Fatalf("row without PSS has pss %d uss %d", row.PSS, row.USS)
			}
		}
		if err := r.Err(); err != nil {
			if s := err.Error(); !strings.HasPrefix(s, "watch.csv:") || strings.Contains(s, "\n") {
				t.Fatalf("error %q: want one line starting watch.csv:", s)
			}
		}
		if r.Scan() {
			t.Fatal("Scan returned true after it had stopped")
		}
	})
}
