package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

// proc is the running workload: where its steps write.
type proc struct {
	stdout, stderr io.Writer
}

// out is stderr when toStderr is set, stdout otherwise.
func (p *proc) out(toStderr bool) io.Writer {
	if toStderr {
		return p.stderr
	}
	return p.stdout
}

// exitStatus is returned by a step that ends the program with a status code.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit %d", int(s)) }

// signalDeath is returned by a step that ends the program by a signal.
type signalDeath syscall.Signal

func (s signalDeath) Error() string { return "killed by " + unix.SignalName(syscall.Signal(s)) }

// run parses args, runs the program and returns the exit status; it is the
// one place where errors become exit codes.
func run(args []string, stdout, stderr io.Writer) int {
	prog, err := parseProgram(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, helpText())
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "workload: %v\n", err)
		return 2
	}
	p := &proc{stdout: stdout, stderr: stderr}
	for _, act := range prog.steps {
		if err = act(p); err != nil {
			break
		}
	}
	if prog.report {
		if rerr := writeReport(stderr); rerr != nil && err == nil {
			err = rerr
		}
	}
	var status exitStatus
	var death signalDeath
	switch {
	case err == nil:
		return 0
	case errors.As(err, &status):
		return int(status)
	case errors.As(err, &death):
		err = raise(syscall.Signal(death))
	}
	fmt.Fprintf(stderr, "workload: %v\n", err)
	return 1
}
