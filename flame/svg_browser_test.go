package flame

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The browser test drives a real headless Chromium through chromedriver's
// W3C WebDriver HTTP API, which needs nothing beyond net/http.
const (
	svgChromium     = "/usr/bin/chromium"
	svgChromedriver = "/usr/bin/chromedriver"
	// svgElementKey is how WebDriver marks an element reference in JSON.
	svgElementKey = "element-6066-11e4-a52e-4f735466cecf"
)

func TestSVGBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	for _, bin := range []string{svgChromium, svgChromedriver} {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("browser test needs %s: apt-get install -y chromium chromium-driver", bin)
		}
	}
	browserVersion := svgToolVersion(t, svgChromium)
	driverVersion := svgToolVersion(t, svgChromedriver)
	if browserVersion != driverVersion {
		t.Fatalf("chromium %s and chromedriver %s differ; install matching packages", browserVersion, driverVersion)
	}

	stacks := svgSmallStacks()
	var buf bytes.Buffer
	if err := WriteSVG(&buf, stacks, SVGOptions{Title: "app"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "flame.svg")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := svgParse(t, buf.Bytes())
	wd := svgStartBrowser(t)
	wd.post("url", map[string]any{"url": "file://" + path})

	var drawn int
	var walk func(f *svgTestFrame)
	walk = func(f *svgTestFrame) {
		drawn++
		for i := range f.Children {
			walk(&f.Children[i])
		}
	}
	walk(&doc.Frames[0])
	if got := wd.exec(`return document.querySelectorAll("#frames g").length`); got != float64(drawn) {
		t.Fatalf("browser sees %v frames, want %d", got, drawn)
	}

	// frame(name) finds the first frame called name; rect() reads its box.
	const helpers = `
		function frame(name) {
			for (const g of document.querySelectorAll("#frames g"))
				if (g.firstElementChild.textContent.startsWith(name + " (")) return g;
			throw new Error("no frame " + name);
		}
		function rect(name) {
			const r = frame(name).querySelector("rect");
			return [+r.getAttribute("x"), +r.getAttribute("width")];
		}
		function shown(name) { return getComputedStyle(frame(name)).display !== "none"; }
	`
	full := doc.Frames[0].Rect

	t.Run("hover", func(t *testing.T) {
		got := wd.exec(helpers + `
			frame("parse").querySelector("rect").dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
			return document.getElementById("details").textContent;`)
		if want := "Function: parse (50 samples, 49.5%)"; got != want {
			t.Errorf("details line = %q, want %q", got, want)
		}
	})

	t.Run("zoom", func(t *testing.T) {
		parse := wd.exec(helpers + `return frame("parse").querySelector("rect");`)
		wd.post("element/"+svgElementID(t, parse)+"/click", map[string]any{})
		got := wd.exec(helpers + `return {
			parse: rect("parse"), lex: rect("lex_[i]"), main: rect("main"),
			mainParent: frame("main").classList.contains("parent"),
			computeShown: shown("compute"), helperShown: shown("app-helper"), lexShown: shown("lex_[i]"),
			unzoomShown: getComputedStyle(document.getElementById("unzoom")).display !== "none",
			label: frame("std::vec::Vec<T>::push").querySelector("text").textContent,
		}`).(map[string]any)
		svgNear(t, "zoomed parse", got["parse"], full.X, full.Width)
		svgNear(t, "main, caller of the zoomed parse", got["main"], full.X, full.Width)
		svgNear(t, "lex, callee of the zoomed parse", got["lex"], full.X, full.Width*20/50)
		if got["mainParent"] != true || got["computeShown"] != false || got["helperShown"] != false ||
			got["lexShown"] != true || got["unzoomShown"] != true || got["label"] != "std::vec::Vec<T>::push" {
			t.Errorf("after zoom: %v", got)
		}

		unzoom := wd.post("element", map[string]any{"using": "css selector", "value": "#unzoom"})
		wd.post("element/"+svgElementID(t, unzoom)+"/click", map[string]any{})
		got = wd.exec(helpers + `return {parse: rect("parse"), compute: shown("compute"), parent: document.querySelectorAll(".parent").length}`).(map[string]any)
		parseRect := doc.Frames[0].Children[0].Children[1].Children[2].Rect
		if name := doc.Frames[0].Children[0].Children[1].Children[2].name(t); name != "parse" {
			t.Fatalf("expected parse in the golden layout, found %q", name)
		}
		svgNear(t, "parse after Reset Zoom", got["parse"], parseRect.X, parseRect.Width)
		if got["compute"] != true || got["parent"] != float64(0) {
			t.Errorf("after Reset Zoom: %v", got)
		}
	})

	t.Run("search", func(t *testing.T) {
		for _, re := range []string{`^compute$|_\[k\]$`, `^(main|parse)$`, `^p`, `nothing matches`} {
			n, share := svgExpectedSearch(t, stacks, doc, re)
			got := wd.exec(fmt.Sprintf(`
				const n = flame.search(%q);
				return {n: n,
					highlighted: document.querySelectorAll('#frames rect[fill="rgb(230,0,230)"]').length,
					matched: document.getElementById("matched").textContent};`, re)).(map[string]any)
			want := map[string]any{"n": float64(n), "highlighted": float64(n), "matched": share}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("search %q: got %v, want %v", re, got, want)
			}
		}
		got := wd.exec(`flame.clearSearch(); return [document.querySelectorAll('#frames rect[fill="rgb(230,0,230)"]').length, document.getElementById("search").textContent]`)
		if fmt.Sprint(got) != "[0 Search]" {
			t.Errorf("after clearSearch: highlighted frames and control = %v", got)
		}
	})

	t.Run("url parameter", func(t *testing.T) {
		wd.post("url", map[string]any{"url": "file://" + path + "?s=" + "%5Eparse%24"})
		_, want := svgExpectedSearch(t, stacks, doc, `^parse$`)
		if got := wd.exec(`return document.getElementById("matched").textContent`); got != want {
			t.Errorf("?s=^parse$: matched line = %q, want %q", got, want)
		}
	})

	// The benchmark's profile, pruned: the page must load and respond.
	// Roots are never pruned, so a search for one is exact.
	t.Run("100k stacks", func(t *testing.T) {
		big := svgRandomStacks(100000, 42)
		buf.Reset()
		if err := WriteSVG(&buf, big, SVGOptions{Title: "big"}); err != nil {
			t.Fatal(err)
		}
		bigPath := filepath.Join(filepath.Dir(path), "big.svg")
		if err := os.WriteFile(bigPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		wd.post("url", map[string]any{"url": "file://" + bigPath})
		loaded := time.Since(start)
		bigDoc := svgParse(t, buf.Bytes())
		_, want := svgExpectedSearch(t, big, bigDoc, `^proc1$`)
		start = time.Now()
		got := wd.exec(helpers + `
			flame.search("^proc1$");
			frame("proc1").querySelector("rect").dispatchEvent(new MouseEvent("click", {bubbles: true}));
			return {matched: document.getElementById("matched").textContent, proc1: rect("proc1")};`).(map[string]any)
		t.Logf("%d bytes: loaded in %v; search and zoom in %v", buf.Len(), loaded.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		if got["matched"] != want {
			t.Errorf("search ^proc1$: %q, want %q", got["matched"], want)
		}
		svgNear(t, "zoomed proc1", got["proc1"], full.X, full.Width)
	})
}

// svgExpectedSearch computes, from the stacks rather than the drawing, what
// a search for re must show: the number of drawn frames whose name matches
// and the "Matched:" line, where a stack counts once however many of its
// frames match.
func svgExpectedSearch(t *testing.T, stacks []Stack, doc *svgDoc, re string) (int, string) {
	rx := regexp.MustCompile(re)
	var total, matched int64
	for _, s := range stacks {
		total += s.Count
		for _, f := range s.Frames {
			if rx.MatchString(f) {
				matched += s.Count
				break
			}
		}
	}
	n := 0
	var walk func(f *svgTestFrame)
	walk = func(f *svgTestFrame) {
		if rx.MatchString(f.name(t)) {
			n++
		}
		for i := range f.Children {
			walk(&f.Children[i])
		}
	}
	walk(&doc.Frames[0])
	return n, fmt.Sprintf("Matched: %.1f%%", 100*float64(matched)/float64(total))
}

// svgNear checks that a [x, width] pair from the browser is within a
// hundredth of a pixel of the expected one.
func svgNear(t *testing.T, what string, got any, x, width float64) {
	t.Helper()
	xw, ok := got.([]any)
	if !ok || len(xw) != 2 {
		t.Errorf("%s: got %v, want [x width]", what, got)
		return
	}
	gx, gw := xw[0].(float64), xw[1].(float64)
	if d := gx - x; d*d > 1e-4 {
		t.Errorf("%s: x = %v, want %v", what, gx, x)
	}
	if d := gw - width; d*d > 1e-4 {
		t.Errorf("%s: width = %v, want %v", what, gw, width)
	}
}

// svgToolVersion returns the first dotted version number a program prints
// for --version.
func svgToolVersion(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", bin, err)
	}
	v := regexp.MustCompile(`\d+\.\d+\.\d+\.\d+`).Find(out)
	if v == nil {
		t.Fatalf("%s --version printed no version: %q", bin, out)
	}
	return string(v)
}

