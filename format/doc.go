// Package format owns every data file of a bundle and a spool: each has
// its writer and its reader here, side by side, its header written once,
// and a round-trip test (roundtrip_test.go).
//
//	timeline.csv         TimelineWriter / TimelineReader    one row per sample of the tree
//	process_samples.csv  ProcessSampleWriter / ProcessSampleReader
//	processes.csv        WriteProcesses / ReadProcesses     one row per process seen
//	watch.csv            WatchWriter / WatchReader          a watch's fds, PSS and USS
//	phases.csv           WritePhases / ReadPhases           a benchmark harness's phases
//	summary.json         Summary, WriteSummary / ReadSummary
//
// Writers append rows with strconv's Append functions into one buffer (no
// allocation per row) and keep the first error. Readers are Scanner-style
// and stream: a bad row is skipped and reported by file and line, reading
// goes on, and memory stays constant whatever the input. A header other
// than the one written here is refused: the columns are the version.
//
// env.json is owned by package facts, manifest.json by package bundle,
// the spool's meta.json and events.jsonl by capture/spool.
package format
