package main

import (
	"testing"

	"github.com/perfcap/perfcap/capture/trend"
)

// Short watches of real processes with the default settings (1 s samples,
// automatic warm-up and fit bucket): an obvious leak is growing, a flat
// process flat, and neither a GC sawtooth nor a plateau after its ramp is
// called growing. Before the automatic settings, the fixed 5-minute
// warm-up made all four inconclusive.
func TestWatchShortWithDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("40 to 60 s watches; skipped with -short")
	}
	t.Run("leak with --duration and a growth alert", func(t *testing.T) {
		t.Parallel()
		// The alert's analyses follow the planned 40 s: a warm-up of 20 s,
		// 2 s buckets; it fires once two of them in a row say growing.
		r := watchProcess(t, "--duration", "40s", "--alert", "growth>100MiB/h", "--snapshot-perf", "0", "--", workloadBin, "leak", "1MiB", "60s")
		if r.code != 3 {
			t.Fatalf("exit %d, want 3 (an alert fired)\n%s", r.code, r.stderr)
		}
		readWatch(t, &r)
		ws := r.summary.Watch
		if len(ws.Alerts) != 1 || ws.Alerts[0].T < 20 || ws.Alerts[0].T > 40 {
			t.Errorf("alerts %+v, want growth>100MiB/h once, between the warm-up and the end", ws.Alerts)
		}
		if ws.Growth.Verdict != trend.Growing {
			t.Errorf("verdict %q (%s), want growing", ws.Growth.Verdict, ws.Growth.Reason)
		}
	})
	for _, tc := range []struct {
		name, want string // want "" accepts flat or inconclusive
		steps      []string
	}{
		{"leak 1 MiB/s", trend.Growing, []string{"leak", "1MiB", "40s"}},
		{"flat", trend.Flat, []string{"alloc", "30MiB", "hold", "40s"}},
		{"GC sawtooth every 3 s", "", []string{"sawtooth", "40MiB", "3s", "60s"}},
		{"plateau after a 15 s ramp", "", []string{"plateau", "80MiB", "15s", "hold", "45s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := watchProcess(t, append([]string{"--", workloadBin}, tc.steps...)...)
			if r.code != 0 {
				t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
			}
			readWatch(t, &r)
			g := r.summary.Watch.Growth
			t.Logf("%s: %s (%s); %.0f MiB/h [%.0f, %.0f], %d buckets of %v since %v, cycle %v",
				tc.name, g.Verdict, g.Reason, g.MiBPerHour, g.LowMiBPerHour, g.HighMiBPerHour, g.Buckets, g.BucketWidth, g.Since, g.Cycle)
			switch {
			case tc.want == "" && g.Verdict == trend.Growing:
				t.Errorf("verdict growing on memory that does not grow")
			case tc.want != "" && g.Verdict != tc.want:
				t.Errorf("verdict %q, want %q", g.Verdict, tc.want)
			}
			if tc.want == trend.Growing {
				// 1 MiB/s is 3600 MiB/h, leaked in 100 ms chunks and read
				// once a second by samples a few ms late.
				within(t, "growth MiB/h", g.MiBPerHour, 3600, 0.10)
				if g.LowMiBPerHour > 3600*1.05 || g.HighMiBPerHour < 3600*0.95 {
					t.Errorf("interval [%.0f, %.0f] MiB/h is off the true 3600", g.LowMiBPerHour, g.HighMiBPerHour)
				}
			}
		})
	}
}
