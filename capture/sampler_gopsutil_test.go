// BenchmarkSampleGopsutil is the baseline perfcap's sampler is measured
// against: the same tree sampled the naive way, with gopsutil's
// Processes/Children and per-process Times and MemoryInfo.
//
//	go test -run XXX -bench Sample ./capture

package capture

import (
	"fmt"
	"testing"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/process"
	"golang.org/x/sys/unix"
)

// BenchmarkSampleGopsutil is the baseline: the same tick with gopsutil's
// per-process API. "children" walks the tree with Children() as psrecord
// does (each call reads every /proc/PID/stat); "processes" lists all
// processes once and asks each for its parent.
func BenchmarkSampleGopsutil(b *testing.B) {
	process.EnableBootTimeCache(true)
	walks := []struct {
		name string
		tree func(root *process.Process) []*process.Process
	}{
		{"children", func(root *process.Process) []*process.Process {
			tree := []*process.Process{root}
			for i := 0; i < len(tree); i++ {
				kids, _ := tree[i].Children()
				tree = append(tree, kids...)
			}
			return tree
		}},
		{"processes", func(root *process.Process) []*process.Process {
			all, _ := process.Processes()
			kids := map[int32][]*process.Process{}
			for _, p := range all {
				if ppid, err := p.Ppid(); err == nil {
					kids[ppid] = append(kids[ppid], p)
				}
			}
			tree := []*process.Process{root}
			for i := 0; i < len(tree); i++ {
				tree = append(tree, kids[tree[i].Pid]...)
			}
			return tree
		}},
	}
	for _, walk := range walks {
		for _, n := range benchTreeSizes {
			b.Run(fmt.Sprintf("%s/sleeps=%d", walk.name, n), func(b *testing.B) {
				pid := startSleepers(b, n)
				root, err := process.NewProcess(int32(pid))
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				var before unix.Rusage
				_ = unix.Getrusage(unix.RUSAGE_SELF, &before)
				for b.Loop() {
					tree := walk.tree(root)
					if len(tree) != n+1 {
						b.Fatalf("found %d processes, want %d", len(tree), n+1)
					}
					for _, p := range tree {
						_, _ = p.Times()
						_, _ = p.MemoryInfo()
					}
					_, _ = cpu.Times(false)
					_, _ = mem.VirtualMemory()
				}
				reportCost(b, &before)
			})
		}
	}
}
