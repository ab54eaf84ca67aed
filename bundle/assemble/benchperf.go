package assemble

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/perfcap/perfcap/analysis"
	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
)

// MaxBenchProfiles bounds the benchmarks that get a profile of their own
// under perf/bench/: three files each, a flamegraph of up to a few
// hundred KiB among them.
const MaxBenchProfiles = 100

// maxBenchDir bounds the length of a benchmark's directory name.
const maxBenchDir = 80

// benchWindows asks read for the windows of in.Benchmarks, in perf's
// clock, and returns the benchmarks they are for. Without a clock that
// maps perf's times to the run's there are none (the recording's notes
// say why).
func benchWindows(in *PerfInput, read *flame.PerfDataOptions, sum *format.Summary) []bench.BenchWindow {
	if len(in.Benchmarks) == 0 || in.Recording.Clock == "" {
		return nil
	}
	benches := in.Benchmarks
	if len(benches) > MaxBenchProfiles {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf(
			"perf/bench/ holds the profiles of the first %d of %d benchmarks; the whole run's profile holds them all", MaxBenchProfiles, len(benches)))
		benches = benches[:MaxBenchProfiles]
	}
	read.Windows = make([]flame.Window, len(benches))
	for i, b := range benches {
		for _, s := range b.Spans {
			read.Windows[i].Spans = append(read.Windows[i].Spans, flame.Span{Start: s.Start + in.ClockStart, End: s.End + in.ClockStart})
		}
	}
	return benches
}

// benchProfiles writes the profile of each benchmark with samples under
// perf/bench/NAME/ and says what each holds, with the analysis of its
// profile (uc tells the user's code apart).
func benchProfiles(w *bundle.Writer, benches []bench.BenchWindow, data []flame.WindowData, title string, uc analysis.Options) ([]format.PerfBenchmark, error) {
	var out []format.PerfBenchmark
	var warnings []string
	used := map[string]bool{}
	for i, b := range benches {
		pb := format.PerfBenchmark{Tool: b.Tool, ID: b.Benchmark, Seconds: b.Seconds(), Windows: len(b.Spans), Approximate: b.Approximate}
		if i < len(data) && len(data[i].Stacks) > 0 {
			wd := &data[i]
			pb.Dir = "perf/bench/" + BenchDir(b.Benchmark, used)
			warnings = append(warnings, writeProfile(w, pb.Dir+"/", wd.Stacks, wd.Profile, b.Benchmark+" — "+title)...)
			hot := flame.Hot(wd.Stacks, 10)
			hot.AddSourceLines(wd.Profile)
			pb.Hot, pb.Samples = &hot, hot.Weight
			if wd.Profile != nil {
				pb.Analysis = analysis.Analyze(wd.Profile, uc)
			}
		}
		out = append(out, pb)
	}
	if len(warnings) > 0 {
		return out, fmt.Errorf("%s", strings.Join(warnings, "; "))
	}
	return out, nil
}

// BenchDir names a benchmark's directory: its id with every byte but
// ASCII letters, digits, '.', '-' and '_' made '_' (runs of them one),
// no leading dot, at most maxBenchDir bytes, "benchmark" when nothing is
// left, and "-2", "-3"… after a name used (ignoring case, for file
// systems that do) recorded in used.
func BenchDir(id string, used map[string]bool) string {
	var b strings.Builder
	for i := 0; i < len(id) && b.Len() < maxBenchDir; i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.' && b.Len() > 0:
			b.WriteByte(c)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	name := strings.TrimRight(b.String(), "_.")
	if name == "" {
		name = "benchmark"
	}
	base := name
	for n := 2; used[strings.ToLower(name)]; n++ {
		name = base + "-" + strconv.Itoa(n)
	}
	used[strings.ToLower(name)] = true
	return name
}
