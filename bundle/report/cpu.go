package report

import "github.com/perfcap/perfcap/format"

// MinWallForCPUPercent is the shortest wall time, in seconds, over which
// perfcap states the tree's CPU as a percentage of one core. Below it the
// data cannot support one: the CPU of processes alive at the end is read
// from /proc in clock ticks (10 ms at the usual USER_HZ of 100), and a
// command's CPU includes its own start (exec, dynamic loading), which
// happens before the wall clock starts. Over ten ticks one tick of error
// moves the figure by at most 10 % of a core; a 1 ms command can otherwise
// read 165 %. summary.json keeps cpu_percent whatever the wall time.
const MinWallForCPUPercent = 0.1

// CPUPercentMeasurable reports whether s.CPUPercent means something: the
// wall time is at least MinWallForCPUPercent.
func CPUPercentMeasurable(s format.Totals) bool {
	return s.WallSeconds >= MinWallForCPUPercent
}

// CPUPercentKnown reports whether the report may state the tree's CPU as
// a percentage of one core (see MinWallForCPUPercent).
func (d *Data) CPUPercentKnown() bool { return CPUPercentMeasurable(d.Summary) }

// CPUSeconds is the tree's user plus system CPU time.
func (d *Data) CPUSeconds() float64 { return d.Summary.UserSeconds + d.Summary.SysSeconds }
