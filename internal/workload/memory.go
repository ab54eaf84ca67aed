package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// alloc maps size bytes of private anonymous memory, outside the Go heap so
// the garbage collector neither sees nor frees it, and writes one byte to
// every page so the kernel backs each one: RSS grows by size rounded up to a
// page. The mapping lives until the process exits.
func alloc(size int64) error {
	if size == 0 {
		return nil
	}
	mem, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return fmt.Errorf("alloc: mapping %d bytes: %w", size, err)
	}
	page := unix.Getpagesize()
	for i := 0; i < len(mem); i += page {
		mem[i] = 1
	}
	return nil
}

// memStatus is the status step's JSON line: the process's memory as the
// kernel counts it at that moment, from /proc/self/status.
type memStatus struct {
	PID     int    `json:"pid"`
	VmRSS   uint64 `json:"vmrss_bytes"`
	VmHWM   uint64 `json:"vmhwm_bytes"`
	Threads int    `json:"threads"`
}

// writeStatus writes the process's memStatus to w as one JSON line.
func writeStatus(w io.Writer) error {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	defer f.Close()
	st := memStatus{PID: os.Getpid()}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, _ := strings.Cut(sc.Text(), ":")
		n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		switch key {
		case "VmRSS":
			st.VmRSS = n << 10
		case "VmHWM":
			st.VmHWM = n << 10
		case "Threads":
			st.Threads = int(n)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("status: reading /proc/self/status: %w", err)
	}
	return json.NewEncoder(w).Encode(st)
}
