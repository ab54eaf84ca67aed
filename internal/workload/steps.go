package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"
)

// kinds is the workload language, in the order workload -h lists it.
var kinds = []kind{
	{name: "alloc", usage: "alloc SIZE", nargs: 1,
		help: "map SIZE bytes outside the Go heap and touch every page: RSS grows by SIZE",
		define: noFlags(func(args, _ []string) (action, error) {
			size, err := parseSize(args[0])
			return func(*proc) error { return alloc(size) }, err
		})},
	{name: "leak", usage: "leak RATE DURATION [--step D]", nargs: 2,
		help: "grow RSS by RATE bytes a second for DURATION, a chunk each D (100ms), never freed",
		define: func(fs *flag.FlagSet) builder {
			step := fs.String("step", "100ms", "time between chunks")
			return func(args, _ []string) (action, error) {
				rate, err := parseSize(args[0])
				if err != nil {
					return nil, err
				}
				d, err := parseDuration(args[1])
				if err != nil {
					return nil, err
				}
				every, err := parseDuration(*step)
				if err != nil || every <= 0 {
					return nil, fmt.Errorf("bad --step %q: want a duration above 0, like 100ms", *step)
				}
				if float64(rate)*d.Seconds() > maxGrowth {
					return nil, fmt.Errorf("leak of %s a second for %s is more than %d bytes", args[0], d, int64(maxGrowth))
				}
				return func(*proc) error { return leak(rate, d, every) }, nil
			}
		}},
	{name: "sawtooth", usage: "sawtooth PEAK PERIOD DURATION", nargs: 3,
		help: "for DURATION: grow RSS by PEAK over PERIOD in 10 chunks, free it all at once, repeat",
		define: noFlags(func(args, _ []string) (action, error) {
			peak, err := parseSize(args[0])
			if err != nil {
				return nil, err
			}
			if peak > maxGrowth {
				return nil, fmt.Errorf("sawtooth peak %s is more than %d bytes", args[0], int64(maxGrowth))
			}
			period, err := parseDuration(args[1])
			if err != nil {
				return nil, err
			}
			if period <= 0 {
				return nil, fmt.Errorf("bad period %q: want a duration above 0", args[1])
			}
			d, err := parseDuration(args[2])
			return func(*proc) error { return sawtooth(peak, period, d) }, err
		})},
	{name: "plateau", usage: "plateau SIZE RAMP", nargs: 2,
		help: "grow RSS by SIZE evenly over RAMP (a chunk each 100ms, 10 at least) and keep it",
		define: noFlags(func(args, _ []string) (action, error) {
			size, err := parseSize(args[0])
			if err != nil {
				return nil, err
			}
			if size > maxGrowth {
				return nil, fmt.Errorf("plateau of %s is more than %d bytes", args[0], int64(maxGrowth))
			}
			d, err := parseDuration(args[1])
			return func(*proc) error { return plateau(size, d) }, err
		})},
	{name: "hold", usage: "hold DURATION", nargs: 1,
		help:   "sleep, keeping what was allocated (reads well after alloc)",
		define: noFlags(sleepStep)},
	{name: "sleep", usage: "sleep DURATION", nargs: 1,
		help:   "sleep",
		define: noFlags(sleepStep)},
	{name: "burn", usage: "burn DURATION [--threads N]", nargs: 1,
		help: "spin N OS threads (default 1) on integer math for DURATION of wall time",
		define: func(fs *flag.FlagSet) builder {
			threads := fs.Int("threads", 1, "OS threads to spin")
			return func(args, _ []string) (action, error) {
				d, err := parseDuration(args[0])
				if err != nil {
					return nil, err
				}
				if *threads < 1 {
					return nil, fmt.Errorf("bad --threads %d: want at least 1", *threads)
				}
				return func(*proc) error { burn(d, *threads); return nil }, nil
			}
		}},
	{name: "burncpu", usage: "burncpu SECONDS [--threads N]", nargs: 1,
		help: "spin N OS threads until the process has used SECONDS more CPU time",
		define: func(fs *flag.FlagSet) builder {
			threads := fs.Int("threads", 1, "OS threads to spin")
			return func(args, _ []string) (action, error) {
				d, err := parseDuration(args[0])
				if err != nil {
					return nil, err
				}
				if *threads < 1 {
					return nil, fmt.Errorf("bad --threads %d: want at least 1", *threads)
				}
				return func(*proc) error { burnCPU(d, *threads); return nil }, nil
			}
		}},
	{name: "spawn", usage: "spawn N -- STEPS...", nargs: 1, tail: true,
		help: "run N children on STEPS at once and wait for all; fails if any fails",
		define: noFlags(func(args, rest []string) (action, error) {
			n, err := parseCount(args[0], 1)
			return func(p *proc) error { return spawn(p, n, rest) }, err
		})},
	{name: "orphan", usage: "orphan -- STEPS...", tail: true,
		help: "start a child on STEPS with the same stdio and exit without waiting",
		define: noFlags(func(_, rest []string) (action, error) {
			return func(p *proc) error { return orphan(p, rest) }, nil
		})},
	{name: "detach", usage: "detach -- STEPS...", tail: true,
		help: "start a child on STEPS in a new session, stdio on /dev/null, and exit",
		define: noFlags(func(_, rest []string) (action, error) {
			return func(*proc) error { return detach(rest) }, nil
		})},
	{name: "daemon", usage: "daemon -- STEPS...", tail: true,
		help: "daemonize STEPS: run a child that detaches a grandchild, wait for the child",
		define: noFlags(func(_, rest []string) (action, error) {
			return func(p *proc) error { return daemon(p, rest) }, nil
		})},
	{name: "exit", usage: "exit CODE", nargs: 1,
		help: "exit with CODE (0-255)",
		define: noFlags(func(args, _ []string) (action, error) {
			code, err := strconv.Atoi(args[0])
			if err != nil || code < 0 || code > 255 {
				return nil, fmt.Errorf("bad exit code %q: want 0-255", args[0])
			}
			return func(*proc) error { return exitStatus(code) }, nil
		})},
	{name: "kill", usage: "kill SIGNAL", nargs: 1,
		help: "die by SIGNAL (TERM, SIGQUIT, 9...) with its default action, no core file",
		define: noFlags(func(args, _ []string) (action, error) {
			sig, err := parseSignal(args[0])
			return func(*proc) error { return signalDeath(sig) }, err
		})},
	{name: "print", usage: "print BYTES [--line N] [--stderr]", nargs: 1,
		help: "write exactly BYTES of numbered N-byte lines (default 80) in 1 MiB writes",
		define: func(fs *flag.FlagSet) builder {
			width := fs.Int("line", 80, "bytes per line, newline included")
			toStderr := fs.Bool("stderr", false, "write to stderr")
			return func(args, _ []string) (action, error) {
				n, err := parseSize(args[0])
				if err != nil {
					return nil, err
				}
				if *width < 1 || *width > maxLine {
					return nil, fmt.Errorf("bad --line %d: want 1-%d", *width, maxLine)
				}
				return func(p *proc) error { return printText(p.out(*toStderr), n, *width) }, nil
			}
		}},
	{name: "echo", usage: "echo TEXT [--stderr]", nargs: 1,
		help: "write TEXT and a newline (echo -- TEXT if TEXT starts with -)",
		define: func(fs *flag.FlagSet) builder {
			toStderr := fs.Bool("stderr", false, "write to stderr")
			return func(args, _ []string) (action, error) {
				return func(p *proc) error {
					_, err := fmt.Fprintln(p.out(*toStderr), args[0])
					return err
				}, nil
			}
		}},
	{name: "wait-signal", usage: "wait-signal",
		help: "say so on stderr, wait for SIGINT, SIGTERM or SIGHUP, name it, die by it",
		define: noFlags(func(_, _ []string) (action, error) {
			return waitSignal, nil
		})},
	{name: "ignore-signals", usage: "ignore-signals",
		help: "ignore SIGINT, SIGTERM and SIGHUP from now on (not inherited by workload children)",
		define: noFlags(func(_, _ []string) (action, error) {
			return func(*proc) error { ignoreSignals(); return nil }, nil
		})},
	{name: "istty", usage: "istty",
		help: "print what fds 0-2 are (stdin=tty stdout=pipe stderr=null) and color env vars",
		define: noFlags(func(_, _ []string) (action, error) {
			return istty, nil
		})},
	{name: "status", usage: "status",
		help: "print current VmRSS, VmHWM and threads as a JSON line on stderr",
		define: noFlags(func(_, _ []string) (action, error) {
			return func(p *proc) error { return writeStatus(p.stderr) }, nil
		})},
	{name: "report", usage: "report",
		help: "print getrusage of self and waited-for children, pid, ppid: JSON line on stderr",
		define: noFlags(func(_, _ []string) (action, error) {
			return func(p *proc) error { return writeReport(p.stderr) }, nil
		})},
	{name: "demo", usage: "demo",
		help: "the README showcase: 3 staggered workers (one a grandchild), about 5s",
		define: noFlags(func(_, _ []string) (action, error) {
			return demo, nil
		})},
}

// sleepStep builds the action of hold and sleep.
func sleepStep(args, _ []string) (action, error) {
	d, err := parseDuration(args[0])
	return func(*proc) error { time.Sleep(d); return nil }, err
}
