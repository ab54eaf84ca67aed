package capture

import "github.com/perfcap/perfcap/format"

// Sample is one reading of the whole measured tree at a point on the
// sampling schedule.
type Sample struct {
	// TimelineRow holds the tree's and the machine's figures: the time in
	// seconds since the command started, the tree's CPU since the previous
	// sample in percent of one core (200 means two cores busy), its summed
	// RSS, its live processes and threads, and the machine-wide CPU busy
	// share (percent of all cores) and available memory. It is the sample's
	// row of timeline.csv as it is.
	format.TimelineRow
	// Procs holds one entry per live process of the tree.
	Procs []format.ProcSample
}

// Row returns s as a row of timeline.csv.
func (s *Sample) Row() format.TimelineRow { return s.TimelineRow }

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

// ProcessRows turns procs into the rows of processes.csv. argv redacts
// each command line before it is joined; nil keeps them as they are.
func ProcessRows(procs []Process, argv func([]string) []string) []format.Process {
	rows := make([]format.Process, len(procs))
	for i, p := range procs {
		words := p.Argv
		if argv != nil {
			words = argv(words)
		}
		rows[i] = format.Process{
			PID: p.PID, PPID: p.PPID, Name: p.Name, Argv: format.ShellJoin(words),
			Start: p.Start, End: p.End, CPUSeconds: p.CPUSeconds, PeakRSS: p.PeakRSS,
		}
	}
	return rows
}
