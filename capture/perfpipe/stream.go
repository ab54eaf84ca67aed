package perfpipe

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// A recording in chunks: perf record writes its pipe-mode output (-o -) to
// perfcap, which cuts it into chunk files that perf script reads one at a
// time while the command runs (package capture's perfChunks), so that the
// perf output on disk at once stays under a bound however long the run.
//
// perf script needs more than a chunk's own records: the event attributes
// and features perf record writes once at the start (header records,
// types 64 and up), and the side-band records (mmap, comm, fork, exit)
// that say which file each process of the tree had mapped where, which
// perf record writes only when they happen. Without them a sample is
// neither unwound nor named. perf record --switch-output rotates files,
// but re-synthesises the side band only for the task it attached to (perf
// 6.1): in later files a child's samples, the benchmark under cargo, come
// out as "[unknown]". So perfcap cuts the stream itself, and starts every
// chunk with the header records and the side band of every process that
// may still be sampled.
//
// The stream is a 16-byte header (the magic PERFILE2 and the header's
// size, 16) and records, each a perf_event_header (type u32, misc u16,
// size u16) and its body (include/uapi/linux/perf_event.h,
// tools/lib/perf/include/perf/event.h).

// Bounds of what a stream holds in memory.
const (
	// maxTracingData bounds the tracepoint formats a stream may carry,
	// MaxTracking (bytes) the side band kept for later chunks: past it, the
	// processes' later records are not repeated (a tree of thousands of
	// live processes), and their samples in later chunks may be unnamed.
	maxTracingData = 64 << 20
	MaxTracking    = 64 << 20
	// maxHeld bounds what is read after a chunk's end before it is cut: a
	// round is at most perf's buffers (512 KiB a CPU by default), but a
	// stream could lack rounds.
	maxHeld = 64 << 20
)

// Chunk is one chunk file, complete.
type Chunk struct {
	Path string
	Seq  int // 1, 2, ... in the stream's order
	Size int64
}

// Stats is what a stream held.
type Stats struct {
	Chunks int
	// HighWater is the most bytes of chunk files on disk at once.
	HighWater int64
	// Samples counts the samples written to chunks, Dropped those left out
	// to stay under the bound.
	Samples, Dropped int64
	// Tasks counts forks and lost events as ReadTasks does.
	Tasks Tasks
	// Untracked counts the side-band records not repeated in later
	// chunks past MaxTracking.
	Untracked int64
}

// Stream cuts a pipe-mode perf record output into chunk files in dir
// of about target bytes each. The chunk files not yet released stay under
// bound bytes: a sample that would pass seven eighths of it is dropped and
// counted; the rest is for the side band, which is never dropped. Done is
// called with each complete chunk, from the goroutine running Read;
// Release deletes it. Make one with NewStream.
//
// A chunk ends with a round (a FINISHED_ROUND record: perf has emptied
// every CPU's buffer once) after reaching target. Records are ordered by
// time only across two rounds: perf script sorts a round's records once
// the next round has ended, since a record of round N+1 may be older than
// one of round N (it sat in another CPU's buffer), never older than round
// N-1's. So the side band a chunk's last samples need may come in the
// round after its end, which the chunk therefore gets too (perf script
// reads it again in the next chunk, where it belongs); and a process that
// exited in the last two rounds may still have samples to come, so its
// records are repeated once more.
type Stream struct {
	dir           string
	bound, target int64
	done          func(Chunk)

	mu     sync.Mutex
	onDisk int64
	stats  Stats

	header  []byte
	prelude [][]byte // header records, which every chunk repeats
	track   tracking
	cur     *os.File
	w       *bufio.Writer
	curSize int64
	seq     int
	pos     int64 // stream offset of the record being read
	round   int   // rounds read
	// held is what comes after a chunk's end, read before the chunk is
	// cut: the round after it, or, for a chunk cut inside a round, the
	// rest of that round and the next one; nil when no chunk waits for its
	// end. heldRounds counts the round ends still to come.
	held       []heldRecord
	heldSize   int64
	heldRounds int
}

// NewStream returns a Stream that cuts chunk files of about target bytes
// into dir, keeps those not yet released under bound bytes, and calls done
// with each complete chunk.
func NewStream(dir string, bound, target int64, done func(Chunk)) *Stream {
	return &Stream{dir: dir, bound: bound, target: target, done: done}
}

// heldRecord is a record of a held round, and its stream offset.
type heldRecord struct {
	rec []byte
	pos int64
}

