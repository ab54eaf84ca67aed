package main

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// spinRounds is how many xorshift rounds spin does between two looks at
// its stop condition: about a tenth of a millisecond, so looking costs well
// under 1% (a getrusage call for burncpu) and the overshoot stays small.
const spinRounds = 1 << 16

// sink takes spin's results so the compiler cannot drop the work as unused.
var sink atomic.Uint64

// burn spins threads OS threads until d of wall time has passed.
func burn(d time.Duration, threads int) {
	deadline := time.Now().Add(d)
	onThreads(threads, func() bool { return !time.Now().Before(deadline) })
}

// burnCPU spins threads OS threads until the process has used cpu more CPU
// time, user plus system, than when it began: with one thread the step
// costs cpu of CPU time whatever else the machine is doing.
func burnCPU(cpu time.Duration, threads int) {
	target := selfCPU() + cpu
	onThreads(threads, func() bool { return selfCPU() >= target })
}

// selfCPU is the CPU time the whole process has used, from
// getrusage(RUSAGE_SELF), which fails only on a bad pointer.
func selfCPU() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// onThreads runs spin on n goroutines, each locked to its own OS thread, and
// returns when all have seen done. GOMAXPROCS is raised to n if lower so the
// threads can all run at once. The goroutines exit still locked, which ends
// their threads, so the process's thread count drops back afterwards.
func onThreads(n int, done func() bool) {
	if runtime.GOMAXPROCS(0) < n {
		runtime.GOMAXPROCS(n)
	}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			runtime.LockOSThread()
			sink.Add(spin(done))
		})
	}
	wg.Wait()
}

// spin does integer math (a xorshift generator) until done reports true.
func spin(done func() bool) uint64 {
	x := uint64(0x9E3779B97F4A7C15)
	for !done() {
		for range spinRounds {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
	}
	return x
}
