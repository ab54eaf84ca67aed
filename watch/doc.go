// Package watch is the engine of `perfcap watch`: it samples a running
// process tree (Config.PID) or a command it starts and restarts
// (Config.Argv) for hours or days, and says whether its memory grows.
//
// The pipeline of one watch:
//
//  1. New checks the Config, finds the process and creates the spool
//     (capture/spool): meta.json, a lock, and the data files.
//  2. Run samples through capture (WatchPID, or Run per start of the
//     command). Every sample takes the per-sample path (state.go): into
//     the spool, into the bounded trend series (capture/trend), past the
//     alert rules (capture/alert). A fired alert is in the spool at once
//     and queues a snapshot (snapshot.go): a bundle of the watch so far
//     with /proc evidence, a short perf recording and a heap profile.
//  3. When the watch ends (Duration, the process's end, ctx, or Stop) the
//     bundle is made from the spool (bundle.go), streaming, with the same
//     code that recovers the spool of a killed watch (Recover).
//
// The CLI (cmd/perfcap) only builds the Config, routes signals to Stop and
// Snapshot, draws the status line through the OnSample hook and prints the
// Result. A Go test can drive a watch the same way (watch_test.go).
package watch