// svgWebDriver is one WebDriver session.
type svgWebDriver struct {
	t       *testing.T
	base    string // http://127.0.0.1:PORT/session/ID/
	timeout time.Duration
}

// svgStartBrowser runs chromedriver and opens a headless Chromium session,
// both ended when the test ends.
func svgStartBrowser(t *testing.T) *svgWebDriver {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(svgChromedriver, "--port="+port)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting chromedriver: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("chromedriver output:\n%s", logs.String())
		}
	})
	root := "http://127.0.0.1:" + port + "/"
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(root + "status")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromedriver did not answer on port %s: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	wd := &svgWebDriver{t: t, base: root, timeout: 30 * time.Second}
	session := wd.post("session", map[string]any{
		"capabilities": map[string]any{"alwaysMatch": map[string]any{
			"goog:chromeOptions": map[string]any{
				"binary": svgChromium,
				"args": []string{"--headless=new", "--no-sandbox", "--disable-gpu",
					"--disable-background-networking", "--disable-component-update",
					"--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()},
			},
		}},
	}).(map[string]any)
	wd.base = root + "session/" + session["sessionId"].(string) + "/"
	t.Cleanup(func() { wd.do(http.MethodDelete, "", nil) })
	return wd
}

// post sends a WebDriver command and returns its "value".
func (wd *svgWebDriver) post(cmd string, body any) any {
	wd.t.Helper()
	return wd.do(http.MethodPost, cmd, body)
}

