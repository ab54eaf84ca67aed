package timeline

import (
	"cmp"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/perfcap/perfcap/capture/bench"
)

// phaseKinds are the colours of the benchmark phases, drawn as bands
// behind the CPU panel, and their legend.
var phaseKinds = []struct{ kind, color, legend string }{
	{bench.PhaseWarmup, "#f3e3a0", "warm-up"},
	{bench.PhaseMeasure, "#bcd7f2", "benchmark measured (named)"},
	{bench.PhaseAnalysis, "#dcdcdc", "analysis"},
}

// phaseColor is the band colour of a phase kind, "" for one it does not
// know.
func phaseColor(kind string) string {
	for _, k := range phaseKinds {
		if k.kind == kind {
			return k.color
		}
	}
	return ""
}

// phases draws opts.Phases as bands across the CPU panel, each with a
// tooltip, and writes each measured benchmark's name at the top of its
// band where the band is wide enough. A band less than half a pixel
// right of the last one drawn is left out, so a run of a hundred thousand
// phases stays a picture of about as many bands as the plot has pixels.
func (c *chart) phases() {
	ps := slices.Clone(c.opts.Phases)
	slices.SortStableFunc(ps, func(a, b bench.Phase) int { return cmp.Compare(a.Start, b.Start) })
	c.printf(`<g clip-path="url(#cpu-clip)" font-size="10">` + "\n")
	right := float64(plotLeft) - 1
	for _, p := range ps {
		color := phaseColor(p.Kind)
		if color == "" || !finite(p.Start) || !finite(p.End) || p.End < p.Start {
			continue
		}
		x0, x1 := c.xf(p.Start), c.xf(p.End)
		if x1 < right+0.5 {
			continue
		}
		x0 = max(x0, right)
		right = x1
		approx := ""
		if p.Approximate {
			approx = " (start approximate)"
		}
		tip := fmt.Sprintf("%s %s: %s to %s%s", cut(p.Benchmark, 120), p.Kind, formatSeconds(p.Start), formatSeconds(p.End), approx)
		c.printf(`<rect x="%s" y="%d" width="%s" height="%d" fill="%s" fill-opacity="0.55"><title>%s</title></rect>`,
			num(x0), cpuTop, num(max(x1-x0, 0.5)), panelHeight, color, esc(tip))
		if n := int((x1 - x0 - 4) / 6); p.Kind == bench.PhaseMeasure && n >= 3 {
			label := cut(p.Benchmark, n)
			if utf8.RuneCountInString(label) > 0 {
				c.printf(`<text x="%s" y="%d" fill="#1a3c66">%s</text>`, num(x0+2), cpuTop+24, esc(label))
			}
		}
		c.printf("\n")
	}
	c.printf("</g>\n")
}
