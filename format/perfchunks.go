package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/perfcap/perfcap/internal/atomicfile"
)

// A recording in chunks leaves, in a run's staging directory, the perf
// script text of each chunk as soon as perf script has read it: in
// PerfChunksDir, one zstd file per chunk named by its place in the
// recording (000001.txt.zst, 000002.txt.zst, ...), and the recording's
// settings in PerfChunksRecordingFile. The folder never enters a bundle
// as it is: the fold of all its texts does (perf/), at the end of the run
// or, when perfcap was killed, by `perfcap bundle`.
const (
	PerfChunksDir           = "perf-chunks"
	PerfChunksRecordingFile = "recording.json"
	perfChunkSuffix         = ".txt.zst"
)

// perfChunkWindow is the zstd window of a chunk's text, which also bounds
// what the reader accepts: perf script text repeats itself within a few
// samples.
const perfChunkWindow = 1 << 20

// PerfChunkWriter writes the text of one chunk. The file appears under
// its name only once Commit has succeeded, so a chunk in the folder is
// always whole.
type PerfChunkWriter struct {
	path string
	f    *atomicfile.File
	zw   *zstd.Encoder
}

// CreatePerfChunk starts the text of chunk seq (1, 2, ...) in dir.
func CreatePerfChunk(dir string, seq int) (*PerfChunkWriter, error) {
	path := filepath.Join(dir, fmt.Sprintf("%06d%s", seq, perfChunkSuffix))
	f, err := atomicfile.Create(path, 0o600)
	if err != nil {
		return nil, err
	}
	zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithLowerEncoderMem(true), zstd.WithWindowSize(perfChunkWindow))
	if err != nil {
		f.Abort()
		return nil, err
	}
	return &PerfChunkWriter{path: path, f: f, zw: zw}, nil
}

func (w *PerfChunkWriter) Write(p []byte) (int, error) { return w.zw.Write(p) }

// Commit completes the chunk and puts it in place, synced to the disk.
func (w *PerfChunkWriter) Commit() error {
	err := w.zw.Close()
	if err == nil {
		err = w.f.Commit(true)
	} else {
		w.f.Abort()
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", w.path, err)
	}
	return nil
}

// Abort drops the chunk.
func (w *PerfChunkWriter) Abort() {
	w.zw.Close()
	w.f.Abort()
}

// PerfChunks lists the chunk texts in dir, in the recording's order. A
// missing folder holds none.
func PerfChunks(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type chunk struct {
		seq  int
		path string
	}
	var chunks []chunk
	for _, e := range entries {
		num, ok := strings.CutSuffix(e.Name(), perfChunkSuffix)
		seq, err := strconv.Atoi(num)
		if !ok || err != nil || seq <= 0 || !e.Type().IsRegular() {
			continue
		}
		chunks = append(chunks, chunk{seq, filepath.Join(dir, e.Name())})
	}
	slices.SortFunc(chunks, func(a, b chunk) int { return a.seq - b.seq })
	paths := make([]string, len(chunks))
	for i, c := range chunks {
		paths[i] = c.path
	}
	return paths, nil
}

// PerfChunksReader reads the texts of chunks one after the other, each
// followed by a blank line so that no record runs into the next chunk's,
// opening one file at a time.
type PerfChunksReader struct {
	paths []string
	f     *os.File
	zr    *zstd.Decoder
	sep   bool // the blank line after the current chunk is due
}

// OpenPerfChunks reads the chunk texts at paths, in that order.
func OpenPerfChunks(paths []string) *PerfChunksReader {
	return &PerfChunksReader{paths: paths}
}

func (r *PerfChunksReader) Read(p []byte) (int, error) {
	for {
		if r.sep {
			if len(p) == 0 {
				return 0, nil
			}
			r.sep = false
			p[0] = '\n'
			return 1, nil
		}
		if r.zr == nil {
			if len(r.paths) == 0 {
				return 0, io.EOF
			}
			if err := r.open(r.paths[0]); err != nil {
				return 0, err
			}
			r.paths = r.paths[1:]
		}
		n, err := r.zr.Read(p)
		if err == io.EOF {
			r.closeFile()
			r.sep = true
			err = nil
		}
		if err != nil {
			return n, fmt.Errorf("reading %s: %w", r.f.Name(), err)
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (r *PerfChunksReader) open(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(perfChunkWindow), zstd.WithDecoderMaxMemory(perfChunkWindow))
	if err != nil {
		f.Close()
		return fmt.Errorf("reading %s: %w", path, err)
	}
	r.f, r.zr = f, zr
	return nil
}

func (r *PerfChunksReader) closeFile() {
	if r.zr != nil {
		r.zr.Close()
		r.f.Close()
		r.zr = nil
	}
}

// Close closes the file being read.
func (r *PerfChunksReader) Close() error {
	r.closeFile()
	r.paths = nil
	return nil
}

// PerfChunksRecording is what perf was asked to record, for `perfcap
// bundle` to say when it folds the chunks of a killed run.
type PerfChunksRecording struct {
	Recording PerfRecording `json:"recording"`
	// NoInline is set when the texts leave inlined functions out.
	NoInline bool `json:"no_inline,omitempty"`
}

// WritePerfChunksRecording writes rec into dir.
func WritePerfChunksRecording(dir string, rec PerfChunksRecording) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, PerfChunksRecordingFile), b, 0o600, true)
}

// ReadPerfChunksRecording reads what WritePerfChunksRecording wrote in
// dir; an error wrapping os.ErrNotExist means the run did not record in
// chunks.
func ReadPerfChunksRecording(dir string) (PerfChunksRecording, error) {
	var rec PerfChunksRecording
	path := filepath.Join(dir, PerfChunksRecordingFile)
	f, err := os.Open(path)
	if err != nil {
		return rec, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("%s: %w", path, err)
	}
	return rec, nil
}