// exec runs script in the page as a function body and returns its result.
func (wd *svgWebDriver) exec(script string) any {
	wd.t.Helper()
	return wd.post("execute/sync", map[string]any{"script": script, "args": []any{}})
}

func (wd *svgWebDriver) do(method, cmd string, body any) any {
	wd.t.Helper()
	var in io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			wd.t.Fatal(err)
		}
		in = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(wd.base+cmd, "/"), in)
	if err != nil {
		wd.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := http.Client{Timeout: wd.timeout}
	resp, err := client.Do(req)
	if err != nil {
		wd.t.Fatalf("webdriver %s %s: %v", method, cmd, err)
	}
	defer resp.Body.Close()
	var out struct {
		Value any `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		wd.t.Fatalf("webdriver %s %s: decoding reply: %v", method, cmd, err)
	}
	if resp.StatusCode != http.StatusOK {
		wd.t.Fatalf("webdriver %s %s: %s: %v", method, cmd, resp.Status, out.Value)
	}
	return out.Value
}

// svgElementID extracts the id from a WebDriver element reference.
func svgElementID(t *testing.T, ref any) string {
	t.Helper()
	m, ok := ref.(map[string]any)
	id, _ := m[svgElementKey].(string)
	if !ok || id == "" {
		t.Fatalf("not a WebDriver element: %v", ref)
	}
	return id
}
