package timeline

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/format"
)

// Options configures WriteSVG. The zero value draws the tree alone.
type Options struct {
	// Title heads the chart: the measured command.
	Title string
	// NumCPU is the machine's core count; when > 0 a dashed line marks
	// NumCPU×100 % on the CPU axis (if the axis reaches it), and the
	// system CPU line can be drawn.
	NumCPU int
	// SystemCPU draws the machine's CPU use, scaled to percent of one core
	// (system_cpu_percent × NumCPU), as a faint line. It needs NumCPU.
	SystemCPU bool
	// Processes, from ReadProcesses, are marked by their start times.
	Processes []format.Process
	// ProcessCount is the subtitle's count of processes, as summary.json
	// has it (format.Totals.ProcessesText); empty, the subtitle counts
	// Processes, which are those seen in samples, and says so.
	ProcessCount string
	// Trend, when not nil, draws a fitted memory trend over the RSS panel
	// and shades the warm-up before it.
	Trend *Trend
	// Markers are events drawn as vertical lines through both panels, in
	// any order.
	Markers []Marker
	// Phases are a benchmark harness's phases (phases.csv), drawn as
	// bands behind the CPU panel with the measured benchmarks' names.
	Phases []bench.Phase
}

// Trend is a straight line fitted to the RSS, such as a memory-growth
// watch's post-GC floor, drawn dashed over the RSS panel from Since to
// Until. It never rescales the RSS axis: the part of the line above the
// axis is clipped.
type Trend struct {
	// Since and Until bound the fitted window, in seconds on the
	// timeline's time axis; the RSS panel is shaded as warm-up before
	// Since.
	Since, Until float64
	// Intercept is the line's value at Since, in bytes.
	Intercept float64
	// Slope is the line's rise, in bytes per second.
	Slope float64
	// Label names the line in the legend, e.g.
	// "growing +61.2 MiB/h (57.9–64.0)".
	Label string
}

// The kinds of Marker that have their own colour; any other kind is drawn
// in grey.
const (
	MarkerRestart  = "restart"
	MarkerAlert    = "alert"
	MarkerSnapshot = "snapshot"
)

// Marker is an event at one time of the run, such as a restart of the
// watched process, an alert or a snapshot taken.
type Marker struct {
	// T is the event's time in seconds on the timeline's time axis.
	T float64
	// Label says what happened; it is the marker's tooltip.
	Label string
	// Kind is MarkerRestart, MarkerAlert, MarkerSnapshot or another
	// string.
	Kind string
}

// The chart's geometry, in pixels: two panels of the same size, one above
// the other, sharing the time axis.
const (
	svgWidth     = 1000
	svgHeight    = 600
	plotLeft     = 80
	plotRight    = svgWidth - 30
	cpuTop       = 84
	panelHeight  = 180
	panelGap     = 50
	rssTop       = cpuTop + panelHeight + panelGap
	plotBottom   = rssTop + panelHeight
	clusterWidth = 10 // process starts closer than this share a marker
	hoverWidth   = 4  // narrowest tooltip column
	listedStarts = 8  // processes named in one marker's tooltip
	cpuColor     = "#2e62a8"
	rssColor     = "#b4540a"
	systemColor  = "#8a8a8a"
	trendColor   = "#7b1fa2"
)

// WriteSVG draws tl as a self-contained SVG: tree CPU above tree RSS over
// time, the peak RSS marked and labelled, process starts marked under the
// time axis, and a tooltip (an SVG <title>) on every column of points. A
// point is a bucket's mean; when buckets hold more than one sample, a
// shaded band shows their min to max, so peaks stay visible.
//
// A timeline with fewer than two samples, or all of them at time 0, gives a
// small valid SVG that says so instead of an error, so a bundle always
// has a picture. The output depends on tl and opts only: same input, same
// bytes.
func WriteSVG(w io.Writer, tl *Timeline, opts Options) error {
	bw := bufio.NewWriter(w)
	c := &chart{w: bw, tl: tl, opts: opts}
	c.draw()
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing timeline.svg: %w", err)
	}
	return nil
}

