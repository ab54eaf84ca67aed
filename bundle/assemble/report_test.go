package assemble

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/units"
)

// TestReportStatesItsOwnSize renders reports whose length falls on each
// side of a rounding step of the size column. Where "14.9 KiB" makes the
// file 15 KiB and "15 KiB" makes it 14.9 KiB no rendering is right by
// itself; report.md must still state its own size, padded with blank lines
// at its end, and only there.
func TestReportStatesItsOwnSize(t *testing.T) {
	red, err := redact.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	const head = `{{range .Manifest.Files}}{{if eq .Path "report.md"}}report.md is {{bytes .Size}}{{end}}{{end}}` + "\n"
	padded := 0
	for _, step := range []int64{10 << 10, 15 << 10, 100 << 10} {
		want := units.FormatBytes3(float64(step)) // "10 KiB"
		first := step
		for units.FormatBytes3(float64(first-1)) == want {
			first--
		}
		for n := first - 24; n <= first+8; n++ {
			dir := t.TempDir()
			tmpl := filepath.Join(dir, "report.tmpl")
			filler := strings.Repeat("x", int(n)-len("report.md is ")-len(want)-1) + "\n"
			if err := os.WriteFile(tmpl, []byte(head+filler), 0o600); err != nil {
				t.Fatal(err)
			}
			w, err := bundle.NewWriter(filepath.Join(dir, "b.tar.zst"), red)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Report(w, ReportInput{Summary: &format.Summary{}, Lang: "en", Template: tmpl}); err != nil {
				t.Fatalf("%d bytes: %v", n, err)
			}
			files, err := w.Staged()
			if err != nil {
				t.Fatal(err)
			}
			var size int64 = -1
			for _, f := range files {
				if f.Path == ReportFile {
					size = f.Size
				}
			}
			text, err := os.ReadFile(filepath.Join(w.Dir(), ReportFile))
			if err != nil {
				t.Fatal(err)
			}
			line, _, _ := bytes.Cut(text, []byte("\n"))
			if got := fmt.Sprintf("report.md is %s", units.FormatBytes3(float64(size))); string(line) != got || int64(len(text)) != size {
				t.Errorf("%d bytes of template: report.md is %d bytes and says %q", n, size, line)
			}
			if rest := bytes.TrimRight(text, "\n"); len(text)-len(rest) > 1 {
				padded++
				if len(text)-len(rest)-1 > maxReportPad {
					t.Errorf("report.md padded with %d blank lines", len(text)-len(rest)-1)
				}
			}
			w.Abort()
		}
	}
	if padded == 0 {
		t.Errorf("no length tried fell on a rounding step where report.md needs padding; the test misses its case")
	}
}
