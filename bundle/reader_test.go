package bundle

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadManifest(t *testing.T) {
	path := writeTestBundle(t, t.TempDir(), "run.tar.zst")
	m, err := ReadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Format != Format || m.Version != Version || !m.Created.Equal(created) || m.Cwd != "/src" {
		t.Errorf("manifest = %+v", m)
	}
	files := testFiles()
	if got, want := len(m.Files), len(files); got != want {
		t.Fatalf("manifest lists %d files, want %d", got, want)
	}
	for i, f := range m.Files {
		if i > 0 && m.Files[i-1].Path >= f.Path {
			t.Errorf("files not sorted: %q before %q", m.Files[i-1].Path, f.Path)
		}
		if f.Size != int64(len(files[f.Path])) {
			t.Errorf("%s: size %d, want %d", f.Path, f.Size, len(files[f.Path]))
		}
	}
}

// TestReadManifestReadsOnlyTheStart cuts a bundle just after its manifest:
// ReadManifest still works, Verify reports the truncation.
func TestReadManifestReadsOnlyTheStart(t *testing.T) {
	dir := t.TempDir()
	m := v1(listing(reg("big.csv", string(csv(200000)))))
	data := compress(tarStream(manifestEntry(m), reg("big.csv", string(csv(200000)))))
	cut := filepath.Join(dir, "cut.tar.zst")
	if err := os.WriteFile(cut, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadManifest(cut); err != nil {
		t.Errorf("ReadManifest of a bundle cut after its manifest: %v", err)
	}
	if _, err := Verify(cut); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Verify of a truncated bundle = %v, want %v", err, ErrCorrupt)
	}
}

func TestVerify(t *testing.T) {
	path := writeTestBundle(t, t.TempDir(), "run.tar.zst")
	m, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != len(testFiles()) {
		t.Errorf("Verify returned %d files", len(m.Files))
	}
}

// TestVerifyListsAllProblems crafts a bundle with several wrong members:
// each is reported, and errors.Is matches each kind.
func TestVerifyListsAllProblems(t *testing.T) {
	a, b, c := reg("a.txt", "aaa"), reg("b.txt", "bbb"), reg("c.txt", "ccc")
	files := listing(a, b, c, reg("d.txt", "ddd"))
	path := filepath.Join(t.TempDir(), "bad.tar.zst")
	data := tarZst(v1(files), a, reg("b.txt", "BBB"), reg("x.txt", "x"), c, c)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(path)
	var verr *VerifyError
	if !errors.As(err, &verr) {
		t.Fatalf("Verify = %v, want a *VerifyError", err)
	}
	var got []string
	for _, p := range verr.Problems {
		got = append(got, p.Entry+": "+strings.TrimPrefix(p.Kind.Error(), "bundle: "))
	}
	want := []string{
		"b.txt: checksum mismatch",
		"x.txt: entry not in manifest",
		"c.txt: duplicate entry",
		"d.txt: missing entry",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
	for _, kind := range []error{ErrChecksum, ErrUnlisted, ErrDuplicate, ErrMissing} {
		if !errors.Is(err, kind) {
			t.Errorf("errors.Is(err, %v) = false", kind)
		}
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, path+": 4 problems: ") || !strings.Contains(msg, "and 1 more") || strings.Contains(msg, "\n") {
		t.Errorf("message = %q", msg)
	}
}

// TestPadding: a tar tool pads archives to whole records; such a bundle
// still reads.
func TestPadding(t *testing.T) {
	a := reg("a.txt", "a")
	path := filepath.Join(t.TempDir(), "padded.tar.zst")
	data := compress(append(tarStream(manifestEntry(v1(listing(a))), a), make([]byte, 10240-3*512)...))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(path); err != nil {
		t.Error(err)
	}
}

func TestReadFile(t *testing.T) {
	path := writeTestBundle(t, t.TempDir(), "run.tar.zst")
	for name, want := range testFiles() {
		got, err := ReadFile(path, name)
		if err != nil {
			t.Errorf("ReadFile(%q): %v", name, err)
		} else if !bytes.Equal(got, want) {
			t.Errorf("ReadFile(%q) = %d bytes, want %d", name, len(got), len(want))
		}
	}
	raw, err := ReadFile(path, ManifestName)
	if err != nil || !bytes.HasPrefix(raw, []byte("{\n")) {
		t.Errorf("ReadFile(manifest) = %q, %v", raw, err)
	}
	if _, err := ReadFile(path, "nope.txt"); !errors.Is(err, ErrMissing) {
		t.Errorf("ReadFile of an unlisted name = %v, want %v", err, ErrMissing)
	}
}

// TestReadFileChecksum: ReadFile never returns data that fails its hash.
func TestReadFileChecksum(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.tar.zst")
	if err := os.WriteFile(path, tarZst(v1(listing(reg("a.txt", "good"))), reg("a.txt", "evil")), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadFile(path, "a.txt"); !errors.Is(err, ErrChecksum) || data != nil {
		t.Errorf("ReadFile = %q, %v; want nil, %v", data, err, ErrChecksum)
	}
}

func TestWalk(t *testing.T) {
	path := writeTestBundle(t, t.TempDir(), "run.tar.zst")
	got := map[string][]byte{}
	err := Walk(path, func(f File, r io.Reader) error {
		if f.Path == "timeline.csv" {
			// Read only part: Walk hashes the rest.
			var b [10]byte
			_, err := io.ReadFull(r, b[:])
			got[f.Path] = b[:]
			return err
		}
		data, err := io.ReadAll(r)
		got[f.Path] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(testFiles()))) {
		t.Errorf("Walk visited %q", slices.Sorted(maps.Keys(got)))
	}
	if string(got["logs/stdout.log"]) != "hello\n" {
		t.Errorf("logs/stdout.log = %q", got["logs/stdout.log"])
	}
	var kept io.Reader
	err = Walk(path, func(f File, r io.Reader) error {
		if kept != nil {
			_, err := kept.Read(make([]byte, 1))
			return err
		}
		kept = r
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "used after the walk moved on") {
		t.Errorf("reading a member after Walk moved on = %v", err)
	}
	stop := errors.New("stop here")
	if err := Walk(path, func(File, io.Reader) error { return stop }); err != stop {
		t.Errorf("Walk returned %v, want fn's error as is", err)
	}
}

func TestExtract(t *testing.T) {
	dir := t.TempDir()
	path := writeTestBundle(t, dir, "run.tar.zst")
	out := filepath.Join(dir, "out", "nested")
	if _, err := Extract(path, out); err != nil {
		t.Fatal(err)
	}
	files := testFiles()
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, %v; want %d bytes", name, len(got), err, len(want))
		}
	}
	// Again into the same directory: refused, naming the existing file,
	// and nothing extracted is lost or left over.
	before := listDir(t, out)
	_, err := Extract(path, out)
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second Extract = %v, want an existing-file error", err)
	}
	if after := listDir(t, out); !slices.Equal(before, after) {
		t.Errorf("second Extract changed the directory: %q -> %q", before, after)
	}
}

