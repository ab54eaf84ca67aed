package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/internal/golden"
	"github.com/perfcap/perfcap/internal/iostreams"
	"github.com/perfcap/perfcap/internal/units"
)

// The report.md inside a bundle is what `perfcap report` renders from the
// finished bundle, line for line, except the one line naming the bundle:
// inside, its size and SHA-256 (which no file in it can hold) give way to
// a sentence saying where to find them. Real runs and watches, in both
// languages, with perf when the machine allows it.
func TestReportInsideEqualsPerfcapReport(t *testing.T) {
	_, perfErr := exec.LookPath("perf")
	type bundleCase struct {
		name, lang string
		make       func(t *testing.T, lang string) string
	}
	run := func(t *testing.T, lang string) string {
		// The bundle's name is taken: the report names the one Close takes.
		dir := t.TempDir()
		out := filepath.Join(dir, "run.tar.zst")
		if err := os.WriteFile(out, []byte("taken"), 0o644); err != nil {
			t.Fatal(err)
		}
		// A token in the command line, its output and an attached file:
		// the bundle packs them redacted, and the report lists the sizes
		// packed.
		token := "ghp_" + strings.Repeat("a1B2", 9)
		notes := filepath.Join(dir, "notes.txt")
		if err := os.WriteFile(notes, []byte("token "+token+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		io, _, stderr := iostreams.Test()
		args := []string{"-q", "-o", out, "--lang", lang, "--attach", notes, "--",
			workloadBin, "echo", token, "spawn", "2", "--", "burn", "300ms"}
		if code := Main(args, io); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return filepath.Join(dir, "run-2.tar.zst")
	}
	watch := func(t *testing.T, lang string) string {
		r := watchInProcess(t, append(append([]string{"-q", "--lang", lang}, compressed...),
			"--", workloadBin, "leak", "5MiB", "2s")...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		return r.bundle
	}
	for _, tc := range []bundleCase{{"run", "zh", run}, {"run", "en", run}, {"watch", "zh", watch}, {"watch", "en", watch}} {
		t.Run(tc.name+"/"+tc.lang, func(t *testing.T) {
			path := tc.make(t, tc.lang)
			files := readBundleFiles(t, path)
			inside := files["report.md"]
			for name, text := range files {
				if strings.Contains(text, "ghp_") {
					t.Errorf("%s holds the token", name)
				}
			}
			code, out, stderr := cli("report", "--lang", tc.lang, path)
			if code != 0 {
				t.Fatalf("perfcap report: exit %d: %s", code, stderr)
			}
			a, err := report.ArchiveOf(path)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(path)
			own := fmt.Sprintf("（%s，SHA-256 `%s`）", units.FormatBytes3(float64(a.Size)), a.SHA256)
			where := fmt.Sprintf("（文件无法包含它自身的大小和 SHA-256：perfcap 写完附件时已打印；也可运行 `sha256sum %s` 或 `perfcap report %s` 得到）", name, name)
			if tc.lang == "en" {
				own = fmt.Sprintf(" (%s, SHA-256 `%s`)", units.FormatBytes3(float64(a.Size)), a.SHA256)
				where = fmt.Sprintf(" (a file cannot hold its own size and SHA-256: perfcap printed them when it wrote the bundle; `sha256sum %s` or `perfcap report %s` gives them)", name, name)
			}
			if !strings.Contains(out, "`"+name+"`"+own) {
				t.Errorf("perfcap report does not name %s with its size and SHA-256 %s", name, own)
			}
			if strings.Count(out, own) != 1 || strings.Count(inside, where) != 1 {
				t.Errorf("want the bundle's size and hash once in perfcap report (%d) and where to find them once inside (%d)",
					strings.Count(out, own), strings.Count(inside, where))
			}
			// report.md may end with a few blank lines more than perfcap
			// report prints: the padding that lets it state its own size
			// at a rounding step (bundle/assemble.Report).
			if want := strings.Replace(out, own, where, 1); !strings.HasPrefix(inside, want) ||
				strings.Trim(inside[len(want):], "\n") != "" || len(inside)-len(want) > 16 {
				t.Errorf("report.md inside %s differs from perfcap report beyond the bundle's own size and hash:\n%s", name, golden.Diff(inside, want))
			}
			for _, f := range []string{"timeline.svg", "report.md"} {
				if _, ok := files[f]; !ok || !strings.Contains(inside, "`"+f+"`") {
					t.Errorf("report.md does not list %s (in the bundle: %v)", f, ok)
				}
			}
			sizeRow := fmt.Sprintf("| `report.md` | %s |", units.FormatBytes3(float64(len(inside))))
			if !strings.Contains(inside, sizeRow) {
				t.Errorf("report.md does not state its own size %q", sizeRow)
			}
			if strings.Contains(inside, "| `meta.json`") || strings.Contains(inside, "| `lock`") || strings.Contains(inside, ".head`") {
				t.Errorf("report.md lists the staging area's own files")
			}
			_, flame := files["perf/flame.svg"]
			_, pprof := files["perf/profile.pb.gz"]
			if tc.name == "run" && perfErr == nil && perfOf(t, path)["recorded"] == true && (!flame || !pprof) {
				t.Errorf("perf recorded, yet the bundle lacks perf/flame.svg (%v) or perf/profile.pb.gz (%v)", flame, pprof)
			}
			flameBox, dataBox := "[x] 火焰图图片", "[x] Profiling数据文件"
			if tc.lang == "en" {
				flameBox, dataBox = "[x] Flame graph image", "[x] Profiling data files"
			}
			if strings.Contains(inside, flameBox) != flame || strings.Contains(inside, dataBox) != pprof {
				t.Errorf("report.md ticks %q = %v and %q = %v; the bundle holds perf/flame.svg %v, perf/profile.pb.gz %v",
					flameBox, strings.Contains(inside, flameBox), dataBox, strings.Contains(inside, dataBox), flame, pprof)
			}
		})
	}
}
