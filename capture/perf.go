package capture

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/perfcap/perfcap/capture/perfpipe"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
	"golang.org/x/sys/unix"
)

// PerfOptions asks Run to record CPU stacks of the whole tree with perf.
type PerfOptions struct {
	// Dir receives perf.data and perf.log.
	Dir string
	// Freq is the sampling frequency in Hz; 0 picks 99 for dwarf unwinding
	// (each sample copies a stack) and 999 otherwise.
	Freq int
	// CallGraph is "auto", "fp", "dwarf", "dwarf,SIZE" or "lbr". auto
	// means dwarf,16384 for cargo (Rust release builds have no frame
	// pointers) and fp otherwise.
	CallGraph string
	// Event is the perf event; "" picks cycles where the machine has a
	// PMU and cpu-clock where it has none.
	Event string
	// MaxSize bounds perf.data (perf record --max-size), e.g. "512M";
	// with Spool, the perf output on disk at once.
	MaxSize string
	// clockID is the clock asked of perf record -k; "" means
	// CLOCK_MONOTONIC. Tests set a clock perf refuses, to see the
	// fallback.
	clockID string
	// Spool, when set, records in chunks (perfChunks): perf's output is
	// cut into chunks in Dir, and each chunk's perf script text goes to
	// Spool while the command runs, so that stacks cover the whole run.
	// NoInline leaves the inlined functions out of that text.
	Spool    string
	NoInline bool
}

// perfClock is the clock perf stamps samples with, so that they can be
// placed on the run's timeline (PerfResult.ClockStart).
const perfClock = "CLOCK_MONOTONIC"

// PerfResult says what perf recorded, or exactly why it did not.
type PerfResult struct {
	format.PerfRecording
	// Data is the perf.data path, Log perf's own messages.
	Data string `json:"-"`
	Log  string `json:"-"`
	// ClockStart is the reading of perf's clock (PerfRecording.Clock,
	// when set) at the command's start (Options.Epoch, when set): a
	// sample stamped T by perf script happened T−ClockStart seconds into
	// the run, on the time axis of the samples and of Options.OnLine.
	ClockStart float64 `json:"-"`
	// Binaries are the programs and code files of the tree's processes,
	// held open since each process was seen (see symbolKeeper), for
	// flame.PerfDataOptions.Binaries; Close releases them.
	Binaries []flame.Binary `json:"-"`
	// For a recording in chunks (PerfOptions.Spool), Data is empty:
	// ChunkDir holds the chunks' texts (format.PerfChunks), Chunks says
	// how the recording went, ChunkInline what the inline reader added,
	// ChunkWarnings what went wrong in the reading.
	ChunkDir      string                 `json:"-"`
	Chunks        *format.PerfChunkStats `json:"-"`
	ChunkInline   flame.InlineStats      `json:"-"`
	ChunkWarnings []string               `json:"-"`
	tasks         *perfpipe.Tasks        // the stream's count of forks
}

// Close releases the files of Binaries.
func (r *PerfResult) Close() error {
	for _, b := range r.Binaries {
		b.File.Close()
	}
	r.Binaries = nil
	return nil
}

// perfSession is a perf record attached to the command.
type perfSession struct {
	pid  int
	done chan struct{} // closed by the reaper when perf exited
	// ctl and ack stay open while perf runs: perf polls them, and a closed
	// end makes it spin.
	ctl, ack *os.File
}

// planPerf fills in the defaults and says why perf cannot run, if it cannot.
func planPerf(opts *PerfOptions, argv0 string) *PerfResult {
	res := &PerfResult{PerfRecording: format.PerfRecording{Freq: opts.Freq, CallGraph: opts.CallGraph, Event: opts.Event}}
	if _, err := exec.LookPath("perf"); err != nil {
		res.Reason = "perf is not installed"
		res.Fix = "apt-get install linux-perf (Debian) or the linux-tools package of your distribution"
		return res
	}
	paranoid := readIntFile("/proc/sys/kernel/perf_event_paranoid")
	if os.Geteuid() != 0 && paranoid > 2 {
		res.Reason = fmt.Sprintf("perf is not allowed to sample: kernel.perf_event_paranoid=%d", paranoid)
		res.Fix = "sudo sysctl kernel.perf_event_paranoid=1"
		return res
	}
	if kptr := readIntFile("/proc/sys/kernel/kptr_restrict"); kptr >= 2 || (kptr == 1 && os.Geteuid() != 0) {
		res.Notes = append(res.Notes, fmt.Sprintf(
			"kernel symbols are hidden (kernel.kptr_restrict=%d): kernel frames show as [unknown]; fix: sudo sysctl kernel.kptr_restrict=0", kptr))
	}
	if res.CallGraph == "" || res.CallGraph == "auto" {
		res.CallGraph = "fp"
		if filepath.Base(argv0) == "cargo" {
			res.CallGraph = "dwarf,16384"
		}
	}
	if res.Freq == 0 {
		res.Freq = 999
		if strings.HasPrefix(res.CallGraph, "dwarf") {
			res.Freq = 99
		}
	}
	if res.Event == "" {
		res.Event = "cpu-clock"
		if hasCyclesPMU() {
			res.Event = "cycles"
		}
	}
	return res
}

