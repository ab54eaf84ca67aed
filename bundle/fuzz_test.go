package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRead feeds arbitrary bytes to every reader. They must never panic,
// never write outside the target directory, leave nothing behind when they
// fail, and fail with a one-line message naming the bundle. Limits are
// small so that each input stays cheap; the checks do not depend on them.
func FuzzRead(f *testing.F) {
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, filepath.Join("testdata", "fuzz")) {
			return err
		}
		data, err := os.ReadFile(p)
		f.Add(data)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	r := Reader{Limits: Limits{MaxEntrySize: 1 << 20, MaxTotalSize: 4 << 20, MaxEntries: 100, DecoderMaxWindow: 8 << 20}}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "b.tar.zst")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		checkErr := func(op string, err error) {
			t.Helper()
			if err == nil {
				return
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, path+": ") {
				t.Errorf("%s: message not one line naming the bundle: %q", op, msg)
			}
		}
		m, err := r.ReadManifest(path)
		checkErr("ReadManifest", err)
		if err == nil && len(m.Files) > 0 {
			_, err := r.ReadFile(path, m.Files[0].Path)
			checkErr("ReadFile", err)
		}
		_, verr := r.Verify(path)
		checkErr("Verify", verr)
		checkErr("Walk", r.Walk(path, func(File, io.Reader) error { return nil }))

		out := filepath.Join(dir, "out")
		m, err = r.Extract(path, out)
		checkErr("Extract", err)
		if (err == nil) != (verr == nil) {
			t.Errorf("Verify says %v but Extract says %v", verr, err)
		}
		entries, rerr := os.ReadDir(dir)
		if rerr != nil {
			t.Fatal(rerr)
		}
		for _, e := range entries {
			if e.Name() != "b.tar.zst" && (e.Name() != "out" || err != nil) {
				t.Errorf("Extract (error %v) left %s in the directory above its target", err, e.Name())
			}
		}
		if err == nil {
			checkExtracted(t, out, m)
		}
	})
}

// checkExtracted checks that dir holds exactly the files of m.
func checkExtracted(t *testing.T, dir string, m Manifest) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == ManifestName {
			return nil
		}
		n++
		f, ok := m.File(filepath.ToSlash(rel))
		if !ok || !d.Type().IsRegular() {
			return errors.New(rel + ": extracted but not a listed regular file")
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(data)) != f.Size {
			return errors.New(rel + ": content differs from the manifest")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if n != len(m.Files) {
		t.Errorf("extracted %d files, manifest lists %d", n, len(m.Files))
	}
}
