package timeline

import (
	"io"
	"math"

	"github.com/perfcap/perfcap/format"
)

// DefaultBuckets is the bucket count ReadTimeline uses for maxBuckets ≤ 0:
// about two per pixel of a 1000-pixel-wide chart.
const DefaultBuckets = 2000

// minWidth is the narrowest bucket, in seconds: timeline.csv writes
// times in milliseconds.
const minWidth = 0.001

// Stat is the minimum, maximum and mean of one column over a bucket.
type Stat struct {
	Min, Max, Mean float64
	sum            float64
}

func (s *Stat) add(v float64, first bool) {
	if first {
		s.Min, s.Max = v, v
	}
	s.Min = min(s.Min, v)
	s.Max = max(s.Max, v)
	s.sum += v
}

func (s *Stat) merge(o Stat) {
	s.Min = min(s.Min, o.Min)
	s.Max = max(s.Max, o.Max)
	s.sum += o.sum
}

// Bucket summarizes the consecutive rows of timeline.csv that fall in one
// slice of time.
type Bucket struct {
	// First and Last are the times of the bucket's first and last rows.
	First, Last float64
	// Samples is how many rows the bucket holds, at least 1.
	Samples   int
	TreeCPU   Stat // percent of one core
	TreeRSS   Stat // bytes
	SystemCPU Stat // percent of all cores
	// MaxProcesses and MaxThreads are the largest counts seen.
	MaxProcesses, MaxThreads int
	// MinAvailable is the machine's lowest available memory, in bytes.
	MinAvailable uint64
}

// Timeline is timeline.csv downsampled into time buckets.
type Timeline struct {
	// Buckets are the non-empty buckets in time order.
	Buckets []Bucket
	// Width is the time each bucket spans, in seconds: a power of two
	// times a millisecond, doubled while reading until the run fits.
	Width float64
	// Rows is how many good rows were read.
	Rows int
	// PeakRSS is the largest tree_rss_bytes of all rows, at PeakRSSAt
	// seconds (the first such row). It is kept exactly, whatever the
	// bucketing.
	PeakRSS   uint64
	PeakRSSAt float64
	// PeakCPU is the largest tree_cpu_percent, at PeakCPUAt seconds.
	PeakCPU   float64
	PeakCPUAt float64
}

// ReadTimeline reads timeline.csv from r into at most maxBuckets buckets
// (DefaultBuckets when maxBuckets ≤ 0), in memory that depends on
// maxBuckets only, never on the length of the file.
//
// Buckets are aligned on multiples of Width from the first row's time.
// Width starts at a millisecond; whenever a row falls past the last
// bucket, Width doubles and neighbouring buckets merge pairwise. Each
// bucket keeps the min, max and mean of every column, so a short peak
// survives as its bucket's max however coarse the buckets get.
//
// A bad row is skipped; the error then lists the bad rows (see Reader),
// and the Timeline holds the good ones, so a caller may still draw it.
func ReadTimeline(r io.Reader, maxBuckets int) (*Timeline, error) {
	if maxBuckets <= 0 {
		maxBuckets = DefaultBuckets
	}
	rd := format.NewTimelineReader(r)
	tl := &Timeline{Width: minWidth}
	// slots is indexed by bucket number; empty slots have Samples == 0.
	slots := make([]Bucket, 0, maxBuckets)
	var t0 float64
	for rd.Scan() {
		row := rd.Row()
		if tl.Rows == 0 {
			t0 = row.T
			tl.PeakRSSAt, tl.PeakCPUAt = row.T, row.T
		}
		tl.Rows++
		if row.TreeRSS > tl.PeakRSS {
			tl.PeakRSS, tl.PeakRSSAt = row.TreeRSS, row.T
		}
		if row.TreeCPUPercent > tl.PeakCPU {
			tl.PeakCPU, tl.PeakCPUAt = row.TreeCPUPercent, row.T
		}
		i := bucketIndex(row.T-t0, tl.Width)
		for i >= maxBuckets {
			slots = halve(slots)
			tl.Width *= 2
			i = bucketIndex(row.T-t0, tl.Width)
		}
		for len(slots) <= i {
			slots = append(slots, Bucket{})
		}
		slots[i].add(row)
	}
	for _, b := range slots {
		if b.Samples == 0 {
			continue
		}
		n := float64(b.Samples)
		b.TreeCPU.Mean = b.TreeCPU.sum / n
		b.TreeRSS.Mean = b.TreeRSS.sum / n
		b.SystemCPU.Mean = b.SystemCPU.sum / n
		tl.Buckets = append(tl.Buckets, b)
	}
	return tl, rd.Err()
}

// bucketIndex is the bucket of a row dt seconds after the first, clamped
// so that an absurd time cannot overflow the index.
func bucketIndex(dt, width float64) int {
	f := math.Floor(dt / width)
	if f > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(f)
}

// halve merges buckets 2k and 2k+1 into k, in place.
func halve(slots []Bucket) []Bucket {
	n := (len(slots) + 1) / 2
	for k := range n {
		b := slots[2*k]
		if 2*k+1 < len(slots) {
			b.merge(slots[2*k+1])
		}
		slots[k] = b
	}
	clear(slots[n:])
	return slots[:n]
}

func (b *Bucket) add(r format.TimelineRow) {
	first := b.Samples == 0
	if first {
		b.First, b.MinAvailable = r.T, r.SystemAvailable
	}
	b.Last = r.T
	b.Samples++
	b.TreeCPU.add(r.TreeCPUPercent, first)
	b.TreeRSS.add(float64(r.TreeRSS), first)
	b.SystemCPU.add(r.SystemCPUPercent, first)
	b.MaxProcesses = max(b.MaxProcesses, r.Processes)
	b.MaxThreads = max(b.MaxThreads, r.Threads)
	b.MinAvailable = min(b.MinAvailable, r.SystemAvailable)
}

// merge adds o, the bucket just after b, to b; either may be empty.
func (b *Bucket) merge(o Bucket) {
	switch {
	case o.Samples == 0:
		return
	case b.Samples == 0:
		*b = o
		return
	}
	b.Last = o.Last
	b.Samples += o.Samples
	b.TreeCPU.merge(o.TreeCPU)
	b.TreeRSS.merge(o.TreeRSS)
	b.SystemCPU.merge(o.SystemCPU)
	b.MaxProcesses = max(b.MaxProcesses, o.MaxProcesses)
	b.MaxThreads = max(b.MaxThreads, o.MaxThreads)
	b.MinAvailable = min(b.MinAvailable, o.MinAvailable)
}
