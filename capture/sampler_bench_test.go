package capture

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/perfcap/perfcap/capture/procfs"
	"golang.org/x/sys/unix"
)

// benchTreeSizes are the numbers of sleeps under one sh the benchmarks
// sample.
var benchTreeSizes = []int{1, 10, 100}

// startSleepers starts sh with n sleeps under it and waits until every
// sleep has exec'd.
func startSleepers(b *testing.B, n int) (root int) {
	b.Helper()
	tr := startTree(b, "sh", "-c", fmt.Sprintf(`i=0; while [ $i -lt %d ]; do sleep 600 & i=$((i+1)); done; wait`, n))
	root = tr.cmd.Process.Pid
	s := NewSampler(SamplerConfig{Self: os.Getpid(), Root: root, Start: time.Now()})
	defer s.Close()
	sampleUntil(b, s, func(smp Sample) bool { return countNamed(smp, "sleep") == n })
	return root
}

// reportCost adds the CPU per operation (user+system, perfcap's real cost,
// kernel work included) and how many processes the machine ran.
func reportCost(b *testing.B, before *unix.Rusage) {
	var after unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &after)
	cpu := tvSeconds(after.Utime) + tvSeconds(after.Stime) - tvSeconds(before.Utime) - tvSeconds(before.Stime)
	b.ReportMetric(cpu*1e9/float64(b.N), "cpu-ns/op")
	if entries, err := os.ReadDir("/proc"); err == nil {
		pids := 0
		for _, e := range entries {
			if _, ok := procfs.ParseUint([]byte(e.Name())); ok {
				pids++
			}
		}
		b.ReportMetric(float64(pids), "machine-procs")
	}
}

// BenchmarkSample measures one tick of the Sampler on a steady tree. The
// ticks are back to back, but their times step by the interval, so what
// the Sampler does only every so often (list /proc without a new pid, read
// the machine-wide files) happens as often as on that schedule.
//
// Back to back, the kernel's caches stay warm: in a Firecracker VM, one
// procfs read after 10 ms of idling costs 20 µs instead of 2 to 6, so a
// real tick costs a few times what this reports.
func BenchmarkSample(b *testing.B) {
	for _, interval := range []time.Duration{100 * time.Millisecond, 10 * time.Millisecond} {
		for _, n := range benchTreeSizes {
			b.Run(fmt.Sprintf("interval=%v/sleeps=%d", interval, n), func(b *testing.B) {
				root := startSleepers(b, n)
				now := time.Now()
				s := NewSampler(SamplerConfig{Self: os.Getpid(), Root: root, Start: now})
				defer s.Close()
				if _, err := s.Sample(now); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				var before unix.Rusage
				_ = unix.Getrusage(unix.RUSAGE_SELF, &before)
				for b.Loop() {
					now = now.Add(interval)
					if _, err := s.Sample(now); err != nil {
						b.Fatal(err)
					}
				}
				reportCost(b, &before)
			})
		}
	}
}