// chart holds what drawing needs: the output and the scales.
type chart struct {
	w    *bufio.Writer
	tl   *Timeline
	opts Options
	end  float64 // seconds at the right edge
	ymax float64 // the panel being drawn: value at its top
	top  float64 // the panel being drawn: its top edge
}

func (c *chart) printf(format string, args ...any) { fmt.Fprintf(c.w, format, args...) }

// x is the horizontal position of t seconds.
func (c *chart) x(t float64) string { return num(c.xf(t)) }

func (c *chart) xf(t float64) float64 {
	return plotLeft + min(max(t/c.end, 0), 1)*(plotRight-plotLeft)
}

// y is the vertical position of v in the current panel, clamped to it.
func (c *chart) y(v float64) string { return num(c.yf(v)) }

func (c *chart) yf(v float64) float64 {
	return c.top + panelHeight*(1-min(max(v/c.ymax, 0), 1))
}

func (c *chart) draw() {
	c.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		svgWidth, svgHeight, svgWidth, svgHeight)
	c.printf(`<rect width="100%%" height="100%%" fill="#fff"/>` + "\n")
	title := c.opts.Title
	if title == "" {
		title = "perfcap timeline"
	}
	c.printf(`<title>%s</title>`+"\n", esc(title))
	c.printf(`<text x="%d" y="26" font-size="16" font-weight="bold">%s</text>`+"\n", plotLeft, esc(cut(title, 110)))
	tl := c.tl
	if tl.Rows == 0 || len(tl.Buckets) == 0 {
		c.message("no samples: the run ended before the first sample")
		return
	}
	c.end = tl.Buckets[len(tl.Buckets)-1].Last
	if tl.Rows < 2 || c.end <= 0 {
		b := tl.Buckets[0]
		c.message(fmt.Sprintf("too few samples to draw: %d at %s, tree CPU %s%%, tree RSS %s",
			tl.Rows, formatSeconds(b.First), num(b.TreeCPU.Max), formatBytes(b.TreeRSS.Max)))
		return
	}
	c.subtitle()
	c.printf(`<defs><clipPath id="cpu-clip"><rect x="%d" y="%d" width="%d" height="%d"/></clipPath>`+
		`<clipPath id="rss-clip"><rect x="%d" y="%d" width="%d" height="%d"/></clipPath></defs>`+"\n",
		plotLeft, cpuTop, plotRight-plotLeft, panelHeight, plotLeft, rssTop, plotRight-plotLeft, panelHeight)
	c.cpuPanel()
	c.rssPanel()
	c.timeAxis()
	c.starts()
	c.hover()
	c.markers()
	c.legend()
	c.printf("</svg>\n")
}

// message finishes a chart that has nothing to plot.
func (c *chart) message(msg string) {
	c.printf(`<text x="%d" y="%d" font-size="14" text-anchor="middle" fill="#555">%s</text>`+"\n",
		svgWidth/2, svgHeight/2, esc(msg))
	c.printf("</svg>\n")
}

// downsampled reports whether some bucket holds more than one sample.
func (c *chart) downsampled() bool {
	for _, b := range c.tl.Buckets {
		if b.Samples > 1 {
			return true
		}
	}
	return false
}

func (c *chart) subtitle() {
	tl := c.tl
	procs := c.opts.ProcessCount
	if procs == "" {
		procs = plural(len(c.opts.Processes), "process", "processes") + " seen in samples"
	}
	s := fmt.Sprintf("%s, %s, %s, peak CPU %s%% at %s, peak RSS %s at %s",
		formatSeconds(c.end), plural(tl.Rows, "sample", "samples"), procs, num(tl.PeakCPU), formatSeconds(tl.PeakCPUAt),
		formatBytes(float64(tl.PeakRSS)), formatSeconds(tl.PeakRSSAt))
	if c.downsampled() {
		s += fmt.Sprintf("; each point averages %s (shaded: min to max)", formatSpan(tl.Width))
	}
	c.printf(`<text x="%d" y="46" fill="#555">%s</text>`+"\n", plotLeft, esc(s))
}

