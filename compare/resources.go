package compare

import (
	"fmt"
	"strings"

	"github.com/perfcap/perfcap/format"
)

// Units of Resource.
const (
	UnitSeconds = "s"
	UnitPercent = "%"
	UnitBytes   = "B"
	UnitCount   = "count"
)

// Resource is one figure of the whole run, base against new. Each run
// measured it once, so there is no test: Change is what it is.
type Resource struct {
	// Name is the name --fail-on rules use: "wall", "rss", ...
	Name string `json:"name"`
	// Label says what it is in words.
	Label string  `json:"label"`
	Unit  string  `json:"unit"`
	Base  float64 `json:"base"`
	New   float64 `json:"new"`
	// Change is New/Base − 1; nil when Base is zero.
	Change *float64 `json:"change"`
}

// minCPUWall is the shortest wall time whose CPU percentage means
// something (report.MinWallForCPUPercent: ten clock ticks of /proc).
const minCPUWall = 0.1

// resourceDefs lists the figures compared, in the order shown. have
// reports whether a run's Totals hold the figure.
var resourceDefs = []struct {
	name, label, unit string
	get               func(t *format.Totals) float64
	have              func(t *format.Totals) bool
}{
	{"wall", "wall time", UnitSeconds, func(t *format.Totals) float64 { return t.WallSeconds }, nil},
	{"user", "user CPU", UnitSeconds, func(t *format.Totals) float64 { return t.UserSeconds }, nil},
	{"sys", "system CPU", UnitSeconds, func(t *format.Totals) float64 { return t.SysSeconds }, nil},
	{"cpu", "CPU (% of one core)", UnitPercent, func(t *format.Totals) float64 { return t.CPUPercent },
		func(t *format.Totals) bool { return t.WallSeconds >= minCPUWall }},
	{"rss", "peak RSS (tree)", UnitBytes, func(t *format.Totals) float64 { return float64(t.PeakRSSBytes) }, nil},
	{"process-rss", "peak RSS (largest process)", UnitBytes, func(t *format.Totals) float64 { return float64(t.MaxProcessRSSBytes) }, nil},
	{"minor-faults", "minor page faults", UnitCount, func(t *format.Totals) float64 { return float64(t.MinorFaults) }, nil},
	{"major-faults", "major page faults", UnitCount, func(t *format.Totals) float64 { return float64(t.MajorFaults) }, nil},
	{"voluntary-switches", "voluntary context switches", UnitCount, func(t *format.Totals) float64 { return float64(t.VoluntaryContextSwitches) }, nil},
	{"involuntary-switches", "involuntary context switches", UnitCount, func(t *format.Totals) float64 { return float64(t.InvoluntaryContextSwitch) }, nil},
	{"first-output", "first output", UnitSeconds, func(t *format.Totals) float64 { return t.FirstOutputSeconds },
		func(t *format.Totals) bool { return t.FirstOutputSeconds >= 0 }},
	{"other-cpu", "other processes' CPU (% of the machine)", UnitPercent, func(t *format.Totals) float64 { return t.OtherCPUPercent }, nil},
}

// NoisyPercent is the share of the machine's CPU other processes may use
// during a run before its timings are called unreliable, as a run's own
// warning says.
const NoisyPercent = 10

// noisy says which runs shared a busy machine, "" when neither did.
func noisy(base, cur *format.Totals) string {
	var parts []string
	for _, r := range []struct {
		role string
		t    *format.Totals
	}{{"base", base}, {"new", cur}} {
		if r.t.OtherCPUPercent > NoisyPercent {
			parts = append(parts, fmt.Sprintf("%.0f%% during the %s run", r.t.OtherCPUPercent, r.role))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "other processes used " + strings.Join(parts, " and ") + " of the machine's CPU: timings may differ for that reason alone; compare runs made on a quiet machine"
}

// ResourceNames are the names of the compared figures, for --fail-on.
func ResourceNames() []string {
	names := make([]string, len(resourceDefs))
	for i, d := range resourceDefs {
		names[i] = d.name
	}
	return names
}

// compareResources sets the run-wide figures side by side, leaving out
// those a run does not have (a CPU percentage of a run under 0.1 s, the
// first output of a silent command).
func compareResources(base, cur *format.Totals) []Resource {
	var out []Resource
	for _, d := range resourceDefs {
		if d.have != nil && (!d.have(base) || !d.have(cur)) {
			continue
		}
		r := Resource{Name: d.name, Label: d.label, Unit: d.unit, Base: d.get(base), New: d.get(cur)}
		r.Change = ratioChange(r.Base, r.New)
		out = append(out, r)
	}
	return out
}
