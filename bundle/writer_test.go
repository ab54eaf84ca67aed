package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWriterDeterministic(t *testing.T) {
	a := writeTestBundle(t, t.TempDir(), "a.tar.zst")
	b := writeTestBundle(t, t.TempDir(), "b.tar.zst")
	da, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(da, db) {
		t.Errorf("two bundles of the same files and Created differ: %d and %d bytes", len(da), len(db))
	}
}

func TestWriterLeavesOnlyTheBundle(t *testing.T) {
	dir := t.TempDir()
	writeTestBundle(t, dir, "run.tar.zst")
	if got := listDir(t, dir); !slices.Equal(got, []string{"run.tar.zst"}) {
		t.Errorf("after Close the directory holds %q, want only the bundle", got)
	}
}

func TestWriterArchiveLayout(t *testing.T) {
	path := writeTestBundle(t, t.TempDir(), "run.tar.zst")
	var names []string
	s, err := Reader{}.open(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if !bytes.HasSuffix(s.raw, []byte("}\n")) || !bytes.Contains(s.raw, []byte("\n  \"format\": \"perfcap-bundle\",\n")) {
		t.Errorf("manifest.json is not indented JSON with a trailing newline:\n%s", s.raw)
	}
	tz := s.ar.(*tarZstd)
	for {
		hdr, err := tz.tr.Next()
		if err != nil {
			break
		}
		names = append(names, hdr.Name)
		if hdr.Mode != 0o644 || hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" || hdr.Gname != "" ||
			!hdr.ModTime.Equal(created.Truncate(1e9)) {
			t.Errorf("%s: header not normalized: mode %o uid %d gid %d uname %q gname %q mtime %v",
				hdr.Name, hdr.Mode, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname, hdr.ModTime)
		}
	}
	want := slices.Sorted(maps.Keys(testFiles()))
	if !slices.Equal(names, want) {
		t.Errorf("members after the manifest = %q, want sorted %q", names, want)
	}
}

func TestWriterNames(t *testing.T) {
	tests := []struct {
		name string
		want error // nil: accepted
	}{
		{"summary.json", nil},
		{"perf/flame.svg", nil},
		{"a b/c-d_e.f", nil},
		{"", ErrUnsafe},
		{"/etc/passwd", ErrUnsafe},
		{"../evil", ErrUnsafe},
		{"a/../../evil", ErrUnsafe},
		{"a/..", ErrUnsafe},
		{"./a", ErrUnsafe},
		{"a//b", ErrUnsafe},
		{"a/", ErrUnsafe},
		{".", ErrUnsafe},
		{`..\evil`, ErrUnsafe},
		{`a\b`, ErrUnsafe},
		{"a\nb", ErrUnsafe},
		{"a\x00b", ErrUnsafe},
		{"\xff", ErrUnsafe},
		{ManifestName, ErrDuplicate},
		{"dup", ErrDuplicate}, // added below before the table runs
	}
	w, err := NewWriter(filepath.Join(t.TempDir(), "run.tar.zst"), testRedactor{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.AddBytes("dup", nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		f, err := w.Create(tt.name)
		if f != nil {
			f.Close()
		}
		if tt.want == nil && err != nil {
			t.Errorf("Create(%q) = %v, want success", tt.name, err)
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("Create(%q) = %v, want %v", tt.name, err, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), "adding ") {
			t.Errorf("Create(%q) error %q does not name the operation", tt.name, err)
		}
	}
}

func TestWriterAddFileAndJSON(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.txt")
	if err := os.WriteFile(src, []byte("copied\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "run.tar.zst")
	w, err := NewWriter(path, testRedactor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddFile("copy.txt", src); err != nil {
		t.Fatal(err)
	}
	if err := w.AddJSON("v.json", map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	// A tool writing straight into the staging directory.
	if err := os.WriteFile(filepath.Join(w.Dir(), "perf.data"), []byte("PERF"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.AddFile("missing.txt", filepath.Join(dir, "nope")); err == nil {
		t.Error("AddFile of a missing source succeeded")
	}
	if err := w.Close(Manifest{}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"copy.txt": "copied\n", "v.json": "{\n  \"a\": 1\n}\n", "perf.data": "PERF"} {
		got, err := ReadFile(path, name)
		if err != nil || string(got) != want {
			t.Errorf("ReadFile(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	m, err := ReadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Created.IsZero() {
		t.Error("Close left Created zero")
	}
	if err := w.Close(Manifest{}); err == nil {
		t.Error("second Close succeeded")
	}
}

// TestWriterCloseErrorKeepsStaging makes the rename fail (with Force, over
// a non-empty directory): no bundle, no temporary file, staged files kept.
func TestWriterCloseErrorKeepsStaging(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.tar.zst")
	w, err := NewWriterWith(path, WriterOptions{Force: true, Redactor: testRedactor{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddBytes("a.txt", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(path, "occupied"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Manifest{}); err == nil {
		t.Fatal("Close over a directory succeeded")
	}
	assertNoTemp(t, dir)
	if _, err := os.Stat(filepath.Join(w.Dir(), "a.txt")); err != nil {
		t.Errorf("staged file lost after a failed Close: %v", err)
	}
	// Once the cause is gone, Close can be retried.
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Manifest{}); err != nil {
		t.Fatalf("Close after fixing the cause: %v", err)
	}
	if _, err := Verify(path); err != nil {
		t.Error(err)
	}
}

// Without Force, Close never replaces what is at the path: the bundle
// takes the next free name, and Path says which.
func TestWriterCloseTakesAFreeName(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.tar.zst")
	if err := os.WriteFile(path, []byte("another bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "run-2.tar.zst"), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(path, testRedactor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddBytes("a.txt", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "run-3.tar.zst"); w.NextPath() != want {
		t.Errorf("NextPath() = %s before Close, want %s", w.NextPath(), want)
	}
	if err := w.Close(Manifest{}); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "run-3.tar.zst"); w.Path() != want {
		t.Errorf("Path() = %s, want %s", w.Path(), want)
	}
	if b, _ := os.ReadFile(path); string(b) != "another bundle" {
		t.Errorf("the existing file was replaced: %q", b)
	}
	if _, err := Verify(w.Path()); err != nil {
		t.Error(err)
	}
	assertNoTemp(t, dir)
}

// After Redact, Staged lists exactly the files and sizes Close packs, and
// a file staged with AddRedacted is packed as it is: what report.md says
// the bundle holds is what it holds.
func TestWriterStagedIsWhatClosePacks(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriterWith(filepath.Join(dir, "run.tar.zst"), WriterOptions{Redactor: testRedactor{}, Skip: func(name string) bool { return name == "lock" }})
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"z.txt": "a SECRET", "perf/flame.svg": "<svg/>", "a.txt": "", "lock": "123"} {
		if err := w.AddBytes(name, []byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Redact(); err != nil {
		t.Fatal(err)
	}
	staged, err := w.Staged()
	if err != nil {
		t.Fatal(err)
	}
	if w.NextPath() != w.Path() {
		t.Errorf("NextPath() = %s with the name free, want %s", w.NextPath(), w.Path())
	}
	if b, err := w.RedactBytes("report.md", []byte("SECRET")); err != nil || string(b) != "[redacted]" {
		t.Errorf("RedactBytes = %q, %v", b, err)
	}
	if err := w.AddRedacted("report.md", []byte("SECRET")); err != nil {
		t.Fatal(err)
	}
	m := Manifest{Command: []string{"run", "--token=SECRET"}}
	if got := w.RedactManifest(m); got.Command[1] != "--token=[redacted]" || m.Command[1] != "--token=SECRET" {
		t.Errorf("RedactManifest gives %q and leaves %q", got.Command, m.Command)
	}
	if err := w.Close(m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadManifest(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	var packed []File
	for _, f := range got.Files {
		packed = append(packed, File{Path: f.Path, Size: f.Size})
	}
	want := []File{{Path: "a.txt"}, {Path: "perf/flame.svg", Size: 6}, {Path: "z.txt", Size: 12}}
	wantPacked := []File{want[0], want[1], {Path: "report.md", Size: 10}, want[2]}
	if !slices.Equal(staged, want) || !slices.Equal(packed, wantPacked) {
		t.Errorf("Staged() = %v, Close packed %v; want %v, then %v", staged, packed, want, wantPacked)
	}
}

func TestFreeName(t *testing.T) {
	for _, tc := range []struct {
		path string
		i    int
		want string
	}{
		{"a/run.tar.zst", 0, "a/run.tar.zst"},
		{"a/run.tar.zst", 1, "a/run-2.tar.zst"},
		{"run.zip", 2, "run-3.zip"},
		{"noext", 1, "noext-2"},
	} {
		if got := FreeName(tc.path, tc.i); got != tc.want {
			t.Errorf("FreeName(%q, %d) = %q, want %q", tc.path, tc.i, got, tc.want)
		}
	}
}

func TestWriterCloseRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.tar.zst")
	w, err := NewWriter(path, testRedactor{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := os.Symlink("/etc/passwd", filepath.Join(w.Dir(), "passwd")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Manifest{}); !errors.Is(err, ErrUnsafe) {
		t.Errorf("Close with a staged symlink = %v, want %v", err, ErrUnsafe)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bundle exists after a failed Close: %v", err)
	}
	assertNoTemp(t, dir)
}

func TestWriterAbort(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(filepath.Join(dir, "run.tar.zst"), testRedactor{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := w.Create("timeline.csv")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("after Abort the directory holds %q", got)
	}
	if _, err := w.Create("late.txt"); err == nil {
		t.Error("Create after Abort succeeded")
	}
}

// assertNoTemp fails if dir holds a temporary archive.
func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	for _, name := range listDir(t, dir) {
		if strings.Contains(name, ".tmp-") {
			t.Errorf("temporary file %s left behind", name)
		}
	}
}

func TestWriterNamesItsArchive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.tar.zst")
	w, err := NewWriter(path, testRedactor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddBytes("a.txt", []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	if sum, _ := w.Archive(); sum != "" {
		t.Errorf("Archive before Close = %q, want empty", sum)
	}
	if err := w.Close(Manifest{Created: time.Unix(0, 0).UTC()}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	sum, size := w.Archive()
	if sum != hex.EncodeToString(want[:]) || size != int64(len(data)) {
		t.Errorf("Archive() = %s, %d; the file is %x, %d bytes", sum, size, want, len(data))
	}
}

// Every staged file, every name and the manifest's strings pass the
// writer's one redaction step, however they were staged; without a
// redactor there is no writer.
func TestWriterRedactsEverything(t *testing.T) {
	if _, err := NewWriter(filepath.Join(t.TempDir(), "x.tar.zst"), nil); !errors.Is(err, ErrNoRedactor) {
		t.Errorf("NewWriter without a redactor: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "r.tar.zst")
	w, err := NewWriter(path, testRedactor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddBytes("log.txt", []byte("the SECRET is out\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.AddBytes("attach/SECRET.txt", []byte("plain\n")); err != nil {
		t.Fatal(err)
	}
	// A tool writing into the staging directory directly.
	if err := os.WriteFile(filepath.Join(w.Dir(), "direct.csv"), []byte("a,SECRET\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Manifest{Command: []string{"run", "--key=SECRET"}, Cwd: "/home/SECRET"}); err != nil {
		t.Fatal(err)
	}
	m, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 3 {
		t.Errorf("files %+v, want 3", m.Files)
	}
	for _, f := range m.Files {
		b, err := ReadFile(path, f.Path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(f.Path, "SECRET") || strings.Contains(string(b), "SECRET") {
			t.Errorf("%s leaks: %q", f.Path, b)
		}
	}
	if strings.Contains(strings.Join(m.Command, " ")+m.Cwd, "SECRET") {
		t.Errorf("manifest leaks: %q %q", m.Command, m.Cwd)
	}
}
