package compare

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/redact"
)

// TestLoadRefuses: every crafted hostile bundle of the bundle package
// (tar.zst and zip), a watch bundle, a file that is no bundle and a
// missing file give one error, on one line, naming the file.
func TestLoadRefuses(t *testing.T) {
	var paths []string
	for _, glob := range []string{"../bundle/testdata/hostile/*.tar.zst", "../bundle/testdata/zip/hostile/*.zip"} {
		m, err := filepath.Glob(glob)
		if err != nil || len(m) == 0 {
			t.Fatalf("%s: %v", glob, err)
		}
		paths = append(paths, m...)
	}
	notBundle := filepath.Join(t.TempDir(), "stacks.folded")
	if err := os.WriteFile(notBundle, []byte("main;work 10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noSummary := filepath.Join(t.TempDir(), "no-summary.tar.zst")
	writeBundle(t, noSummary, map[string]string{"env.json": "{}\n"})
	paths = append(paths, notBundle, filepath.Join(t.TempDir(), "missing.tar.zst"),
		"testdata/bundles/watch.tar.zst", noSummary)
	for _, p := range paths {
		_, err := Load(p)
		if err == nil {
			t.Errorf("%s: loaded", p)
			continue
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, filepath.Base(p)) {
			t.Errorf("%s: %q is not one line naming the file", p, msg)
		}
	}
	if _, err := Load("testdata/bundles/watch.tar.zst"); !errors.Is(err, ErrWatch) {
		t.Errorf("watch bundle: %v, want ErrWatch", err)
	}
	if _, err := Load(noSummary); !errors.Is(err, ErrNoSummary) {
		t.Errorf("bundle without summary.json: %v, want ErrNoSummary", err)
	}
	if _, err := Load(notBundle); !errors.Is(err, bundle.ErrNotBundle) {
		t.Errorf("folded text: %v, want bundle.ErrNotBundle", err)
	}
}

// writeBundle writes a bundle holding files, as perfcap writes them.
func writeBundle(t testing.TB, path string, files map[string]string) {
	t.Helper()
	red, err := redact.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := bundle.NewWriter(path, red)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := w.AddBytes(name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(bundle.Manifest{Command: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
}

// TestLoadRun reads a real run's bundle whole: summary, facts, stacks.
func TestLoadRun(t *testing.T) {
	r, err := Load("testdata/bundles/go-after.tar.zst")
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary == nil || len(r.Summary.Benchmarks) == 0 || r.Facts == nil || r.Facts.Git == nil || len(r.Stacks) == 0 || len(r.Warnings) > 0 {
		t.Fatalf("%+v", r)
	}
	var weight int64
	for _, s := range r.Stacks {
		weight += s.Count
	}
	if r.Summary.Perf == nil || weight != r.Summary.Perf.Hot.Weight {
		t.Errorf("folded stacks weigh %d, summary.json's hot spots %+v", weight, r.Summary.Perf)
	}
	if v := r.Version(); v == "" || !strings.HasPrefix(r.Facts.Git.Commit, v) {
		t.Errorf("version %q of commit %q", v, r.Facts.Git.Commit)
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"fib 20":           "fib 20",
		"a\nb":             `a\nb`,
		"\x1b[31mred":      `\x1b[31mred`,
		"bad\xffbyte":      `bad\xffbyte`,
		"ok \ufffd here":   "ok \ufffd here",
		"解释 10k":           "解释 10k",
		"tab\there\u202e!": `tab\there\u202e!`,
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
