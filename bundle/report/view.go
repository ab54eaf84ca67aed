package report

import (
	"slices"
	"strings"

	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
)

// The methods below are conveniences for templates: the evidence-based
// answers to the template's questions, and capped views of long lists
// (ShownX and MoreX, the count left out).

// OSFamily is "linux", "macos", "windows" or "" when the facts do not say:
// from rustc's host triple, else from /etc/os-release having been read.
func (d *Data) OSFamily() string {
	if d.Facts == nil {
		return ""
	}
	if r := d.Facts.Toolchain.Rustc; r != nil {
		switch {
		case strings.Contains(r.Host, "-linux"):
			return "linux"
		case strings.Contains(r.Host, "-apple-darwin"):
			return "macos"
		case strings.Contains(r.Host, "-windows"):
			return "windows"
		}
	}
	if d.Facts.OS.ID != "" || strings.Contains(strings.ToLower(d.Facts.OS.Name), "linux") {
		return "linux"
	}
	return ""
}

// Arch is the machine architecture in the template's spelling: "x86_64",
// "ARM64", "RISC-V", another kernel name, or "" when unknown.
func (d *Data) Arch() string {
	if d.Facts == nil {
		return ""
	}
	switch a := d.Facts.OS.Arch; a {
	case "x86_64", "amd64":
		return "x86_64"
	case "aarch64", "arm64":
		return "ARM64"
	case "riscv64":
		return "RISC-V"
	default:
		return a
	}
}

// Release reports whether the build profile is release or inherits it
// (bench).
func (d *Data) Release() bool { return d.BuildProfile == "release" || d.BuildProfile == "bench" }

// Debug reports whether the build profile is Cargo's dev profile.
func (d *Data) Debug() bool { return d.BuildProfile == "debug" }

// ProfileSetting returns a setting of the named Cargo profile as Cargo
// will apply it ("3", "fat"), or "" when the facts do not hold it.
func (d *Data) ProfileSetting(profile, key string) string {
	if d.Facts == nil || d.Facts.Cargo == nil {
		return ""
	}
	return d.Facts.Cargo.Profiles[profile][key].Value
}

// ActiveOptLevel is the opt-level of the build profile, "" when unknown.
func (d *Data) ActiveOptLevel() string {
	p := d.BuildProfile
	if p == "debug" {
		p = "dev"
	}
	return d.ProfileSetting(p, "opt-level")
}

// CrateVersion is the version in Cargo.toml, "" when unknown.
func (d *Data) CrateVersion() string {
	if d.Facts == nil || d.Facts.Cargo == nil {
		return ""
	}
	return d.Facts.Cargo.Version
}

// GitCommit is the commit of the working directory, "" when unknown.
func (d *Data) GitCommit() string {
	if d.Facts == nil || d.Facts.Git == nil {
		return ""
	}
	return d.Facts.Git.Commit
}

// GitDirty reports whether the working tree had uncommitted changes.
func (d *Data) GitDirty() bool {
	return d.Facts != nil && d.Facts.Git != nil && d.Facts.Git.Dirty != nil && *d.Facts.Git.Dirty
}

// EnvironmentKnown reports whether the facts describe the machine.
func (d *Data) EnvironmentKnown() bool {
	return d.Facts != nil && (d.Facts.OS.Kernel != "" || d.Facts.CPU.Model != "")
}

// Cargo reports whether the command is a Cargo build.
func (d *Data) Cargo() bool { return d.BuildProfile != "" }

// Caches describes the CPU caches: "L1d 32K, L1i 32K, L2 1024K, L3 32768K".
func (d *Data) Caches() string {
	if d.Facts == nil {
		return ""
	}
	var parts []string
	for _, c := range d.Facts.CPU.Caches {
		parts = append(parts, c.Name+" "+c.Size)
	}
	return strings.Join(parts, ", ")
}

// HasFile reports whether the bundle holds the file.
func (d *Data) HasFile(p string) bool {
	_, ok := d.Manifest.File(p)
	return ok
}

// FlameGraph reports whether the bundle holds a flame graph.
func (d *Data) FlameGraph() bool { return d.HasFile("perf/flame.svg") }

// PerfRecorded reports whether perf recorded stacks.
func (d *Data) PerfRecorded() bool {
	return d.Perf != nil && d.Perf.Recorded
}

// PerfFailed reports whether perf was asked for but recorded nothing; the
// reason and fix are in Perf.Reason and Perf.Fix.
func (d *Data) PerfFailed() bool {
	return d.Perf != nil && !d.Perf.Recorded
}

// ProfilingData reports whether the bundle holds profiling data beyond
// the picture: perf.data, a pprof profile or folded stacks.
func (d *Data) ProfilingData() bool {
	return d.HasFile("perf/perf.data") || d.HasFile("perf/profile.pb.gz") || d.HasFile("perf/folded.txt")
}

// BenchmarkOutput reports whether benchmark results were found.
func (d *Data) BenchmarkOutput() bool { return len(d.Benchmarks) > 0 }

// Regressed reports whether a benchmark regressed: with a Comparison,
// whether it found a significant regression; without one, whether a
// benchmark's own comparison with its baseline (Criterion's) says so.
func (d *Data) Regressed() bool {
	if d.Comparison != nil {
		return d.Comparison.Regressed
	}
	for _, b := range d.Benchmarks {
		if b.Change != nil && b.Change.Verdict == "regressed" {
			return true
		}
	}
	return false
}

