package capture

// Summary holds the totals of one run, serialised as summary.json.
//
// CPU, faults and context switches are exact: they come from the rusage of
// every tree process perfcap reaped (which includes what those processes
// reaped themselves) plus the last reading of processes still alive at the
// end. Peaks come from the samples and from VmHWM, read while each process
// lives.
type Summary struct {
	WallSeconds float64 `json:"wall_seconds"`
	UserSeconds float64 `json:"user_seconds"`
	SysSeconds  float64 `json:"sys_seconds"`
	// CPUPercent is (user+sys)/wall in percent of one core.
	CPUPercent float64 `json:"cpu_percent"`

	// PeakRSSBytes is the largest summed RSS of the tree over the samples.
	PeakRSSBytes uint64 `json:"peak_rss_bytes"`
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

	// Processes counts every process of the tree seen in a sample; reaped
	// orphans that lived between two samples are counted in ReapedOrphans.
	Processes     int `json:"processes"`
	MaxProcesses  int `json:"max_processes"`
	MaxThreads    int `json:"max_threads"`
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
