package assemble

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/google/pprof/profile"

	"github.com/perfcap/perfcap/analysis"
	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/units"
)

// PerfInput is a perf recording to turn into a bundle's perf/ files.
type PerfInput struct {
	// Recording says whether perf recorded, and how, or why not.
	Recording format.PerfRecording
	// Data is perf.data's path; Log the file of perf's own messages.
	Data, Log string
	// Keep also puts perf.data itself into the bundle.
	Keep bool
	// Title is the flamegraph's title.
	Title string
	// ShallowFix is the advice given when the stacks are shallow.
	ShallowFix string
	// Read says how perf.data is read (Fold, Run, TempDir, Warn); the
	// profile is always built.
	Read flame.PerfDataOptions
	// UserCode tells the user's code apart for the analysis (see
	// UserCode); the zero value decides from the profile alone.
	UserCode analysis.Options
	// Benchmarks are where the run measured each benchmark, in seconds
	// since the command started: each gets its own profile under
	// perf/bench/, from the same pass over the samples. They need a
	// recording whose Clock is set.
	Benchmarks []bench.BenchWindow
	// ClockStart is perf's clock at the command's start
	// (capture.PerfResult.ClockStart).
	ClockStart float64
	// ChunkDir, for a recording in chunks, holds the perf script texts of
	// its chunks (format.PerfChunks), folded in order in one pass in
	// place of Data; Chunks says how the recording went, ChunkInline what
	// the inline reader added to the texts.
	ChunkDir    string
	Chunks      *format.PerfChunkStats
	ChunkInline flame.InlineStats
}

// Perf turns in into perf/flame.svg, perf/folded.txt, perf/profile.pb.gz
// (and perf/perf.log, perf/perf.data on request) and fills sum.Perf with
// the hot spots. Problems become warnings in sum, never a failed bundle.
func Perf(ctx context.Context, w *bundle.Writer, in PerfInput, sum *format.Summary) {
	ps := &format.Perf{PerfRecording: in.Recording}
	sum.Perf = ps
	if in.Log != "" {
		if b, err := os.ReadFile(in.Log); err == nil && len(bytes.TrimSpace(b)) > 0 {
			_ = w.AddBytes("perf/perf.log", b)
			if bytes.Contains(b, []byte("size limit reached")) {
				ps.Truncated = true
				sum.Warnings = append(sum.Warnings, "perf stopped recording when perf.data reached its size limit (--perf-max-size): the stacks cover only the start of the run; raise --perf-max-size or lower --perf-freq")
			}
		}
	}
	sum.Warnings = append(sum.Warnings, in.Recording.Notes...)
	if !in.Recording.Recorded {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("no CPU stacks: %s; fix: %s", in.Recording.Reason, in.Recording.Fix))
		return
	}
	read := in.Read
	read.Profile = true
	if read.Comment == "" {
		read.Comment = in.Data
	}
	ps.Chunks = in.Chunks
	sum.Warnings = append(sum.Warnings, chunkWarnings(in.Chunks)...)
	benches := benchWindows(&in, &read, sum)
	pd, err := foldRecording(ctx, in, read)
	if err == nil && len(pd.Stacks) == 0 {
		err = flame.ErrEmpty
	}
	if err != nil {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("no CPU stacks: %v", err))
		return
	}
	stacks, prof := pd.Stacks, pd.Profile
	ps.NoInline = read.NoInline
	if w := symbolCoverage(ps, &pd.Stats); w != "" {
		sum.Warnings = append(sum.Warnings, w)
	}
	sum.Warnings = append(sum.Warnings, writeProfile(w, "perf/", stacks, prof, in.Title)...)
	ps.Benchmarks, err = benchProfiles(w, benches, pd.Windows, in.Title, in.UserCode)
	if err != nil {
		sum.Warnings = append(sum.Warnings, err.Error())
	}
	if in.Keep {
		if err := w.AddFile("perf/perf.data", in.Data); err != nil {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("perf/perf.data: %v", err))
		}
	}
	hot := flame.Hot(stacks, 10)
	hot.AddSourceLines(prof)
	ps.Hot, ps.Samples = &hot, hot.Weight
	ps.Analysis = analysis.Analyze(prof, in.UserCode)
	ps.MedianDepth = flame.MedianDepth(stacks)
	if ps.MedianDepth <= 2 && !ps.Truncated {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf(
			"CPU stacks are shallow (median depth %.0f): callers are missing; %s", ps.MedianDepth, in.ShallowFix))
	}
}

// writeProfile writes flame.svg, folded.txt and profile.pb.gz under dir
// ("perf/", "perf/bench/NAME/"), and returns what could not be written.
func writeProfile(w *bundle.Writer, dir string, stacks []flame.Stack, prof *profile.Profile, title string) (warnings []string) {
	steps := []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"flame.svg", func(b *bytes.Buffer) error { return flame.WriteSVG(b, stacks, flame.SVGOptions{Title: title}) }},
		{"folded.txt", func(b *bytes.Buffer) error { return flame.WriteFolded(b, stacks) }},
		{"profile.pb.gz", func(b *bytes.Buffer) error { return flame.WriteProfile(b, prof) }},
	}
	for _, s := range steps {
		var b bytes.Buffer
		err := s.write(&b)
		if err == nil {
			err = w.AddBytes(dir+s.name, b.Bytes())
		}
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s%s: %v", dir, s.name, err))
		}
	}
	return warnings
}

// foldRecording folds perf.data, or the texts of a recording in chunks.
func foldRecording(ctx context.Context, in PerfInput, read flame.PerfDataOptions) (*flame.PerfData, error) {
	if in.ChunkDir == "" {
		return flame.FoldPerfData(ctx, in.Data, read)
	}
	paths, err := format.PerfChunks(in.ChunkDir)
	if err != nil {
		return nil, err
	}
	r := format.OpenPerfChunks(paths)
	defer r.Close()
	pd, err := flame.FoldScriptProfile(r, fmt.Sprintf("the %d chunks of the recording", len(paths)), read)
	if pd != nil {
		pd.Inline = in.ChunkInline
	}
	return pd, err
}

// chunkWarnings says what a recording in chunks missed.
func chunkWarnings(st *format.PerfChunkStats) []string {
	if st == nil {
		return nil
	}
	var w []string
	if st.DroppedSamples > 0 {
		w = append(w, fmt.Sprintf("perf's output filled --perf-max-size (%s on disk) faster than perf script read it: %d samples were left out; "+
			"raise --perf-max-size or lower --perf-freq", units.FormatSize(st.DiskBoundBytes), st.DroppedSamples))
	}
	if st.Failed > 0 {
		w = append(w, fmt.Sprintf("perf script could not read %d of the %d chunks of the recording: their samples are missing", st.Failed, st.Count))
	}
	return w
}
