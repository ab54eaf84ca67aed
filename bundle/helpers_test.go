package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// created is the fixed creation time of the test bundles.
var created = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

// testFiles is the content of the reference bundle: a subdirectory, an
// empty file and more than one block of text.
func testFiles() map[string][]byte {
	return map[string][]byte{
		"summary.json":       []byte("{\n  \"peak_rss\": 1048576\n}\n"),
		"timeline.csv":       csv(2000),
		"logs/stdout.log":    []byte("hello\n"),
		"logs/stderr.log":    {},
		"perf/flame.svg":     []byte("<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"),
		"facts/machine.json": []byte("{\"cpus\": 8}\n"),
	}
}

func testManifest() Manifest {
	return Manifest{
		PerfcapVersion: "v0.1.0-test",
		Created:        created,
		Command:        []string{"sleep", "1"},
		Cwd:            "/src",
		Started:        created.Add(-2 * time.Second),
		Ended:          created.Add(-time.Second),
		Exit:           Exit{Code: 0},
	}
}

// csv returns n lines resembling a perfcap timeline.
func csv(n int) []byte {
	var b bytes.Buffer
	b.WriteString("t_ms,pid,cpu_pct,rss_bytes,read_bytes,write_bytes\n")
	for i := range n {
		b.WriteString(strings.Join([]string{
			itoa(i * 100), itoa(4000 + i%7), itoa(i * 37 % 800), itoa(1<<20 + i*4096%(1<<24)),
			itoa(i * 512), itoa(i * 1024 % 99991),
		}, ","))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func itoa(i int) string { return strconv.Itoa(i) }

// writeTestBundle writes the reference bundle to dir/name with Writer.
func writeTestBundle(t testing.TB, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	w, err := NewWriter(path, testRedactor{})
	if err != nil {
		t.Fatal(err)
	}
	files := testFiles()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := w.AddBytes(name, files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(testManifest()); err != nil {
		t.Fatal(err)
	}
	return path
}

// entry is one member of a crafted archive: any header, any data.
type entry struct {
	hdr  tar.Header
	data []byte
}

// reg is a regular file entry whose header matches its data.
func reg(name string, data string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: 0o644, ModTime: created.Truncate(time.Second)}, data: []byte(data)}
}

// listing returns the manifest entries for regular entries as they are.
func listing(entries ...entry) []File {
	files := []File{}
	for _, e := range entries {
		sum := sha256.Sum256(e.data)
		files = append(files, File{Path: e.hdr.Name, Size: int64(len(e.data)), SHA256: hex.EncodeToString(sum[:])})
	}
	return files
}

// manifestEntry is manifest.json for m as Writer would store it, except
// that Format and Version are taken as given.
func manifestEntry(m Manifest) entry {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err)
	}
	return reg(ManifestName, string(append(data, '\n')))
}

// v1 is a valid version 1 manifest listing files.
func v1(files []File) Manifest {
	m := testManifest()
	m.Format, m.Version, m.Files = Format, Version, files
	return m
}

// tarStream writes entries with the header fields as given.
func tarStream(entries ...entry) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			panic(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			panic(err)
		}
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// compress zstd-compresses data as Writer does.
func compress(data []byte) []byte {
	var b bytes.Buffer
	zw, err := zstd.NewWriter(&b, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err)
	}
	if _, err := zw.Write(data); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// tarZst is a crafted bundle: manifest m first, then entries.
func tarZst(m Manifest, entries ...entry) []byte {
	return compress(tarStream(append([]entry{manifestEntry(m)}, entries...)...))
}

// listDir returns the names under dir, recursively, slash-separated.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// testRedactor hides the word SECRET, enough to see that every file and
// name passes through the writer's redaction step.
type testRedactor struct{}

func (testRedactor) String(s string) string { return strings.ReplaceAll(s, "SECRET", "[redacted]") }

func (r testRedactor) RedactFile(name string, dst io.Writer, src io.Reader) error {
	b, err := io.ReadAll(src)
	if err != nil {
		return err
	}
	_, err = io.WriteString(dst, r.String(string(b)))
	return err
}
