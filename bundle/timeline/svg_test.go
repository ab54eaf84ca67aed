package timeline

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/golden"
)

// demoOptions are the options of the golden chart: the demo run of
// internal/workload on a 2-core machine.
func demoOptions(t *testing.T) Options {
	t.Helper()
	f, err := os.Open("testdata/demo-processes.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	procs, err := format.ReadProcesses(f)
	if err != nil {
		t.Fatal(err)
	}
	return Options{Title: "/tmp/workload demo", NumCPU: 2, SystemCPU: true, Processes: procs}
}

func readFile(t *testing.T, name string, buckets int) *Timeline {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tl, err := ReadTimeline(f, buckets)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func render(t *testing.T, tl *Timeline, opts Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteSVG(&b, tl, opts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name    string
		buckets int
	}{
		{"demo.svg", 0},
		{"demo-downsampled.svg", 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := readFile(t, "testdata/demo-timeline.csv", tc.buckets)
			golden.Check(t, filepath.Join("testdata", tc.name), render(t, tl, demoOptions(t)))
		})
	}
}

// wellFormed fails t unless svg is well-formed XML.
func wellFormed(t testing.TB, svg []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%.2000s", err, svg)
		}
	}
}

func TestWriteSVGDeterministic(t *testing.T) {
	a := render(t, readFile(t, "testdata/demo-timeline.csv", 0), demoOptions(t))
	b := render(t, readFile(t, "testdata/demo-timeline.csv", 0), demoOptions(t))
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings of the same timeline differ")
	}
	wellFormed(t, a)

	tr := watchTrend
	ms := watchMarkers()
	a = render(t, readWatch(t), Options{Trend: &tr, Markers: ms})
	slices.Reverse(ms)
	b = render(t, readWatch(t), Options{Trend: &tr, Markers: ms})
	if !bytes.Equal(a, b) {
		t.Fatal("the same markers in another order render differently")
	}
	wellFormed(t, a)
}

func TestPeakLabel(t *testing.T) {
	const peak = 313.6 * (1 << 20) // 328833433.6 bytes
	rows := header +
		"0.000,0.0,1048576,1,1,10.0,1000\n" +
		"1.600,100.0,104857600,2,3,10.0,1000\n" +
		"3.200,150.0,328833433,2,3,10.0,1000\n" +
		"3.300,150.0,328833433,2,3,10.0,1000\n" +
		"6.400,50.0,209715200,2,3,10.0,1000\n"
	for _, buckets := range []int{0, 2} {
		tl, err := ReadTimeline(strings.NewReader(rows), buckets)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(float64(tl.PeakRSS)-peak) > 1 || tl.PeakRSSAt != 3.2 {
			t.Fatalf("peak %d at %v", tl.PeakRSS, tl.PeakRSSAt)
		}
		svg := render(t, tl, Options{Title: "peak"})
		if !bytes.Contains(svg, []byte(">peak 313.6 MiB at 3.2 s</text>")) {
			t.Errorf("%d buckets: no peak label in\n%s", buckets, svg)
		}
		// The dot sits at 3.2 s of 6.4 s: halfway across the plot.
		if want := fmt.Sprintf(`<circle cx="%s"`, num((plotLeft+plotRight)/2.0)); !bytes.Contains(svg, []byte(want)) {
			t.Errorf("%d buckets: no %s", buckets, want)
		}
	}
}

func TestWriteSVGEscapes(t *testing.T) {
	tl := readFile(t, "testdata/demo-timeline.csv", 0)
	evil := `<script>alert("x")</script> & ]]> ` + "\x01\xff"
	svg := render(t, tl, Options{
		Title:     evil,
		Processes: []format.Process{{PID: 7, Name: evil, Argv: evil, Start: 1}},
		Trend:     &Trend{Since: 1, Until: 4, Intercept: 1 << 20, Slope: 1 << 20, Label: evil},
		Markers:   []Marker{{T: 2, Label: evil, Kind: evil}, {T: 2.001, Label: evil, Kind: MarkerAlert}},
	})
	wellFormed(t, svg)
	if bytes.Contains(svg, []byte("<script")) {
		t.Error("a process name became markup")
	}
	if !bytes.Contains(svg, []byte("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; ]]&gt;")) {
		t.Errorf("escaped name missing:\n%s", svg)
	}
}

