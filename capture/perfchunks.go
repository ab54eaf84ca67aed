package capture

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/perfcap/perfcap/capture/perfpipe"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/units"
)

// Chunk sizes: a quarter of the bound, so that a chunk being written and
// two waiting for perf script fit beside the one being read, within
// limits. A small chunk costs a perf script start and a new inline reader
// (debug information parsed again); a large one delays the bundle by its
// reading at the end of the run.
const (
	minChunk = 32 << 10
	maxChunk = 64 << 20
)

// maxChunkWarnings bounds the distinct warnings of the chunks' reading.
const maxChunkWarnings = 20

// perfChunks reads the chunks of a recording while the command runs: each
// complete chunk goes through perf script and flame's InlineReader (with
// the programs symbolKeeper holds) into a zstd text file in
// PerfOptions.Spool (format.CreatePerfChunk), and is then deleted. While
// the command runs one chunk is read at a time, its perf script at the
// lowest priority (SCHED_IDLE, nice 19) so that the command keeps its CPU,
// unless the chunks waiting fill half the bound: then at the normal
// priority, since the alternative is dropping samples. Once the command
// has ended, what is left is read at the normal priority on every CPU.
type perfChunks struct {
	stream *perfpipe.Stream
	opts   *PerfOptions
	kids   *children
	// keeper holds the programs of the tree, once the sampler starts.
	keeper atomic.Pointer[symbolKeeper]

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []perfpipe.Chunk
	reading bool         // perf's output is still being read
	running bool         // the command still runs
	urgent  bool         // the chunks waiting fill half the bound
	low     map[int]bool // the perf scripts at the lowest priority
	stats   format.PerfChunkStats
	inline  flame.InlineStats
	warns   []string
	seen    map[string]bool
	wg      sync.WaitGroup
}

// perfOutput adds perf record's output to args: perf.data in Dir, bounded
// by MaxSize, or, with Spool, its stdout, for a recording in chunks
// (r.chunks). It returns the file perf writes to, and startReading to
// call once perf has started (or failed to), which closes perfcap's copy
// of perf's end and reads the other.
func (r *runner) perfOutput(res *PerfResult, args *[]string, logf *os.File) (stdout *os.File, startReading func(), err error) {
	opts := r.opts.Perf
	r.chunks = nil
	if opts.Spool == "" {
		*args = append(*args, "-o", res.Data)
		if opts.MaxSize != "" {
			*args = append(*args, "--max-size", opts.MaxSize)
		}
		return logf, func() {}, nil
	}
	pc, err := newPerfChunks(opts, r.kids)
	if err != nil {
		return nil, nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("creating perf's output pipe: %w", err)
	}
	// A larger pipe: perf must never wait for perfcap, or its buffers
	// overflow and the kernel drops samples.
	_, _ = unix.FcntlInt(pw.Fd(), unix.F_SETPIPE_SZ, 1<<20)
	res.Data = ""
	*args = append(*args, "-o", "-")
	r.chunks = pc
	return pw, func() {
		pw.Close()
		pc.wg.Add(1)
		go pc.work()
		go pc.read(pr)
	}, nil
}

// binaries returns the programs the run's symbolKeeper holds so far.
func (pc *perfChunks) binaries() []flame.Binary {
	if k := pc.keeper.Load(); k != nil {
		return k.binaries()
	}
	return nil
}

// newPerfChunks prepares the reading of a recording in chunks of opts.Dir
// whose text goes to opts.Spool.
func newPerfChunks(opts *PerfOptions, kids *children) (*perfChunks, error) {
	bound, err := units.ParseSize(opts.MaxSize)
	if err != nil || opts.MaxSize == "" {
		bound = 512 << 20
	}
	if err := os.MkdirAll(opts.Spool, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", opts.Spool, err)
	}
	pc := &perfChunks{opts: opts, kids: kids, reading: true, running: true,
		low: make(map[int]bool), seen: make(map[string]bool)}
	pc.cond = sync.NewCond(&pc.mu)
	pc.stats.DiskBoundBytes = bound
	pc.stream = perfpipe.NewStream(opts.Dir, bound, min(max(bound/4, minChunk), maxChunk), pc.enqueue)
	return pc, nil
}

