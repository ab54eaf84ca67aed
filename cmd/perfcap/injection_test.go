package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/perfcap/perfcap/bundle/bundletest"
)

// rawControl returns the first rune of out a terminal would act on: a
// control character other than newline (and tab, with layout), DEL, a C1
// control or a bidirectional override.
func rawControl(out string, layout bool) (rune, bool) {
	for _, r := range out {
		if r == '\n' || layout && r == '\t' {
			continue
		}
		if r == unicode.ReplacementChar || !unicode.IsGraphic(r) {
			return r, true
		}
	}
	return 0, false
}

// hostileStrings is a bundle whose every string tries to drive the
// terminal: clear the screen, set the window title, fake a line, reverse
// the text.
func hostileStrings(t *testing.T, summary string) string {
	t.Helper()
	sum := bundletest.Member{Name: "summary.json", Data: []byte(summary)}
	members := []bundletest.Member{okEnv, sum}
	manifest := bundletest.Manifest(bundletest.Listing(members...), map[string]any{
		"command":         []string{"sh", "-c", "\x1b[2J\x1b[H", "ok\nexit: code 0", "\u202egpj.exe"},
		"cwd":             "/tmp/\x1b]0;owned\a/项目",
		"perfcap_version": "v1\x1b[31m\u009b31m",
		"exit":            map[string]any{"code": 1, "signal": "\x1b[5mKILL"},
	})
	path := filepath.Join(t.TempDir(), "hostile.tar.zst")
	if err := bundletest.WriteTarZst(path, manifest, members...); err != nil {
		t.Fatal(err)
	}
	return path
}

// hostileSummary has strings that try to drive the terminal, and figures
// in range.
const hostileSummary = `{"wall_seconds": 2, "warnings": ["\u001b[2Jwarning", "中文 \u202e", "fake\nexit: code 0"],
 "benchmarks": [{"tool": "go", "id": "\u001b[31mBenchmarkX", "estimate_ns": 5, "low_ns": 5, "high_ns": 5, "source": "stdout"}],
 "watch": {"mode": "pid\u001b[2J", "ended": "duration", "growth": {"verdict": "flat\u0007"},
   "alerts": [{"rule": "rss>1\u001b]0;x\u0007", "t_seconds": 1, "message": "m\u001b[1A", "snapshot": "s\u001b.tar.zst"}]}}`

