package flame

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestDiffSVGBrowser opens a differential flamegraph in a real headless
// Chromium: hover shows both shares and the changes, the fills are the
// documented ones, zoom and search work as on a plain graph.
func TestDiffSVGBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	for _, bin := range []string{svgChromium, svgChromedriver} {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("browser test needs %s: apt-get install -y chromium chromium-driver", bin)
		}
	}
	var buf bytes.Buffer
	if err := WriteDiffSVG(&buf, diffSmallStacks(), SVGOptions{Title: "base → new"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "diff.svg")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	frames := diffFrames(t, buf.Bytes())
	wd := svgStartBrowser(t)
	wd.post("url", map[string]any{"url": "file://" + path})
	const helpers = `
		function frame(name) {
			for (const g of document.querySelectorAll("#frames g"))
				if (g.firstElementChild.textContent.startsWith(name + " (")) return g;
			throw new Error("no frame " + name);
		}
		function hover(name) {
			frame(name).querySelector("rect").dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
			return document.getElementById("details").textContent;
		}
		function fill(name) { return frame(name).querySelector("rect").getAttribute("fill"); }
	`
	got := wd.exec(helpers + `return {work: hover("work"), idle: hover("idle"),
		workFill: fill("work"), idleFill: fill("idle"), mainFill: fill("main"),
		frames: document.querySelectorAll("#frames g").length}`).(map[string]any)
	want := map[string]any{
		"work":     "Function: work (" + frames["work"][0] + ")",
		"idle":     "Function: idle (" + frames["idle"][0] + ")",
		"workFill": "rgb(255,0,0)", "idleFill": frames["idle"][1], "mainFill": "rgb(255,255,255)",
		"frames": float64(len(frames)),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("in the browser:\n got %v\nwant %v", got, want)
	}
	if want["work"] != "Function: work (160 samples, 80%; base 45.45%, +34.55 pp; self +29.55 pp)" {
		t.Errorf("work's tooltip: %v", want["work"])
	}
	got = wd.exec(helpers + `
		const n = flame.search("^work$");
		const matched = document.getElementById("matched").textContent;
		flame.clearSearch();
		const restored = fill("work");
		frame("work").querySelector("rect").dispatchEvent(new MouseEvent("click", {bubbles: true}));
		const memcpy = frame("memcpy").querySelector("rect");
		return {n: n, matched: matched, restored: restored,
			memcpyWidth: +memcpy.getAttribute("width"), rootWidth: +frame("all").querySelector("rect").getAttribute("width")};`).(map[string]any)
	if got["n"] != float64(1) || got["matched"] != "Matched: 80.0%" || got["restored"] != "rgb(255,0,0)" {
		t.Errorf("search: %v", got)
	}
	// Zoomed into work (160 samples), memcpy (10) spans a sixteenth.
	if w, root := got["memcpyWidth"].(float64), got["rootWidth"].(float64); w < root/16-0.5 || w > root/16+0.5 {
		t.Errorf("zoomed into work, memcpy is %v px of %v", w, root)
	}
}