// TestExtractUndoes: a checksum failure removes what Extract wrote,
// including directories it created, but not what was there before.
func TestExtractUndoes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.tar.zst")
	good, bad := reg("a/b/good.txt", "good"), reg("a/c/bad.txt", "evil")
	data := tarZst(v1(listing(good, reg("a/c/bad.txt", "fine"))), good, bad)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, pre := range []bool{false, true} {
		out := filepath.Join(dir, "out")
		if pre {
			if err := os.MkdirAll(filepath.Join(out, "a"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := Extract(path, out); !errors.Is(err, ErrChecksum) {
			t.Errorf("Extract = %v, want %v", err, ErrChecksum)
		}
		if !pre {
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Extract left the directory it created: %v", err)
			}
			continue
		}
		if got := listDir(t, out); !slices.Equal(got, []string{"a"}) {
			t.Errorf("after a failed Extract into a directory holding \"a\" it holds %q", got)
		}
	}
}

// TestExtractSymlinkInDir: a symbolic link already in the target directory
// must not carry an entry out of it.
func TestExtractSymlinkInDir(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside")
	out := filepath.Join(dir, "out")
	for _, d := range []string{outside, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(out, "logs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "x"), filepath.Join(out, "summary.json")); err != nil {
		t.Fatal(err)
	}
	path := writeTestBundle(t, dir, "run.tar.zst")
	if _, err := Extract(path, out); err == nil {
		t.Fatal("Extract through a planted symlink succeeded")
	}
	if got := listDir(t, outside); len(got) != 0 {
		t.Errorf("Extract wrote outside the directory: %q", got)
	}
}

func TestLimits(t *testing.T) {
	dir := t.TempDir()
	path := writeTestBundle(t, dir, "run.tar.zst")
	tests := []struct {
		name   string
		limits Limits
	}{
		{"entry size", Limits{MaxEntrySize: 1000}},
		{"total size", Limits{MaxTotalSize: 1000}},
		{"entries", Limits{MaxEntries: 2}},
		{"manifest size", Limits{MaxManifestSize: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Reader{Limits: tt.limits}
			if _, err := r.Verify(path); !errors.Is(err, ErrTooLarge) {
				t.Errorf("Verify = %v, want %v", err, ErrTooLarge)
			}
			out := filepath.Join(dir, "out")
			if _, err := r.Extract(path, out); !errors.Is(err, ErrTooLarge) {
				t.Errorf("Extract = %v, want %v", err, ErrTooLarge)
			}
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Extract left %s: %v", out, err)
			}
		})
	}
}

// TestLimitsInArchive: entries past the limits that the manifest does not
// claim are refused from their tar headers, before their data is read.
func TestLimitsInArchive(t *testing.T) {
	dir := t.TempDir()
	small := reg("a.txt", "a")
	tests := []struct {
		name    string
		limits  Limits
		entries []entry
	}{
		{"entry size", Limits{MaxEntrySize: 10}, []entry{small, reg("x.txt", strings.Repeat("x", 11))}},
		{"total size", Limits{MaxTotalSize: 10}, []entry{small, reg("x.txt", "xxxxx"), reg("y.txt", "yyyyy")}},
		{"entries", Limits{MaxEntries: 2}, []entry{small, reg("x.txt", ""), reg("y.txt", "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "b.tar.zst")
			if err := os.WriteFile(path, tarZst(v1(listing(small)), tt.entries...), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := (Reader{Limits: tt.limits}).Verify(path); !errors.Is(err, ErrTooLarge) {
				t.Errorf("Verify = %v, want %v", err, ErrTooLarge)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Bundle: "b.tar.zst", Entry: "../x", Offset: 1536, Kind: ErrUnsafe, Err: errors.New("path escapes the bundle")},
			`b.tar.zst: entry "../x" at offset 1536: unsafe entry: path escapes the bundle`},
		{&Error{Bundle: "b.tar.zst", Entry: "a\nb", Offset: -1, Kind: ErrMissing},
			`b.tar.zst: entry "a\nb": missing entry`},
		{&Error{Bundle: "b.tar.zst", Offset: 99, Kind: ErrCorrupt, Err: errors.New("line\nbreak")},
			`b.tar.zst: at offset 99: corrupt archive: line\nbreak`},
		{&Error{Bundle: "b.tar.zst", Entry: "x", Offset: -1, Err: fs.ErrExist},
			`b.tar.zst: entry "x": file already exists`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}
