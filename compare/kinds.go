package compare

import (
	"fmt"
	"strings"

	"github.com/perfcap/perfcap/format"
)

// KindMove is how the share of the samples in one kind of function
// (summary.json's perf.analysis categories: allocation, garbage
// collection, lock, system call) moved between two profiles. Shares are
// inclusive (a sample counts when any frame of its stack is of the kind),
// fractions of each profile's own samples.
type KindMove struct {
	Name string  `json:"name"`
	Base float64 `json:"base"`
	New  float64 `json:"new"`
}

// Delta is the change of share, New − Base (formatPP prints it in
// percentage points).
func (k KindMove) Delta() float64 { return k.New - k.Base }

// kindLabels name the categories in the tables.
var kindLabels = map[string]string{
	format.CategoryAlloc:   "allocation",
	format.CategoryGC:      "garbage collection",
	format.CategoryLock:    "locks",
	format.CategorySyscall: "system calls",
}

// compareKinds pairs the categories two analyses both hold, in the base's
// order; nil when either bundle has no analysis (made before perfcap
// analysed profiles, or without perf).
func compareKinds(base, cur *format.Analysis) []KindMove {
	if base == nil || cur == nil || base.Samples == 0 || cur.Samples == 0 {
		return nil
	}
	var out []KindMove
	for _, b := range base.Categories {
		if c := cur.Category(b.Name); c != nil {
			out = append(out, KindMove{Name: b.Name, Base: b.Share, New: c.Share})
		}
	}
	return out
}

// analysisOf is a run's analysis of the profile named name: the whole
// run's for "", else the benchmark's whose directory is perf/bench/name.
func analysisOf(r *Run, name string) *format.Analysis {
	if r.Summary == nil || r.Summary.Perf == nil {
		return nil
	}
	if name == "" {
		return r.Summary.Perf.Analysis
	}
	for i := range r.Summary.Perf.Benchmarks {
		if b := &r.Summary.Perf.Benchmarks[i]; b.Dir == benchProfileDir+name {
			return b.Analysis
		}
	}
	return nil
}

// kindsLine says how the kinds moved, in one line: "allocation 3.1% →
// 12.4% (+9.3 pp), locks 0.0% → 0.0% (0.0 pp), ...".
func kindsLine(kinds []KindMove) string {
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		label := kindLabels[k.Name]
		if label == "" {
			label = k.Name
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", label, shareMove(k.Base, k.New), formatPP(k.Delta())))
	}
	return strings.Join(parts, ", ")
}
