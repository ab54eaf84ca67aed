package timeline

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
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
	Processes []Process
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
	s := fmt.Sprintf("%s, %d samples, %d processes, peak CPU %s%% at %s, peak RSS %s at %s",
		formatSeconds(c.end), tl.Rows, len(c.opts.Processes), num(tl.PeakCPU), formatSeconds(tl.PeakCPUAt),
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
	c.series(func(b *Bucket) Stat { return b.TreeRSS }, rssColor, "rss-clip")
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
		tip := fmt.Sprintf("%s (%d samples)\ntree CPU %s%% (max %s%%)\ntree RSS %s (max %s)\nprocesses %d, threads %d",
			span, g.Samples, num(g.TreeCPU.sum/float64(g.Samples)), num(g.TreeCPU.Max),
			formatBytes(g.TreeRSS.sum/float64(g.Samples)), formatBytes(g.TreeRSS.Max), g.MaxProcesses, g.MaxThreads)
		if c.opts.SystemCPU {
			tip += fmt.Sprintf("\nsystem CPU %s%% of all cores, %s available", num(g.SystemCPU.sum/float64(g.Samples)), formatBytes(float64(g.MinAvailable)))
		}
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

func (c *chart) legend() {
	y := svgHeight - 16
	x := plotLeft
	item := func(swatch, label string) {
		c.printf(`<g transform="translate(%d %d)">%s<text x="26" y="4">%s</text></g>`+"\n", x, y, swatch, esc(label))
		x += 44 + 6*utf8.RuneCountInString(label)
	}
	item(`<line x2="20" stroke="`+cpuColor+`" stroke-width="2"/>`, "tree CPU")
	item(`<line x2="20" stroke="`+rssColor+`" stroke-width="2"/>`, "tree RSS")
	if c.opts.SystemCPU && c.opts.NumCPU > 0 {
		item(`<line x2="20" stroke="`+systemColor+`"/>`, "machine CPU, all processes")
	}
	item(`<path d="M10 -4l-4 7h8z" fill="#555"/>`, "process start (hover for names)")
}

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
