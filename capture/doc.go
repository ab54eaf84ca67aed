// Package capture runs a command and measures it.
//
// The pipeline of one run:
//
//  1. Run starts the command in its own process group (on a pseudo-terminal
//     when perfcap's stdout or stderr is one), with perfcap as a child
//     subreaper so orphaned descendants stay in the measured tree.
//  2. A Sampler takes one pass over /proc (parsed by capture/procfs) on a fixed schedule
//     (start + k·interval) and turns it into a Sample of the whole tree.
//  3. The Reaper waits for every process of the tree that ends up a child of
//     perfcap and sums its rusage, giving exact CPU and fault totals that
//     the samples alone cannot.
//  4. The command's stdout and stderr go to the terminal and, bounded and
//     redacted, into logs; with Options.OnLine, every line also goes out
//     stamped with when it came, and perf record stamps its samples with
//     the same clock (PerfResult.ClockStart maps one onto the other).
//  5. Probes: the caller's Options.Probes runs while the command does (the
//     facts package collects the machine's facts there).
//  6. With Options.Perf, perf record follows the tree; with PerfOptions.Spool
//     its output is cut into chunks (package capture/perfpipe) that perf
//     script reads while the command runs (perfChunks), so the perf output
//     on disk stays under PerfOptions.MaxSize however long the run.
//
// capture never imports bundle: cmd/perfcap packs what Run returns.
package capture
