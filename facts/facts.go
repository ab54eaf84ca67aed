package facts

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// DefaultProbeTimeout bounds one fact probe when Options.Timeout is zero.
const DefaultProbeTimeout = 2 * time.Second

// factsGrace is how long Collect waits past the probe timeout for
// sections that read files rather than run commands; a read stuck on a dead
// network mount must not hold up the run.
const factsGrace = 500 * time.Millisecond

// Options configures Collect.
type Options struct {
	// Dir is the command's working directory; empty means perfcap's own.
	Dir string
	// Command is the command's argv; its first word decides which toolchain
	// is probed (cargo, rustc, rustup, cross and cargo-* probe Rust, go probes
	// Go).
	Command []string
	// Env is the allowlisted, already-redacted environment of the command
	// (RUSTFLAGS, CARGO_PROFILE_* ...). The caller filters it; Collect
	// copies it into Facts.Environment as it is and reads Cargo overrides
	// from it.
	Env map[string]string
	// Run runs one probe command to completion (Start and Wait). perfcap
	// passes its own so probes are not mistaken for children of the measured
	// command; nil means (*exec.Cmd).Run. Every external command a probe
	// needs goes through it.
	Run func(*exec.Cmd) error
	// Timeout bounds each probe; zero means DefaultProbeTimeout.
	Timeout time.Duration
}

// Facts describes the machine, the toolchain and the project a command ran
// on. It is written as env.json.
//
// Collecting facts never fails. A fact that could not be read (a probe that
// failed or timed out, a file the kernel does not expose) is left at its
// zero value, omitted from JSON, and named in Unknown together with the
// reason. A fact that does not apply (no git repository, no Cargo.toml, no
// clang on PATH) is simply omitted.
//
// The hostname is deliberately not collected: it identifies the machine and
// often its owner, and no performance question needs it.
type Facts struct {
	// Collected is when collection started.
	Collected time.Time `json:"collected"`
	// CollectionMS is how long collection took, in milliseconds.
	CollectionMS float64 `json:"collection_ms"`
	// OS is the operating system and kernel.
	OS OSFacts `json:"os"`
	// CPU is the processor as the first CPU reports it.
	CPU CPUFacts `json:"cpu"`
	// Memory is RAM, swap and transparent huge pages.
	Memory MemoryFacts `json:"memory"`
	// Storage is the filesystem and disk behind the working directory.
	Storage *StorageFacts `json:"storage,omitempty"`
	// Virtualization says whether this is a container or a virtual machine.
	Virtualization VirtualizationFacts `json:"virtualization"`
	// System holds load and the kernel settings that decide what perf may do.
	System SystemFacts `json:"system"`
	// Toolchain holds compiler versions.
	Toolchain ToolchainFacts `json:"toolchain"`
	// Git is the working directory's repository state; nil outside a
	// repository or without git.
	Git *GitFacts `json:"git,omitempty"`
	// Cargo is the Cargo project around the working directory; nil when no
	// Cargo.toml is found.
	Cargo *CargoFacts `json:"cargo,omitempty"`
	// Environment is Options.Env as given.
	Environment map[string]string `json:"environment,omitempty"`
	// Unknown maps each fact that could not be read, by its JSON path (such
	// as "cpu.governor" or "toolchain.rustc"), to the reason.
	Unknown map[string]string `json:"unknown,omitempty"`
}

// unknown records that the fact at key could not be read and why.
func (f *Facts) unknown(key, reason string) {
	if f.Unknown == nil {
		f.Unknown = make(map[string]string)
	}
	f.Unknown[key] = reason
}

// unknownErr records err as the reason the fact at key could not be read.
func (f *Facts) unknownErr(key string, err error) {
	f.unknown(key, factsOneLine(err.Error()))
}

// OSFacts describes the operating system.
type OSFacts struct {
	// Name is os-release PRETTY_NAME, such as "Debian GNU/Linux 12 (bookworm)".
	Name string `json:"name,omitempty"`
	// ID is os-release ID, such as "debian".
	ID string `json:"id,omitempty"`
	// VersionID is os-release VERSION_ID, such as "12".
	VersionID string `json:"version_id,omitempty"`
	// Kernel is the kernel release (uname -r).
	Kernel string `json:"kernel,omitempty"`
	// Arch is the machine architecture as the kernel names it (uname -m),
	// such as "x86_64" or "aarch64".
	Arch string `json:"arch,omitempty"`
	// GOARCH is Arch in Go's naming, such as "amd64" or "arm64".
	GOARCH string `json:"goarch,omitempty"`
}

// CPUFacts describes the processor.
type CPUFacts struct {
	// Model is the model name, such as "AMD EPYC 7B13".
	Model string `json:"model,omitempty"`
	// Vendor is the vendor id, such as "GenuineIntel".
	Vendor string `json:"vendor,omitempty"`
	// LogicalCores counts hardware threads; PhysicalCores counts cores.
	LogicalCores  int `json:"logical_cores,omitempty"`
	PhysicalCores int `json:"physical_cores,omitempty"`
	// MinMHz, MaxMHz and CurrentMHz are the first CPU's frequency limits and
	// its frequency at collection time.
	MinMHz     float64 `json:"min_mhz,omitempty"`
	MaxMHz     float64 `json:"max_mhz,omitempty"`
	CurrentMHz float64 `json:"current_mhz,omitempty"`
	// FrequencySource is where the frequencies came from: "cpufreq" (sysfs)
	// or "cpuinfo" (/proc/cpuinfo "cpu MHz", current only, common in VMs).
	FrequencySource string `json:"frequency_source,omitempty"`
	// Governor is the cpufreq scaling governor, such as "performance".
	Governor string `json:"governor,omitempty"`
	// Turbo is "on" or "off": whether the CPU may boost above its base clock.
	Turbo string `json:"turbo,omitempty"`
	// HypervisorFlag is true when the CPU reports the "hypervisor" flag,
	// meaning it runs under a hypervisor.
	HypervisorFlag bool `json:"hypervisor_flag"`
	// Caches lists the first CPU's caches from L1 outwards.
	Caches []CacheFacts `json:"caches,omitempty"`
}