// read cuts perf's output r into chunks until its end, for the worker.
func (pc *perfChunks) read(r *os.File) {
	err := pc.stream.Read(r)
	if err != nil {
		pc.warn(err.Error() + " (the rest of the recording is lost)")
		_, _ = io.Copy(io.Discard, r) // perf must not block on a full pipe
	}
	r.Close()
	pc.mu.Lock()
	pc.reading = false
	pc.cond.Broadcast()
	pc.mu.Unlock()
}

// enqueue hands a complete chunk to the workers; from the stream's
// goroutine.
func (pc *perfChunks) enqueue(c perfpipe.Chunk) {
	load := pc.stream.Load()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.queue = append(pc.queue, c)
	switch {
	case load >= 0.5 && !pc.urgent:
		pc.urgent = true
		for pid := range pc.low {
			setPriority(pid, false)
		}
	case load < 0.25:
		pc.urgent = false
	}
	pc.cond.Signal()
}

// next waits for a chunk to read; false when there will be none.
func (pc *perfChunks) next() (c perfpipe.Chunk, low, ok bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for len(pc.queue) == 0 && pc.reading {
		pc.cond.Wait()
	}
	if len(pc.queue) == 0 {
		return c, false, false
	}
	c, pc.queue = pc.queue[0], pc.queue[1:]
	return c, pc.running && !pc.urgent, true
}

func (pc *perfChunks) work() {
	defer pc.wg.Done()
	for {
		c, low, ok := pc.next()
		if !ok {
			return
		}
		pc.process(c, low)
	}
}

// process reads one chunk. Its perf script runs at the lowest priority
// when low; perfcap's own part (the inline reader, zstd: a few
// milliseconds a chunk, where perf script takes about 0.1 s) stays at the
// normal one: a thread of a Go program left waiting for the CPU while it
// holds a lock of the runtime would stall the sampler too. That part runs
// on a thread of its own, for its CPU time (RUSAGE_THREAD).
func (pc *perfChunks) process(c perfpipe.Chunk, low bool) {
	type result struct {
		st      flame.InlineStats
		err     error
		cpu     float64
		running bool
	}
	done := make(chan result, 1)
	go func() {
		// Never unlocked: the thread ends with this goroutine.
		runtime.LockOSThread()
		var before, after unix.Rusage
		_ = unix.Getrusage(unix.RUSAGE_THREAD, &before)
		pc.mu.Lock()
		running := pc.running
		pc.mu.Unlock()
		st, scriptCPU, err := pc.script(c, low)
		_ = unix.Getrusage(unix.RUSAGE_THREAD, &after)
		cpu := scriptCPU + tvSeconds(after.Utime) + tvSeconds(after.Stime) - tvSeconds(before.Utime) - tvSeconds(before.Stime)
		done <- result{st, err, cpu, running}
	}()
	r := <-done
	pc.stream.Release(c)
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.stats.CPUSeconds += r.cpu
	if r.running {
		pc.stats.DuringRun++
		pc.stats.RunCPUSeconds += r.cpu
	}
	if r.err != nil {
		pc.stats.Failed++
		pc.warnLocked(fmt.Sprintf("chunk %d of the recording: %v", c.Seq, r.err))
		return
	}
	pc.inline.Binaries += r.st.Binaries
	pc.inline.Addresses += r.st.Addresses
	pc.inline.Inlined += r.st.Inlined
	pc.inline.Named += r.st.Named
}

