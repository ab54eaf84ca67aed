// Package assemble is the run engine (Session, below) and writes the
// files of a bundle that are derived from the measurements rather than
// measured: perf/ (flamegraph, folded stacks and
// pprof profile from perf.data, with the hot spots into summary.json),
// timeline.svg (from the staged timeline.csv and processes.csv) and
// report.md (from everything staged so far), and a run's bench/ and
// attach/ (Bench collects benchmark results from the output and the
// tools' files; Attachments copies --attach files). A run (cmd/perfcap) and a
// watch (package watch) both finish their bundles through it, so the two
// cannot drift apart.
//
// Session runs one command into a bundle (what `perfcap run` does):
// NewSession stages the bundle and marks it a spool, Capture runs the
// command through capture.Run with the Recorder and Bench fed as it goes
// and folds perf's recording, Finish writes the summary, report and
// manifest and packs the bundle. The caller configures it with a
// SessionConfig and sees it through hooks (OnSample, OnCommandEnd, Warn,
// Error); it prints nothing itself.
package assemble