// CacheFacts describes one CPU cache.
type CacheFacts struct {
	// Name is the conventional name: "L1d", "L1i", "L2", "L3".
	Name string `json:"name"`
	// Level is 1, 2, 3...
	Level int `json:"level"`
	// Type is "Data", "Instruction" or "Unified".
	Type string `json:"type"`
	// Size is the size as sysfs writes it, such as "32K".
	Size string `json:"size"`
	// SizeBytes is Size in bytes.
	SizeBytes uint64 `json:"size_bytes"`
	// SharedCPUs lists the CPUs sharing this cache, such as "0-7".
	SharedCPUs string `json:"shared_cpu_list,omitempty"`
}

// MemoryFacts describes memory.
type MemoryFacts struct {
	// TotalBytes and AvailableBytes are RAM as the kernel reports it.
	TotalBytes     uint64 `json:"total_bytes,omitempty"`
	AvailableBytes uint64 `json:"available_bytes,omitempty"`
	// SwapTotalBytes and SwapFreeBytes are swap; zero means no swap.
	SwapTotalBytes uint64 `json:"swap_total_bytes"`
	SwapFreeBytes  uint64 `json:"swap_free_bytes"`
	// TransparentHugePages is the THP mode: "always", "madvise" or "never".
	TransparentHugePages string `json:"transparent_hugepages,omitempty"`
}

// SystemFacts holds load and the kernel settings that matter to profiling.
type SystemFacts struct {
	// LoadAverage is the 1, 5 and 15 minute load average at collection.
	LoadAverage []float64 `json:"load_average,omitempty"`
	// PerfEventParanoid is kernel.perf_event_paranoid; nil when unreadable.
	PerfEventParanoid *int `json:"perf_event_paranoid,omitempty"`
	// KptrRestrict is kernel.kptr_restrict, which hides kernel symbols from
	// perf; nil when unreadable.
	KptrRestrict *int `json:"kptr_restrict,omitempty"`
}

// Collect reads the facts of the machine, the toolchain and the project
// in opts.Dir. Sections are read concurrently, so collection takes about as
// long as the slowest probe, and never much longer than opts.Timeout: a
// section still running then is recorded in Facts.Unknown and its late
// result dropped. Cancelling ctx ends collection early the same way.
func Collect(ctx context.Context, opts Options) *Facts {
	start := time.Now()
	c := newFactsCollector(opts)
	f := &Facts{Collected: start}
	if len(c.env) > 0 {
		f.Environment = maps.Clone(c.env)
	}
	sections := []struct {
		name string
		read func(context.Context) func(*Facts)
	}{
		{"os", c.osSection},
		{"cpu", c.cpuSection},
		{"memory", c.memorySection},
		{"storage", c.storageSection},
		{"virtualization", c.virtualizationSection},
		{"system", c.systemSection},
		{"toolchain", c.toolchainSection},
		{"git", c.gitSection},
		{"cargo", c.cargoSection},
	}

	var (
		mu      sync.Mutex
		closed  bool
		pending = make(map[string]bool, len(sections))
		wg      sync.WaitGroup
	)
	for _, s := range sections {
		pending[s.name] = true
	}
	for _, s := range sections {
		wg.Go(func() {
			apply := s.read(ctx)
			mu.Lock()
			defer mu.Unlock()
			if closed {
				return
			}
			delete(pending, s.name)
			apply(f)
		})
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(c.timeout + factsGrace)
	defer timer.Stop()
	reason := ""
	select {
	case <-done:
	case <-timer.C:
		reason = "timed out"
	case <-ctx.Done():
		reason = factsOneLine(ctx.Err().Error())
	}

	mu.Lock()
	defer mu.Unlock()
	closed = true
	for name := range pending {
		f.unknown(name, reason)
	}
	f.CollectionMS = float64(time.Since(start).Microseconds()) / 1000
	return f
}

// factsCollector holds what every section needs.
type factsCollector struct {
	root    string // filesystem root the /proc and /sys readers start from
	dir     string // resolved working directory
	dirErr  error  // why dir could not be resolved, if it could not
	argv    []string
	env     map[string]string
	run     func(*exec.Cmd) error
	timeout time.Duration
}

// newFactsCollector applies the defaults of Options.
func newFactsCollector(opts Options) *factsCollector {
	c := &factsCollector{
		root:    "/",
		argv:    opts.Command,
		env:     maps.Clone(opts.Env),
		run:     opts.Run,
		timeout: opts.Timeout,
	}
	if c.run == nil {
		c.run = (*exec.Cmd).Run
	}
	if c.timeout <= 0 {
		c.timeout = DefaultProbeTimeout
	}
	c.dir, c.dirErr = factsResolveDir(opts.Dir)
	return c
}

// factsResolveDir makes dir absolute with symbolic links resolved, so it can be
// matched against mount points.
func factsResolveDir(dir string) (string, error) {
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("finding the working directory: %w", err)
		}
		dir = wd
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolving %q: %w", dir, err)
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("resolving %q: %w", dir, err)
	}
	return resolved, nil
}