// script runs perf script over chunk c into its text file, at the lowest
// priority when low and the chunks waiting do not fill half the bound.
func (pc *perfChunks) script(c perfpipe.Chunk, low bool) (flame.InlineStats, float64, error) {
	w, err := format.CreatePerfChunk(pc.opts.Spool, c.Seq)
	if err != nil {
		return flame.InlineStats{}, 0, err
	}
	var cpu float64
	run := func(cmd *exec.Cmd) error {
		child := 0
		t, err := pc.kids.runHelper(cmd, func(pid int) {
			pc.mu.Lock()
			if low && pc.running && !pc.urgent {
				setPriority(pid, true)
				pc.low[pid], child = true, pid
			}
			pc.mu.Unlock()
		})
		pc.mu.Lock()
		delete(pc.low, child) // its pid may be another process's soon
		pc.mu.Unlock()
		cpu += t
		return err
	}
	st, err := flame.ScriptChunk(context.Background(), c.Path, w, flame.PerfDataOptions{
		NoInline: pc.opts.NoInline, Binaries: pc.binaries(), Run: run, TempDir: pc.opts.Dir, Warn: pc.warn,
	})
	if err != nil {
		w.Abort()
		return st, cpu, err
	}
	return st, cpu, w.Commit()
}

// started notes what perf records beside the chunks' texts, for
// `perfcap bundle` to say when it folds them after perfcap was killed.
func (pc *perfChunks) started(rec format.PerfRecording) {
	if err := format.WritePerfChunksRecording(pc.opts.Spool, format.PerfChunksRecording{Recording: rec, NoInline: pc.opts.NoInline}); err != nil {
		pc.warn(err.Error())
	}
}

// ended is called once the command has ended: the chunks are read at
// the normal priority from now on.
func (pc *perfChunks) ended() {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.running, pc.urgent = false, true
	for pid := range pc.low {
		setPriority(pid, false)
	}
}

// finish is called once perf has exited: the chunks left are read on
// every CPU.
func (pc *perfChunks) finish() {
	pc.ended()
	for range runtime.NumCPU() - 1 {
		pc.wg.Add(1)
		go pc.work()
	}
	pc.wg.Wait()
}

// result fills res with what the recording in chunks did.
func (pc *perfChunks) result(res *PerfResult) {
	st := pc.stream.Stats()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	stats := pc.stats
	stats.Count = st.Chunks
	stats.DiskHighWaterBytes = st.HighWater
	stats.DroppedSamples = st.Dropped
	res.Chunks = &stats
	res.ChunkDir = pc.opts.Spool
	res.ChunkInline = pc.inline
	res.ChunkWarnings = append([]string(nil), pc.warns...)
	if st.Untracked > 0 {
		res.ChunkWarnings = append(res.ChunkWarnings, fmt.Sprintf(
			"the processes of the recording mapped more than %d MiB of files: %d of their records were not repeated in later chunks, whose samples of them may be unnamed",
			perfpipe.MaxTracking>>20, st.Untracked))
	}
	res.tasks = &st.Tasks
}

func (pc *perfChunks) warn(msg string) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.warnLocked(msg)
}

func (pc *perfChunks) warnLocked(msg string) {
	if pc.seen[msg] || len(pc.warns) >= maxChunkWarnings {
		return
	}
	pc.seen[msg] = true
	pc.warns = append(pc.warns, msg)
}

// setPriority puts task tid (a perf script of a chunk) at the lowest priority
// (SCHED_IDLE, and nice 19 where SCHED_IDLE is refused) or back at the
// normal one. Going back may be refused to a user without CAP_SYS_NICE
// whose RLIMIT_NICE is 0; the chunk is then read at the lowest priority.
func setPriority(tid int, lowest bool) {
	if lowest {
		_ = unix.Setpriority(unix.PRIO_PROCESS, tid, 19)
		_ = unix.SchedSetAttr(tid, &unix.SchedAttr{Policy: unix.SCHED_IDLE, Nice: 19}, 0)
		return
	}
	_ = unix.SchedSetAttr(tid, &unix.SchedAttr{Policy: unix.SCHED_NORMAL}, 0)
	_ = unix.Setpriority(unix.PRIO_PROCESS, tid, 0)
}
