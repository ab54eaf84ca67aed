package facts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/shirou/gopsutil/v4/mem"
)

// errNoCPUFreq reports a kernel without cpufreq, as in most virtual machines.
var errNoCPUFreq = errors.New("no cpufreq in /sys (usual in virtual machines)")

// errNoTurboControl reports a kernel exposing no boost switch.
var errNoTurboControl = errors.New("no intel_pstate/no_turbo or cpufreq boost in /sys")

// cpuSection reads the processor from /proc/cpuinfo and /sys. (gopsutil's
// cpu package is not used: it needs modules this module does not require.)
func (c *factsCollector) cpuSection(context.Context) func(*Facts) {
	info, infoErr := readCPUInfo(c.root)
	physical, physicalErr := countPhysicalCores(c.root)
	freq, freqErr := readCPUFreq(c.root)
	turbo, turboErr := readTurbo(c.root)
	caches, cachesErr := readCPUCaches(c.root)
	return func(f *Facts) {
		if infoErr != nil {
			f.unknownErr("cpu", infoErr)
		}
		f.CPU.Model, f.CPU.Vendor, f.CPU.LogicalCores = info.model, info.vendor, info.processors
		f.CPU.HypervisorFlag = slices.Contains(info.flags, "hypervisor")
		if f.CPU.Model == "" && infoErr == nil {
			f.unknown("cpu.model", "no model name in /proc/cpuinfo")
		}
		if physicalErr != nil {
			physical = info.cores
		}
		if physical == 0 {
			f.unknown("cpu.physical_cores", "neither /sys topology nor /proc/cpuinfo core ids")
		}
		f.CPU.PhysicalCores = physical

		if freqErr == nil {
			f.CPU.FrequencySource = "cpufreq"
			f.CPU.MinMHz, f.CPU.MaxMHz, f.CPU.CurrentMHz = freq.minMHz, freq.maxMHz, freq.curMHz
			f.CPU.Governor = freq.governor
			if f.CPU.Governor == "" {
				f.unknown("cpu.governor", "no scaling_governor in cpufreq")
			}
		} else {
			f.unknownErr("cpu.min_mhz", freqErr)
			f.unknownErr("cpu.max_mhz", freqErr)
			f.unknownErr("cpu.governor", freqErr)
		}
		if f.CPU.CurrentMHz == 0 && info.mhz > 0 {
			f.CPU.CurrentMHz, f.CPU.FrequencySource = info.mhz, "cpuinfo"
		}
		if f.CPU.CurrentMHz == 0 {
			f.unknown("cpu.current_mhz", "neither cpufreq nor /proc/cpuinfo gives a frequency")
		}
		if turboErr != nil {
			f.unknownErr("cpu.turbo", turboErr)
		}
		f.CPU.Turbo = turbo
		if cachesErr != nil {
			f.unknownErr("cpu.caches", cachesErr)
		}
		f.CPU.Caches = caches
	}
}

// procCPUInfo is what /proc/cpuinfo tells.
type procCPUInfo struct {
	model, vendor string
	processors    int      // processor entries: online logical CPUs
	cores         int      // distinct (physical id, core id) pairs; 0 when absent
	flags         []string // the first processor's flags
	mhz           float64  // the first processor's "cpu MHz"
}

// readCPUInfo reads /proc/cpuinfo below root. On ARM, which has no "model
// name", the model falls back to the board's "Model" line, then the SoC's
// "Hardware" line, then the implementer and part numbers.
func readCPUInfo(root string) (procCPUInfo, error) {
	data, err := os.ReadFile(filepath.Join(root, "proc/cpuinfo"))
	if err != nil {
		return procCPUInfo{}, err
	}
	return parseCPUInfo(string(data)), nil
}

// parseCPUInfo parses the text of /proc/cpuinfo, see readCPUInfo.
func parseCPUInfo(data string) procCPUInfo {
	var info procCPUInfo
	var physID, board, hardware, implementer, part string
	cores := make(map[string]bool)
	for line := range strings.Lines(data) {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		first := info.processors <= 1
		switch key {
		case "processor":
			info.processors++
		case "model name":
			if info.model == "" {
				info.model = val
			}
		case "vendor_id":
			if info.vendor == "" {
				info.vendor = val
			}
		case "Model":
			board = val
		case "Hardware":
			hardware = val
		case "CPU implementer":
			if first {
				implementer = val
			}
		case "CPU part":
			if first {
				part = val
			}
		case "flags", "Features":
			if info.flags == nil {
				info.flags = strings.Fields(val)
			}
		case "cpu MHz":
			if info.mhz == 0 {
				info.mhz, _ = strconv.ParseFloat(val, 64)
			}
		case "physical id":
			physID = val
		case "core id":
			cores[physID+"/"+val] = true
		}
	}
	info.cores = len(cores)
	switch {
	case info.model != "":
	case board != "":
		info.model = board
	case hardware != "":
		info.model = hardware
	case implementer != "":
		info.model = "implementer " + implementer + " part " + part
	}
	if info.vendor == "" && implementer != "" {
		info.vendor = "implementer " + implementer
	}
	return info
}

// countPhysicalCores counts the distinct core_cpus_list (or, on older
// kernels, thread_siblings_list) of the CPUs in /sys below root: each
// physical core's hardware threads share one list.
func countPhysicalCores(root string) (int, error) {
	cpus, err := filepath.Glob(filepath.Join(root, "sys/devices/system/cpu/cpu[0-9]*"))
	if err != nil {
		return 0, fmt.Errorf("listing CPUs: %w", err)
	}
	lists := make(map[string]bool)
	for _, dir := range cpus {
		for _, name := range []string{"core_cpus_list", "thread_siblings_list"} {
			if data, err := os.ReadFile(filepath.Join(dir, "topology", name)); err == nil {
				lists[strings.TrimSpace(string(data))] = true
				break
			}
		}
	}
	if len(lists) == 0 {
		return 0, fmt.Errorf("no CPU topology in %s", filepath.Join(root, "sys/devices/system/cpu"))
	}
	return len(lists), nil
}

