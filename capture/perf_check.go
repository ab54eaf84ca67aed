package capture

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/perfcap/perfcap/internal/units"
)

// maxDwarfStack is the largest stack perf copies per sample with dwarf
// unwinding (it must be a multiple of 8 below 64 KiB).
const maxDwarfStack = 65528

// CheckPerfOptions checks the recording options before a command starts,
// so that a typo fails at once instead of after an hour-long run that
// recorded nothing. It normalizes MaxSize to a form perf accepts. An Event
// the kernel or perf refuses is found by a short probe (perf record of
// `true`); the probe is skipped when perf is not installed, which the run
// reports as a reason of its own.
func CheckPerfOptions(ctx context.Context, opts *PerfOptions) error {
	if opts.Freq < 0 {
		return fmt.Errorf("--perf-freq %d: a frequency is a positive number of Hz; try --perf-freq 99", opts.Freq)
	}
	if err := checkCallGraph(opts.CallGraph); err != nil {
		return err
	}
	if opts.MaxSize != "" {
		n, err := units.ParseSize(opts.MaxSize)
		if err != nil || n < 64<<10 {
			return fmt.Errorf("--perf-max-size %q: want a size of at least 64KiB, such as 512M or 2GiB", opts.MaxSize)
		}
		// perf reads B, K, M and G tags (binary) and refuses bare numbers.
		opts.MaxSize = strconv.FormatInt(n>>10, 10) + "K"
	}
	if opts.Event == "" {
		return nil
	}
	if _, err := exec.LookPath("perf"); err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// A file of its own: perf record renames an existing output file to
	// NAME.old, which for -o /dev/null would replace the device.
	dir, err := os.MkdirTemp("", "perfcap-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var stderr bytes.Buffer
	probe := exec.CommandContext(ctx, "perf", "record", "-q", "-e", opts.Event, "-o", filepath.Join(dir, "probe.data"), "--", "true")
	probe.Stderr = &stderr
	if err := probe.Run(); err != nil {
		why := strings.TrimSpace(firstLineOf(stderr.String()))
		if why == "" {
			why = err.Error()
		}
		return fmt.Errorf("--perf-event %q: perf cannot record it (%s); list the events with `perf list`, or leave --perf-event out", opts.Event, why)
	}
	return nil
}

// checkCallGraph accepts auto, fp, lbr, dwarf and dwarf,SIZE.
func checkCallGraph(cg string) error {
	switch cg {
	case "", "auto", "fp", "lbr", "dwarf":
		return nil
	}
	if size, ok := strings.CutPrefix(cg, "dwarf,"); ok {
		n, err := strconv.Atoi(size)
		if err == nil && n > 0 && n <= maxDwarfStack && n%8 == 0 {
			return nil
		}
		return fmt.Errorf("--call-graph %q: the dwarf stack size is a multiple of 8 up to %d bytes; try --call-graph dwarf,16384", cg, maxDwarfStack)
	}
	return fmt.Errorf("--call-graph %q: want auto, fp, dwarf, dwarf,SIZE or lbr; try --call-graph fp", cg)
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
