package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/flame"
)

// Summary is summary.json: the totals of a run or a watch (at the top
// level), what perf found, the benchmarks, and for a watch its verdict.
// Runs and watches fill it through the same code (see Tally), so a figure
// means the same in both.
type Summary struct {
	Totals
	Perf *Perf `json:"perf,omitempty"`
	// Benchmarks and Metrics are what the command's output and files
	// said; Attachments the user's --attach files in the bundle.
	Benchmarks  []bench.Result `json:"benchmarks,omitempty"`
	Metrics     []bench.Metric `json:"metrics,omitempty"`
	Attachments []string       `json:"attachments,omitempty"`
	// Watch is what `perfcap watch` found; nil for a run.
	Watch *Watch `json:"watch,omitempty"`
}

// MaxSummarySize bounds a summary.json that ReadSummary accepts. A real
// one is a few KiB to a few hundred (thousands of benchmarks).
const MaxSummarySize = 16 << 20

// ReadSummary parses summary.json. It refuses input over MaxSummarySize
// before decoding it.
func ReadSummary(r io.Reader) (*Summary, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSummarySize+1))
	if err != nil {
		return nil, fmt.Errorf("reading summary.json: %w", err)
	}
	if len(b) > MaxSummarySize {
		return nil, fmt.Errorf("summary.json: larger than %d bytes", MaxSummarySize)
	}
	s := new(Summary)
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("summary.json: %w", err)
	}
	return s, nil
}

