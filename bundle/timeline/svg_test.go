package timeline

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update-timeline", false, "rewrite the golden SVG files in testdata")

// demoOptions are the options of the golden chart: the demo run of
// internal/workload on a 2-core machine.
func demoOptions(t *testing.T) Options {
	t.Helper()
	f, err := os.Open("testdata/demo-processes.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	procs, err := ReadProcesses(f)
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

// checkGolden compares got with testdata/name, or rewrites it under
// -update-timeline; a mismatch names the first differing line.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update-timeline to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Fatalf("%s differs at line %d (run go test -update-timeline if intended):\n got: %.300s\nwant: %.300s", path, i+1, gl, wl)
		}
	}
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
			checkGolden(t, tc.name, render(t, tl, demoOptions(t)))
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
		Processes: []Process{{PID: 7, Name: evil, Argv: evil, Start: 1}},
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
	var procs []Process
	for i := range 1000 {
		procs = append(procs, Process{PID: 100 + i, Name: "cc1", Argv: "cc1 x.c", Start: 1 + float64(i)/1000})
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
