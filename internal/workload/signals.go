package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// waitedSignals are the signals wait-signal waits for and ignore-signals
// ignores: the ones a supervisor sends to stop a command.
var waitedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// parseSignal reads a signal by name, with or without SIG, or by number,
// and accepts only signals whose default action ends the process.
func parseSignal(s string) (syscall.Signal, error) {
	sig := unix.SignalNum("SIG" + strings.TrimPrefix(strings.ToUpper(s), "SIG"))
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= 64 {
		sig = syscall.Signal(n)
	}
	if sig == 0 {
		return 0, fmt.Errorf("bad signal %q: want a name like TERM or a number like 9", s)
	}
	switch sig {
	case syscall.SIGCHLD, syscall.SIGCONT, syscall.SIGSTOP, syscall.SIGTSTP,
		syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGURG, syscall.SIGWINCH:
		return 0, fmt.Errorf("%s does not end a process; want e.g. TERM, INT, KILL, QUIT or SEGV", unix.SignalName(sig))
	}
	return sig, nil
}

// waitSignal says on stderr that it is waiting, so a test knows when to
// send, waits for one of waitedSignals, names it on stderr and ends the
// program by that same signal (rather than exit 128+N), so the parent's
// wait status shows it.
func waitSignal(p *proc) error {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, waitedSignals...)
	fmt.Fprintln(p.stderr, "workload: waiting for SIGINT, SIGTERM or SIGHUP")
	sig := (<-ch).(syscall.Signal)
	signal.Stop(ch)
	fmt.Fprintf(p.stderr, "workload: received %s\n", unix.SignalName(sig))
	return signalDeath(sig)
}

// ignoreSignals sets waitedSignals to SIG_IGN. Children started later
// inherit that across exec, but a Go child such as workload itself installs
// its own SIGTERM handler at start, so a workload child that must survive
// SIGTERM says ignore-signals itself.
func ignoreSignals() { signal.Ignore(waitedSignals...) }

// raise ends the process by sig with the kernel's default action, so the
// parent's wait status shows the signal. Go's runtime handles every signal
// itself and for some (QUIT, SEGV, ABRT...) would print a traceback and
// exit 2 instead, so the default action is put back with a raw
// rt_sigaction. The core size limit is set to 0 first so QUIT, ABRT and SEGV
// leave no core file. raise returns only if the process survived.
func raise(sig syscall.Signal) error {
	signal.Reset(sig)
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return fmt.Errorf("disabling core dumps: %w", err)
	}
	if sig != syscall.SIGKILL {
		// The kernel's struct sigaction, all zero: handler SIG_DFL, no
		// flags, empty mask. The last argument is the size of a sigset.
		var act [4]uint64
		if _, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0); errno != 0 {
			return fmt.Errorf("restoring the default action of %s: %w", unix.SignalName(sig), errno)
		}
	}
	if err := unix.Kill(os.Getpid(), sig); err != nil {
		return fmt.Errorf("raising %s: %w", unix.SignalName(sig), err)
	}
	time.Sleep(time.Second)
	return fmt.Errorf("still alive a second after raising %s", unix.SignalName(sig))
}