// WriteJSON writes s as summary.json, indented.
func (s *Summary) WriteJSON(w io.Writer) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("summary.json: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// PerfRecording says what perf recorded, or exactly why it did not.
type PerfRecording struct {
	Recorded  bool   `json:"recorded"`
	Event     string `json:"event,omitempty"`
	Freq      int    `json:"frequency_hz,omitempty"`
	CallGraph string `json:"call_graph,omitempty"`
	// Clock is the clock perf stamped its samples with (perf record -k),
	// empty for perf's own, which cannot be placed on the run's timeline.
	Clock string `json:"clock,omitempty"`
	// Reason and Fix are set when nothing was recorded.
	Reason string `json:"reason,omitempty"`
	Fix    string `json:"fix,omitempty"`
	// Notes are what limits the recording without stopping it, each with
	// its fix (kernel symbols hidden by kernel.kptr_restrict).
	Notes []string `json:"notes,omitempty"`
}

// Perf is the perf part of summary.json.
type Perf struct {
	PerfRecording
	// Samples is the number of stacks perf recorded.
	Samples int64 `json:"samples,omitempty"`
	// MedianDepth is the median number of frames per stack; a very small
	// one means unwinding failed.
	MedianDepth float64 `json:"median_depth,omitempty"`
	// Hot lists the functions with the largest shares of the samples.
	Hot *flame.HotSpots `json:"hot,omitempty"`
	// Truncated is set when perf stopped early at its size limit.
	Truncated bool `json:"truncated,omitempty"`
	// Frames counts the frames of all stacks, UnsymbolizedFrames those
	// without a function name (perf's "[unknown]"); UnsymbolizedShare is
	// their share, 0 to 1, set whenever stacks were read.
	Frames             int64    `json:"frames,omitempty"`
	UnsymbolizedFrames int64    `json:"unsymbolized_frames,omitempty"`
	UnsymbolizedShare  *float64 `json:"unsymbolized_share,omitempty"`
	// NoInline is set when the stacks leave inlined functions out
	// (--no-inline).
	NoInline bool `json:"no_inline,omitempty"`
	// Analysis is what the profile says for the report's analysis
	// sections: the user's hottest code, the allocation, lock and system
	// call shares.
	Analysis *Analysis `json:"analysis,omitempty"`
	// Benchmarks are the profiles of each benchmark's measurement, in
	// the order the run measured them.
	Benchmarks []PerfBenchmark `json:"benchmarks,omitempty"`
	// Chunks is set for a recording in chunks.
	Chunks *PerfChunkStats `json:"chunks,omitempty"`
}

// PerfBenchmark is the profile of the samples taken while a benchmark
// harness measured one benchmark (bench.PhaseSplitter's measure phases).
type PerfBenchmark struct {
	// Tool and ID name the benchmark as its result does.
	Tool string `json:"tool"`
	ID   string `json:"id"`
	// Dir holds its flame.svg, folded.txt and profile.pb.gz
	// ("perf/bench/NAME"); empty when no sample fell in its window.
	Dir string `json:"dir,omitempty"`
	// Seconds is how long it was measured, the windows summed; Windows
	// how many there were (Go's -count); Approximate is set when a
	// window's start was not printed but taken from the line before.
	Seconds     float64 `json:"seconds"`
	Windows     int     `json:"windows"`
	Approximate bool    `json:"approximate,omitempty"`
	// Samples is how many samples fell in its windows; Hot its hottest
	// functions.
	Samples int64           `json:"samples"`
	Hot     *flame.HotSpots `json:"hot,omitempty"`
	// Analysis is the analysis of its profile alone.
	Analysis *Analysis `json:"analysis,omitempty"`
}

// PerfChunkStats says how a recording in chunks went: perf's output was
// cut into chunks, each read by perf script as soon as it was complete
// and then deleted, so that at most DiskBoundBytes of it (--perf-max-size)
// were on disk at once, however long the run.
type PerfChunkStats struct {
	// Count is the number of chunks; DuringRun those read while the
	// command ran, Failed those perf script could not read.
	Count     int `json:"count"`
	DuringRun int `json:"during_run"`
	Failed    int `json:"failed,omitempty"`
	// DiskHighWaterBytes is the most perf output on disk at once.
	DiskBoundBytes     int64 `json:"disk_bound_bytes"`
	DiskHighWaterBytes int64 `json:"disk_high_water_bytes"`
	// DroppedSamples counts the samples left out because the chunks not
	// yet read filled the bound.
	DroppedSamples int64 `json:"dropped_samples,omitempty"`
	// CPUSeconds is the CPU the reading of the chunks took (perf script
	// and perfcap's inline reader), RunCPUSeconds the part of it taken
	// while the command ran.
	CPUSeconds    float64 `json:"cpu_seconds"`
	RunCPUSeconds float64 `json:"run_cpu_seconds"`
}

// Watch is the watch part of summary.json.
type Watch struct {
	// Mode is "pid" or "command"; PID the watched process in pid mode.
	Mode string `json:"mode"`
	PID  int    `json:"pid,omitempty"`
	// Ended says why the watch ended: "duration", "exited", "signal",
	// "recovered" (from the spool of a watch that did not finish) or
	// "snapshot" (a snapshot bundle of a watch still running).
	Ended     string `json:"ended"`
	Recovered bool   `json:"recovered,omitempty"`
	// Growth is the verdict on the tree's RSS.
	Growth trend.Result `json:"growth"`
	// FirstRSSBytes and LastRSSBytes are the tree's RSS at the first and
	// last sample.
	FirstRSSBytes uint64 `json:"first_rss_bytes"`
	LastRSSBytes  uint64 `json:"last_rss_bytes"`
	// MaxFDs and LastFDs count the tree's open file descriptors.
	MaxFDs  int `json:"max_fds"`
	LastFDs int `json:"last_fds"`
	// PeakPSSBytes and PeakUSSBytes are set with --pss.
	PeakPSSBytes uint64 `json:"peak_pss_bytes,omitempty"`
	PeakUSSBytes uint64 `json:"peak_uss_bytes,omitempty"`
	Restarts     int    `json:"restarts"`
	// Alerts lists the alerts that fired, each once.
	Alerts []Alert `json:"alerts,omitempty"`
	// Snapshots lists the snapshot bundles written during the watch.
	Snapshots []SnapshotRef `json:"snapshots,omitempty"`
	// Snapshot says why and when this bundle was taken, for a snapshot.
	Snapshot *SnapshotRef `json:"snapshot,omitempty"`
	// ProcessesDropped counts ended processes left out of processes.csv
	// (a watch keeps at most a bounded number).
	ProcessesDropped int `json:"processes_dropped,omitempty"`
}

// Alert is an alert that fired, as summary.json lists it.
type Alert struct {
	Rule    string  `json:"rule"`
	T       float64 `json:"t_seconds"`
	Value   float64 `json:"value"`
	Message string  `json:"message"`
	// Snapshot is the snapshot bundle written for it.
	Snapshot string `json:"snapshot,omitempty"`
}

// SnapshotRef is one snapshot bundle.
type SnapshotRef struct {
	T      float64 `json:"t_seconds"`
	Reason string  `json:"reason"`
	Path   string  `json:"path,omitempty"`
	// Rule is the alert the snapshot was taken for, if any.
	Rule string `json:"rule,omitempty"`
}

// Totals holds the totals of one run or watch, the top level of
// summary.json.
//
// CPU, faults and context switches are exact: they come from the rusage of
// every tree process perfcap reaped (which includes what those processes
// reaped themselves) plus the last reading of processes still alive at the
// end. Peaks come from the samples and from VmHWM, read while each process
// lives.
type Totals struct {
	WallSeconds float64 `json:"wall_seconds"`
	UserSeconds float64 `json:"user_seconds"`
	SysSeconds  float64 `json:"sys_seconds"`
	// CPUPercent is (user+sys)/wall in percent of one core.
	CPUPercent float64 `json:"cpu_percent"`

	// PeakRSSBytes is the largest summed RSS of the tree: over the
	// samples, and never below MaxProcessRSSBytes (a process can peak
	// between two samples). PeakRSSSource says which bound it is:
	// "sampled" or "largest process".
	PeakRSSBytes  uint64 `json:"peak_rss_bytes"`
	PeakRSSSource string `json:"peak_rss_source,omitempty"`
	// MaxProcessRSSBytes is the largest peak RSS of a single process: VmHWM
	// of every process seen alive, and ru_maxrss of reaped ones when it is
	// trustworthy (see MaxProcessRSSSource).
	MaxProcessRSSBytes uint64 `json:"max_process_rss_bytes"`
	MaxProcessRSSPID   int    `json:"max_process_rss_pid"`
	// MaxProcessRSSSource says where that figure came from: "vmhwm",
	// "sampled" or "rusage".
	MaxProcessRSSSource string `json:"max_process_rss_source"`

	MinorFaults              int64  `json:"minor_page_faults"`
	MajorFaults              int64  `json:"major_page_faults"`
	VoluntaryContextSwitches int64  `json:"voluntary_context_switches"`
	InvoluntaryContextSwitch int64  `json:"involuntary_context_switches"`
	ExitCode                 int    `json:"exit_code"`
	Signal                   string `json:"signal,omitempty"`
	Interrupted              bool   `json:"interrupted"`

	// FirstOutputSeconds is the time from the start to the command's first
	// byte on stdout or stderr, a proxy for start-up time; -1 when it wrote
	// nothing.
	FirstOutputSeconds float64 `json:"first_output_seconds"`
	StdoutBytes        int64   `json:"stdout_bytes"`
	StderrBytes        int64   `json:"stderr_bytes"`

	IntervalSeconds float64 `json:"interval_seconds"`
	Samples         int     `json:"samples"`
	// ExpectedSamples is how many samples the schedule start + k·interval
	// had room for during the run; OnSchedule counts samples taken less than
	// one interval after their slot.
	ExpectedSamples int `json:"expected_samples"`
	OnSchedule      int `json:"on_schedule"`
	// MaxLatenessSeconds is the largest delay of a sample behind its slot.
	MaxLatenessSeconds float64 `json:"max_lateness_seconds"`

	// Processes counts the processes of the tree seen in a sample: a
	// sampled count, which misses every process that lived and died
	// between two samples (a shell loop's thousand short commands).
	// ProcessesStarted and its bounds say how many the run started.
	Processes int `json:"processes"`
	// ProcessesStarted is how many processes the run started, the command
	// included, where the machine can tell exactly; 0 when it cannot.
	// ProcessesStartedSource says how it was counted: "perf" (the
	// kernel's fork events in perf.data, none lost), or "bounds" (the
	// bounds below met).
	ProcessesStarted       int    `json:"processes_started,omitempty"`
	ProcessesStartedSource string `json:"processes_started_source,omitempty"`
	// ProcessesStartedMin and ProcessesStartedMax bound the processes
	// the run started: at least those seen in a sample or reaped by
	// perfcap (or counted by perf, when perf lost events or stopped
	// early); at most the tasks, processes and threads, the whole
	// machine created meanwhile (/proc/stat's processes counter). Both
	// equal ProcessesStarted when it is known; 0 when not measured (a
	// watch, a bundle of an older perfcap).
	ProcessesStartedMin int `json:"processes_started_min,omitempty"`
	ProcessesStartedMax int `json:"processes_started_max,omitempty"`

	MaxProcesses int `json:"max_processes"`
	MaxThreads   int `json:"max_threads"`
	// ReapedOrphans counts the tree processes perfcap reaped itself,
	// the command aside: orphans reparented to it.
	ReapedOrphans int `json:"reaped_orphans"`
	// LeftRunning lists tree processes still alive when the command exited.
	LeftRunning []int `json:"left_running,omitempty"`

	// LoadAverage is the machine's 1, 5 and 15 minute load at the start.
	LoadAverage [3]float64 `json:"load_average"`
	// SystemCPUPercent is the machine's mean busy share during the run, in
	// percent of all cores; OtherCPUPercent the part not used by the tree.
	SystemCPUPercent float64 `json:"system_cpu_percent"`
	OtherCPUPercent  float64 `json:"other_cpu_percent"`
	// MinAvailableBytes is the least available memory seen.
	MinAvailableBytes uint64 `json:"min_available_bytes"`

	// PerfcapCPUSeconds is perfcap's own CPU time during the run, and
	// PerfRecordCPUSeconds that of perf record, when it ran; neither is
	// part of the tree's figures or of OtherCPUPercent.
	PerfcapCPUSeconds    float64 `json:"perfcap_cpu_seconds"`
	PerfRecordCPUSeconds float64 `json:"perf_record_cpu_seconds,omitempty"`

	Warnings []string `json:"warnings"`
}

// SetProcessesStarted sets ProcessesStarted and its bounds from what the
// machine could tell: at least processes were seen or reaped, at most
// the machine created that many tasks meanwhile (0: unknown), and perf
// counted counted (0: it did not), exactly when perf lost no event and
// ran to the end. A count below what was seen is not believed exact.
func (s *Totals) SetProcessesStarted(atLeast, atMost, counted int, exact bool) {
	s.ProcessesStarted, s.ProcessesStartedSource = 0, ""
	if exact && counted > 0 && counted >= atLeast {
		s.ProcessesStarted, s.ProcessesStartedSource = counted, "perf"
		s.ProcessesStartedMin, s.ProcessesStartedMax = counted, counted
		return
	}
	atLeast = max(atLeast, counted)
	if atMost != 0 {
		atMost = max(atMost, atLeast)
	}
	s.ProcessesStartedMin, s.ProcessesStartedMax = atLeast, atMost
	if atLeast > 0 && atLeast == atMost {
		s.ProcessesStarted, s.ProcessesStartedSource = atLeast, "bounds"
	}
}

// ProcessesText says in English how many processes the run started and
// how many were seen in samples, labelling the sampled count as such:
// "1501 processes started (perf), 4 seen in samples",
// "4 processes seen in samples, 4 to 1532 started".
func (s *Totals) ProcessesText() string {
	noun := func(n int) string {
		if n == 1 {
			return "1 process"
		}
		return fmt.Sprintf("%d processes", n)
	}
	switch {
	case s.ProcessesStarted > 0:
		how := ""
		if s.ProcessesStartedSource == "perf" {
			how = " (perf)"
		}
		return fmt.Sprintf("%s started%s, %d seen in samples", noun(s.ProcessesStarted), how, s.Processes)
	case s.ProcessesStartedMax > 0:
		return fmt.Sprintf("%s seen in samples, %d to %d started", noun(s.Processes), s.ProcessesStartedMin, s.ProcessesStartedMax)
	}
	return noun(s.Processes) + " seen in samples"
}
