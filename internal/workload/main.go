// Command workload is a program with exactly known behaviour for perfcap to
// measure: the tests and the README demo run it as the measured command and
// compare perfcap's figures with what it is known to have done.
//
// Its command line is a program of steps that run in order, for example
//
//	workload alloc 100MiB hold 2s exit 3
//	workload -report spawn 2 -- spawn 1 -- alloc 50MiB hold 1s
//
// Each step is a name, a fixed number of arguments and its own flags, which
// may come before or after the arguments (burn 2s --threads 4). Steps that
// start other processes (spawn, orphan, detach, daemon) take the rest of the
// command line after "--" as the children's program, so they end the parent's.
// Children run this same executable.
//
// Sizes are whole bytes with an optional binary unit (4096, 512KiB, 100MiB,
// 1GiB); durations are Go durations (1.5s, 300ms) or bare seconds (10).
// Machine-readable facts (the report and status steps) are JSON lines on
// stderr. A malformed command line prints one usage line to stderr and exits
// 2; a step that fails prints one line and exits 1. Run workload -h for the
// list of steps.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
