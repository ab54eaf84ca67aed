package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// alloc maps size bytes of private anonymous memory, outside the Go heap so
// the garbage collector neither sees nor frees it, and writes one byte to
// every page so the kernel backs each one: RSS grows by size rounded up to a
// page. The mapping lives until the process exits.
func alloc(size int64) error {
	if size == 0 {
		return nil
	}
	if _, err := mapTouched(size); err != nil {
		return fmt.Errorf("alloc: %w", err)
	}
	return nil
}

// leaked holds the chunks of leak and plateau, which are never freed; the
// references keep them reachable, as a real leak's would be.
var leaked [][]byte

// maxGrowth bounds what one leak, sawtooth or plateau step may map, 64 TiB,
// so that a typo fails when parsed rather than after hours of growth.
const maxGrowth = 1 << 46

// A growth is one mapping of a ramp: when to map it, as an offset from the
// ramp's start, and its size in bytes, a whole number of pages.
type growth struct {
	at   time.Duration
	size int64
}

// rampPlan splits size bytes into n chunks spread evenly over d: chunk i
// (from 1) is mapped at d·(i-½)/n, so the staircase of RSS stays within half
// a chunk of the straight line from 0 to size. Sizes are whole pages
// summing to size rounded up to a page; chunks that would be empty are left
// out, so a ramp of a few pages has fewer than n chunks.
func rampPlan(size int64, d time.Duration, n int, page int64) []growth {
	if n < 1 {
		n = 1
	}
	total := (size + page - 1) / page
	var plan []growth
	var done int64
	for i := 1; i <= n; i++ {
		pages := total*int64(i)/int64(n) - done
		if pages == 0 {
			continue
		}
		at := time.Duration((2*int64(i) - 1) * int64(d) / (2 * int64(n)))
		plan = append(plan, growth{at: at, size: pages * page})
		done += pages
	}
	return plan
}

// ramp maps and touches the chunks of plan, each at start + its offset,
// stopping early at stop, and returns the mappings. It does not sleep
// after the last chunk.
func ramp(plan []growth, start, stop time.Time) ([][]byte, error) {
	var mems [][]byte
	for _, c := range plan {
		at := start.Add(c.at)
		if !at.Before(stop) {
			break
		}
		time.Sleep(time.Until(at))
		mem, err := mapTouched(c.size)
		if err != nil {
			return mems, err
		}
		mems = append(mems, mem)
	}
	return mems, nil
}

// mapTouched maps size bytes of private anonymous memory and writes one
// byte to every page, so RSS grows by size rounded up to a page.
func mapTouched(size int64) ([]byte, error) {
	mem, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("mapping %d bytes: %w", size, err)
	}
	page := unix.Getpagesize()
	for i := 0; i < len(mem); i += page {
		mem[i] = 1
	}
	return mem, nil
}

// unmapAll unmaps mems, giving their pages back to the kernel at once.
func unmapAll(mems [][]byte) error {
	for _, m := range mems {
		if err := unix.Munmap(m); err != nil {
			return fmt.Errorf("unmapping %d bytes: %w", len(m), err)
		}
	}
	return nil
}

// leak grows RSS by rate bytes a second for d, one chunk each step, and
// never frees them: a steady leak.
func leak(rate int64, d, step time.Duration) error {
	n := int((d + step - 1) / step)
	size := int64(float64(rate) * d.Seconds())
	start := time.Now()
	mems, err := ramp(rampPlan(size, d, n, int64(unix.Getpagesize())), start, start.Add(d))
	leaked = append(leaked, mems...)
	if err != nil {
		return fmt.Errorf("leak: %w", err)
	}
	time.Sleep(time.Until(start.Add(d)))
	return nil
}

// sawtoothChunks is how many chunks one tooth of sawtooth grows in.
const sawtoothChunks = 10

// sawtooth runs for d: it grows RSS by peak over period in
// sawtoothChunks chunks and then unmaps them all at once, again and
// again, like a garbage-collected heap. A tooth cut short by the end of d
// is freed too, so RSS ends where it started.
func sawtooth(peak int64, period, d time.Duration) error {
	plan := rampPlan(peak, period, sawtoothChunks, int64(unix.Getpagesize()))
	start := time.Now()
	stop := start.Add(d)
	for tooth := start; tooth.Before(stop); tooth = tooth.Add(period) {
		mems, err := ramp(plan, tooth, stop)
		if err == nil {
			end := tooth.Add(period)
			if stop.Before(end) {
				end = stop
			}
			time.Sleep(time.Until(end))
		}
		if uerr := unmapAll(mems); err == nil {
			err = uerr
		}
		if err != nil {
			return fmt.Errorf("sawtooth: %w", err)
		}
	}
	return nil
}

// plateauChunkEvery is the longest plateau waits between chunks, so a long
// ramp is a smooth one.
const plateauChunkEvery = 100 * time.Millisecond

// plateau grows RSS by size evenly over d, in at least 10 chunks, keeps it
// and returns at the end of d.
func plateau(size int64, d time.Duration) error {
	n := max(10, int((d+plateauChunkEvery-1)/plateauChunkEvery))
	start := time.Now()
	mems, err := ramp(rampPlan(size, d, n, int64(unix.Getpagesize())), start, start.Add(d))
	leaked = append(leaked, mems...)
	if err != nil {
		return fmt.Errorf("plateau: %w", err)
	}
	time.Sleep(time.Until(start.Add(d)))
	return nil
}

// memStatus is the status step's JSON line: the process's memory as the
// kernel counts it at that moment, from /proc/self/status.
type memStatus struct {
	PID     int    `json:"pid"`
	VmRSS   uint64 `json:"vmrss_bytes"`
	VmHWM   uint64 `json:"vmhwm_bytes"`
	Threads int    `json:"threads"`
}

// writeStatus writes the process's memStatus to w as one JSON line.
func writeStatus(w io.Writer) error {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	defer f.Close()
	st := memStatus{PID: os.Getpid()}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		switch key {
		case "VmRSS":
			st.VmRSS = n << 10
		case "VmHWM":
			st.VmHWM = n << 10
		case "Threads":
			st.Threads = int(n)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("status: reading /proc/self/status: %w", err)
	}
	return json.NewEncoder(w).Encode(st)
}
