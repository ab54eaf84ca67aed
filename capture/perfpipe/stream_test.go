package perfpipe

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// buildBurn compiles testdata/perf/burn.c with debug information, or
// skips.
func buildBurn(t *testing.T) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler (apt-get install gcc) to build the burn program")
	}
	src, err := filepath.Abs("testdata/perf/burn.c")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "burn")
	if out, err := exec.Command(cc, "-g", "-O1", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	return bin
}

// scriptSample is one sample as perf script prints it: its header
// (comm, tid, time) and its frames' symbols, innermost first, joined by
// ";".
type scriptSample struct{ head, stack string }

// scriptSamples runs perf script over a pipe-mode stream and returns the
// samples of comm.
func scriptSamples(t *testing.T, stream, comm string) []scriptSample {
	t.Helper()
	f, err := os.Open(stream)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("perf", "script", "-i", "-", "-F", "comm,tid,time,ip,sym")
	cmd.Stdin = f
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("perf script -i - < %s: %v\n%s", stream, err, stderr.String())
	}
	var samples []scriptSample
	for rec := range strings.SplitSeq(string(out), "\n\n") {
		lines := strings.Split(strings.TrimSpace(rec), "\n")
		if len(lines) < 2 || !strings.HasPrefix(strings.TrimSpace(lines[0]), comm+" ") {
			continue
		}
		var syms []string
		for _, l := range lines[1:] {
			if f := strings.Fields(l); len(f) >= 2 {
				syms = append(syms, f[1])
			}
		}
		samples = append(samples, scriptSample{strings.Join(strings.Fields(lines[0]), " "), strings.Join(syms, ";")})
	}
	return samples
}

// identities returns each sample's header and sampled function, sorted,
// and how many were unwound through main.
func identities(samples []scriptSample) (ids []string, unwound int) {
	for _, s := range samples {
		leaf, _, _ := strings.Cut(s.stack, ";")
		ids = append(ids, s.head+" "+leaf)
		if strings.Contains(s.stack, "burn_outer;main;") {
			unwound++
		}
	}
	slices.Sort(ids)
	return ids, unwound
}

// A real dwarf recording of children forked and exec'd at different times,
// cut into many chunks: every chunk reads on its own, the children's
// samples in later chunks are unwound through main, and no sample is lost
// or doubled.
func TestStreamChunksReadOnTheirOwn(t *testing.T) {
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: apt-get install linux-perf); .ci/run installs it")
	}
	burn := buildBurn(t)
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.data")
	rec := exec.Command("perf", "record", "-q", "-e", "cpu-clock", "-F", "499", "--call-graph", "dwarf,8192", "-o", "-", "--",
		"sh", "-c", burn+" 1.5 & sleep 0.3; "+burn+" 1; wait")
	var stderr bytes.Buffer
	rec.Stderr = &stderr
	out, err := rec.Output()
	if err != nil {
		t.Skipf("perf cannot record here: %v\n%s", err, stderr.String())
	}
	if err := os.WriteFile(whole, out, 0o644); err != nil {
		t.Fatal(err)
	}
	var chunks []Chunk
	s := &Stream{dir: dir, bound: 1 << 30, target: 128 << 10, done: func(c Chunk) { chunks = append(chunks, c) }}
	if err := s.Read(bytes.NewReader(out)); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if len(chunks) < 5 || st.Chunks != len(chunks) || st.Dropped != 0 {
		t.Fatalf("%d chunks (stats %+v) of a %d-byte stream cut at 128 KiB", len(chunks), st, len(out))
	}
	want, wantUnwound := identities(scriptSamples(t, whole, "burn"))
	var samples []scriptSample
	for _, c := range chunks {
		samples = append(samples, scriptSamples(t, c.Path, "burn")...)
	}
	got, unwound := identities(samples)
	if len(want) < 500 || float64(wantUnwound) < 0.9*float64(len(want)) {
		t.Fatalf("the whole stream holds %d samples of burn, %d unwound through main: want most of 2.5 s of CPU at 499 Hz", len(want), wantUnwound)
	}
	// Each sample once, from the same thread at the same time in the same
	// function, and unwound as well. (perf unwinds a little better from a
	// chunk: there a process that exec'd is not the copy of its parent
	// that the whole stream's fork made it, whose stale libc stops some
	// stacks at __libc_start_call_main.)
	if !slices.Equal(got, want) {
		t.Errorf("the chunks hold %d samples of burn, the whole stream %d; first %q, %q", len(got), len(want), got[0], want[0])
	}
	if float64(unwound) < 0.99*float64(wantUnwound) {
		t.Errorf("%d samples of the chunks unwound through main, %d of the whole stream", unwound, wantUnwound)
	}
	if int64(len(got)) > st.Samples {
		t.Errorf("stats count %d samples, perf script read %d of burn alone", st.Samples, len(got))
	}
	if st.Tasks.Processes < 3 {
		t.Errorf("forks %+v: sh started two burns and a sleep", st.Tasks)
	}
}

