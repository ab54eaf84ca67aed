package compare

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// TimeUnit is the unit of the time tables: nanoseconds per iteration (Go,
// Criterion, libtest) or per run (hyperfine).
const TimeUnit = "ns"

// Table compares one tool's benchmarks in one unit, like one table of
// benchstat.
type Table struct {
	// Tool is "criterion", "go", "hyperfine" or "libtest".
	Tool string `json:"tool"`
	// Unit is TimeUnit, or for Go's other metrics the unit it printed
	// ("B/op", "allocs/op", "MB/s").
	Unit       string      `json:"unit"`
	Benchmarks []Benchmark `json:"benchmarks"`
	// Geomean summarises the benchmarks found on both sides, when there
	// are at least two.
	Geomean *Geomean `json:"geomean,omitempty"`
}

// Benchmark is one benchmark's comparison.
type Benchmark struct {
	// Name is the benchmark's name, the new bundle's when both have it,
	// for Go without the GOMAXPROCS suffix (Base.Name and New.Name keep
	// it); BaseName is the base's when Options.Match paired two names.
	Name     string `json:"name"`
	BaseName string `json:"base_name,omitempty"`
	Package  string `json:"package,omitempty"`
	// Base and New are nil for a benchmark found on one side only.
	Base *Estimate `json:"base"`
	New  *Estimate `json:"new"`
	// Change is New.Center/Base.Center − 1 (0.05 is 5 % more); nil when a
	// side is missing or the base is zero.
	Change *float64 `json:"change"`
	// P is the Mann–Whitney U test's p-value; nil when a side has fewer
	// than two measurements.
	P           *float64 `json:"p,omitempty"`
	Significant bool     `json:"significant"`
	// Verdict is Regressed, Improved, NoChange ("~"), TooFew, NoRaw,
	// OnlyBase or OnlyNew.
	Verdict string `json:"verdict"`
	// Note qualifies the row: too few samples, GOMAXPROCS differing.
	Note string `json:"note,omitempty"`
}

// Geomean is a table's summary row, as benchstat's: the geometric means of
// the paired benchmarks' centres and the geometric mean of their ratios.
type Geomean struct {
	Base   float64 `json:"base"`
	New    float64 `json:"new"`
	Change float64 `json:"change"`
	// N counts the benchmarks it summarises.
	N int `json:"n"`
}

// HigherIsBetter reports whether a larger value of unit is an improvement:
// rates ("MB/s", "B/s", "ops/s"). Times, bytes and allocations per
// operation are better smaller.
func HigherIsBetter(unit string) bool { return strings.HasSuffix(unit, "/s") }

// compareBenchmarks pairs the benchmarks of two runs and compares each
// pair, one table per tool and unit in the order tools first appear.
func compareBenchmarks(base, cur *Run, opts Options) ([]Table, []string) {
	eb, warns := entries(base.Summary.Benchmarks, opts.Match, oneLine(base.Path))
	en, w := entries(cur.Summary.Benchmarks, opts.Match, oneLine(cur.Path))
	warns = append(warns, w...)
	newByKey := make(map[string]*entry, len(en))
	for i := range en {
		newByKey[en[i].key] = &en[i]
	}
	var tables []*Table
	table := func(tool, unit string) *Table {
		for _, t := range tables {
			if t.Tool == tool && t.Unit == unit {
				return t
			}
		}
		t := &Table{Tool: tool, Unit: unit}
		tables = append(tables, t)
		return t
	}
	var extra []*Table // Go's other units, after every time table
	extraTable := func(unit string) *Table {
		for _, t := range extra {
			if t.Unit == unit {
				return t
			}
		}
		t := &Table{Tool: "go", Unit: unit}
		extra = append(extra, t)
		return t
	}
	paired := map[string]bool{}
	for i := range eb {
		b := &eb[i]
		n := newByKey[b.key]
		t := table(b.r.Tool, TimeUnit)
		if n == nil {
			t.Benchmarks = append(t.Benchmarks, oneSided(b, true, opts))
			continue
		}
		paired[n.key] = true
		t.Benchmarks = append(t.Benchmarks, pair(b, n, TimeUnit, b.r.Values, n.r.Values, b.r.Estimate, n.r.Estimate, opts))
		for _, unit := range slices.Sorted(func(yield func(string) bool) {
			for u := range b.r.ExtraValues {
				if !yield(u) {
					return
				}
			}
		}) {
			nv, ok := n.r.ExtraValues[unit]
			if !ok {
				continue
			}
			bv := b.r.ExtraValues[unit]
			et := extraTable(unit)
			et.Benchmarks = append(et.Benchmarks, pair(b, n, unit, bv, nv, b.r.Extra[unit], n.r.Extra[unit], opts))
		}
	}
	for i := range en {
		if n := &en[i]; !paired[n.key] {
			t := table(n.r.Tool, TimeUnit)
			t.Benchmarks = append(t.Benchmarks, oneSided(n, false, opts))
		}
	}
	out := make([]Table, 0, len(tables)+len(extra))
	for _, t := range append(tables, extra...) {
		t.Geomean = tableGeomean(t.Benchmarks)
		out = append(out, *t)
	}
	return out, warns
}

