package bundletest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// members has a run of zeros that is not a whole number of the MiB blocks
// WriteZip repeats.
var members = []Member{
	{Name: "a.txt", Data: []byte("hello\n")},
	{Name: "zeros.bin", Data: []byte("head"), Zeros: 3<<20 + 5},
}

func sum(r io.Reader) string {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		panic(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestWriteZip reads a crafted zip back with archive/zip: the members as
// listed, CRC-32 and sizes right.
func TestWriteZip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.zip")
	if err := WriteZip(path, Manifest(Listing(members...), nil), members...); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 3 || zr.File[0].Name != "manifest.json" {
		t.Fatalf("%d members, first %q", len(zr.File), zr.File[0].Name)
	}
	for i, m := range members {
		rc, err := zr.File[i+1].Open()
		if err != nil {
			t.Fatal(err)
		}
		got := sum(rc) // archive/zip checks the CRC-32 at the end
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
		if got != m.SHA256() {
			t.Errorf("%s: content differs", m.Name)
		}
	}
}

// TestWriteTarZst reads a crafted tar.zst back.
func TestWriteTarZst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.tar.zst")
	if err := WriteTarZst(path, Manifest(Listing(members...), nil), members...); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	tr := tar.NewReader(dec)
	for i, want := range append([]string{"manifest.json"}, members[0].Name, members[1].Name) {
		hdr, err := tr.Next()
		if err != nil || hdr.Name != want {
			t.Fatalf("member %d: %v, %v; want %s", i, hdr, err, want)
		}
		if i > 0 && sum(tr) != members[i-1].SHA256() {
			t.Errorf("%s: content differs", want)
		}
	}
}

// TestZstdFrame decodes a hand-built frame to its prefix and zeros.
func TestZstdFrame(t *testing.T) {
	frame := ZstdFrame(7<<3, []byte("prefix"), 300<<10)
	dec, err := zstd.NewReader(bytes.NewReader(frame))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	got, err := io.ReadAll(dec)
	want := append([]byte("prefix"), make([]byte, 300<<10)...)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("decoded %d bytes (%v), want %d", len(got), err, len(want))
	}
}
