package main

import (
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// demoWorker is one worker of the demo: when it starts, what it does in
// words for the progress lines, and the steps that do it.
type demoWorker struct {
	at    time.Duration
	what  string
	steps []string
}

// demoWorkers is the demo's plan. The third worker hands its work to a
// grandchild, which only a tree-wide measurement sees.
var demoWorkers = []demoWorker{
	{0, "alloc 100MiB, burn 3s on 2 threads",
		strings.Fields("alloc 100MiB burn 3s --threads 2")},
	{time.Second, "alloc 50MiB, burn 2s on 1 thread, hold 1s",
		strings.Fields("alloc 50MiB burn 2s hold 1s")},
	{2 * time.Second, "spawn a grandchild: alloc 150MiB, burn 2s on 1 thread, hold 0.5s",
		strings.Fields("spawn 1 -- alloc 150MiB burn 2s hold 500ms")},
}

// demoDone is a worker's end, reported to the demo's loop.
type demoDone struct {
	n   int
	err error
}

// demo is the README's showcase: it starts demoWorkers on schedule, prints a
// progress line to stdout as each starts and ends and a warning to stderr,
// and succeeds when all have, after about five seconds.
func demo(p *proc) error {
	start := time.Now()
	since := func() float64 { return time.Since(start).Seconds() }
	fmt.Fprintf(p.stdout, "demo: %d workers over about 5s\n", len(demoWorkers))
	done := make(chan demoDone)
	next := time.NewTimer(0)
	var first error
	for started, running := 0, 0; started < len(demoWorkers) || running > 0; {
		select {
		case <-next.C:
			w := demoWorkers[started]
			started++
			cmd, err := p.inheritingChild(w.steps)
			if err == nil {
				err = cmd.Start()
			}
			if err != nil {
				return fmt.Errorf("demo: starting worker %d: %w", started, err)
			}
			running++
			fmt.Fprintf(p.stdout, "demo: %4.1fs worker %d started (pid %d): %s\n", since(), started, cmd.Process.Pid, w.what)
			if started == len(demoWorkers) {
				fmt.Fprintf(p.stderr, "demo: warning: worker %d does its work in a grandchild; a child-only measurement would miss it\n", started)
			} else {
				next.Reset(time.Until(start.Add(demoWorkers[started].at)))
			}
			go func(n int, cmd *exec.Cmd) { done <- demoDone{n, cmd.Wait()} }(started, cmd)
		case d := <-done:
			running--
			if d.err != nil && first == nil {
				first = fmt.Errorf("demo: worker %d: %w", d.n, d.err)
			}
			fmt.Fprintf(p.stdout, "demo: %4.1fs worker %d finished\n", since(), d.n)
		}
	}
	if first == nil {
		fmt.Fprintf(p.stdout, "demo: %4.1fs all workers done\n", since())
	}
	return first
}
