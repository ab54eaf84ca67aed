package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// rusage is one getrusage reading in the units perfcap reports.
type rusage struct {
	UserSeconds float64 `json:"user_seconds"`
	SysSeconds  float64 `json:"sys_seconds"`
	MaxRSSBytes int64   `json:"maxrss_bytes"`
	MinorFaults int64   `json:"minor_faults"`
	MajorFaults int64   `json:"major_faults"`
}

// reportLine is the report step's JSON line: the truth about this process
// that tests compare perfcap's figures with. Children covers only the
// descendants this process has waited for (and those they waited for), so
// orphans and daemons are not in it.
type reportLine struct {
	PID      int    `json:"pid"`
	PPID     int    `json:"ppid"`
	Self     rusage `json:"self"`
	Children rusage `json:"children"`
}

// writeReport writes the process's reportLine to w as one JSON line.
func writeReport(w io.Writer) error {
	r := reportLine{PID: os.Getpid(), PPID: os.Getppid()}
	for _, who := range []struct {
		which int
		into  *rusage
	}{{unix.RUSAGE_SELF, &r.Self}, {unix.RUSAGE_CHILDREN, &r.Children}} {
		var ru unix.Rusage
		if err := unix.Getrusage(who.which, &ru); err != nil {
			return fmt.Errorf("report: getrusage: %w", err)
		}
		*who.into = rusage{
			UserSeconds: seconds(ru.Utime),
			SysSeconds:  seconds(ru.Stime),
			MaxRSSBytes: ru.Maxrss << 10, // Linux counts it in KiB
			MinorFaults: ru.Minflt,
			MajorFaults: ru.Majflt,
		}
	}
	return json.NewEncoder(w).Encode(r)
}

// seconds converts a timeval to seconds.
func seconds(tv unix.Timeval) float64 { return float64(tv.Nano()) / 1e9 }
