package bundle

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestExportZip exports the reference bundle and reads the zip back with
// every reader, with the real unzip, and again to check that the bytes do
// not change.
func TestExportZip(t *testing.T) {
	dir := t.TempDir()
	src := writeTestBundle(t, dir, "run.tar.zst")
	out := filepath.Join(dir, "run.zip")
	rep, err := ExportZip(src, out, ZipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if rep.Path != out || rep.Size != int64(len(data)) || rep.SHA256 != hex.EncodeToString(sum[:]) || len(rep.Dropped) != 0 {
		t.Errorf("report %+v does not describe the %d-byte zip", rep, len(data))
	}
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		t.Fatalf("zip starts with %q", data[:4])
	}

	orig, err := Verify(src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Verify(out)
	if err != nil {
		t.Fatalf("Verify(zip): %v", err)
	}
	if !slices.Equal(m.Files, orig.Files) || m.Dropped != nil || !m.Created.Equal(orig.Created) {
		t.Errorf("zip manifest files %v dropped %v, want %v", m.Files, m.Dropped, orig.Files)
	}
	files := testFiles()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		got, err := ReadFile(out, name)
		if err != nil || !bytes.Equal(got, files[name]) {
			t.Errorf("ReadFile(zip, %s) = %q, %v", name, got, err)
		}
	}
	var order []string
	if err := Walk(out, func(f File, _ io.Reader) error { order = append(order, f.Path); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(order) || len(order) != len(files) {
		t.Errorf("zip members in order %q", order)
	}
	x := filepath.Join(dir, "x")
	if m, err = Extract(out, x); err != nil {
		t.Fatal(err)
	}
	checkExtracted(t, x, m)

	again := filepath.Join(dir, "again.zip")
	rep2, err := ExportZip(src, again, ZipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep2.SHA256 != rep.SHA256 {
		t.Errorf("second export differs: %s, first %s", rep2.SHA256, rep.SHA256)
	}
	// A zip exports to the same zip.
	rezip := filepath.Join(dir, "rezip.zip")
	if rep3, err := ExportZip(out, rezip, ZipOptions{}); err != nil || rep3.SHA256 != rep.SHA256 {
		t.Errorf("exporting the zip again: %v, %s, want %s", err, rep3.SHA256, rep.SHA256)
	}
	unzipTest(t, out)
}

// unzipTest runs the real `unzip -t` on path.
func unzipTest(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath("unzip"); err != nil {
		t.Skip("unzip is not installed (apt-get install unzip); not checking the zip with it")
	}
	out, err := exec.Command("unzip", "-t", path).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("No errors detected")) {
		t.Errorf("unzip -t %s: %v\n%s", path, err, out)
	}
}

// TestExportZipCap checks the size cap: the optional files with the
// largest compressed size go first, the required ones never, and the zip's
// manifest names what went.
func TestExportZipCap(t *testing.T) {
	dir := t.TempDir()
	random := func(n int) []byte {
		b := make([]byte, n)
		rand.Read(b)
		return b
	}
	files := map[string][]byte{
		"summary.json":        []byte("{}\n"),
		"timeline.csv":        random(60_000), // required, however large
		"perf/perf.data":      random(300_000),
		"process_samples.csv": random(200_000),
		"logs/stdout.log":     random(50_000),
		"perf/folded.txt":     bytes.Repeat([]byte("main;work 1\n"), 100_000), // 1.2 MB, deflates small
	}
	src := filepath.Join(dir, "run.tar.zst")
	w, err := NewWriter(src, testRedactor{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := w.AddBytes(name, files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(testManifest()); err != nil {
		t.Fatal(err)
	}
	orig, err := ReadManifest(src)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		max     int64
		dropped []string
	}{
		{1 << 20, nil},
		{400_000, []string{"perf/perf.data"}},
		{150_000, []string{"perf/perf.data", "process_samples.csv"}},
		{70_000, []string{"logs/stdout.log", "perf/perf.data", "process_samples.csv"}},
		{62_000, []string{"logs/stdout.log", "perf/folded.txt", "perf/perf.data", "process_samples.csv"}},
	} {
		out := filepath.Join(dir, "run.zip")
		rep, err := ExportZip(src, out, ZipOptions{MaxSize: tc.max})
		if err != nil {
			t.Errorf("cap %d: %v", tc.max, err)
			continue
		}
		var got []string
		for _, f := range rep.Dropped {
			got = append(got, f.Path)
		}
		if !slices.Equal(got, tc.dropped) || rep.Size > tc.max {
			t.Errorf("cap %d: %d bytes, dropped %q, want %q", tc.max, rep.Size, got, tc.dropped)
		}
		m, err := Verify(out)
		if err != nil {
			t.Errorf("cap %d: Verify: %v", tc.max, err)
			continue
		}
		if !slices.Equal(m.Dropped, rep.Dropped) || len(m.Files)+len(m.Dropped) != len(orig.Files) {
			t.Errorf("cap %d: manifest files %v dropped %v, report dropped %v", tc.max, m.Files, m.Dropped, rep.Dropped)
		}
		for _, f := range m.Dropped {
			if o, _ := orig.File(f.Path); o != f {
				t.Errorf("cap %d: dropped %v, originally %v", tc.max, f, o)
			}
		}
		unzipTest(t, out)
	}

	// Not even the required files fit: an error, and nothing written.
	out := filepath.Join(dir, "small.zip")
	before := listDir(t, dir)
	if _, err := ExportZip(src, out, ZipOptions{MaxSize: 50_000}); !errors.Is(err, ErrZipTooLarge) {
		t.Errorf("cap below the required files: %v, want %v", err, ErrZipTooLarge)
	}
	if after := listDir(t, dir); !slices.Equal(before, after) {
		t.Errorf("failed export left %q, had %q", after, before)
	}
}

// TestOptional pins the rule of what a capped export may drop.
func TestOptional(t *testing.T) {
	for path, want := range map[string]bool{
		ManifestName: false, "summary.json": false, "env.json": false, "report.md": false,
		"timeline.csv": false, "timeline.svg": false, "processes.csv": false,
		"perf/perf.data": true, "process_samples.csv": true, "logs/stdout.log": true,
		"perf/folded.txt": true, "perf/flame.svg": true, "sub/summary.json": true,
	} {
		if got := Optional(path); got != want {
			t.Errorf("Optional(%q) = %v, want %v", path, got, want)
		}
	}
}
