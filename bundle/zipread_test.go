package bundle

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestZipDirectoryBound: the end record's count of entries is checked
// before any record is read, so a central directory of a million records
// costs nothing; and the directory must hold exactly what the end record
// says.
func TestZipDirectoryBound(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	mf := zmanifest(v1(nil))
	w, _ := zw.CreateHeader(&mf.hdr)
	w.Write(mf.data)
	for i := range DefaultLimits.MaxEntries + 1 {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: "f" + itoa(i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "many.zip", b.Bytes())
	_, err := ReadManifest(path)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "100002 entries in the central directory, limit 100001") {
		t.Errorf("ReadManifest of 100,002 entries = %v, want %v from the end record", err, ErrTooLarge)
	}

	data := validZip()
	eocd := bytes.LastIndex(data, []byte("PK\x05\x06"))
	n := binary.LittleEndian.Uint16(data[eocd+10:])
	binary.LittleEndian.PutUint16(data[eocd+8:], n-1)
	binary.LittleEndian.PutUint16(data[eocd+10:], n-1)
	_, err = Verify(writeFile(t, "fewer.zip", data))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "after the last of the") {
		t.Errorf("a directory with one record more than the end record says: %v, want %v", err, ErrCorrupt)
	}
}

// TestZipLocalName: a local header that names another file than its
// central directory record is refused, so that no tool can be shown
// another name than perfcap checked.
func TestZipLocalName(t *testing.T) {
	a := zreg("a.txt", "a")
	data := zbundle(v1(zlisting(a)), a)
	i := bytes.Index(data, []byte("PK\x03\x04"))
	i = bytes.Index(data[i+4:], []byte("PK\x03\x04")) + i + 4 // a.txt's local header
	data[i+zipLocalLen] = 'b'
	_, err := Verify(writeFile(t, "renamed.zip", data))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `names "b.txt"`) {
		t.Errorf("Verify = %v, want %v naming the local header's name", err, ErrCorrupt)
	}
}

// FuzzZip feeds arbitrary bytes starting like a zip to the zip reader
// and, when it accepts them, checks its reading against archive/zip's:
// the same members in the same order with the content the manifest
// lists. The readers must never panic, and fail with one line naming the
// bundle.
func FuzzZip(f *testing.F) {
	err := filepath.WalkDir(filepath.Join("testdata", "zip"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		f.Add(data)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	r := Reader{Limits: Limits{MaxEntrySize: 1 << 20, MaxTotalSize: 4 << 20, MaxEntries: 100}}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.HasPrefix(data, zipMagic) {
			return
		}
		path := filepath.Join(t.TempDir(), "b.zip")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := r.Verify(path)
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, path+": ") {
				t.Errorf("message not one line naming the bundle: %q", msg)
			}
			return
		}
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("Verify accepted what archive/zip refuses: %v", err)
		}
		if len(zr.File) != len(m.Files)+1 || zr.File[0].Name != ManifestName {
			t.Fatalf("archive/zip sees %d members, first %q; Verify saw %d files", len(zr.File), zr.File[0].Name, len(m.Files))
		}
		for _, zf := range zr.File[1:] {
			rc, err := zf.Open()
			if err != nil {
				t.Fatalf("archive/zip cannot open %q: %v", zf.Name, err)
			}
			h := sha256.New()
			_, err = io.Copy(h, rc)
			rc.Close()
			if err != nil {
				t.Fatalf("archive/zip cannot read %q: %v", zf.Name, err)
			}
			if want, ok := m.File(zf.Name); !ok || hex.EncodeToString(h.Sum(nil)) != want.SHA256 {
				t.Fatalf("archive/zip reads %q, which Verify did not see or saw with another content", zf.Name)
			}
		}
	})
}
