// Package procfs parses the /proc files perfcap's sampler and watch read:
// /proc/PID/stat and status, /proc/stat, /proc/meminfo,
// /proc/sys/kernel/ns_last_pid, smaps_rollup, the fd directory, and the
// raw dirents of a directory read with getdents(2).
//
// Everything here is outside input: each parser takes bytes, never
// panics on any of them (fuzzed), allocates nothing per call on the hot
// paths, and returns one-line errors that name the field or line (proc(5)
// numbering). The sampler owns the file descriptors; this package only
// reads what it is given (Pread, Getdents) or opens one file per call.
package procfs