// oneSided is the row of a benchmark only one bundle has.
func oneSided(e *entry, inBase bool, opts Options) Benchmark {
	est := summarize(e.r.ID, e.r.Values, e.r.Estimate, opts.confidence())
	row := Benchmark{Name: e.name, Package: e.r.Package, Verdict: OnlyNew, New: est}
	if inBase {
		row.Verdict, row.Base, row.New = OnlyBase, est, nil
	}
	return row
}

// pair compares the measurements of one benchmark in one unit.
func pair(b, n *entry, unit string, bv, nv []float64, bEst, nEst float64, opts Options) Benchmark {
	row := Benchmark{
		Name:    n.name,
		Package: n.r.Package,
		Base:    summarize(b.r.ID, bv, bEst, opts.confidence()),
		New:     summarize(n.r.ID, nv, nEst, opts.confidence()),
	}
	if b.name != n.name {
		row.BaseName = b.name
	}
	row.Change = ratioChange(row.Base.Center, row.New.Center)
	if b.r.Tool == "go" && b.procs != n.procs {
		row.Note = fmt.Sprintf("GOMAXPROCS %s → %s", procsOr1(b.procs), procsOr1(n.procs))
	}
	switch {
	case len(bv) == 0 || len(nv) == 0:
		row.Verdict = NoRaw
		return row
	case len(bv) < 2 || len(nv) < 2:
		row.Verdict = TooFew
		row.addNote(fmt.Sprintf("%d+%d measurements: no test", len(bv), len(nv)))
		return row
	}
	p, sig, enough := test(bv, nv, opts.alpha())
	row.P, row.Significant = &p, sig
	switch {
	case sig && row.Change != nil && *row.Change != 0:
		row.Verdict = Improved
		if (*row.Change > 0) != HigherIsBetter(unit) {
			row.Verdict = Regressed
		}
	case !enough:
		row.Verdict = TooFew
		row.addNote(fmt.Sprintf("%d+%d measurements cannot reach p ≤ %g", len(bv), len(nv), opts.alpha()))
	default:
		row.Verdict = NoChange
	}
	return row
}

func (b *Benchmark) addNote(s string) {
	if b.Note != "" {
		b.Note += "; "
	}
	b.Note += s
}

func procsOr1(p string) string {
	if p == "" {
		return "1"
	}
	return p
}

// tableGeomean summarises the paired rows of a table: nil with fewer than
// two, or when a centre is not positive.
func tableGeomean(rows []Benchmark) *Geomean {
	var bs, ns, ratios []float64
	for _, r := range rows {
		if r.Base == nil || r.New == nil {
			continue
		}
		bs = append(bs, r.Base.Center)
		ns = append(ns, r.New.Center)
		ratio := 1.0
		if r.Base.Center != r.New.Center {
			ratio = r.New.Center / r.Base.Center
		}
		ratios = append(ratios, ratio)
	}
	if len(bs) < 2 {
		return nil
	}
	g := &Geomean{Base: geomean(bs), New: geomean(ns), Change: geomean(ratios) - 1, N: len(bs)}
	for _, v := range []float64{g.Base, g.New, g.Change} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
	}
	return g
}