// streamOf returns a reader of a pipe-mode stream for tests that feed
// records by hand.
func streamOf(records ...[]byte) io.Reader {
	var b bytes.Buffer
	b.WriteString("PERFILE2")
	b.Write([]byte{16, 0, 0, 0, 0, 0, 0, 0})
	for _, r := range records {
		b.Write(r)
	}
	return &b
}

// record builds a perf record of type typ with body words (u32 each) and
// pad bytes of zeros after them.
func record(typ uint32, misc uint16, pad int, words ...uint32) []byte {
	size := eventHeaderLen + 4*len(words) + pad
	b := make([]byte, size)
	le := binary.LittleEndian
	le.PutUint32(b, typ)
	le.PutUint16(b[4:], misc)
	le.PutUint16(b[6:], uint16(size))
	for i, w := range words {
		le.PutUint32(b[eventHeaderLen+4*i:], w)
	}
	return b
}

// Side-band records in the order a real stream gives them.
func fork(pid, ppid, tid uint32) []byte {
	return record(recordFork, 0, 0, pid, ppid, tid, ppid, 1, 0)
}
func exit(pid, tid uint32) []byte { return record(recordExit, 0, 0, pid, pid, tid, tid, 1, 0) }
func execComm(pid uint32) []byte  { return record(recordComm, miscCommExec, 8, pid, pid) }
func comm(pid, tid uint32) []byte { return record(recordComm, 0, 8, pid, tid) }
func mmap2(pid uint32) []byte     { return record(recordMmap2, 0, 64, pid, pid) }
func sample(size int) []byte      { return record(recordSample, 0, size-eventHeaderLen) }

var attr = record(recordUserTypeStart, 0, 120)
var round = record(recordFinishedRound, 0, 0)

// recordsOf lists the records of a chunk file.
func recordsOf(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < pipeHeaderSize || string(b[:8]) != "PERFILE2" {
		t.Fatalf("%s does not start with the pipe header", path)
	}
	var recs [][]byte
	for b = b[pipeHeaderSize:]; len(b) >= eventHeaderLen; {
		n := int(binary.LittleEndian.Uint16(b[6:]))
		recs = append(recs, b[:n])
		b = b[n:]
	}
	return recs
}

