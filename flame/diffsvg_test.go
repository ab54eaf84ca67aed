package flame

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// diffSmallStacks: work triples its samples, idle keeps them, gone is
// only in the base, lib is new.
func diffSmallStacks() []DiffStack {
	st := func(frames string, base, cur int64) DiffStack {
		return DiffStack{Frames: strings.Split(frames, ";"), Base: base, New: cur}
	}
	return []DiffStack{
		st("app;main;work", 50, 150),
		st("app;main;idle", 50, 40),
		st("app;main;gone", 10, 0),
		st("app;main;work;memcpy", 0, 10),
	}
}

// diffFrames maps each drawn frame's name to its tooltip and fill.
func diffFrames(t *testing.T, svg []byte) map[string][2]string {
	t.Helper()
	svgParse(t, svg) // well-formed, one root
	re := regexp.MustCompile(`<g><title>([^<]*) \(([^<]*)\)</title><rect [^>]* fill="([^"]*)"`)
	out := map[string][2]string{}
	for _, m := range re.FindAllSubmatch(svg, -1) {
		out[string(m[1])] = [2]string{string(m[2]), string(m[3])}
	}
	return out
}

// rgb parses "rgb(r,g,b)".
func rgb(t *testing.T, s string) [3]int {
	t.Helper()
	var c [3]int
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(s, "rgb("), ")"), ",")
	if len(parts) != 3 {
		t.Fatalf("fill %q", s)
	}
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("fill %q", s)
		}
		c[i] = v
	}
	return c
}

// TestDiffSVG: frames sized by the new profile, shares of each profile's
// own total in the tooltip, red where the self share grew, blue where it
// shrank, white where it did not move, the base-only frame not drawn.
func TestDiffSVG(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteDiffSVG(&buf, diffSmallStacks(), SVGOptions{Title: "base → new"}); err != nil {
		t.Fatal(err)
	}
	frames := diffFrames(t, buf.Bytes())
	if _, ok := frames["gone"]; ok {
		t.Errorf("a frame only the base has is drawn")
	}
	// Base: 110 samples, new: 200. work: 50/110 → 150/200 of all, with
	// memcpy's 10 below it; self 50/110 → 140/200.
	want := map[string]string{
		"all":    "200 samples, 100%; base 100%, +0 pp; self +0 pp",
		"main":   "200 samples, 100%; base 100%, +0 pp; self +0 pp",
		"work":   "160 samples, 80%; base 45.45%, +34.55 pp; self +29.55 pp",
		"idle":   "40 samples, 20%; base 45.45%, -25.45 pp; self -25.45 pp",
		"memcpy": "10 samples, 5%; base 0%, +5 pp; self +5 pp",
	}
	for name, title := range want {
		if got := frames[name][0]; got != title {
			t.Errorf("%s: tooltip %q, want %q", name, got, title)
		}
	}
	work, idle, memcpy, main := rgb(t, frames["work"][1]), rgb(t, frames["idle"][1]), rgb(t, frames["memcpy"][1]), rgb(t, frames["main"][1])
	// Full colour at the largest self change, work's; the others in
	// proportion.
	workSelf, idleSelf, memcpySelf := 150.0/200-50.0/110, 40.0/200-50.0/110, 10.0/200
	fade := func(d float64) int { return int(math.Round(255 * (1 - math.Abs(d)/workSelf))) }
	if work != [3]int{255, 0, 0} {
		t.Errorf("work, the largest growth: %v, want full red", work)
	}
	if f := fade(idleSelf); idle != [3]int{f, f, 255} {
		t.Errorf("idle, a shrink: %v, want rgb(%d,%d,255)", idle, f, f)
	}
	if f := fade(memcpySelf); memcpy != [3]int{255, f, f} {
		t.Errorf("memcpy, a smaller growth: %v, want rgb(255,%d,%d)", memcpy, f, f)
	}
	if main != [3]int{255, 255, 255} {
		t.Errorf("main, no self change: %v, want white", main)
	}
}

// TestDiffSVGNoise: when every change is under DiffFullScale, no frame is
// coloured beyond its share of it.
func TestDiffSVGNoise(t *testing.T) {
	stacks := []DiffStack{{Frames: []string{"a", "b"}, Base: 1000, New: 1020}, {Frames: []string{"a", "c"}, Base: 1000, New: 980}}
	var buf bytes.Buffer
	if err := WriteDiffSVG(&buf, stacks, SVGOptions{}); err != nil {
		t.Fatal(err)
	}
	b := rgb(t, diffFrames(t, buf.Bytes())["b"][1])
	// +1 pp of a 5 pp scale: a fifth of the way to full red.
	if b != [3]int{255, 204, 204} {
		t.Errorf("b, +1 pp: %v, want rgb(255,204,204)", b)
	}
}

// TestDiffSVGDeterministic: the order of the stacks does not change a byte.
func TestDiffSVGDeterministic(t *testing.T) {
	stacks := svgRandomStacks(5000, 7)
	diff := make([]DiffStack, len(stacks))
	for i, s := range stacks {
		diff[i] = DiffStack{Frames: s.Frames, Base: s.Count, New: s.Count * int64(1+i%3)}
	}
	var a, b bytes.Buffer
	if err := WriteDiffSVG(&a, diff, SVGOptions{Title: "t"}); err != nil {
		t.Fatal(err)
	}
	shuffled := slices.Clone(diff)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if err := WriteDiffSVG(&b, shuffled, SVGOptions{Title: "t"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("shuffled stacks give other bytes")
	}
}

func TestDiffSVGEmpty(t *testing.T) {
	var buf bytes.Buffer
	err := WriteDiffSVG(&buf, []DiffStack{{Frames: []string{"a"}, Base: 5}}, SVGOptions{})
	if !errors.Is(err, ErrEmpty) || buf.Len() != 0 {
		t.Errorf("only base samples: %v, %d bytes written", err, buf.Len())
	}
}
