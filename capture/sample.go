package capture

// Sample is one reading of the whole measured tree at a point on the
// sampling schedule.
type Sample struct {
	// T is the sample's time in seconds since the command started.
	T float64
	// TreeCPUPercent is the CPU used by the tree since the previous sample,
	// in percent of one core (200 means two cores busy).
	TreeCPUPercent float64
	// TreeRSS is the summed resident set size of the tree's live processes.
	TreeRSS uint64
	// Processes and Threads count the tree's live processes and their threads.
	Processes int
	Threads   int
	// SystemCPUPercent is the machine-wide CPU busy share since the previous
	// sample, in percent of all cores (0–100).
	SystemCPUPercent float64
	// SystemAvailable is the machine's available memory in bytes.
	SystemAvailable uint64
	// Procs holds one entry per live process of the tree.
	Procs []ProcSample
}

// ProcSample is one process's reading within a Sample.
type ProcSample struct {
	PID int
	// PPID is the parent at this sample.
	PPID    int
	Name    string
	UserSec float64 // cumulative user CPU seconds
	SysSec  float64 // cumulative system CPU seconds
	RSS     uint64
	Threads int
}

// Process is everything perfcap learned about one process of the tree over
// the run.
type Process struct {
	PID int
	// PPID is the parent when perfcap first saw the process: an orphan
	// later reparented to perfcap still shows where it came from.
	PPID int
	Name string
	// Argv is the process's command line as read from /proc, unredacted:
	// the caller redacts it before it leaves perfcap.
	Argv []string
	// Start and End are offsets in seconds from the command's start; End is
	// negative while the process is still alive.
	Start, End float64
	// CPUSeconds is the last seen cumulative user+system CPU.
	CPUSeconds float64
	// PeakRSS is the largest of VmHWM and the sampled RSS.
	PeakRSS uint64
}
