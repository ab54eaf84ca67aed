package watch

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/alert"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/format"
)

// flatWatch is one watch of memory that does not grow, through the
// watcher's per-sample path with the default settings and a growth>1MiB/h
// rule, one sample a second.
type flatWatch struct {
	fired    bool         // the growth alert fired
	analyses int          // analyses the alert rule ran
	singles  int          // analyses that said growing, the one before did not
	verdict  trend.Result // the bundle's verdict, at the end
	rssAt    func(i int) uint64
	seconds  int
	// duration is the watch's --duration in seconds; 0 for none (a
	// watch that ends with its process or a Ctrl-C).
	duration int
}

func (fw *flatWatch) run(t *testing.T, rule alert.Rule) {
	m := spool.Meta{Mode: "pid", PID: 1, Started: time.Now(), IntervalSeconds: 1, DurationSeconds: float64(fw.duration)}
	sp, err := spool.Create(filepath.Join(t.TempDir(), "s"), m)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	w := newWatcher(sp, []alert.Rule{rule}, liveTrendOptions(m), time.Second, false)
	w.extra = func(capture.Sample) (format.WatchRow, error) { return format.WatchRow{}, nil }
	w.fire = func(format.Alert) { fw.fired = true }
	last := 0.0
	for i := range fw.seconds {
		w.sample(capture.Sample{TimelineRow: format.TimelineRow{T: float64(i), TreeRSS: fw.rssAt(i), Processes: 1}})
		if w.lastAnalyze != last {
			last = w.lastAnalyze
			fw.analyses++
			if w.growingRuns == 1 {
				fw.singles++
			}
		}
	}
	fw.verdict = w.series.Analyze(trendOptions(m))
}