func TestInspectEscapesTheBundle(t *testing.T) {
	path := hostileStrings(t, hostileSummary)
	code, out, stderr := cli("inspect", path)
	if code != 0 {
		t.Fatalf("inspect: exit %d: %s", code, stderr)
	}
	if r, ok := rawControl(out, false); ok {
		t.Errorf("inspect printed %U raw:\n%s", r, out)
	}
	for _, want := range []string{`"\x1b[2J\x1b[H"`, `"ok\nexit: code 0"`, `"\u202egpj.exe"`, `"/tmp/\x1b]0;owned\a/项目"`, `"\x1b[2Jwarning"`,
		`"中文 \u202e"`, `"\x1b[5mKILL"`, `"v1\x1b[31m\u009b31m"`, `"rss>1\x1b]0;x\a"`, `"pid\x1b[2J"`} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %s:\n%s", want, out)
		}
	}
	lines := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "exit:") {
			lines++
		}
	}
	if lines != 1 {
		t.Errorf("%d lines start with \"exit:\", want 1 (a bundle faked one):\n%s", lines, out)
	}

	code, out, stderr = cli("inspect", "--json", path)
	if code != 0 {
		t.Fatalf("inspect --json: exit %d: %s", code, stderr)
	}
	if r, ok := rawControl(out, false); ok {
		t.Errorf("inspect --json printed %U raw:\n%s", r, out)
	}
	var doc struct {
		Manifest struct {
			Command        []string `json:"command"`
			PerfcapVersion string   `json:"perfcap_version"`
		} `json:"manifest"`
		Summary struct {
			Warnings []string `json:"warnings"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("inspect --json is not JSON: %v", err)
	}
	if doc.Manifest.Command[2] != "\x1b[2J\x1b[H" || doc.Manifest.PerfcapVersion != "v1\x1b[31m\u009b31m" || doc.Summary.Warnings[1] != "中文 \u202e" {
		t.Errorf("inspect --json changed the strings: %q %q %q", doc.Manifest.Command, doc.Manifest.PerfcapVersion, doc.Summary.Warnings)
	}
}

func TestReportEscapesTheBundle(t *testing.T) {
	path := hostileStrings(t, hostileSummary)
	for _, lang := range []string{"en", "zh"} {
		code, out, stderr := cli("report", "--lang", lang, path)
		if code != 0 {
			t.Fatalf("report --lang %s: exit %d: %s", lang, code, stderr)
		}
		if r, ok := rawControl(out, true); ok {
			t.Errorf("report --lang %s printed %U raw:\n%s", lang, r, out)
		}
		if !strings.Contains(out, `\x1b[2J`) || !strings.Contains(out, "项目") {
			t.Errorf("report --lang %s lacks the escaped command or the Chinese directory:\n%.3000s", lang, out)
		}
	}
}

// TestFiguresOutOfRange: a figure no run can have is shown as invalid by
// inspect and makes report refuse the bundle, instead of "-8.0 EiB".
func TestFiguresOutOfRange(t *testing.T) {
	path := hostileStrings(t, `{"wall_seconds": -5, "cpu_percent": 50, "peak_rss_bytes": 9223372036854775808,
		"max_process_rss_bytes": 18446744073709551615, "processes": -3, "interval_seconds": 1e300, "warnings": []}`)
	code, out, stderr := cli("inspect", path)
	if code != 0 {
		t.Fatalf("inspect: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"invalid (-5)", "invalid (9223372036854775808)", "invalid (18446744073709551615)", "invalid (-3)", "invalid (1e+300)"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect does not show %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "EiB") || strings.Contains(out, "-5.000 s") {
		t.Errorf("inspect shows an out-of-range figure as a figure:\n%s", out)
	}
	code, out, stderr = cli("report", path)
	if code == 0 || !strings.Contains(stderr, "peak_rss_bytes = 9223372036854775808") || !strings.Contains(stderr, "wall_seconds = -5") || out != "" {
		t.Errorf("report of out-of-range figures: exit %d, stdout %d bytes, stderr %q", code, len(out), stderr)
	}
}

func TestVerifyEscapesEntryNames(t *testing.T) {
	members := []bundletest.Member{okEnv, okSummary}
	evil := bundletest.Member{Name: "evil\x1b[2J\u202e.txt", Data: []byte("x")}
	path := filepath.Join(t.TempDir(), "b.tar.zst")
	if err := bundletest.WriteTarZst(path, bundletest.Manifest(bundletest.Listing(members...), nil), append(members, evil)...); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := cli("verify", path)
	if code != exitInvalid || !strings.Contains(stderr, `evil\x1b[2J\u202e.txt`) {
		t.Errorf("verify: exit %d, %q", code, stderr)
	}
	if r, ok := rawControl(out+stderr, false); ok {
		t.Errorf("verify printed %U raw: %q", r, out+stderr)
	}
}

// TestExportSaysWhatItDroppedInOneLine: however many files a capped
// export leaves out, it says so in one line.
func TestExportSaysWhatItDroppedInOneLine(t *testing.T) {
	members := []bundletest.Member{okEnv, okSummary}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		data := make([]byte, 10_000)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		members = append(members, bundletest.Member{Name: fmt.Sprintf("attach/r%04d.bin", i), Data: data})
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "big.tar.zst")
	if err := bundletest.WriteTarZst(path, bundletest.Manifest(bundletest.Listing(members...), nil), members...); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cli("export", "--github", path, "-o", filepath.Join(dir, "big.zip"))
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "perfcap: GitHub attachment ") ||
		!strings.Contains(lines[1], "left out of the .zip to stay under 25 MB: ") || !strings.Contains(lines[1], " files, ") || !strings.Contains(lines[1], "and ") {
		t.Errorf("export of 30 MB of random files: want the attachment and one line for what was left out, got:\n%s", stderr)
	}
	t.Log(lines[1])
}
