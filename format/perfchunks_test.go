package format

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Chunk texts written out of order read back in the recording's order,
// each ended by a blank line; a chunk not committed is not there.
func TestPerfChunksRoundTrip(t *testing.T) {
	dir := t.TempDir()
	texts := map[int]string{
		2:  "b 1/1 2.0: 1 cpu-clock:\n\t1 g (/x)\n",
		10: "c 1/1 3.0: 1 cpu-clock:\n\t1 h (/x)\n",
		1:  "a 1/1 1.0: 1 cpu-clock:\n\t1 f (/x)\n",
	}
	for _, seq := range []int{2, 10, 1} {
		w, err := CreatePerfChunk(dir, seq)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, texts[seq]); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	w, err := CreatePerfChunk(dir, 11)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(w, "never committed")
	defer w.Abort()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt.zst"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	paths, err := PerfChunks(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	if want := []string{"000001.txt.zst", "000002.txt.zst", "000010.txt.zst"}; !slices.Equal(names, want) {
		t.Fatalf("PerfChunks = %v, want %v", names, want)
	}
	r := OpenPerfChunks(paths)
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if want := texts[1] + "\n" + texts[2] + "\n" + texts[10] + "\n"; string(b) != want {
		t.Errorf("read %q, want %q", b, want)
	}
	if p, err := PerfChunks(filepath.Join(dir, "missing")); p != nil || err != nil {
		t.Errorf("a missing folder: %v, %v", p, err)
	}
}

// A damaged chunk is named in the error.
func TestPerfChunksReaderNamesADamagedChunk(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "000001.txt.zst")
	if err := os.WriteFile(bad, []byte("not zstd at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := io.ReadAll(OpenPerfChunks([]string{bad}))
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("error %v does not name %s", err, bad)
	}
}

func TestPerfChunksRecordingRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadPerfChunksRecording(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no recording: %v, want os.ErrNotExist", err)
	}
	want := PerfChunksRecording{Recording: PerfRecording{Recorded: true, Event: "cpu-clock", Freq: 99, CallGraph: "dwarf"}, NoInline: true}
	if err := WritePerfChunksRecording(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPerfChunksRecording(dir)
	if err != nil || got.Recording.Event != want.Recording.Event || got.Recording.Freq != 99 || !got.NoInline || !got.Recording.Recorded {
		t.Errorf("read %+v, %v; want %+v", got, err, want)
	}
}