// TestGrowthAlertFalseAlarms measures how often a growth alert fires, and
// how often the bundle's verdict says growing, on memory that does not
// grow, watched with the defaults: flat RSS under a GC sawtooth and noise
// for hours, and short watches (40 s to 10 min, judged with the automatic
// warm-up and fit bucket; half of them with --duration, whose alerts
// follow it) of flat, sawtooth and plateau shapes. It is a
// measurement for the README, run on request (minutes):
// PERFCAP_FALSE_ALARMS=1 go test ./watch -run TestGrowthAlertFalseAlarms -v
// (=slow-gc for GC cycles longer than 30 s). It fails when an alert
// fires, or when more than 1 % of the short watches end growing.
func TestGrowthAlertFalseAlarms(t *testing.T) {
	mode := os.Getenv("PERFCAP_FALSE_ALARMS")
	if mode == "" {
		t.Skip("a measurement; set PERFCAP_FALSE_ALARMS=1 to run it (minutes)")
	}
	rule, err := alert.Parse("growth>1MiB/h")
	if err != nil {
		t.Fatal(err)
	}
	const watches, hours = 20, 6
	minPeriod, maxPeriod := 5, 25
	if mode == "slow-gc" {
		// Cycles longer than the 30 s fit bucket of a long watch.
		minPeriod, maxPeriod = 31, 90
	}
	noise := func(rng *rand.Rand) uint64 { return uint64(rng.IntN(2 << 20)) }
	fired, analyses, singles, growing := 0, 0, 0, 0
	for seed := range watches {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		period := minPeriod + rng.IntN(maxPeriod-minPeriod) // a GC cycle
		fw := &flatWatch{seconds: hours * 3600, rssAt: func(i int) uint64 {
			return 300<<20 + uint64(i%period)*(40<<20)/uint64(period) + noise(rng)
		}}
		fw.run(t, rule)
		analyses += fw.analyses
		singles += fw.singles
		if fw.fired {
			fired++
		}
		if fw.verdict.Verdict == trend.Growing {
			growing++
		}
	}
	t.Logf("GC cycles of %d to %d s: %d of %d flat %d-hour watches fired growth>1MiB/h, %d ended growing; %d of %d analyses said growing once (%.2f %%)",
		minPeriod, maxPeriod-1, fired, watches, hours, growing, singles, analyses, 100*float64(singles)/float64(analyses))
	if fired > 0 || growing > 0 {
		t.Errorf("false alarms on long flat watches: %d alerts, %d growing verdicts", fired, growing)
	}

	// Short watches: the shapes of the issue, at lengths where the fixed
	// 5-minute warm-up left no verdict. A GC cycle longer than half the
	// watch is the documented limit (its rise is a leak for all the data
	// can tell): those watches are counted apart and not held to zero.
	const short = 100 // of each shape
	shapes := []struct {
		name string
		// rss returns the shape and its GC cycle in seconds (0: none).
		rss func(rng *rand.Rand, seconds int) (func(i int) uint64, int)
	}{
		{"flat", func(rng *rand.Rand, _ int) (func(int) uint64, int) {
			return func(int) uint64 { return 300<<20 + noise(rng) }, 0
		}},
		{"sawtooth", func(rng *rand.Rand, seconds int) (func(int) uint64, int) {
			period := minPeriod + rng.IntN(maxPeriod-minPeriod)
			return func(i int) uint64 { return 300<<20 + uint64(i%period)*(40<<20)/uint64(period) + noise(rng) }, period
		}},
		{"plateau", func(rng *rand.Rand, seconds int) (func(int) uint64, int) {
			// An 80 MiB ramp over 5 to 45 % of the watch: over before the
			// automatic warm-up (half the watch) ends.
			ramp := max(1, seconds*(5+rng.IntN(40))/100)
			return func(i int) uint64 { return 220<<20 + uint64(min(i, ramp))*(80<<20)/uint64(ramp) + noise(rng) }, 0
		}},
	}
	for _, sh := range shapes {
		// Per kind of watch: [0] GC cycles at most half the watch, or
		// none; [1] longer ones.
		var verdicts [2]map[string]int
		var fired, watched [2]int
		analyses, singles := 0, 0
		for seed := range short {
			rng := rand.New(rand.NewPCG(uint64(seed), 11))
			seconds := 40 + rng.IntN(560)
			rss, cycle := sh.rss(rng, seconds)
			fw := &flatWatch{seconds: seconds, rssAt: rss}
			if seed%2 == 0 {
				fw.duration = seconds // half of them with --duration
			}
			fw.run(t, rule)
			k := 0
			if 2*cycle > seconds {
				k = 1
			}
			if verdicts[k] == nil {
				verdicts[k] = map[string]int{}
			}
			watched[k]++
			verdicts[k][fw.verdict.Verdict]++
			analyses += fw.analyses
			singles += fw.singles
			if fw.fired {
				fired[k]++
			}
		}
		label := sh.name
		if sh.name == "sawtooth" {
			label = fmt.Sprintf("sawtooth (GC cycles of %d to %d s)", minPeriod, maxPeriod-1)
		}
		t.Logf("%s, %d watches of 40 s to 10 min (half with --duration): %d growing, %d flat, %d inconclusive at the end; %d fired growth>1MiB/h; %d of %d analyses said growing once",
			label, watched[0], verdicts[0][trend.Growing], verdicts[0][trend.Flat], verdicts[0][trend.Inconclusive], fired[0], singles, analyses)
		if watched[1] > 0 {
			t.Logf("%s: and %d watches shorter than two of their GC cycles: %d growing, %d flat, %d inconclusive; %d fired",
				sh.name, watched[1], verdicts[1][trend.Growing], verdicts[1][trend.Flat], verdicts[1][trend.Inconclusive], fired[1])
		}
		if fired[0] > 0 || verdicts[0][trend.Growing] > watched[0]/100 {
			t.Errorf("%s: false alarms on short watches: %d alerts, %d growing verdicts", sh.name, fired[0], verdicts[0][trend.Growing])
		}
	}
}
