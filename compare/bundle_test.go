package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/flame"
)

// writeDiff writes the diff bundle of the named recorded bundles.
func writeDiff(t *testing.T, lang string, names ...string) (string, *Diff) {
	t.Helper()
	runs := loadAll(t, names...)
	d, err := New(runs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	red, err := redact.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "diff.tar.zst")
	w, err := WriteBundle(path, d, runs, BundleOptions{Redactor: red, Lang: lang, PerfcapVersion: "test", Command: []string{"perfcap", "diff"}})
	if err != nil {
		t.Fatal(err)
	}
	if w.Path() != path {
		t.Fatalf("written to %s", w.Path())
	}
	return path, d
}

// TestWriteBundle: the diff bundle of the Criterion runs verifies, holds
// diff.json (the Diff), the folded diff (the merged stacks), the
// differential flamegraph (mix red) and the report (性能回归 ticked);
// perfcap diff refuses it as an input with one line.
func TestWriteBundle(t *testing.T) {
	path, d := writeDiff(t, "zh", "criterion-before.tar.zst", "criterion-after.tar.zst")
	m, err := bundle.Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Path)
	}
	if want := []string{"diff.json", "perf/diff.folded", "perf/diff.svg", "report.md"}; !slices.Equal(names, want) {
		t.Errorf("files %q, want %q", names, want)
	}
	if m.Format != bundle.Format || m.Version != bundle.Version || m.PerfcapVersion != "test" {
		t.Errorf("manifest %+v", m)
	}
	files := map[string][]byte{}
	err = bundle.Walk(path, func(f bundle.File, r io.Reader) error {
		b, err := io.ReadAll(r)
		files[f.Path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files["diff.json"], append(want, '\n')) {
		t.Errorf("diff.json is not the Diff")
	}
	r := NewFoldedDiffReader(bytes.NewReader(files["perf/diff.folded"]), "diff.folded")
	var back []flame.DiffStack
	for r.Scan() {
		back = append(back, r.Stack())
	}
	if !slices.EqualFunc(back, d.Comparisons[0].Profile.DiffStacks(), func(a, b flame.DiffStack) bool {
		return a.Base == b.Base && a.New == b.New && slices.Equal(a.Frames, b.Frames)
	}) {
		t.Errorf("perf/diff.folded holds %d stacks, not the merged profiles", len(back))
	}
	mix := regexp.MustCompile(`<title>criterion_slow::mix \([^<]*\)</title><rect [^>]* fill="rgb\(255,(\d+),(\d+)\)"`).FindSubmatch(files["perf/diff.svg"])
	if mix == nil || string(mix[1]) != string(mix[2]) || len(mix[1]) > 2 {
		t.Errorf("criterion_slow::mix is not drawn strongly red in perf/diff.svg: %q", mix)
	}
	report := string(files["report.md"])
	if !strings.Contains(report, "- [x] 🔍 **性能回归**") || !strings.Contains(report, "基准 `checksum 4k`") {
		t.Errorf("report.md does not tick the regression or name checksum 4k")
	}
	_, err = Load(path)
	if !errors.Is(err, ErrNoSummary) || strings.Contains(err.Error(), "\n") {
		t.Errorf("a diff bundle as input: %v", err)
	}
}

// TestWriteBundleHistory: with three bundles, the intermediate one's
// profile comparison goes under perf/2/, and the report has a version row
// for each bundle.
func TestWriteBundleHistory(t *testing.T) {
	path, _ := writeDiff(t, "en", "go-before.tar.zst", "go-after.tar.zst", "go-count1.tar.zst")
	m, err := bundle.Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"perf/2/diff.svg", "perf/2/diff.folded", "perf/diff.svg", "perf/diff.folded"} {
		if _, ok := m.File(want); !ok {
			t.Errorf("no %s in %v", want, m.Files)
		}
	}
	md, err := bundle.ReadFile(path, ReportName)
	if err != nil {
		t.Fatal(err)
	}
	versions := regexp.MustCompile(`(?s)### Versions.*?\n\n---`).Find(md)
	if n := bytes.Count(versions, []byte("µs/iter |")); n != 3 {
		t.Errorf("%d version rows, want 3:\n%s", n, versions)
	}
}
