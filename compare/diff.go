package compare

import (
	"errors"
	"regexp"
	"strings"
)

// DefaultAlpha is the significance level of the U test, benchstat's.
const DefaultAlpha = 0.05

// DefaultConfidence is the level of the medians' intervals, benchstat's.
const DefaultConfidence = 0.95

// Options configures New. The zero value is benchstat's defaults.
type Options struct {
	// Match, when set, pairs benchmarks whose names it matches by the text
	// of its groups (see CompileMatch).
	Match *regexp.Regexp
	// Alpha is the significance level; 0 means DefaultAlpha.
	Alpha float64
	// Confidence is the level of the intervals; 0 means DefaultConfidence.
	Confidence float64
}

func (o Options) alpha() float64 {
	if o.Alpha > 0 {
		return o.Alpha
	}
	return DefaultAlpha
}

func (o Options) confidence() float64 {
	if o.Confidence > 0 {
		return o.Confidence
	}
	return DefaultConfidence
}

// Diff is the comparison of two or more bundles, oldest first: each later
// bundle against the first. It is what `perfcap diff --json` prints and
// diff.json holds.
type Diff struct {
	// Bundles describes the bundles in the order given.
	Bundles []BundleInfo `json:"bundles"`
	// Comparisons holds one comparison per bundle after the first, each
	// against the first.
	Comparisons []*Comparison `json:"comparisons"`
	// Alpha and Confidence are the levels used.
	Alpha      float64 `json:"alpha"`
	Confidence float64 `json:"confidence"`
	// Violations are the --fail-on rules the newest bundle breaks, as the
	// caller's Check found them.
	Violations []Violation `json:"violations,omitempty"`
	// Warnings say what could not be compared, one line each.
	Warnings []string `json:"warnings,omitempty"`
}

// BundleInfo identifies one bundle of a Diff.
type BundleInfo struct {
	Path string `json:"path"`
	// Label is what tables call it: the version or commit, else the file.
	Label string `json:"label"`
	// Version is the crate version and git commit, "" when unknown.
	Version string   `json:"version,omitempty"`
	Command []string `json:"command"`
	// The run's figures the report's tables show.
	WallSeconds        float64 `json:"wall_seconds"`
	FirstOutputSeconds float64 `json:"first_output_seconds"`
	PeakRSSBytes       uint64  `json:"peak_rss_bytes"`
	OtherCPUPercent    float64 `json:"other_cpu_percent"`
}

// Comparison is one bundle against the base.
type Comparison struct {
	// Base and New index Diff.Bundles.
	Base int `json:"base"`
	New  int `json:"new"`
	// Benchmarks holds one table per tool and unit.
	Benchmarks []Table `json:"benchmark_tables"`
	// Resources are the run-wide figures: wall, CPU, peak RSS, faults...
	Resources []Resource `json:"resources"`
	// Facts are the facts that differ, most important first.
	Facts []FactChange `json:"facts"`
	// MachineDiffers names the machine facts that differ ("cpu.model,
	// cpu.logical_cores"), "" when the machines look the same.
	MachineDiffers string `json:"machine_differs,omitempty"`
	// Noisy says which run shared its machine with busy processes (more
	// than NoisyPercent of its CPU), "" when neither did.
	Noisy string `json:"noisy,omitempty"`
	// Profile compares the whole runs' CPU profiles (perf/folded.txt);
	// nil when a bundle has none, and ProfileMissing says why.
	Profile        *Profile `json:"profile,omitempty"`
	ProfileMissing string   `json:"profile_missing,omitempty"`
	// BenchProfiles compare the per-benchmark profiles both bundles hold
	// (perf/bench/NAME/folded.txt).
	BenchProfiles []*Profile `json:"bench_profiles,omitempty"`
}

// ErrTooFew is returned by New for fewer than two runs.
var ErrTooFew = errors.New("compare: two bundles are needed")

// New compares every run after the first with the first.
func New(runs []*Run, opts Options) (*Diff, error) {
	if len(runs) < 2 {
		return nil, ErrTooFew
	}
	d := &Diff{Alpha: opts.alpha(), Confidence: opts.confidence()}
	for _, r := range runs {
		t := &r.Summary.Totals
		d.Bundles = append(d.Bundles, BundleInfo{Path: r.Path, Label: r.Label(), Version: r.Version(), Command: r.Manifest.Command,
			WallSeconds: t.WallSeconds, FirstOutputSeconds: t.FirstOutputSeconds, PeakRSSBytes: t.PeakRSSBytes, OtherCPUPercent: t.OtherCPUPercent})
		d.Warnings = append(d.Warnings, r.Warnings...)
	}
	for i := 1; i < len(runs); i++ {
		c := &Comparison{Base: 0, New: i}
		var warns []string
		c.Benchmarks, warns = compareBenchmarks(runs[0], runs[i], opts)
		d.Warnings = append(d.Warnings, warns...)
		c.Resources = compareResources(&runs[0].Summary.Totals, &runs[i].Summary.Totals)
		c.Noisy = noisy(&runs[0].Summary.Totals, &runs[i].Summary.Totals)
		c.Facts = compareFacts(runs[0], runs[i])
		c.MachineDiffers = machineDiffers(c.Facts)
		c.Profile, c.BenchProfiles = compareProfiles(runs[0], runs[i])
		if c.Profile == nil {
			c.ProfileMissing = profileMissing(runs[0], runs[i])
		}
		d.Comparisons = append(d.Comparisons, c)
	}
	d.Warnings = dedup(d.Warnings)
	return d, nil
}

// dedup drops repeated lines, keeping the first of each.
func dedup(lines []string) []string {
	seen := map[string]bool{}
	out := lines[:0]
	for _, l := range lines {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// profileMissing says which bundle lacks CPU stacks, and why when its
// summary says.
func profileMissing(runs ...*Run) string {
	var parts []string
	for _, r := range runs {
		if len(r.Stacks) > 0 {
			continue
		}
		why := "no perf/folded.txt"
		if p := r.Summary.Perf; p != nil && p.Reason != "" {
			why = "perf recorded nothing: " + p.Reason
		} else if p == nil {
			why = "recorded without perf (--no-perf)"
		}
		parts = append(parts, oneLine(r.Path)+": "+why)
	}
	return strings.Join(parts, "; ")
}
