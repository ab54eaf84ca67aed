package timeline

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/capture/bench"
)

// TestPhases draws a Criterion run's phases over the demo timeline: one
// band per phase behind the CPU panel, the measured benchmark's name
// written in its band (escaped), warm-up and analysis unnamed, the kinds
// in the legend.
func TestPhases(t *testing.T) {
	opts := demoOptions(t)
	name := `parse <json> & "arrays"`
	opts.Phases = []bench.Phase{
		{Tool: "criterion", Benchmark: name, Kind: bench.PhaseWarmup, Start: 0.5, End: 1},
		{Tool: "criterion", Benchmark: name, Kind: bench.PhaseMeasure, Start: 1, End: 3},
		{Tool: "criterion", Benchmark: name, Kind: bench.PhaseAnalysis, Start: 3, End: 3.5, Approximate: true},
	}
	svg := string(render(t, readFile(t, "testdata/demo-timeline.csv", 0), opts))
	wellFormed(t, []byte(svg))
	bands := regexp.MustCompile(`<rect x="[\d.]+" y="84" width="[\d.]+" height="180" fill="(#[0-9a-f]+)"`).FindAllStringSubmatch(svg, -1)
	if len(bands) != 3 || bands[0][1] != phaseColor(bench.PhaseWarmup) || bands[1][1] != phaseColor(bench.PhaseMeasure) {
		t.Errorf("bands %v, want warm-up, measure, analysis", bands)
	}
	esc := "parse &lt;json&gt; &amp; &#34;arrays&#34;"
	if strings.Count(svg, ">"+esc+"</text>") != 1 {
		t.Errorf("the measured benchmark's name is not written once over its band")
	}
	for _, want := range []string{esc + " measure: 1.0 s to 3.0 s</title>", "analysis: 3.0 s to 3.5 s (start approximate)", ">warm-up</text>", ">benchmark measured (named)</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
}

// TestManyPhases: a hundred thousand phases draw as at most one band per
// half pixel, names only where they fit.
func TestManyPhases(t *testing.T) {
	opts := demoOptions(t)
	for i := range bench.MaxPhases {
		t0 := float64(i) * 4.6 / bench.MaxPhases
		opts.Phases = append(opts.Phases, bench.Phase{Tool: "go", Benchmark: fmt.Sprint("BenchmarkX", i), Kind: bench.PhaseMeasure, Start: t0, End: t0 + 1e-5})
	}
	svg := render(t, readFile(t, "testdata/demo-timeline.csv", 0), opts)
	wellFormed(t, svg)
	if n := strings.Count(string(svg), `height="180" fill="#bcd7f2"`); n == 0 || n > 2*(plotRight-plotLeft) {
		t.Errorf("%d bands for %d phases, want at most two per pixel", n, len(opts.Phases))
	}
	if strings.Contains(string(svg), `fill="#1a3c66">BenchmarkX`) {
		t.Error("a name is written where its band has no room")
	}
}