// streamError is a malformed stream, at offset.
func streamError(offset int64, format string, a ...any) error {
	return fmt.Errorf("perf's output: offset %d: %s", offset, fmt.Sprintf(format, a...))
}

// Read cuts the stream r until its end. The chunk being written is
// completed at the end and when the stream turns out malformed, whose
// error says where.
func (s *Stream) Read(r io.Reader) (err error) {
	defer func() {
		var ferr error
		for s.held != nil && ferr == nil {
			ferr = s.cutHeld() // its records may hold the next chunk
		}
		if ferr == nil {
			ferr = s.cut()
		}
		if err == nil {
			err = ferr
		}
	}()
	br := bufio.NewReaderSize(r, 64<<10)
	hdr := make([]byte, pipeHeaderSize)
	if _, err := io.ReadFull(br, hdr); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // perf wrote nothing: it did not start
		}
		return streamError(0, "%v", err)
	}
	le := binary.LittleEndian
	if le.Uint64(hdr) != magic || le.Uint64(hdr[8:]) != pipeHeaderSize {
		return streamError(0, "expected the pipe-mode header (PERFILE2, 16 bytes), found %q", hdr)
	}
	s.header, s.pos = hdr, pipeHeaderSize
	var buf []byte
	for {
		rec, err := s.next(br, &buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.add(rec, s.pos); err != nil {
			return err
		}
		s.pos += int64(len(rec))
	}
}

// next reads one record, with the tracepoint formats that follow a
// tracing-data record, into *buf.
func (s *Stream) next(br *bufio.Reader, buf *[]byte) ([]byte, error) {
	le := binary.LittleEndian
	var h [eventHeaderLen]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, streamError(s.pos, "the stream ends inside a record header")
		}
		return nil, err
	}
	typ, size := le.Uint32(h[:]), int(le.Uint16(h[6:]))
	if size < eventHeaderLen {
		return nil, streamError(s.pos, "record of type %d claims %d bytes, less than its header", typ, size)
	}
	switch typ {
	case recordAuxtrace:
		return nil, streamError(s.pos, "AUX area data (an event such as intel_pt), which perfcap does not record in chunks")
	case recordCompressed, recordCompressed2:
		return nil, streamError(s.pos, "compressed records (perf record -z), which perfcap does not ask for")
	}
	rec := append((*buf)[:0], h[:]...)
	rec = append(rec, make([]byte, size-eventHeaderLen)...)
	if _, err := io.ReadFull(br, rec[eventHeaderLen:]); err != nil {
		return nil, streamError(s.pos, "record of type %d (%d bytes) cut short: %v", typ, size, err)
	}
	if typ == recordTracingData {
		if size < eventHeaderLen+4 {
			return nil, streamError(s.pos, "tracing-data record of %d bytes, too short for its size", size)
		}
		n := int(le.Uint32(rec[eventHeaderLen:]))
		if n > maxTracingData {
			return nil, streamError(s.pos, "tracing data of %d bytes, more than %d", n, maxTracingData)
		}
		// Grown as the bytes come: a size that lies costs no memory.
		b := bytes.NewBuffer(rec)
		if got, err := io.CopyN(b, br, int64(n)); err != nil {
			return nil, streamError(s.pos, "tracing data of %d bytes cut short after %d: %v", n, got, err)
		}
		rec = b.Bytes()
	}
	*buf = rec
	return rec, nil
}

// add takes one record, read at offset pos: into what is held after a
// chunk's end, or into the current chunk.
func (s *Stream) add(rec []byte, pos int64) error {
	if s.held == nil {
		return s.put(rec, pos)
	}
	s.held = append(s.held, heldRecord{clone(rec), pos})
	s.heldSize += int64(len(rec))
	if binary.LittleEndian.Uint32(rec) == recordFinishedRound {
		s.heldRounds--
	}
	if s.heldRounds == 0 || s.heldSize >= maxHeld {
		return s.cutHeld()
	}
	return nil
}

// cutHeld ends the chunk waiting for what comes after it: the chunk gets
// its side band, then it goes on into the next chunk (which may in turn
// wait for its end).
func (s *Stream) cutHeld() error {
	held := s.held
	if held == nil {
		return nil
	}
	s.held, s.heldSize = nil, 0
	for _, h := range held {
		if typ := binary.LittleEndian.Uint32(h.rec); typ != recordSample && typ < recordUserTypeStart {
			if err := s.write(h.rec); err != nil {
				return err
			}
		}
	}
	if err := s.cut(); err != nil {
		return err
	}
	for _, h := range held {
		if err := s.add(h.rec, h.pos); err != nil {
			return err
		}
	}
	return nil
}

