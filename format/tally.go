package format

// Tally gathers the figures of Totals that come from the samples, the rows
// of timeline.csv: a run adds each sample as it is taken, a watch each row
// as it reads its spool, and both fill Totals with Fill, so the figures
// mean the same in both.
type Tally struct {
	samples    int
	sysCPUSum  float64
	peakRSS    uint64
	maxProcs   int
	maxThreads int
	minAvail   uint64
}

// Add counts one sample.
func (t *Tally) Add(r TimelineRow) {
	t.samples++
	t.sysCPUSum += r.SystemCPUPercent
	t.peakRSS = max(t.peakRSS, r.TreeRSS)
	t.maxProcs = max(t.maxProcs, r.Processes)
	t.maxThreads = max(t.maxThreads, r.Threads)
	if t.minAvail == 0 || r.SystemAvailable < t.minAvail {
		t.minAvail = r.SystemAvailable
	}
}

// Samples returns how many samples were added.
func (t *Tally) Samples() int { return t.samples }

// Fill sets the sampled figures of s: Samples, PeakRSSBytes (the larger of
// the samples' peak and what s holds already, e.g. a peak the sampler saw
// between samples), MaxProcesses, MaxThreads, the mean SystemCPUPercent and
// MinAvailableBytes.
func (t *Tally) Fill(s *Totals) {
	s.Samples = t.samples
	s.PeakRSSBytes = max(s.PeakRSSBytes, t.peakRSS)
	s.MaxProcesses, s.MaxThreads = t.maxProcs, t.maxThreads
	s.MinAvailableBytes = t.minAvail
	if t.samples > 0 {
		s.SystemCPUPercent = t.sysCPUSum / float64(t.samples)
	}
}

// SetCPUShares sets CPUPercent, the tree's CPU in percent of one core, and
// OtherCPUPercent, the machine's busy share not used by the tree nor by
// perf record, from WallSeconds, UserSeconds, SysSeconds,
// PerfRecordCPUSeconds and SystemCPUPercent; ncpu is the machine's
// logical cores. Both are zero without a wall time.
func (s *Totals) SetCPUShares(ncpu int) {
	s.CPUPercent, s.OtherCPUPercent = 0, 0
	if s.WallSeconds <= 0 || ncpu <= 0 {
		return
	}
	tree := s.UserSeconds + s.SysSeconds
	s.CPUPercent = tree / s.WallSeconds * 100
	ours := tree + s.PerfRecordCPUSeconds
	s.OtherCPUPercent = max(0, s.SystemCPUPercent-ours/s.WallSeconds*100/float64(ncpu))
}
