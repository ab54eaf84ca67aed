package flame

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ScriptChunk reads perf record's pipe-mode output as FoldPerfData reads
// perf.data: the same recording, turned into a stream by perf inject,
// gives text that folds into the same stacks, inlined frames included;
// and the texts of two chunks fold in one pass as one text.
func TestScriptChunkReadsAStreamAsFoldPerfDataReadsAFile(t *testing.T) {
	data := record(t, filepath.Join("testdata", "inline", "inl-dwarf5.elf"), "3000000")
	stream := filepath.Join(t.TempDir(), "stream.data")
	out, err := exec.Command("perf", "inject", "-i", data, "-o", "-").Output()
	if err != nil {
		t.Skipf("perf inject cannot write a stream here: %v", err)
	}
	if err := os.WriteFile(stream, out, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := PerfDataOptions{Fold: FoldOptions{Annotate: true}}
	want, err := FoldPerfData(context.Background(), data, opts)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	st, err := ScriptChunk(context.Background(), stream, &text, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.Inlined == 0 || strings.Contains(text.String(), "PERF_RECORD_") {
		t.Errorf("inline stats %+v; the text should carry inlined frames and no side-band records", st)
	}
	got, err := FoldScriptProfile(bytes.NewReader(text.Bytes()), "chunk", opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got.Stacks, want.Stacks, stackEqual) {
		t.Errorf("the stream's text folds into %d stacks, perf.data into %d", len(got.Stacks), len(want.Stacks))
	}
	// Twice the text, as two chunks: twice every count.
	twice, err := FoldScriptProfile(strings.NewReader(text.String()+"\n"+text.String()), "chunks", opts)
	if err != nil {
		t.Fatal(err)
	}
	if twice.Stats.Samples != 2*want.Stats.Samples {
		t.Errorf("two chunks fold into %d samples, want %d", twice.Stats.Samples, 2*want.Stats.Samples)
	}
}

func stackEqual(a, b Stack) bool { return a.Count == b.Count && slices.Equal(a.Frames, b.Frames) }