// put writes one record, read at offset pos, into the current chunk and
// the state every later chunk repeats.
func (s *Stream) put(rec []byte, pos int64) error {
	le := binary.LittleEndian
	typ := le.Uint32(rec)
	if typ == recordSample {
		s.mu.Lock()
		drop := s.onDisk+int64(len(rec)) > s.bound-s.bound/8
		if drop {
			s.stats.Dropped++
		} else {
			s.stats.Samples++
		}
		s.mu.Unlock()
		if drop {
			return nil
		}
	}
	if err := s.start(); err != nil {
		return err
	}
	switch {
	case typ == recordFinishedRound || typ == recordSample:
	case typ >= recordUserTypeStart:
		s.prelude = append(s.prelude, clone(rec))
	default:
		tracked := s.track.size+len(rec) <= MaxTracking
		if tracked {
			if err := s.track.add(clone(rec), pos, s.round); err != nil {
				return err
			}
		}
		s.count(typ, rec, tracked)
	}
	if err := s.write(rec); err != nil {
		return err
	}
	switch {
	case typ == recordFinishedRound:
		s.round++
		if s.curSize >= s.target {
			s.held, s.heldRounds = []heldRecord{}, 1
		}
	case s.curSize >= 2*s.target:
		// A long round: cut inside it, once the rest of it and the next
		// one are read.
		s.held, s.heldRounds = []heldRecord{}, 2
	}
	return nil
}

// count adds forks and lost events to the task counts, and a side-band
// record past MaxTracking to Untracked.
func (s *Stream) count(typ uint32, rec []byte, tracked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !tracked {
		s.stats.Untracked++
	}
	s.stats.Tasks.add(typ, rec[eventHeaderLen:])
}

// start opens the next chunk, if none is open, with the stream header, the
// header records and the side band of the processes that may still be
// sampled.
func (s *Stream) start() error {
	if s.cur != nil {
		return nil
	}
	s.seq++
	f, err := os.Create(filepath.Join(s.dir, fmt.Sprintf("chunk-%06d.data", s.seq)))
	if err != nil {
		return fmt.Errorf("creating a chunk of perf's output: %w", err)
	}
	s.cur, s.w, s.curSize = f, bufio.NewWriterSize(f, 64<<10), 0
	if err := s.write(s.header); err != nil {
		return err
	}
	for _, rec := range s.prelude {
		if err := s.write(rec); err != nil {
			return err
		}
	}
	for _, rec := range s.track.replay() {
		if err := s.write(rec); err != nil {
			return err
		}
	}
	return nil
}

func (s *Stream) write(b []byte) error {
	if _, err := s.w.Write(b); err != nil {
		return fmt.Errorf("writing a chunk of perf's output: %w", err)
	}
	s.curSize += int64(len(b))
	s.mu.Lock()
	s.onDisk += int64(len(b))
	s.stats.HighWater = max(s.stats.HighWater, s.onDisk)
	s.mu.Unlock()
	return nil
}

// cut completes the current chunk and hands it to done.
func (s *Stream) cut() error {
	if s.cur == nil {
		return nil
	}
	err := s.w.Flush()
	if cerr := s.cur.Close(); err == nil {
		err = cerr
	}
	c := Chunk{Path: s.cur.Name(), Seq: s.seq, Size: s.curSize}
	s.cur, s.w = nil, nil
	s.track.collect(s.round)
	if err != nil {
		s.Release(c)
		return fmt.Errorf("writing a chunk of perf's output: %w", err)
	}
	s.mu.Lock()
	s.stats.Chunks++
	s.mu.Unlock()
	s.done(c)
	return nil
}

// Release deletes a chunk that perf script has read. It may be called
// from any goroutine.
func (s *Stream) Release(c Chunk) {
	_ = os.Remove(c.Path)
	s.mu.Lock()
	s.onDisk -= c.Size
	s.mu.Unlock()
}

// Load is the share of the bound that chunk files take now, 0 to 1.
func (s *Stream) Load() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return float64(s.onDisk) / float64(s.bound)
}

// Stats returns what the stream held so far; it may be called while
// Read runs.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// tracking is the side band a chunk starts with: the records of
// every process that may still be sampled, in the stream's order. A
// process's records go once it has exited, unless a process it forked
// without exec still runs (perf gives a forked child a copy of its
// parent's mappings); an exec starts a process anew, and a thread's own
// records go when it exits.
type tracking struct {
	entries []trackEntry
	procs   map[uint32]*trackProc // the current process of each pid
	size    int                   // bytes of the entries' records
}

