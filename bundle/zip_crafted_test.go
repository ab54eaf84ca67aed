package bundle

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// zipEntry is one member of a crafted zip: any header, any data. With raw
// set, data is written as the stored bytes and the header's sizes and
// CRC-32 are taken as given.
type zipEntry struct {
	hdr  zip.FileHeader
	data []byte
	raw  bool
}

// zreg is a regular deflated file whose header matches its data.
func zreg(name, data string) zipEntry {
	e := zipEntry{hdr: zip.FileHeader{Name: name, Method: zip.Deflate, Modified: created}, data: []byte(data)}
	e.hdr.SetMode(0o644)
	return e
}

// zlisting returns the manifest entries for regular entries as they are.
func zlisting(entries ...zipEntry) []File {
	var es []entry
	for _, e := range entries {
		es = append(es, reg(e.hdr.Name, string(e.data)))
	}
	return listing(es...)
}

// zmanifest is manifest.json for m as ExportZip would store it.
func zmanifest(m Manifest) zipEntry {
	return zreg(ManifestName, string(manifestEntry(m).data))
}

// zipOf writes entries in order with the header fields as given.
func zipOf(entries ...zipEntry) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		hdr := e.hdr
		var w io.Writer
		var err error
		if e.raw {
			w, err = zw.CreateRaw(&hdr)
		} else {
			w, err = zw.CreateHeader(&hdr)
		}
		if err != nil {
			panic(err)
		}
		if _, err := w.Write(e.data); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// zbundle is a zip bundle: manifest m first, then entries.
func zbundle(m Manifest, entries ...zipEntry) []byte {
	return zipOf(append([]zipEntry{zmanifest(m)}, entries...)...)
}