func TestWriteSVGTooFewSamples(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"no rows", header, "no samples"},
		{"one row", header + "0.003,0.0,1052672,1,1,0.0,5\n", "too few samples to draw: 1 at 0.0 s, tree CPU 0.0%, tree RSS 1.0 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl, err := ReadTimeline(strings.NewReader(tc.in), 0)
			if err != nil {
				t.Fatal(err)
			}
			svg := render(t, tl, Options{Title: "x"})
			wellFormed(t, svg)
			if !bytes.Contains(svg, []byte(tc.want)) {
				t.Errorf("no %q in\n%s", tc.want, svg)
			}
		})
	}
}

// TestManyProcessStarts checks that a thousand starts in one second are
// clustered into a few markers, each naming a few processes.
func TestManyProcessStarts(t *testing.T) {
	tl := readFile(t, "testdata/demo-timeline.csv", 0)
	var procs []format.Process
	for i := range 1000 {
		procs = append(procs, format.Process{PID: 100 + i, Name: "cc1", Argv: "cc1 x.c", Start: 1 + float64(i)/1000})
	}
	svg := render(t, tl, Options{Processes: procs})
	wellFormed(t, svg)
	markers := bytes.Count(svg, []byte("<path d=\"M"))
	if markers > 30 {
		t.Errorf("%d markers for 1000 starts within 1 s", markers)
	}
	if !bytes.Contains(svg, []byte("… and ")) {
		t.Error("no clustered marker")
	}
}

func TestTimeTicks(t *testing.T) {
	for _, tc := range []struct {
		end  float64
		want string
	}{
		{4.878, "0 s,1 s,2 s,3 s,4 s"},
		{0.9, "0.0 s,0.2 s,0.4 s,0.6 s,0.8 s"},
		{100, "0 s,20 s,40 s,60 s,80 s,100 s"},
		{1000, "0,5 min,10 min,15 min"},
		{5 * 3600, "0,1 h,2 h,3 h,4 h,5 h"},
		{10800, "0,30 min,1 h,1 h 30 min,2 h,2 h 30 min,3 h"},
		{7 * 86400, "0,2 d,4 d,6 d"},
		{400 * 86400, "0,100 d,200 d,300 d,400 d"},
	} {
		var got []string
		for _, tk := range timeTicks(tc.end) {
			got = append(got, tk.label)
		}
		if g := strings.Join(got, ","); g != tc.want {
			t.Errorf("timeTicks(%v) = %s, want %s", tc.end, g, tc.want)
		}
	}
}

func TestLabels(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{formatSeconds(3.2), "3.2 s"},
		{formatSeconds(725), "12 min 5 s"},
		{formatSeconds(3*3600 + 12*60), "3 h 12 min"},
		{formatSeconds(2*86400 + 5*3600), "2 d 5 h"},
		{formatSeconds(2 * 3600), "2 h"},
		{formatBytes(512), "512 B"},
		{formatBytes(1536), "1.5 KiB"},
		{formatBytes(3 << 30), "3.0 GiB"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	top, ticks := bytesAxis(328036352)
	var labels []string
	for _, tk := range ticks {
		labels = append(labels, tk.label)
	}
	if top != 400<<20 || strings.Join(labels, ",") != "0,100 MiB,200 MiB,300 MiB,400 MiB" {
		t.Errorf("bytesAxis(312.8 MiB) = %v, %v", top, labels)
	}
	if top, _ := percentAxis(190); top != 200 {
		t.Errorf("percentAxis(190) tops at %v", top)
	}
}

// watchCSV is timeline.csv of a two-hour memory-growth watch sampled every
// 10 s: RSS ramps up over the first minutes, then its post-GC floor grows
// 61.2 MiB/h under a 45 s, 80 MiB garbage-collection sawtooth.
func watchCSV() string {
	var b strings.Builder
	b.WriteString(header)
	for i := range 720 {
		t := float64(i) * 10
		floor := 20 + 180*(1-math.Exp(-t/150)) + watchSlope*t
		rss := (floor + 80*math.Mod(t, 45)/45) * (1 << 20)
		cpu := 40 + 30*math.Sin(t/300)
		fmt.Fprintf(&b, "%.3f,%.1f,%d,1,12,20.0,8589934592\n", t, cpu, uint64(rss))
	}
	return b.String()
}

// watchSlope is the floor's growth in the watch of watchCSV, in MiB/s.
const watchSlope = 61.2 / 3600

// watchTrend is the trend fitted to watchCSV after a 12 min warm-up.
var watchTrend = Trend{
	Since:     720,
	Until:     7190,
	Intercept: (20 + 180*(1-math.Exp(-720.0/150)) + watchSlope*720) * (1 << 20),
	Slope:     watchSlope * (1 << 20),
	Label:     "growing +61.2 MiB/h (57.9–64.0)",
}

// watchMarkers are events of the watch of watchCSV: snapshots every 15 min,
// a restart next to one of them and two alerts 10 s apart.
func watchMarkers() []Marker {
	ms := []Marker{
		{T: 5410, Label: "RSS 580 MiB above the 550 MiB limit", Kind: MarkerAlert},
		{T: 1370, Label: "process restarted (pid 4242 → 4318)", Kind: MarkerRestart},
		{T: 5400, Label: "growing +61.2 MiB/h", Kind: MarkerAlert},
	}
	for t := 450.0; t < 7200; t += 900 {
		ms = append(ms, Marker{T: t, Label: fmt.Sprintf("heap snapshot %d", int(t)/900+1), Kind: MarkerSnapshot})
	}
	return ms
}

func readWatch(t *testing.T) *Timeline {
	t.Helper()
	tl, err := ReadTimeline(strings.NewReader(watchCSV()), 0)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func TestGoldenWatch(t *testing.T) {
	tr := watchTrend
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"watch-trend.svg", Options{Title: "perfcap watch --pid 4242", NumCPU: 4, Trend: &tr}},
		{"watch-markers.svg", Options{Title: "perfcap watch --pid 4242", NumCPU: 4, Markers: watchMarkers()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg := render(t, readWatch(t), tc.opts)
			wellFormed(t, svg)
			golden.Check(t, filepath.Join("testdata", tc.name), svg)
		})
	}
}