// formatSpan writes a bucket width: "0.256 s", "4.1 min".
func formatSpan(s float64) string {
	switch {
	case s < 10:
		return strconv.FormatFloat(s, 'f', 3, 64) + " s"
	case s < 600:
		return strconv.FormatFloat(s, 'f', 1, 64) + " s"
	case s < 36000:
		return strconv.FormatFloat(s/60, 'f', 1, 64) + " min"
	}
	return strconv.FormatFloat(s/3600, 'f', 1, 64) + " h"
}

// panel draws a panel's heading, frame, value grid and tick labels.
func (c *chart) panel(top float64, heading string, ticks []tick) {
	c.printf(`<text x="%d" y="%s" font-weight="bold">%s</text>`+"\n", plotLeft, num(top-10), esc(heading))
	c.printf(`<g stroke="#e4e4e4">`)
	for _, t := range ticks[1:] {
		c.printf(`<line x1="%d" x2="%d" y1="%s" y2="%s"/>`, plotLeft, plotRight, c.y(t.v), c.y(t.v))
	}
	c.printf("</g>\n")
	c.printf(`<g text-anchor="end" fill="#444">`)
	for _, t := range ticks {
		c.printf(`<text x="%d" y="%s">%s</text>`, plotLeft-6, num(c.yf(t.v)+4), esc(t.label))
	}
	c.printf("</g>\n")
	c.printf(`<rect x="%d" y="%s" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n",
		plotLeft, num(top), plotRight-plotLeft, panelHeight)
}

// series draws one column of the buckets: a min–max band when downsampled
// (else a light area under the line) and the line through the means.
func (c *chart) series(stat func(*Bucket) Stat, color, clip string) {
	bs := c.tl.Buckets
	var pts strings.Builder
	for i := range bs {
		fmt.Fprintf(&pts, "%s,%s ", c.x(mid(&bs[i])), c.y(stat(&bs[i]).Mean))
	}
	line := strings.TrimSpace(pts.String())
	var area strings.Builder
	if c.downsampled() {
		// The band spans each bucket's samples, first to last.
		for i := range bs {
			hi := c.y(stat(&bs[i]).Max)
			fmt.Fprintf(&area, "%s,%s %s,%s ", c.x(bs[i].First), hi, c.x(bs[i].Last), hi)
		}
		for i := len(bs) - 1; i >= 0; i-- {
			lo := c.y(stat(&bs[i]).Min)
			fmt.Fprintf(&area, "%s,%s %s,%s ", c.x(bs[i].Last), lo, c.x(bs[i].First), lo)
		}
		c.printf(`<polygon clip-path="url(#%s)" fill="%s" fill-opacity="0.3" points="%s"/>`+"\n",
			clip, color, strings.TrimSpace(area.String()))
	} else {
		bottom := num(c.top + panelHeight)
		fmt.Fprintf(&area, "%s,%s %s %s,%s", c.x(mid(&bs[0])), bottom, line, c.x(mid(&bs[len(bs)-1])), bottom)
		c.printf(`<polygon clip-path="url(#%s)" fill="%s" fill-opacity="0.12" points="%s"/>`+"\n", clip, color, area.String())
	}
	c.printf(`<polyline clip-path="url(#%s)" fill="none" stroke="%s" stroke-width="1.5" stroke-linejoin="round" points="%s"/>`+"\n",
		clip, color, line)
}

// mid is where a bucket's point is drawn: the middle of its samples.
func mid(b *Bucket) float64 { return (b.First + b.Last) / 2 }

func (c *chart) cpuPanel() {
	top, ticks := percentAxis(c.tl.PeakCPU)
	c.top, c.ymax = cpuTop, top
	heading := "tree CPU, % of one core"
	cores := float64(c.opts.NumCPU) * 100
	if c.opts.NumCPU > 0 && cores > top {
		heading += fmt.Sprintf(" (the machine's %d cores: %s%%)", c.opts.NumCPU, num(cores))
	}
	c.panel(cpuTop, heading, ticks)
	if len(c.opts.Phases) > 0 {
		c.phases()
	}
	if c.opts.SystemCPU && c.opts.NumCPU > 0 {
		var pts strings.Builder
		for i := range c.tl.Buckets {
			b := &c.tl.Buckets[i]
			fmt.Fprintf(&pts, "%s,%s ", c.x(mid(b)), c.y(b.SystemCPU.Mean*float64(c.opts.NumCPU)))
		}
		c.printf(`<polyline clip-path="url(#cpu-clip)" fill="none" stroke="%s" stroke-opacity="0.7" stroke-width="1" points="%s"><title>system CPU, all processes of the machine</title></polyline>`+"\n",
			systemColor, strings.TrimSpace(pts.String()))
	}
	if c.opts.NumCPU > 0 && cores <= top {
		c.printf(`<line x1="%d" x2="%d" y1="%s" y2="%s" stroke="#c00" stroke-dasharray="6 4"/>`, plotLeft, plotRight, c.y(cores), c.y(cores))
		c.printf(`<text x="%d" y="%s" text-anchor="end" fill="#c00" font-size="11">all %d cores</text>`+"\n",
			plotRight-4, num(c.yf(cores)+12), c.opts.NumCPU)
	}
	c.series(func(b *Bucket) Stat { return b.TreeCPU }, cpuColor, "cpu-clip")
}

func (c *chart) rssPanel() {
	top, ticks := bytesAxis(float64(c.tl.PeakRSS))
	c.top, c.ymax = rssTop, top
	c.panel(rssTop, "tree RSS, resident memory of all processes", ticks)
	c.warmup()
	c.series(func(b *Bucket) Stat { return b.TreeRSS }, rssColor, "rss-clip")
	c.trend()
	x, y := c.xf(c.tl.PeakRSSAt), c.yf(float64(c.tl.PeakRSS))
	label := "peak " + formatBytes(float64(c.tl.PeakRSS)) + " at " + formatSeconds(c.tl.PeakRSSAt)
	anchor, dx := "start", 7.0
	if c.tl.PeakRSSAt > 0.7*c.end {
		anchor, dx = "end", -7
	}
	ly := y - 7
	if ly < rssTop+14 {
		ly = y + 16
	}
	c.printf(`<circle cx="%s" cy="%s" r="4" fill="%s" stroke="#fff"/>`, num(x), num(y), rssColor)
	c.printf(`<text x="%s" y="%s" text-anchor="%s" font-weight="bold" fill="%s" stroke="#fff" stroke-width="3" paint-order="stroke">%s</text>`+"\n",
		num(x+dx), num(ly), anchor, rssColor, esc(label))
}

// timeAxis draws the time grid across both panels and labels it below.
func (c *chart) timeAxis() {
	ticks := timeTicks(c.end)
	c.printf(`<g stroke="#e4e4e4">`)
	for _, t := range ticks[1:] {
		x := c.x(t.v)
		c.printf(`<line x1="%s" x2="%s" y1="%d" y2="%d"/>`, x, x, cpuTop, cpuTop+panelHeight)
		c.printf(`<line x1="%s" x2="%s" y1="%d" y2="%d"/>`, x, x, rssTop, plotBottom)
	}
	c.printf("</g>\n")
	c.printf(`<g text-anchor="middle" fill="#444">`)
	for _, t := range ticks {
		c.printf(`<text x="%s" y="%d">%s</text>`, c.x(t.v), plotBottom+26, esc(t.label))
	}
	c.printf("</g>\n")
	c.printf(`<text x="%d" y="%d" text-anchor="middle" fill="#444">time since the command started</text>`+"\n",
		(plotLeft+plotRight)/2, plotBottom+44)
}

// starts marks process starts with triangles under the time axis; starts
// closer than clusterWidth pixels share one larger marker whose tooltip
// lists them, so a build of 100,000 compiler runs stays about 90 markers.
func (c *chart) starts() {
	procs := c.opts.Processes
	if len(procs) == 0 {
		return
	}
	c.printf(`<g fill="#555">` + "\n")
	for i := 0; i < len(procs); {
		x0 := c.xf(procs[i].Start)
		j := i + 1
		for j < len(procs) && c.xf(procs[j].Start)-x0 < clusterWidth {
			j++
		}
		group := procs[i:j]
		var tip strings.Builder
		first, last := formatSeconds(group[0].Start), formatSeconds(group[len(group)-1].Start)
		switch {
		case len(group) == 1:
			fmt.Fprintf(&tip, "process started at %s:", first)
		case first == last:
			fmt.Fprintf(&tip, "%d processes started at %s:", len(group), first)
		default:
			fmt.Fprintf(&tip, "%d processes started %s to %s:", len(group), first, last)
		}
		for k, p := range group {
			if k == listedStarts {
				fmt.Fprintf(&tip, "\n… and %d more", len(group)-k)
				break
			}
			fmt.Fprintf(&tip, "\n%s (pid %d): %s", p.Name, p.PID, cut(p.Argv, 120))
		}
		// A marker for several starts is larger; its tooltip counts them.
		size := "l-4 7h8z"
		if len(group) > 1 {
			size = "l-5 9h10z"
		}
		c.printf(`<path d="M%s %s%s"><title>%s</title></path>`+"\n", num(x0), num(plotBottom+1), size, esc(tip.String()))
		i = j
	}
	c.printf("</g>\n")
}

// hover lays invisible columns over both panels, each with a tooltip
// giving the values of the buckets under it.
func (c *chart) hover() {
	bs := c.tl.Buckets
	c.printf(`<g fill="#fff" fill-opacity="0">` + "\n")
	for i := 0; i < len(bs); {
		j := i + 1
		for j < len(bs) && c.xf(bs[j].First)-c.xf(bs[i].First) < hoverWidth {
			j++
		}
		g := merged(bs[i:j])
		x0 := c.xf(g.First)
		x1 := float64(plotRight)
		if j < len(bs) {
			x1 = c.xf(bs[j].First)
		}
		if i == 0 {
			x0 = plotLeft
		}
		span := formatSeconds(g.First)
		if g.Last > g.First {
			span += " to " + formatSeconds(g.Last)
		}
		tip := fmt.Sprintf("%s (%s)\ntree CPU %s%% (max %s%%)\ntree RSS %s (max %s)\nprocesses %d, threads %d",
			span, plural(g.Samples, "sample", "samples"), num(g.TreeCPU.sum/float64(g.Samples)), num(g.TreeCPU.Max),
			formatBytes(g.TreeRSS.sum/float64(g.Samples)), formatBytes(g.TreeRSS.Max), g.MaxProcesses, g.MaxThreads)
		if c.opts.SystemCPU {
			tip += fmt.Sprintf("\nsystem CPU %s%% of all cores, %s available", num(g.SystemCPU.sum/float64(g.Samples)), formatBytes(float64(g.MinAvailable)))
		}
		tip += c.trendTip(mid(&g))
		c.printf(`<rect x="%s" y="%d" width="%s" height="%d"><title>%s</title></rect>`+"\n",
			num(x0), cpuTop, num(max(x1-x0, 0)), plotBottom-cpuTop, esc(tip))
		i = j
	}
	c.printf("</g>\n")
}

// merged folds consecutive buckets into one.
func merged(bs []Bucket) Bucket {
	g := bs[0]
	for _, b := range bs[1:] {
		g.merge(b)
	}
	return g
}

// trendDrawn reports whether opts.Trend is a line that can be drawn: all
// its numbers finite and Until after Since.
func (c *chart) trendDrawn() bool {
	tr := c.opts.Trend
	return tr != nil && finite(tr.Since) && finite(tr.Until) && finite(tr.Intercept) && finite(tr.Slope) && tr.Until > tr.Since
}

// trendTip is what a hover tooltip at t seconds says of the trend: the
// line's value within its window, "warm-up" before it.
func (c *chart) trendTip(t float64) string {
	if !c.trendDrawn() {
		return ""
	}
	tr := c.opts.Trend
	switch {
	case t < tr.Since:
		return "\nwarm-up, left out of the trend"
	case t <= tr.Until:
		return fmt.Sprintf("\ntrend line %s: %s", formatBytes(tr.Intercept+tr.Slope*(t-tr.Since)), cut(tr.Label, 80))
	}
	return ""
}

// warmup shades the RSS panel before the trend's window, the warm-up the
// fit left out.
func (c *chart) warmup() {
	if !c.trendDrawn() || c.opts.Trend.Since <= 0 {
		return
	}
	w := c.xf(c.opts.Trend.Since) - plotLeft
	c.printf(`<rect x="%d" y="%d" width="%s" height="%d" fill="#000" fill-opacity="0.06"/>`, plotLeft, rssTop, num(w), panelHeight)
	if w >= 50 {
		c.printf(`<text x="%d" y="%d" font-size="10" fill="#666">warm-up</text>`, plotLeft+4, rssTop+12)
	}
	c.printf("\n")
}

// trend draws the trend line over the RSS series; the hover columns'
// tooltips give its value. The line is clipped to
// the panel here, not only by the clip path, so that a value far off the
// axis cannot write huge coordinates.
func (c *chart) trend() {
	if !c.trendDrawn() {
		return
	}
	tr := c.opts.Trend
	xr := func(t float64) float64 { return plotLeft + t/c.end*(plotRight-plotLeft) }
	yr := func(v float64) float64 { return c.top + panelHeight*(1-v/c.ymax) }
	x0, y0 := xr(tr.Since), yr(tr.Intercept)
	x1, y1 := xr(tr.Until), yr(tr.Intercept+tr.Slope*(tr.Until-tr.Since))
	x0, y0, x1, y1, ok := clipSegment(x0, y0, x1, y1, plotLeft, rssTop, plotRight, plotBottom)
	if !ok {
		return
	}
	line := fmt.Sprintf(`x1="%s" y1="%s" x2="%s" y2="%s"`, num(x0), num(y0), num(x1), num(y1))
	c.printf(`<g clip-path="url(#rss-clip)"><line %s stroke="#fff" stroke-opacity="0.8" stroke-width="4"/>`, line)
	c.printf(`<line %s stroke="%s" stroke-width="2" stroke-dasharray="8 5"/></g>`+"\n", line, trendColor)
}

// clipSegment clips the segment (x0, y0)–(x1, y1) to the rectangle
// [left, right]×[top, bottom] (Liang–Barsky); ok is false when no part of
// it is inside.
func clipSegment(x0, y0, x1, y1, left, top, right, bottom float64) (cx0, cy0, cx1, cy1 float64, ok bool) {
	dx, dy := x1-x0, y1-y0
	lo, hi := 0.0, 1.0
	for _, e := range [4][2]float64{{-dx, x0 - left}, {dx, right - x0}, {-dy, y0 - top}, {dy, bottom - y0}} {
		p, q := e[0], e[1]
		if p == 0 {
			if q < 0 {
				return 0, 0, 0, 0, false
			}
			continue
		}
		r := q / p
		if p < 0 {
			lo = max(lo, r)
		} else {
			hi = min(hi, r)
		}
	}
	if lo > hi || !finite(lo) || !finite(hi) {
		return 0, 0, 0, 0, false
	}
	return x0 + lo*dx, y0 + lo*dy, x0 + hi*dx, y0 + hi*dy, true
}

// markerKinds are the colours and legend names of Marker kinds, the
// strongest first: a cluster of markers takes the colour of its strongest
// kind. The last entry is for any other kind.
var markerKinds = []struct{ kind, color, legend string }{
	{MarkerAlert, "#d32f2f", "alert"},
	{MarkerRestart, "#424242", "restart"},
	{MarkerSnapshot, "#1976d2", "snapshot"},
	{"", "#8a8a8a", "other event"},
}

// kindOf is the index of kind in markerKinds.
func kindOf(kind string) int {
	for i, k := range markerKinds[:len(markerKinds)-1] {
		if k.kind == kind {
			return i
		}
	}
	return len(markerKinds) - 1
}

// markers draws opts.Markers as dashed vertical lines through both panels,
// each with a tooltip and, where there is room, a short label at the top of
// the CPU panel. Markers closer than clusterWidth pixels share one line, as
// process starts do, so a week of snapshots stays under a hundred lines
// whose tooltips list a few markers each. They are drawn after the hover
// columns so that their tooltips win.
func (c *chart) markers() {
	var ms []Marker
	for _, m := range c.opts.Markers {
		if finite(m.T) {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return
	}
	slices.SortStableFunc(ms, func(a, b Marker) int { return cmp.Compare(a.T, b.T) })
	var groups []markerGroup
	for i := 0; i < len(ms); {
		x := c.xf(ms[i].T)
		j := i + 1
		for j < len(ms) && c.xf(ms[j].T)-x < clusterWidth {
			j++
		}
		groups = append(groups, newMarkerGroup(x, ms[i:j]))
		i = j
	}
	placeLabels(groups)
	c.printf(`<g font-size="10" stroke-dasharray="4 3">` + "\n")
	for _, g := range groups {
		color := markerKinds[g.kind].color
		x := num(g.x)
		c.printf(`<g stroke="%s"><title>%s</title><line x1="%s" x2="%s" y1="%d" y2="%d"/><line x1="%s" x2="%s" y1="%d" y2="%d"/>`,
			color, esc(g.tip), x, x, cpuTop, cpuTop+panelHeight, x, x, rssTop, plotBottom)
		// A transparent strip makes the thin line easy to hover.
		c.printf(`<rect x="%s" y="%d" width="6" height="%d" fill="#fff" fill-opacity="0" stroke="none"/>`, num(g.x-3), cpuTop, plotBottom-cpuTop)
		if g.labelled {
			c.printf(`<text x="%s" y="%d" text-anchor="%s" fill="%s" stroke="#fff" stroke-width="3" stroke-dasharray="none" paint-order="stroke">%s</text>`,
				num(g.lx), cpuTop+11, g.anchor, color, esc(g.label))
		}
		c.printf("</g>\n")
	}
	c.printf("</g>\n")
}

// markerGroup is the markers that share one line: where it is drawn, the
// strongest kind among them (an index in markerKinds), its tooltip and
// its label.
type markerGroup struct {
	x          float64
	kind       int
	tip, label string
	// The label, if labelled, spans left to right and is drawn at lx with
	// the SVG text-anchor anchor.
	labelled    bool
	left, right float64
	lx          float64
	anchor      string
}

func newMarkerGroup(x float64, ms []Marker) markerGroup {
	g := markerGroup{x: x, kind: kindOf(ms[0].Kind)}
	same := true
	for _, m := range ms[1:] {
		g.kind = min(g.kind, kindOf(m.Kind))
		same = same && m.Kind == ms[0].Kind
	}
	var tip strings.Builder
	if len(ms) > 1 {
		fmt.Fprintf(&tip, "%d events %s to %s:\n", len(ms), formatSeconds(ms[0].T), formatSeconds(ms[len(ms)-1].T))
	}
	for k, m := range ms {
		if k == listedStarts {
			fmt.Fprintf(&tip, "\n… and %d more", len(ms)-k)
			break
		}
		if k > 0 {
			tip.WriteString("\n")
		}
		fmt.Fprintf(&tip, "%s at %s", markerName(m.Kind), formatSeconds(m.T))
		if m.Label != "" {
			fmt.Fprintf(&tip, ": %s", cut(m.Label, 120))
		}
	}
	g.tip = tip.String()
	switch {
	case len(ms) > 1 && same && kindOf(ms[0].Kind) < len(markerKinds)-1:
		g.label = fmt.Sprintf("%d %ss", len(ms), ms[0].Kind)
	case len(ms) > 1:
		g.label = fmt.Sprintf("%d events", len(ms))
	case ms[0].Label != "":
		g.label = cut(ms[0].Label, 24)
	default:
		g.label = markerName(ms[0].Kind)
	}
	width := 5.5 * float64(utf8.RuneCountInString(g.label))
	g.lx, g.anchor, g.left, g.right = x+3, "start", x+3, x+3+width
	if g.right > plotRight {
		g.lx, g.anchor, g.left, g.right = x-3, "end", x-3-width, x-3
	}
	return g
}

// placeLabels labels the groups that have room, the strongest kinds first
// and then from left to right, so an alert's label is not crowded out by a
// snapshot's.
func placeLabels(groups []markerGroup) {
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(groups[a].kind, groups[b].kind) })
	var placed []*markerGroup
	for _, i := range order {
		g := &groups[i]
		g.labelled = !slices.ContainsFunc(placed, func(p *markerGroup) bool {
			return g.left < p.right+4 && p.left < g.right+4
		})
		if g.labelled {
			placed = append(placed, g)
		}
	}
}

// markerName is how a tooltip names a Marker kind.
func markerName(kind string) string {
	if kind == "" {
		return "event"
	}
	return kind
}

// legend lays out one row of swatches under the chart, or more rows when
// a trend label and marker kinds do not fit in one.
func (c *chart) legend() {
	type entry struct{ swatch, label string }
	items := []entry{
		{`<line x2="20" stroke="` + cpuColor + `" stroke-width="2"/>`, "tree CPU"},
		{`<line x2="20" stroke="` + rssColor + `" stroke-width="2"/>`, "tree RSS"},
	}
	if c.opts.SystemCPU && c.opts.NumCPU > 0 {
		items = append(items, entry{`<line x2="20" stroke="` + systemColor + `"/>`, "machine CPU, all processes"})
	}
	items = append(items, entry{`<path d="M10 -4l-4 7h8z" fill="#555"/>`, "process start (hover for names)"})
	for _, k := range phaseKinds {
		if slices.ContainsFunc(c.opts.Phases, func(p bench.Phase) bool { return p.Kind == k.kind }) {
			items = append(items, entry{`<rect y="-6" width="20" height="11" fill="` + k.color + `"/>`, k.legend})
		}
	}
	if c.trendDrawn() {
		label := c.opts.Trend.Label
		if label == "" {
			label = "trend"
		}
		items = append(items, entry{`<line x2="20" stroke="` + trendColor + `" stroke-width="2" stroke-dasharray="6 3"/>`, cut(label, 80)})
	}
	present := make([]bool, len(markerKinds))
	for _, m := range c.opts.Markers {
		if finite(m.T) {
			present[kindOf(m.Kind)] = true
		}
	}
	for i, k := range markerKinds {
		if present[i] {
			items = append(items, entry{`<line x1="10" x2="10" y1="-7" y2="5" stroke="` + k.color + `" stroke-width="1.5" stroke-dasharray="3 2"/>`, k.legend})
		}
	}
	width := func(e entry) int { return 44 + 6*utf8.RuneCountInString(e.label) }
	rows, x := 1, plotLeft
	for _, e := range items {
		if x > plotLeft && x+width(e)-18 > svgWidth {
			rows++
			x = plotLeft
		}
		x += width(e)
	}
	y, x := svgHeight-16-18*(rows-1), plotLeft
	for _, e := range items {
		if x > plotLeft && x+width(e)-18 > svgWidth {
			y += 18
			x = plotLeft
		}
		c.printf(`<g transform="translate(%d %d)">%s<text x="26" y="4">%s</text></g>`+"\n", x, y, e.swatch, esc(e.label))
		x += width(e)
	}
}

// finite reports whether v is neither infinite nor NaN.
func finite(v float64) bool { return !math.IsInf(v, 0) && !math.IsNaN(v) }

// num formats a coordinate or value with one decimal, never "-0.0".
func num(v float64) string {
	if math.Abs(v) < 0.05 {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// esc escapes s as XML character data; invalid UTF-8 and control
// characters become U+FFFD.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// cut shortens s to n runes with an ellipsis.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// plural writes a count with its noun, singular for one: "1 process".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
