package watch

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/alert"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/format"
)

// TestGrowthAlertFalseAlarms measures how often a growth alert fires on
// memory that does not grow: flat RSS with a GC sawtooth and noise, watched
// for hours with the defaults. It is a measurement for the README, run on
// request: PERFCAP_FALSE_ALARMS=1 go test ./watch -run
// TestGrowthAlertFalseAlarms -v
func TestGrowthAlertFalseAlarms(t *testing.T) {
	if os.Getenv("PERFCAP_FALSE_ALARMS") == "" {
		t.Skip("a measurement; set PERFCAP_FALSE_ALARMS=1 to run it (minutes)")
	}
	const watches, hours = 20, 6
	minPeriod, maxPeriod := 5, 25
	if os.Getenv("PERFCAP_FALSE_ALARMS") == "slow-gc" {
		// Cycles longer than the 30 s fit bucket: the documented weak spot.
		minPeriod, maxPeriod = 31, 90
	}
	rule, err := alert.Parse("growth>1MiB/h")
	if err != nil {
		t.Fatal(err)
	}
	fired, analyses, singles := 0, 0, 0
	for seed := range watches {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		m := spool.Meta{Mode: "pid", PID: 1, Started: time.Now(), IntervalSeconds: 1}
		sp, err := spool.Create(filepath.Join(t.TempDir(), "s"), m)
		if err != nil {
			t.Fatal(err)
		}
		w := newWatcher(sp, []alert.Rule{rule}, trendOptions(m), time.Second, false)
		w.extra = func(capture.Sample) (format.WatchRow, error) { return format.WatchRow{}, nil }
		hit := false
		w.fire = func(format.Alert) { hit = true }
		period := minPeriod + rng.IntN(maxPeriod-minPeriod) // a GC cycle
		last := 0.0
		for i := range hours * 3600 {
			rss := 300<<20 + uint64(i%period)*(40<<20)/uint64(period) + uint64(rng.IntN(2<<20))
			w.sample(capture.Sample{TimelineRow: format.TimelineRow{T: float64(i), TreeRSS: rss, Processes: 1}})
			if w.lastAnalyze != last {
				last = w.lastAnalyze
				analyses++
				if w.growingRuns == 1 {
					singles++
				}
			}
		}
		if hit {
			fired++
		}
		sp.Close()
	}
	t.Logf("GC cycles of %d to %d s: %d of %d flat %d-hour watches fired growth>1MiB/h; %d of %d analyses said growing once (%.2f %%)",
		minPeriod, maxPeriod-1, fired, watches, hours, singles, analyses, 100*float64(singles)/float64(analyses))
}