// GrowthDetected reports whether a memory growth analysis found growth.
func (d *Data) GrowthDetected() bool { return d.MemoryGrowth != nil && d.MemoryGrowth.Detected }

// Duration classifies the wall time as the template does: "short" (< 1 s),
// "medium" (1–60 s), "long" (> 60 s), or "" when it was not measured.
func (d *Data) Duration() string {
	switch s := d.Summary.WallSeconds; {
	case s <= 0:
		return ""
	case s < 1:
		return "short"
	case s <= 60:
		return "medium"
	}
	return "long"
}

// StartupKnown reports whether the command wrote anything, so that the
// time to its first output is a start-up figure.
func (d *Data) StartupKnown() bool {
	return d.Summary.FirstOutputSeconds >= 0 && d.Summary.WallSeconds > 0
}

// Headline is the first benchmark, the report's headline figure; nil when
// there is none.
func (d *Data) Headline() *bench.Result {
	if len(d.Benchmarks) == 0 {
		return nil
	}
	return &d.Benchmarks[0]
}

// FirstThroughput is the first benchmark reporting a throughput.
func (d *Data) FirstThroughput() *bench.Result {
	for i := range d.Benchmarks {
		if d.Benchmarks[i].Throughput != nil {
			return &d.Benchmarks[i]
		}
	}
	return nil
}

func shown[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func more(total, n int) int { return max(total-n, 0) }

// ShownBenchmarks are the benchmarks the report lists.
func (d *Data) ShownBenchmarks() []bench.Result { return shown(d.Benchmarks, d.Caps.Benchmarks) }

// MoreBenchmarks counts those left out.
func (d *Data) MoreBenchmarks() int { return more(len(d.Benchmarks), d.Caps.Benchmarks) }

// BenchFiles names where all benchmark results are: the bundle's
// directories under bench/ (at most two levels deep, "bench/criterion/"),
// else its stdout.log, and summary.json.
func (d *Data) BenchFiles() string {
	var files []string
	for _, f := range d.Manifest.Files {
		parts := strings.Split(f.Path, "/")
		if len(parts) < 2 || parts[0] != "bench" {
			continue
		}
		dir := "bench/"
		if len(parts) > 2 {
			dir += parts[1] + "/"
		}
		if !slices.Contains(files, dir) {
			files = append(files, dir)
		}
	}
	if len(files) == 0 && d.HasFile("stdout.log") {
		files = append(files, "stdout.log")
	}
	return strings.Join(append(files, "summary.json"), ", ")
}

// ShownMetrics are the --metric values the report lists.
func (d *Data) ShownMetrics() []bench.Metric { return shown(d.Metrics, d.Caps.Metrics) }

// MoreMetrics counts those left out.
func (d *Data) MoreMetrics() int { return more(len(d.Metrics), d.Caps.Metrics) }

// HotSelf are the functions with the largest self share the report lists.
func (d *Data) HotSelf() []flame.HotFunction {
	if d.Perf == nil || d.Perf.Hot == nil {
		return nil
	}
	return shown(d.Perf.Hot.BySelf, d.Caps.Hot)
}

// HotTotal are the functions with the largest total share the report
// lists.
func (d *Data) HotTotal() []flame.HotFunction {
	if d.Perf == nil || d.Perf.Hot == nil {
		return nil
	}
	return shown(d.Perf.Hot.ByTotal, d.Caps.Hot)
}

// MoreHot counts the functions by total share left out.
func (d *Data) MoreHot() int {
	if d.Perf == nil || d.Perf.Hot == nil {
		return 0
	}
	return more(len(d.Perf.Hot.ByTotal), d.Caps.Hot)
}

// TopSelf returns the first n functions by self share.
func (d *Data) TopSelf(n int) []flame.HotFunction { return shown(d.HotSelf(), n) }

// HotNames names the first n functions by self share.
func (d *Data) HotNames(n int) string {
	var names []string
	for _, h := range shown(d.HotSelf(), n) {
		names = append(names, h.Name)
	}
	return strings.Join(names, ", ")
}

// BenchProfiles are the benchmarks with a profile of their own
// (perf/bench/) the report lists, in the order they were measured.
func (d *Data) BenchProfiles() []format.PerfBenchmark {
	if d.Perf == nil {
		return nil
	}
	return shown(d.Perf.Benchmarks, d.Caps.Benchmarks)
}

// MoreBenchProfiles counts those left out.
func (d *Data) MoreBenchProfiles() int {
	if d.Perf == nil {
		return 0
	}
	return more(len(d.Perf.Benchmarks), d.Caps.Benchmarks)
}

// ShownWarnings are the run's warnings the report lists.
func (d *Data) ShownWarnings() []string { return shown(d.Summary.Warnings, d.Caps.Warnings) }

// MoreWarnings counts those left out.
func (d *Data) MoreWarnings() int { return more(len(d.Summary.Warnings), d.Caps.Warnings) }

// ShownAttachments are the attachments the report lists.
func (d *Data) ShownAttachments() []Attachment { return shown(d.Attachments, d.Caps.Attachments) }

// MoreAttachments counts those left out.
func (d *Data) MoreAttachments() int { return more(len(d.Attachments), d.Caps.Attachments) }