// hasCyclesPMU probes the hardware cycles counter with perf_event_open on
// perfcap itself: machines without a PMU (most VMs) answer ENOENT.
func hasCyclesPMU() bool {
	attr := unix.PerfEventAttr{
		Type:   unix.PERF_TYPE_HARDWARE,
		Config: unix.PERF_COUNT_HW_CPU_CYCLES,
		Size:   uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Bits:   unix.PerfBitDisabled | unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv,
	}
	fd, err := unix.PerfEventOpen(&attr, 0, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// startPerf attaches perf record to pid (the shim, not yet released) and
// returns once perf has enabled its events, so nothing the command does
// escapes it. It asks perf for CLOCK_MONOTONIC timestamps, and records
// without them when perf refuses (a perf or kernel older than 4.1): the
// stacks matter more than their times. On failure the result says why
// and the command runs anyway.
func (r *runner) startPerf(res *PerfResult, pid int) *perfSession {
	clock := cmp.Or(r.opts.Perf.clockID, perfClock)
	if ps := r.recordPerf(res, pid, clock); ps != nil {
		res.Clock = clock
		return ps
	}
	why := res.Reason
	res.Reason, res.Fix = "", ""
	ps := r.recordPerf(res, pid, "")
	if ps != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("perf record refused -k %s (%s): its samples cannot be placed on the run's timeline, "+
			"so there are no per-benchmark profiles; fix: a perf and a kernel of Linux 4.1 or later", clock, why))
	}
	return ps
}

// recordPerf starts perf record on pid with the timestamps of clock ("":
// perf's own).
func (r *runner) recordPerf(res *PerfResult, pid int, clock string) *perfSession {
	opts := r.opts.Perf
	res.Data = filepath.Join(opts.Dir, "perf.data")
	res.Log = filepath.Join(opts.Dir, "perf.log")
	fail := func(format string, a ...any) *perfSession {
		res.Recorded = false
		res.Reason = fmt.Sprintf(format, a...)
		return nil
	}
	// perf's control channel is two pipes on its fds 3 and 4 (--control
	// fd:3,4): no FIFO paths, whose commas perf would misread.
	ctlR, ctl, err := os.Pipe()
	if err != nil {
		return fail("creating perf's control pipe: %v", err)
	}
	defer ctlR.Close()
	ack, ackW, err := os.Pipe()
	if err != nil {
		ctl.Close()
		return fail("creating perf's control pipe: %v", err)
	}
	defer ackW.Close()
	logf, err := os.Create(res.Log)
	if err != nil {
		ctl.Close()
		ack.Close()
		return fail("creating perf.log: %v", err)
	}
	defer logf.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		ctl.Close()
		ack.Close()
		return fail("%v", err)
	}
	defer null.Close()
	args := []string{"perf", "record", "-q", "-p", strconv.Itoa(pid),
		"-e", res.Event, "-F", strconv.Itoa(res.Freq), "--call-graph", res.CallGraph,
		"-D", "-1", "--control", "fd:3,4"}
	stdout, startReading, err := r.perfOutput(res, &args, logf)
	if err != nil {
		ctl.Close()
		ack.Close()
		return fail("%v", err)
	}
	if clock != "" {
		args = append(args, "-k", clock)
	}
	path, _ := exec.LookPath("perf")
	// Its own process group: a Ctrl-C meant for the command must not stop
	// the recording early.
	attr := &os.ProcAttr{
		Files: []*os.File{null, stdout, logf, ctlR, ackW},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	}
	ps := &perfSession{ctl: ctl, ack: ack}
	ps.pid, ps.done, err = r.kids.startManaged(path, args, attr)
	startReading()
	if err != nil {
		ctl.Close()
		ack.Close()
		return fail("starting perf: %v", err)
	}
	ackW.Close() // perf holds the write end now: EOF on ack means perf is gone
	if _, err := ctl.WriteString("enable\n"); err != nil {
		r.stopPerf(ps)
		return fail("talking to perf: %v", err)
	}
	got := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(ack).ReadString('\n')
		got <- strings.HasPrefix(line, "ack")
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !r.kids.exited(ps.done) {
		select {
		case ok := <-got:
			if ok {
				res.Recorded = true
				return ps
			}
			deadline = time.Time{}
		case <-time.After(20 * time.Millisecond):
		}
	}
	r.stopPerf(ps)
	res.Reason, res.Fix = perfFailure(res.Log)
	return nil
}

// stopPerf ends the recording: perf stops by itself when the traced
// processes are gone, but descendants left running would keep it going.
func (r *runner) stopPerf(ps *perfSession) {
	defer ps.ctl.Close()
	defer ps.ack.Close()
	if r.kids.waitExit(ps.done, 200*time.Millisecond) {
		return
	}
	_ = unix.Kill(ps.pid, unix.SIGINT)
	if r.kids.waitExit(ps.done, 10*time.Second) {
		return
	}
	_ = unix.Kill(ps.pid, unix.SIGKILL)
	r.kids.waitExit(ps.done, time.Hour)
}

// perfFailure reads perf.log for the reason perf gave up.
func perfFailure(logPath string) (reason, fix string) {
	b, _ := os.ReadFile(logPath)
	text := strings.TrimSpace(string(b))
	// perf starts some messages with a bare "Error:" line: the news is on
	// the next one.
	var first string
	for line := range strings.SplitSeq(text, "\n") {
		if line = strings.TrimSpace(line); line != "" && line != "Error:" {
			first = line
			break
		}
	}
	switch {
	case strings.Contains(text, "perf_event_paranoid"):
		return "perf is not allowed to sample: " + first, "sudo sysctl kernel.perf_event_paranoid=1"
	case strings.Contains(text, "ermission") || strings.Contains(text, "EACCES"):
		return "perf has no permission to sample: " + first, "run perfcap as root, or sudo sysctl kernel.perf_event_paranoid=1"
	case first == "":
		return "perf did not start recording", "run `perf record -p PID` by hand to see why"
	}
	return "perf failed: " + first, "run `perf record -- true` by hand to see why"
}

func readIntFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}