// lines returns the x1, y1, x2, y2 of the <line> elements of svg stroked
// in color.
func lines(t *testing.T, svg []byte, color string) [][4]float64 {
	t.Helper()
	var out [][4]float64
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok || el.Name.Local != "line" {
			continue
		}
		attrs := map[string]string{}
		for _, a := range el.Attr {
			attrs[a.Name.Local] = a.Value
		}
		if attrs["stroke"] != color || attrs["y1"] == "" {
			continue // another colour, or a legend swatch
		}
		var l [4]float64
		for i, k := range []string{"x1", "y1", "x2", "y2"} {
			if l[i], err = strconv.ParseFloat(attrs[k], 64); err != nil {
				t.Fatalf("line %s=%q: %v", k, attrs[k], err)
			}
		}
		out = append(out, l)
	}
}

// TestTrend checks the trend line's ends, its clipping to the RSS panel
// without rescaling the axis, the warm-up shading and what is refused.
func TestTrend(t *testing.T) {
	tl := readWatch(t)
	end := tl.Buckets[len(tl.Buckets)-1].Last
	const top = 400 << 20 // the RSS axis of the watch, peak 392.7 MiB
	px := func(t float64) float64 { return plotLeft + t/end*(plotRight-plotLeft) }
	py := func(v float64) float64 { return rssTop + panelHeight*(1-v/top) }
	mib := float64(1 << 20)
	for _, tc := range []struct {
		name   string
		trend  Trend
		want   [][4]float64 // the trend line, if drawn
		warmup bool
		legend bool
	}{
		{
			name:   "inside the panel",
			trend:  watchTrend,
			want:   [][4]float64{{px(720), py(watchTrend.Intercept), px(7190), py(watchTrend.Intercept + watchTrend.Slope*(7190-720))}},
			warmup: true, legend: true,
		},
		{
			name:   "leaves the top of the axis at 400 MiB",
			trend:  Trend{Since: 0, Until: end, Intercept: 200 * mib, Slope: 400 * mib / end, Label: "steep"},
			want:   [][4]float64{{px(0), py(200 * mib), px(end / 2), rssTop}},
			legend: true,
		},
		{
			name:   "runs past the end of the timeline",
			trend:  Trend{Since: end / 2, Until: 2 * end, Intercept: 100 * mib, Slope: 0, Label: "flat"},
			want:   [][4]float64{{px(end / 2), py(100 * mib), plotRight, py(100 * mib)}},
			warmup: true, legend: true,
		},
		{
			name:   "wholly above the axis",
			trend:  Trend{Since: 600, Until: end, Intercept: 2 << 30, Slope: 1, Label: "high"},
			warmup: true, legend: true,
		},
		{name: "NaN slope", trend: Trend{Since: 600, Until: end, Intercept: 1, Slope: math.NaN(), Label: "nan"}},
		{name: "infinite until", trend: Trend{Since: 600, Until: math.Inf(1), Intercept: 1, Label: "inf"}},
		{name: "until before since", trend: Trend{Since: 600, Until: 500, Intercept: 1, Label: "backwards"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.trend
			svg := render(t, tl, Options{Trend: &tr})
			wellFormed(t, svg)
			if !bytes.Contains(svg, []byte(">400 MiB</text>")) || bytes.Contains(svg, []byte(">500 MiB</text>")) {
				t.Error("the trend changed the RSS axis, which must top at 400 MiB")
			}
			got := lines(t, svg, trendColor)
			if len(got) != len(tc.want) {
				t.Fatalf("%d trend lines %v, want %d", len(got), got, len(tc.want))
			}
			for i, l := range got {
				for k := range l {
					if math.Abs(l[k]-tc.want[i][k]) > 0.051 {
						t.Errorf("trend line %v, want %v", l, tc.want[i])
						break
					}
				}
			}
			if w := bytes.Contains(svg, []byte(">warm-up</text>")); w != tc.warmup {
				t.Errorf("warm-up label drawn: %v, want %v", w, tc.warmup)
			}
			if l := bytes.Contains(svg, []byte(">"+tr.Label+"</text></g>")); l != tc.legend {
				t.Errorf("legend entry %q: %v, want %v", tr.Label, l, tc.legend)
			}
		})
	}
}