// trackEntry is one side-band record; proc is nil for the kernel's.
type trackEntry struct {
	rec    []byte
	proc   *trackProc
	tid    uint32
	thread bool // a thread's own record, gone with the thread
	gone   int  // 1 + the round the thread exited in; 0 while it runs
}

// trackProc is one process, from its fork or exec to its exit.
type trackProc struct {
	parent *trackProc // the process it was forked from, until it execs
	alive  bool
	ended  int // the round it exited or exec'd in, once not alive
}

func (p *trackProc) end(round int) { p.alive, p.ended = false, round }

// add appends a side-band record read at offset in round.
func (t *tracking) add(rec []byte, offset int64, round int) error {
	le := binary.LittleEndian
	typ, misc, b := le.Uint32(rec), le.Uint16(rec[4:]), rec[eventHeaderLen:]
	switch typ {
	case recordMmap, recordMmap2, recordComm, recordNamespaces, recordFork, recordExit:
	default:
		// The kernel's (ksymbol, bpf, cgroup, text poke) and the
		// records perf script does not need to place a sample.
		if typ == recordKsymbol || typ == recordBPFEvent || typ == recordCgroup || typ == recordTextPoke {
			t.keep(trackEntry{rec: rec})
		}
		return nil
	}
	need := 8
	if typ == recordFork || typ == recordExit {
		need = 16
	}
	if len(b) < need {
		return streamError(offset, "record of type %d has %d bytes, less than its %d", typ, len(rec), need+eventHeaderLen)
	}
	if t.procs == nil {
		t.procs = make(map[uint32]*trackProc)
	}
	pid, tid := le.Uint32(b), le.Uint32(b[4:])
	if typ == recordFork || typ == recordExit {
		tid = le.Uint32(b[8:])
	}
	if (typ == recordMmap || typ == recordMmap2) && pid == ^uint32(0) {
		t.keep(trackEntry{rec: rec}) // the kernel's map
		return nil
	}
	e := trackEntry{rec: rec, tid: tid, thread: tid != pid}
	switch {
	case typ == recordFork && pid != le.Uint32(b[4:]):
		e.proc = &trackProc{parent: t.procs[le.Uint32(b[4:])], alive: true}
		t.procs[pid] = e.proc
	case typ == recordComm && misc&miscCommExec != 0:
		if old := t.procs[pid]; old != nil {
			old.end(round)
		}
		e.proc = &trackProc{alive: true}
		t.procs[pid] = e.proc
	case typ == recordExit && tid != pid:
		t.threadExit(t.procOf(pid), tid, round)
		return nil
	default:
		e.proc = t.procOf(pid)
		if typ == recordMmap || typ == recordMmap2 {
			e.thread = false // a mapping is the process's
		}
		if typ == recordExit {
			e.proc.end(round)
		}
	}
	t.keep(e)
	return nil
}

func (t *tracking) keep(e trackEntry) {
	t.entries = append(t.entries, e)
	t.size += len(e.rec)
}

func (t *tracking) procOf(pid uint32) *trackProc {
	p := t.procs[pid]
	if p == nil {
		p = &trackProc{alive: true}
		t.procs[pid] = p
	}
	return p
}

// threadExit marks the records of a thread that ended in round.
func (t *tracking) threadExit(p *trackProc, tid uint32, round int) {
	for i := range t.entries {
		if e := &t.entries[i]; e.proc == p && e.thread && e.tid == tid && e.gone == 0 {
			e.gone = round + 1
		}
	}
}

// collect drops the records no sample after round can need: those of
// the processes that ended two rounds ago or more.
func (t *tracking) collect(round int) {
	needed := make(map[*trackProc]bool)
	for _, e := range t.entries {
		if p := e.proc; p != nil && (p.alive || p.ended >= round-1) {
			for q := p; q != nil && !needed[q]; q = q.parent {
				needed[q] = true
			}
		}
	}
	kept := t.entries[:0]
	t.size = 0
	for _, e := range t.entries {
		if (e.gone == 0 || e.gone-1 >= round-1) && (e.proc == nil || needed[e.proc]) {
			kept = append(kept, e)
			t.size += len(e.rec)
		}
	}
	clear(t.entries[len(kept):])
	t.entries = kept
	for pid, p := range t.procs {
		if !needed[p] {
			delete(t.procs, pid)
		}
	}
}

// replay returns the records kept, in order.
func (t *tracking) replay() [][]byte {
	out := make([][]byte, 0, len(t.entries))
	for _, e := range t.entries {
		out = append(out, e.rec)
	}
	return out
}