// Every chunk starts with the header records and the side band of the
// processes that may still be sampled: an exited process goes unless a
// child it forked without exec still runs; a thread's own records go with
// it; the kernel's stay.
func TestStreamRepeatsTheLiveSideBand(t *testing.T) {
	kernel := record(recordMmap, 0, 64, ^uint32(0), 0)
	stream := streamOf(attr, kernel,
		execComm(100), mmap2(100), // the command
		fork(101, 100, 101), mmap2(101), // a child that never execs
		fork(100, 100, 105), comm(100, 105), // a thread of the command
		fork(102, 100, 102), execComm(102), mmap2(102), // a child that execs
		round, sample(4000), round, // chunk 1 ends after the next round
		exit(100, 105), exit(102, 102), exit(100, 100), round, // thread, exec'd child, command
		sample(4000), round, // chunk 2
		exit(101, 101), round, sample(4000), round, // chunk 3
	)
	var chunks []Chunk
	s := &Stream{dir: t.TempDir(), bound: 1 << 20, target: 4000, done: func(c Chunk) { chunks = append(chunks, c) }}
	if err := s.Read(stream); err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 3 {
		t.Fatalf("%d chunks, want 3", len(chunks))
	}
	// The prologue of each later chunk: the records before its first
	// round's own records, which start after the replay.
	prologue := func(c Chunk, own int) [][]byte {
		recs := recordsOf(t, c.Path)
		return recs[:len(recs)-own]
	}
	want := [][][]byte{
		// Chunk 2: nothing exited yet; the exec'd child starts at its
		// exec, its fork and anything mapped before are gone.
		{attr, kernel, execComm(100), mmap2(100), fork(101, 100, 101), mmap2(101), fork(100, 100, 105), comm(100, 105),
			execComm(102), mmap2(102)},
		// Chunk 3: two rounds after the command exited, its un-exec'd
		// child runs, so the command's maps stay; its thread and the
		// exec'd child go.
		{attr, kernel, execComm(100), mmap2(100), fork(101, 100, 101), mmap2(101), exit(100, 100)},
	}
	// Chunk 1 also gets the exits of the round after it.
	if recs := recordsOf(t, chunks[0].Path); !slices.EqualFunc(recs[len(recs)-3:], [][]byte{exit(100, 105), exit(102, 102), exit(100, 100)}, bytes.Equal) {
		t.Errorf("chunk 1 ends with %v, not the side band of the round after it", types(recs[len(recs)-3:]))
	}
	got2 := prologue(chunks[1], 7)
	got3 := prologue(chunks[2], 4)
	for i, got := range [][][]byte{got2, got3} {
		if !slices.EqualFunc(got, want[i], bytes.Equal) {
			t.Errorf("chunk %d starts with %d records %v, want %d %v", i+2, len(got), types(got), len(want[i]), types(want[i]))
		}
	}
	if st := s.Stats(); st.Tasks.Processes != 2 || st.Tasks.Threads != 1 || st.Samples != 3 {
		t.Errorf("stats %+v: 2 processes and a thread forked, 3 samples", st)
	}
	s.track.collect(s.round)
	if len(s.track.entries) != 1 || len(s.track.procs) != 0 {
		t.Errorf("once all exited, %d records of %d processes are kept; want only the kernel's map", len(s.track.entries), len(s.track.procs))
	}
}

func types(recs [][]byte) []uint32 {
	var ts []uint32
	for _, r := range recs {
		ts = append(ts, binary.LittleEndian.Uint32(r))
	}
	return ts
}

// The chunk files not yet released never pass the bound: while perf
// script lags, samples are dropped and counted, and the side band is
// kept; released chunks make room again.
func TestStreamStaysUnderTheBound(t *testing.T) {
	const bound, n = 64 << 10, 200
	var recs [][]byte
	recs = append(recs, attr, execComm(100), mmap2(100))
	for i := range n {
		recs = append(recs, sample(1000))
		if i%5 == 4 {
			recs = append(recs, mmap2(100), round)
		}
	}
	for _, keep := range []bool{true, false} {
		var held []Chunk
		var s *Stream
		s = &Stream{dir: t.TempDir(), bound: bound, target: bound / 4, done: func(c Chunk) {
			if keep {
				held = append(held, c) // perf script never gets to them
			} else {
				s.Release(c)
			}
		}}
		if err := s.Read(streamOf(recs...)); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		if st.HighWater > bound {
			t.Errorf("keep=%v: %d bytes on disk at once, over the bound of %d", keep, st.HighWater, bound)
		}
		if st.Samples+st.Dropped != n {
			t.Errorf("keep=%v: %d samples written and %d dropped of %d", keep, st.Samples, st.Dropped, n)
		}
		if keep && (st.Dropped == 0 || st.Samples < 40) {
			t.Errorf("held chunks: %d samples written, %d dropped; want the bound's worth written and the rest dropped", st.Samples, st.Dropped)
		}
		if !keep && st.Dropped != 0 {
			t.Errorf("chunks released as they come: %d samples dropped", st.Dropped)
		}
		var mmaps int
		for _, c := range held {
			for _, r := range recordsOf(t, c.Path) {
				if binary.LittleEndian.Uint32(r) == recordMmap2 {
					mmaps++
				}
			}
		}
		if keep && mmaps < n/5 {
			t.Errorf("%d mmap records in the chunks, want the %d of the stream at least: the side band is never dropped", mmaps, n/5)
		}
	}
}

func TestStreamErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream io.Reader
		want   string
	}{
		{"file-mode perf.data", bytes.NewReader(append([]byte("PERFILE2"), 104, 0, 0, 0, 0, 0, 0, 0)), "offset 0: expected the pipe-mode header"},
		{"short header", bytes.NewReader([]byte("PERFILE2\x10")), "offset 0: unexpected EOF"},
		{"record shorter than its header", streamOf(attr, record(recordSample, 0, 0)[:6], []byte{4, 0}), "offset 144: record of type 9 claims 4 bytes"},
		{"cut short", streamOf(attr, sample(100)[:50]), "offset 144: record of type 9 (100 bytes) cut short"},
		{"cut in a header", streamOf(attr, sample(100)[:5]), "offset 144: the stream ends inside a record header"},
		{"aux", streamOf(record(recordAuxtrace, 0, 40)), "offset 16: AUX area data"},
		{"compressed", streamOf(attr, record(recordCompressed, 0, 40)), "offset 144: compressed records"},
		{"tracing data that lies", streamOf(record(recordTracingData, 0, 4, 1<<20)), "offset 16: tracing data of 1048576 bytes cut short after 0"},
		{"fork too short", streamOf(record(recordFork, 0, 0, 1)), "offset 16: record of type 7 has 12 bytes, less than its 24"},
		{"fork too short in the round after a chunk", streamOf(attr, sample(2000), round, record(recordFork, 0, 0, 1)), "offset 2152: record of type 7 has 12"},
	} {
		s := &Stream{dir: t.TempDir(), bound: 1 << 20, target: 1 << 10, done: func(Chunk) {}}
		err := s.Read(tc.stream)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "perf's output: offset ") {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzStream cuts arbitrary bytes: chunks or an error saying where,
// never a panic, and the bound holds.
func FuzzStream(f *testing.F) {
	real, err := os.ReadFile("testdata/perf/pipe.data")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	f.Add(real[:len(real)/2])
	b, _ := io.ReadAll(streamOf(attr, execComm(1), fork(2, 1, 2), mmap2(2), sample(300), round, exit(2, 2), sample(300), round))
	f.Add(b)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		var s *Stream
		s = &Stream{dir: dir, bound: 16 << 10, target: 2 << 10, done: func(c Chunk) { s.Release(c) }}
		if err := s.Read(bytes.NewReader(b)); err != nil && !strings.HasPrefix(err.Error(), "perf's output: offset ") {
			t.Fatalf("error without its offset: %v", err)
		}
		if st := s.Stats(); st.HighWater > 16<<10+64<<10 {
			t.Fatalf("%d bytes on disk at once", st.HighWater)
		}
	})
}

// A round longer than two chunks is cut inside, and the chunk gets the
// side band of the rest of that round and of the next one: an exec read
// after the cut may be older than the samples before it (they sat in
// another CPU's buffer). Seen on a real recording whose first round held
// 260 KiB of a child's samples before its exec.
func TestStreamCutInsideALongRound(t *testing.T) {
	stream := streamOf(attr, sample(3000), sample(3000), // past twice the target: cut here
		sample(3000), execComm(300), mmap2(300), sample(3000), round, // the rest of the round
		sample(100), mmap2(300), round, // the next round
		sample(100), execComm(301), round) // later
	var chunks []Chunk
	s := &Stream{dir: t.TempDir(), bound: 1 << 20, target: 2000, done: func(c Chunk) { chunks = append(chunks, c) }}
	if err := s.Read(stream); err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 2 {
		t.Fatalf("%d chunks", len(chunks))
	}
	want := [][]byte{attr, sample(3000), sample(3000), execComm(300), mmap2(300), mmap2(300)}
	if got := recordsOf(t, chunks[0].Path); !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("chunk 1 holds %v, want %v", types(got), types(want))
	}
	var samples int
	for _, c := range chunks {
		for _, r := range recordsOf(t, c.Path) {
			if binary.LittleEndian.Uint32(r) == recordSample {
				samples++
			}
		}
	}
	if samples != 6 {
		t.Errorf("%d samples in the chunks, want the stream's 6 once each", samples)
	}
}