// markerLine matches the start of a marker's line.
var markerLine = regexp.MustCompile(`<g stroke="#[0-9a-f]{6}"><title>`)

// TestMarkers checks marker colours, clustering and labels, and that a
// week of snapshots a minute apart stays a small picture.
func TestMarkers(t *testing.T) {
	svg := render(t, readWatch(t), Options{Markers: append(watchMarkers(), Marker{T: math.NaN(), Kind: MarkerAlert})})
	wellFormed(t, svg)
	for _, want := range []string{
		// The restart and the snapshot 20 s apart share a restart-coloured line.
		`<g stroke="#424242"><title>` + esc("2 events 22 min 30 s to 22 min 50 s:\nsnapshot at 22 min 30 s: heap snapshot 2\nrestart at 22 min 50 s: process restarted (pid 4242 → 4318)") + "</title>",
		// The two alerts share an alert line, labelled ahead of snapshot 6.
		`fill="#d32f2f" stroke="#fff" stroke-width="3" stroke-dasharray="none" paint-order="stroke">2 alerts</text>`,
		`>heap snapshot 1</text>`,
		`<text x="26" y="4">alert</text>`, `<text x="26" y="4">restart</text>`, `<text x="26" y="4">snapshot</text>`,
	} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("no %q", want)
		}
	}
	if n := len(markerLine.FindAll(svg, -1)); n != 9 {
		t.Errorf("%d marker lines for 11 markers, two pairs of them close; want 9", n)
	}
	if bytes.Contains(svg, []byte(">other event</text>")) {
		t.Error("legend names a kind that is not there")
	}

	var week strings.Builder
	week.WriteString(header)
	for i := range 2000 {
		fmt.Fprintf(&week, "%d,10.0,%d,1,4,5.0,1000\n", i*302, 100<<20+i<<10)
	}
	tl, err := ReadTimeline(strings.NewReader(week.String()), 0)
	if err != nil {
		t.Fatal(err)
	}
	var ms []Marker
	for i := range 7 * 24 * 60 {
		ms = append(ms, Marker{T: float64(i * 60), Label: "heap snapshot", Kind: MarkerSnapshot})
	}
	plain := render(t, tl, Options{})
	svg = render(t, tl, Options{Markers: ms})
	wellFormed(t, svg)
	if n := len(markerLine.FindAll(svg, -1)); n > (plotRight-plotLeft)/clusterWidth+1 {
		t.Errorf("%d marker lines for a week of snapshots", n)
	}
	if !bytes.Contains(svg, []byte("… and ")) || !bytes.Contains(svg, []byte(" snapshots</text>")) {
		t.Error("no clustered snapshot marker")
	}
	if extra := len(svg) - len(plain); extra > 100<<10 {
		t.Errorf("a week of snapshots adds %d bytes to the SVG", extra)
	}
}
