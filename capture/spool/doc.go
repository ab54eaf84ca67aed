// Package spool keeps a watch's evidence on disk as it is gathered, so that
// a watch killed with SIGKILL, or a machine that rebooted, loses at most the
// last few seconds.
//
// A spool is a directory:
//
//	meta.json            what is watched and how (written once, atomically)
//	lock                 flock(2)ed by the watch while it runs; holds its pid
//	env.json             the machine's facts, when collected (atomically)
//	timeline.csv         one row per sample, the bundle's format
//	process_samples.csv  one row per process per sample, the bundle's format
//	watch.csv            t_seconds,fds,pss_bytes,uss_bytes per sample
//	events.jsonl         starts, exits, restarts, alerts, snapshots
//
// The CSV files are appended in whole rows and flushed to the kernel every
// FlushEvery and to the disk (fdatasync) every SyncEvery; events are
// written and synced at once, as they are rare and matter. A reader takes
// each CSV file up to its last newline, so a row torn by a crash is
// dropped, not misread. The files of a spool are those of a bundle, so
// turning a spool into a bundle (`perfcap bundle DIR`) is a copy plus the
// analysis, the same code the end of a watch runs.
package spool
