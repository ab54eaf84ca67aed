package bundle

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle/bundletest"
)

var update = flag.Bool("update", false, "rewrite the crafted bundles under testdata/")

// crafted is a bundle the readers must refuse, committed under
// testdata/hostile/ as <name>.tar.zst and refused with want.
type crafted struct {
	name  string
	build func() []byte
	want  error
}

// hostile lists the crafted bundles. Every entry is a way a bundle from
// elsewhere could try to escape the target directory, exhaust the machine
// or pass off wrong data.
var hostile = []crafted{
	{"traversal", func() []byte {
		a := reg("a.txt", "a")
		return tarZst(v1(listing(a)), a, reg("../evil", "evil"))
	}, ErrUnsafe},
	{"traversal-listed", func() []byte {
		evil := reg("../evil", "evil")
		return tarZst(v1(listing(evil)), evil)
	}, ErrUnsafe},
	{"traversal-inner", func() []byte {
		evil := reg("a/../../evil", "evil")
		return tarZst(v1(listing(reg("a.txt", "a"))), evil)
	}, ErrUnsafe},
	{"absolute", func() []byte {
		return tarZst(v1(listing(reg("a.txt", "a"))), reg("/tmp/perfcap-evil", "evil"))
	}, ErrUnsafe},
	{"backslash", func() []byte {
		return tarZst(v1(listing(reg("a.txt", "a"))), reg(`..\evil`, "evil"))
	}, ErrUnsafe},
	{"symlink", func() []byte {
		link := entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "passwd", Linkname: "/etc/passwd"}}
		return tarZst(v1(listing(reg("passwd", ""))), link)
	}, ErrUnsafe},
	{"symlink-then-file", func() []byte {
		// The classic two-step: a link out of the directory, then a file
		// through it.
		link := entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "logs", Linkname: "/tmp"}}
		through := reg("logs/perfcap-evil", "evil")
		return tarZst(v1(listing(through)), link, through)
	}, ErrUnsafe},
	{"hardlink", func() []byte {
		link := entry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "passwd", Linkname: "/etc/passwd"}}
		return tarZst(v1(listing(reg("passwd", ""))), link)
	}, ErrUnsafe},
	{"chardev", func() []byte {
		dev := entry{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "null", Devmajor: 1, Devminor: 3, Mode: 0o666}}
		return tarZst(v1(listing(reg("null", ""))), dev)
	}, ErrUnsafe},
	{"fifo", func() []byte {
		fifo := entry{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "pipe", Mode: 0o644}}
		return tarZst(v1(listing(reg("pipe", ""))), fifo)
	}, ErrUnsafe},
	{"directory", func() []byte {
		a := reg("logs/a.txt", "a")
		dir := entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "logs/", Mode: 0o755}}
		return tarZst(v1(listing(a)), dir, a)
	}, ErrUnsafe},
	{"sparse", func() []byte {
		// A GNU PAX 0.1 sparse file: one byte of data that reads as 1 GiB.
		data := tarStream(manifestEntry(v1([]File{{Path: "a.txt", Size: 1 << 30, SHA256: strings.Repeat("0", 64)}})))
		data = data[:len(data)-1024]
		data = append(data, paxHeader("a.txt", map[string]string{
			"GNU.sparse.numblocks": "1", "GNU.sparse.map": "0,1", "GNU.sparse.size": strconv.Itoa(1 << 30),
		})...)
		return compress(append(data, tarStream(reg("a.txt", "a"))...))
	}, ErrUnsafe},
	{"unlisted", func() []byte {
		a := reg("a.txt", "a")
		return tarZst(v1(listing(a)), a, reg("extra.txt", "extra"))
	}, ErrUnlisted},
	{"duplicate", func() []byte {
		a := reg("a.txt", "a")
		return tarZst(v1(listing(a)), a, a)
	}, ErrDuplicate},
	{"duplicate-listed", func() []byte {
		a := reg("a.txt", "a")
		return tarZst(v1(listing(a, a)), a)
	}, ErrDuplicate},
	{"second-manifest", func() []byte {
		a := reg("a.txt", "a")
		return tarZst(v1(listing(a)), a, manifestEntry(v1(nil)))
	}, ErrDuplicate},
	{"file-and-dir", func() []byte {
		a, ab := reg("a", "a"), reg("a/b", "b")
		return tarZst(v1(listing(a, ab)), a, ab)
	}, ErrUnsafe},
	{"manifest-not-first", func() []byte {
		a := reg("a.txt", "a")
		return compress(tarStream(a, manifestEntry(v1(listing(a)))))
	}, ErrNotBundle},
	{"manifest-symlink", func() []byte {
		return compress(tarStream(entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: ManifestName, Linkname: "/etc/passwd"}}))
	}, ErrNotBundle},
	{"manifest-not-json", func() []byte {
		return compress(tarStream(reg(ManifestName, "{\"format\": \"perfcap-bundle\", \"version\": 1,")))
	}, ErrNotBundle},
	{"version-99", func() []byte {
		m := v1(nil)
		m.Version = 99
		return tarZst(m)
	}, ErrVersion},
	{"version-0", func() []byte {
		m := v1(nil)
		m.Version = 0
		return tarZst(m)
	}, ErrVersion},
	{"wrong-format", func() []byte {
		m := v1(nil)
		m.Format = "other-tool"
		return tarZst(m)
	}, ErrNotBundle},
	{"bad-sha256", func() []byte {
		a := reg("a.txt", "a")
		files := listing(a)
		files[0].SHA256 = strings.ToUpper(files[0].SHA256)
		return tarZst(v1(files), a)
	}, ErrNotBundle},
	{"size-mismatch", func() []byte {
		a := reg("a.txt", "a")
		return tarZst(v1(listing(a)), reg("a.txt", "a longer a"))
	}, ErrSize},
	{"checksum-mismatch", func() []byte {
		// One byte flipped inside a member, the stream recompressed.
		a := reg("timeline.csv", string(csv(100)))
		b := reg("timeline.csv", string(csv(100)))
		b.data[500] ^= 0x01
		return tarZst(v1(listing(a)), b)
	}, ErrChecksum},
	{"missing", func() []byte {
		a := reg("a.txt", "a")
		return tarZst(v1(listing(a, reg("b.txt", "b"))), a)
	}, ErrMissing},
	{"truncated", func() []byte {
		data := validBundle()
		return data[:len(data)*2/3]
	}, ErrCorrupt},
	{"flipped-byte", func() []byte {
		data := validBundle()
		data[len(data)-100] ^= 0x40
		return data
	}, ErrCorrupt},
	{"trailing-zeros", func() []byte {
		a := reg("a.txt", "a")
		return compress(append(tarStream(manifestEntry(v1(listing(a))), a), make([]byte, maxPadding+1)...))
	}, ErrCorrupt},
	{"trailing-data", func() []byte {
		a := reg("a.txt", "a")
		return compress(append(tarStream(manifestEntry(v1(listing(a))), a), "trailing"...))
	}, ErrCorrupt},
	{"bomb", func() []byte {
		// A 3 GiB member of zeros in about 100 KB of RLE blocks, listed as
		// 1000 bytes: refused from its tar header, never decompressed.
		m := tarStream(manifestEntry(v1([]File{{Path: "big.bin", Size: 1000, SHA256: strings.Repeat("0", 64)}})))
		var hdr bytes.Buffer
		if err := tar.NewWriter(&hdr).WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "big.bin", Size: 3 << 30, Mode: 0o644}); err != nil {
			panic(err)
		}
		m = append(m[:len(m)-1024], hdr.Bytes()...) // in place of the trailer
		return bundletest.ZstdFrame(7<<3, m, 3<<30+1024)
	}, ErrTooLarge},
	{"bomb-listed", func() []byte {
		m := tarStream(manifestEntry(v1([]File{{Path: "big.bin", Size: 3 << 30, SHA256: strings.Repeat("0", 64)}})))
		return bundletest.ZstdFrame(7<<3, m, 0)
	}, ErrTooLarge},
	{"huge-window", func() []byte {
		// A frame that asks for a 1 GiB window, past DecoderMaxMemory.
		return bundletest.ZstdFrame(20<<3, tarStream(manifestEntry(v1(nil))), 0)
	}, ErrTooLarge},
	{"plain-tar", func() []byte {
		return tarStream(manifestEntry(v1(nil)))
	}, ErrNotBundle},
	{"zstd-not-tar", func() []byte {
		return compress(bytes.Repeat([]byte("not a tar stream\n"), 100))
	}, ErrNotBundle},
	{"garbage", func() []byte {
		return bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 64)
	}, ErrNotBundle},
	{"empty", func() []byte { return nil }, ErrNotBundle},
}