// cpuFreq is the first CPU's cpufreq reading.
type cpuFreq struct {
	minMHz, maxMHz, curMHz float64
	governor               string
}

// readCPUFreq reads cpu0's cpufreq limits, current frequency (all in kHz in
// sysfs) and governor below root. A missing file leaves its value zero; only
// a missing cpufreq directory is an error.
func readCPUFreq(root string) (cpuFreq, error) {
	dir := "sys/devices/system/cpu/cpu0/cpufreq"
	if _, err := os.Stat(filepath.Join(root, dir)); err != nil {
		return cpuFreq{}, errNoCPUFreq
	}
	mhz := func(name string) float64 {
		khz, err := factsReadInt(root, dir+"/"+name)
		if err != nil {
			return 0
		}
		return float64(khz) / 1000
	}
	governor, _ := factsReadFile(root, dir+"/scaling_governor")
	return cpuFreq{
		minMHz:   mhz("cpuinfo_min_freq"),
		maxMHz:   mhz("cpuinfo_max_freq"),
		curMHz:   mhz("scaling_cur_freq"),
		governor: governor,
	}, nil
}

// readTurbo reads whether the CPU may boost: intel_pstate's no_turbo (1
// means off) first, then the cpufreq boost switch, global or per policy
// (1 means on).
func readTurbo(root string) (string, error) {
	if v, err := factsReadFile(root, "sys/devices/system/cpu/intel_pstate/no_turbo"); err == nil {
		return turboWord(v == "0"), nil
	}
	for _, path := range []string{
		"sys/devices/system/cpu/cpufreq/boost",
		"sys/devices/system/cpu/cpufreq/policy0/boost",
	} {
		if v, err := factsReadFile(root, path); err == nil {
			return turboWord(v == "1"), nil
		}
	}
	return "", errNoTurboControl
}

// turboWord names a boost state.
func turboWord(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// readCPUCaches reads cpu0's caches from
// /sys/devices/system/cpu/cpu0/cache/index*/ below root, in index order
// (L1d, L1i, L2, L3 on usual machines).
func readCPUCaches(root string) ([]CacheFacts, error) {
	dir := filepath.Join(root, "sys/devices/system/cpu/cpu0/cache")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type indexed struct {
		n int
		c CacheFacts
	}
	var found []indexed
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), "index")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			continue
		}
		rel := filepath.Join("sys/devices/system/cpu/cpu0/cache", e.Name())
		level, err := factsReadInt(root, rel+"/level")
		if err != nil {
			continue
		}
		typ, _ := factsReadFile(root, rel+"/type")
		size, _ := factsReadFile(root, rel+"/size")
		shared, _ := factsReadFile(root, rel+"/shared_cpu_list")
		found = append(found, indexed{n, CacheFacts{
			Name:       cacheName(level, typ),
			Level:      level,
			Type:       typ,
			Size:       size,
			SizeBytes:  parseCacheSize(size),
			SharedCPUs: shared,
		}})
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no caches described in %s", dir)
	}
	slices.SortFunc(found, func(a, b indexed) int { return a.n - b.n })
	caches := make([]CacheFacts, len(found))
	for i, x := range found {
		caches[i] = x.c
	}
	return caches, nil
}

// cacheName gives a cache its conventional name: L1d, L1i, L2...
func cacheName(level int, typ string) string {
	name := "L" + strconv.Itoa(level)
	switch typ {
	case "Data":
		name += "d"
	case "Instruction":
		name += "i"
	}
	return name
}

// parseCacheSize turns sysfs sizes such as "32K" or "32768K" into bytes; an
// unreadable size gives 0.
func parseCacheSize(s string) uint64 {
	mult := uint64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0
	}
	return n * mult
}

// memorySection reads RAM, swap and the transparent huge pages mode.
func (c *factsCollector) memorySection(ctx context.Context) func(*Facts) {
	vm, vmErr := mem.VirtualMemoryWithContext(ctx)
	swap, swapErr := mem.SwapMemoryWithContext(ctx)
	thp, thpErr := readTHP(c.root)
	return func(f *Facts) {
		if vmErr != nil {
			f.unknownErr("memory.total_bytes", vmErr)
		} else {
			f.Memory.TotalBytes, f.Memory.AvailableBytes = vm.Total, vm.Available
		}
		if swapErr != nil {
			f.unknownErr("memory.swap_total_bytes", swapErr)
		} else {
			f.Memory.SwapTotalBytes, f.Memory.SwapFreeBytes = swap.Total, swap.Free
		}
		if thpErr != nil {
			f.unknownErr("memory.transparent_hugepages", thpErr)
		}
		f.Memory.TransparentHugePages = thp
	}
}

// readTHP reads the transparent huge pages mode: the bracketed word of
// /sys/kernel/mm/transparent_hugepage/enabled below root.
func readTHP(root string) (string, error) {
	s, err := factsReadFile(root, "sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return "", err
	}
	_, rest, ok := strings.Cut(s, "[")
	mode, _, closed := strings.Cut(rest, "]")
	if !ok || !closed || mode == "" {
		return "", fmt.Errorf("no [mode] in transparent_hugepage/enabled %q", s)
	}
	return mode, nil
}