// deflated compresses data as a zip member's stored bytes.
func deflated(data []byte) []byte {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		panic(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// validZip is the reference bundle exported to zip.
func validZip() []byte {
	data, err := os.ReadFile(filepath.Join("testdata", "zip", "valid.zip"))
	if err != nil {
		panic(err)
	}
	return data
}

// hostileZips lists the crafted zip bundles, committed under
// testdata/zip/ as <name>.zip: the tar.zst attacks carried over to zip,
// and those only zip has (lying headers, CRC-32, central directory).
var hostileZips = []crafted{
	{"traversal", func() []byte {
		a := zreg("a.txt", "a")
		return zbundle(v1(zlisting(a)), a, zreg("../evil", "evil"))
	}, ErrUnsafe},
	{"traversal-listed", func() []byte {
		evil := zreg("../evil", "evil")
		return zbundle(v1(zlisting(evil)), evil)
	}, ErrUnsafe},
	{"absolute", func() []byte {
		return zbundle(v1(zlisting(zreg("a.txt", "a"))), zreg("/tmp/perfcap-evil", "evil"))
	}, ErrUnsafe},
	{"backslash", func() []byte {
		return zbundle(v1(zlisting(zreg("a.txt", "a"))), zreg(`..\evil`, "evil"))
	}, ErrUnsafe},
	{"symlink", func() []byte {
		// Unix mode bits in the external attributes mark a link.
		link := zreg("passwd", "/etc/passwd")
		link.hdr.SetMode(fs.ModeSymlink | 0o777)
		return zbundle(v1(zlisting(link)), link)
	}, ErrUnsafe},
	{"symlink-then-file", func() []byte {
		link := zreg("logs", "/tmp")
		link.hdr.SetMode(fs.ModeSymlink | 0o777)
		through := zreg("logs/perfcap-evil", "evil")
		return zbundle(v1(zlisting(through)), link, through)
	}, ErrUnsafe},
	{"chardev", func() []byte {
		dev := zreg("null", "")
		dev.hdr.SetMode(fs.ModeDevice | fs.ModeCharDevice | 0o666)
		return zbundle(v1(zlisting(dev)), dev)
	}, ErrUnsafe},
	{"directory", func() []byte {
		a := zreg("logs/a.txt", "a")
		dir := zipEntry{hdr: zip.FileHeader{Name: "logs/", Modified: created}}
		dir.hdr.SetMode(fs.ModeDir | 0o755)
		return zbundle(v1(zlisting(a)), dir, a)
	}, ErrUnsafe},
	{"unlisted", func() []byte {
		a := zreg("a.txt", "a")
		return zbundle(v1(zlisting(a)), a, zreg("extra.txt", "extra"))
	}, ErrUnlisted},
	{"duplicate", func() []byte {
		a := zreg("a.txt", "a")
		return zbundle(v1(zlisting(a)), a, a)
	}, ErrDuplicate},
	{"second-manifest", func() []byte {
		a := zreg("a.txt", "a")
		return zbundle(v1(zlisting(a)), a, zmanifest(v1(nil)))
	}, ErrDuplicate},
	{"dropped-also-listed", func() []byte {
		a := zreg("a.txt", "a")
		m := v1(zlisting(a))
		m.Dropped = zlisting(a)
		return zbundle(m, a)
	}, ErrDuplicate},
	{"dropped-traversal", func() []byte {
		m := v1(nil)
		m.Dropped = zlisting(zreg("../evil", "evil"))
		return zbundle(m)
	}, ErrUnsafe},
	{"missing", func() []byte {
		a := zreg("a.txt", "a")
		return zbundle(v1(zlisting(a, zreg("b.txt", "b"))), a)
	}, ErrMissing},
	{"manifest-not-first", func() []byte {
		a := zreg("a.txt", "a")
		return zipOf(a, zmanifest(v1(zlisting(a))))
	}, ErrNotBundle},
	{"manifest-symlink", func() []byte {
		link := zreg(ManifestName, "/etc/passwd")
		link.hdr.SetMode(fs.ModeSymlink | 0o777)
		return zipOf(link)
	}, ErrNotBundle},
	{"version-99", func() []byte {
		m := v1(nil)
		m.Version = 99
		return zbundle(m)
	}, ErrVersion},
	{"size-mismatch", func() []byte {
		a := zreg("a.txt", "a")
		return zbundle(v1(zlisting(a)), zreg("a.txt", "a longer a"))
	}, ErrSize},
	{"checksum-mismatch", func() []byte {
		// Same size, other content, a CRC-32 that matches the content.
		return zbundle(v1(zlisting(zreg("a.txt", "aaaa"))), zreg("a.txt", "bbbb"))
	}, ErrChecksum},
	{"crc-mismatch", func() []byte {
		// A stored member with one byte flipped after writing: the
		// CRC-32 catches it before the SHA-256 does.
		a := zreg("timeline.csv", string(csv(100)))
		a.hdr.Method = zip.Store
		data := zbundle(v1(zlisting(a)), a)
		i := bytes.Index(data, csv(100))
		data[i+500] ^= 0x01
		return data
	}, ErrChecksum},
	{"manifest-crc-mismatch", func() []byte {
		// A stored manifest with a space of its indentation turned into a
		// tab: still valid JSON, but not what was written.
		a := zreg("a.txt", "a")
		mf := zmanifest(v1(zlisting(a)))
		mf.hdr.Method = zip.Store
		data := zipOf(mf, a)
		i := bytes.Index(data, []byte("\n  \"format\""))
		data[i+1] = '\t'
		return data
	}, ErrChecksum},
	{"bomb", func() []byte {
		// Headers that declare 3 GiB for a member the manifest lists as
		// 1000 bytes: refused from the header, never inflated.
		z := deflated(make([]byte, 1<<20))
		big := zipEntry{hdr: zip.FileHeader{Name: "big.bin", Method: zip.Deflate, Modified: created,
			CompressedSize64: uint64(len(z)), UncompressedSize64: 3 << 30}, data: z, raw: true}
		return zbundle(v1([]File{{Path: "big.bin", Size: 1000, SHA256: strings.Repeat("0", 64)}}), big)
	}, ErrTooLarge},
	{"bomb-lying", func() []byte {
		// Headers and manifest say 1000 bytes, the deflate stream holds
		// 16 MiB of zeros: reading stops at the declared size.
		z := deflated(make([]byte, 16<<20))
		zero := make([]byte, 1000)
		big := zipEntry{hdr: zip.FileHeader{Name: "big.bin", Method: zip.Deflate, Modified: created,
			CRC32: crc32.ChecksumIEEE(zero), CompressedSize64: uint64(len(z)), UncompressedSize64: 1000}, data: z, raw: true}
		return zbundle(v1(listing(reg("big.bin", string(zero)))), big)
	}, ErrCorrupt},
	{"bomb-listed", func() []byte {
		return zbundle(v1([]File{{Path: "big.bin", Size: 3 << 30, SHA256: strings.Repeat("0", 64)}}))
	}, ErrTooLarge},
	{"unsupported-method", func() []byte {
		a := zreg("a.txt", "a")
		odd := zipEntry{hdr: zip.FileHeader{Name: "a.txt", Method: 99, Modified: created,
			CRC32: crc32.ChecksumIEEE([]byte("a")), CompressedSize64: 1, UncompressedSize64: 1}, data: []byte("a"), raw: true}
		return zbundle(v1(zlisting(a)), odd)
	}, ErrCorrupt},
	{"encrypted", func() []byte {
		a := zreg("a.txt", "a")
		enc := zipEntry{hdr: zip.FileHeader{Name: "a.txt", Method: zip.Store, Flags: 0x1, Modified: created,
			CRC32: crc32.ChecksumIEEE([]byte("a")), CompressedSize64: 1, UncompressedSize64: 1}, data: []byte("a"), raw: true}
		return zbundle(v1(zlisting(a)), enc)
	}, ErrCorrupt},
	{"truncated", func() []byte {
		data := validZip()
		return data[:len(data)*2/3]
	}, ErrCorrupt},
	{"offset-out-of-range", func() []byte {
		// The last central directory record points its local header past
		// the end of the file.
		data := validZip()
		cd := bytes.LastIndex(data, []byte("PK\x01\x02"))
		binary.LittleEndian.PutUint32(data[cd+42:], uint32(len(data)*4))
		return data
	}, ErrCorrupt},
	{"bad-central-directory", func() []byte {
		data := validZip()
		cd := bytes.LastIndex(data, []byte("PK\x01\x02"))
		data[cd+3] = 0x7f
		return data
	}, ErrCorrupt},
	{"eocd-count", func() []byte {
		// The end record claims 65535 entries.
		data := validZip()
		eocd := bytes.LastIndex(data, []byte("PK\x05\x06"))
		binary.LittleEndian.PutUint16(data[eocd+8:], 0xffff)
		binary.LittleEndian.PutUint16(data[eocd+10:], 0xffff)
		return data
	}, ErrCorrupt},
	{"flipped-byte", func() []byte {
		data := validZip()
		data[len(data)/2] ^= 0x40
		return data
	}, nil},
}

// TestCraftedZipSeeds checks that testdata/zip/ holds what the generators
// above make, valid.zip being the reference bundle exported; with -update
// it rewrites them:
//
//	go test ./bundle -run TestCraftedZipSeeds -update
func TestCraftedZipSeeds(t *testing.T) {
	out := filepath.Join(t.TempDir(), "valid.zip")
	if _, err := ExportZip(filepath.Join("testdata", "valid.tar.zst"), out, ZipOptions{}); err != nil {
		t.Fatal(err)
	}
	valid, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	check(t, filepath.Join("testdata", "zip", "valid.zip"), valid)
	for _, c := range hostileZips {
		check(t, filepath.Join("testdata", "zip", "hostile", c.name+".zip"), c.build())
	}
}

// TestHostileZip feeds every committed crafted zip to the readers, under a
// name without extension so that only the content tells the format: each
// is refused with its sentinel in a one-line message naming the bundle,
// and Extract leaves nothing behind.
func TestHostileZip(t *testing.T) {
	for _, c := range hostileZips {
		t.Run(c.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "zip", "hostile", c.name+".zip"))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, c.name)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			checkRefused := func(op string, err error) {
				t.Helper()
				var be *Error
				var ve *VerifyError
				switch {
				case err == nil:
					t.Errorf("%s accepted it", op)
				case c.want == nil && !errors.As(err, &be) && !errors.As(err, &ve):
					t.Errorf("%s = %v, want a bundle error", op, err)
				case c.want != nil && !errors.Is(err, c.want):
					t.Errorf("%s = %v, want %v", op, err, c.want)
				case strings.Contains(err.Error(), "\n"):
					t.Errorf("%s error is not one line: %q", op, err)
				case !strings.HasPrefix(err.Error(), path+": "):
					t.Errorf("%s error does not start with the bundle: %q", op, err)
				}
			}
			_, err = Verify(path)
			checkRefused("Verify", err)
			t.Log(err)
			checkRefused("Walk", Walk(path, func(File, io.Reader) error { return nil }))
			_, err = Extract(path, filepath.Join(dir, "out"))
			checkRefused("Extract", err)
			if got := listDir(t, dir); !slices.Equal(got, []string{c.name}) {
				t.Errorf("after Extract the directory holds %q", got)
			}
			if _, err := ReadManifest(path); err != nil {
				checkRefused("ReadManifest", err)
			}
		})
	}
}
