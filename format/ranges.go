package format

import (
	"fmt"
	"slices"
)

// The ranges a figure of summary.json must lie in. perfcap never writes
// one outside them; a damaged or hostile bundle can, and its figures would
// otherwise print as "-8.0 EiB" (2^63 bytes), a negative duration or a
// process count below zero. `perfcap inspect` shows such a figure as
// invalid; `perfcap report` refuses the bundle (Summary.Problems).
const (
	MaxBytes   = 1 << 60 // 1 EiB
	MaxSeconds = 1e9     // 31 years
	MaxPercent = 1e7     // 100,000 cores
	MaxCount   = 1 << 31
)

// ValidBytes tells whether v is a byte count within MaxBytes.
func ValidBytes(v uint64) bool { return v <= MaxBytes }

// ValidSeconds tells whether v is a duration in [0, MaxSeconds]; false for NaN.
func ValidSeconds(v float64) bool { return v >= 0 && v <= MaxSeconds }

// ValidPercent tells whether v is a CPU share in [0, MaxPercent].
func ValidPercent(v float64) bool { return v >= 0 && v <= MaxPercent }

// ValidCount tells whether v is a count in [0, MaxCount].
func ValidCount(v int) bool { return v >= 0 && v <= MaxCount }

// Problems lists the figures of s outside their range, as
// "name = value", sorted; none for a summary perfcap wrote.
func (s *Summary) Problems() []string {
	var bad []string
	check := func(name string, ok bool, v any) {
		if !ok {
			bad = append(bad, fmt.Sprintf("%s = %v", name, v))
		}
	}
	t := &s.Totals
	for name, v := range map[string]float64{
		"wall_seconds": t.WallSeconds, "user_seconds": t.UserSeconds, "sys_seconds": t.SysSeconds,
		"interval_seconds": t.IntervalSeconds, "max_lateness_seconds": t.MaxLatenessSeconds,
		"perfcap_cpu_seconds": t.PerfcapCPUSeconds, "perf_record_cpu_seconds": t.PerfRecordCPUSeconds,
	} {
		check(name, ValidSeconds(v), v)
	}
	check("first_output_seconds", t.FirstOutputSeconds == -1 || ValidSeconds(t.FirstOutputSeconds), t.FirstOutputSeconds)
	for name, v := range map[string]float64{"cpu_percent": t.CPUPercent, "system_cpu_percent": t.SystemCPUPercent, "other_cpu_percent": t.OtherCPUPercent} {
		check(name, ValidPercent(v), v)
	}
	for name, v := range map[string]uint64{"peak_rss_bytes": t.PeakRSSBytes, "max_process_rss_bytes": t.MaxProcessRSSBytes, "min_available_bytes": t.MinAvailableBytes} {
		check(name, ValidBytes(v), v)
	}
	for name, v := range map[string]int{
		"max_process_rss_pid": t.MaxProcessRSSPID, "samples": t.Samples, "expected_samples": t.ExpectedSamples,
		"on_schedule": t.OnSchedule, "processes": t.Processes, "max_processes": t.MaxProcesses,
		"max_threads": t.MaxThreads, "reaped_orphans": t.ReapedOrphans,
		"processes_started": t.ProcessesStarted, "processes_started_min": t.ProcessesStartedMin,
		"processes_started_max": t.ProcessesStartedMax,
	} {
		check(name, ValidCount(v), v)
	}
	for name, v := range map[string]int64{"stdout_bytes": t.StdoutBytes, "stderr_bytes": t.StderrBytes} {
		check(name, v >= 0 && v <= MaxBytes, v)
	}
	if w := s.Watch; w != nil {
		for name, v := range map[string]uint64{"watch.first_rss_bytes": w.FirstRSSBytes, "watch.last_rss_bytes": w.LastRSSBytes,
			"watch.peak_pss_bytes": w.PeakPSSBytes, "watch.peak_uss_bytes": w.PeakUSSBytes} {
			check(name, ValidBytes(v), v)
		}
		for name, v := range map[string]int{"watch.max_fds": w.MaxFDs, "watch.last_fds": w.LastFDs, "watch.restarts": w.Restarts} {
			check(name, ValidCount(v), v)
		}
		check("watch.growth.since_ns", w.Growth.Since >= 0, int64(w.Growth.Since))
		for i, a := range w.Alerts {
			check(fmt.Sprintf("watch.alerts[%d].t_seconds", i), ValidSeconds(a.T), a.T)
		}
	}
	for i, b := range s.Benchmarks {
		check(fmt.Sprintf("benchmarks[%d].estimate_ns", i), b.Estimate >= 0, b.Estimate)
	}
	slices.Sort(bad)
	return bad
}
