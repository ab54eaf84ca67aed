package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/perfcap/perfcap/bundle/bundletest"
)

// manyTinyFiles writes a bundle of n tiny files under attach/ (plus
// summary.json), as a hostile or just unusual run could make.
func manyTinyFiles(t testing.TB, n int) string {
	t.Helper()
	members := []bundletest.Member{{Name: "summary.json", Data: []byte("{}\n")}}
	for i := range n {
		members = append(members, bundletest.Member{Name: fmt.Sprintf("attach/f%06d", i), Data: fmt.Appendf(nil, "tiny %d\n", i)})
	}
	path := filepath.Join(t.TempDir(), "many.tar.zst")
	if err := bundletest.WriteTarZst(path, bundletest.Manifest(bundletest.Listing(members...), nil), members...); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExportZipManyFiles: 100,000 tiny files export in one write, the
// planned size within 1 % of the real one, and under a cap the plan drops
// no more than it must. The time is logged, not asserted.
func TestExportZipManyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 100,000-file bundle three times")
	}
	src := manyTinyFiles(t, 99_999)
	out := filepath.Join(t.TempDir(), "many.zip")
	start := time.Now()
	rep, err := ExportZip(src, out, ZipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("100,000 files: %d bytes (planned %d), %d dropped, %d write(s), %v", rep.Size, rep.Estimate, len(rep.Dropped), rep.Writes, time.Since(start).Round(time.Millisecond))
	if len(rep.Dropped) != 0 || rep.Writes != 1 {
		t.Errorf("a %d-byte zip under the 25 MB cap: %d files dropped, %d writes; want none dropped, one write", rep.Size, len(rep.Dropped), rep.Writes)
	}
	if rep.Estimate < rep.Size || rep.Estimate > rep.Size+rep.Size/100 {
		t.Errorf("planned %d bytes for a zip of %d: not within 1 %% above", rep.Estimate, rep.Size)
	}
	m, err := Verify(out)
	if err != nil || len(m.Files) != 100_000 {
		t.Fatalf("Verify of the exported zip: %d files, %v", len(m.Files), err)
	}

	// Half the cap: the plan drops what it must, in one write, and the
	// zip ends close under the cap.
	capped := rep.Size / 2
	rep, err = ExportZip(src, out, ZipOptions{MaxSize: capped})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cap %d: %d bytes (planned %d), %d dropped, %d write(s)", capped, rep.Size, rep.Estimate, len(rep.Dropped), rep.Writes)
	if rep.Size > capped || rep.Size < capped-capped/50 || rep.Writes != 1 {
		t.Errorf("cap %d: a zip of %d bytes in %d writes, want within 2 %% under the cap in one write", capped, rep.Size, rep.Writes)
	}
	m, err = Verify(out)
	if err != nil || len(m.Files)+len(m.Dropped) != 100_000 || len(m.Dropped) != len(rep.Dropped) {
		t.Errorf("Verify of the capped zip: %d files, %d dropped, %v", len(m.Files), len(m.Dropped), err)
	}
}

// BenchmarkExportZip100k exports a bundle of 100,000 tiny files:
//
//	go test ./bundle -run XXX -bench ExportZip100k -benchtime 3x
func BenchmarkExportZip100k(b *testing.B) {
	src := manyTinyFiles(b, 99_999)
	out := filepath.Join(b.TempDir(), "many.zip")
	b.ResetTimer()
	for b.Loop() {
		if _, err := ExportZip(src, out, ZipOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWriteManifest: the manifest written one file at a time is
// MarshalIndent's, byte for byte.
func TestWriteManifest(t *testing.T) {
	m := testManifest()
	m.Format, m.Version = Format, Version
	m.Command = []string{"sh", "-c", "a <b> & \"c\" \u2028 中文"}
	for _, c := range []struct {
		name           string
		files, dropped []File
	}{
		{"no files", []File{}, nil},
		{"files", listing(reg("a.txt", "a"), reg("dir/<b>&.txt", "b"), reg("中文.txt", "c")), nil},
		{"files and dropped", listing(reg("a.txt", "a")), listing(reg("big.bin", "xx"), reg("z.log", "z"))},
		{"only dropped", []File{}, listing(reg("big.bin", "xx"))},
	} {
		m.Files, m.Dropped = c.files, c.dropped
		want, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := writeManifest(&got, m); err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want)+"\n" {
			t.Errorf("%s: writeManifest wrote\n%s\nMarshalIndent\n%s", c.name, got.String(), want)
		}
	}
}