// paxHeader is a PAX extended header block for the entry that follows,
// with records the tar writer refuses to write.
func paxHeader(name string, records map[string]string) []byte {
	var data []byte
	for _, k := range slices.Sorted(maps.Keys(records)) {
		rec := " " + k + "=" + records[k] + "\n"
		n := len(rec)
		for n != len(strconv.Itoa(n))+len(rec) {
			n = len(strconv.Itoa(n)) + len(rec)
		}
		data = append(data, strconv.Itoa(n)+rec...)
	}
	b := tarStream(reg("PaxHeaders/"+name, string(data)))
	b = b[:len(b)-1024]
	b[156] = tar.TypeXHeader
	copy(b[148:156], "        ")
	var sum int
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// validBundle is the reference bundle as Writer writes it.
func validBundle() []byte {
	data, err := os.ReadFile(filepath.Join("testdata", "valid.tar.zst"))
	if err != nil {
		panic(err)
	}
	return data
}

// TestCraftedSeeds checks that testdata/ holds what the generators above
// make, and with -update rewrites it:
//
//	go test ./bundle -run TestCraftedSeeds -update
func TestCraftedSeeds(t *testing.T) {
	dir := t.TempDir()
	valid, err := os.ReadFile(writeTestBundle(t, dir, "valid.tar.zst"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, filepath.Join("testdata", "valid.tar.zst"), valid)
	for _, c := range hostile {
		check(t, filepath.Join("testdata", "hostile", c.name+".tar.zst"), c.build())
	}
}

// check compares the committed file path with data, or writes it with -update.
func check(t *testing.T, path string, data []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test ./bundle -run TestCraftedSeeds -update", err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("%s (%d bytes) differs from what its generator makes (%d bytes); run go test ./bundle -run TestCraftedSeeds -update and review the change",
			path, len(got), len(data))
	}
}

// TestHostile feeds every committed crafted bundle to the readers: each is
// refused with its sentinel in a one-line message naming the bundle, and
// Extract leaves nothing behind, inside or outside its directory.
func TestHostile(t *testing.T) {
	for _, c := range hostile {
		t.Run(c.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "hostile", c.name+".tar.zst"))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, c.name+".tar.zst")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			checkRefused := func(op string, err error) {
				t.Helper()
				switch {
				case !errors.Is(err, c.want):
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
			err = Walk(path, func(File, io.Reader) error { return nil })
			checkRefused("Walk", err)
			_, err = Extract(path, filepath.Join(dir, "out"))
			checkRefused("Extract", err)
			if got := listDir(t, dir); !slices.Equal(got, []string{c.name + ".tar.zst"}) {
				t.Errorf("after Extract the directory holds %q", got)
			}
			if _, err := ReadManifest(path); err != nil {
				checkRefused("ReadManifest", err)
			}
		})
	}
}
