package compare

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/perfcap/perfcap/flame"
)

// MergeStacks puts two profiles side by side: one DiffStack per distinct
// stack of either, with its weight in each (0 where it is missing), sorted
// by stack (its frames joined by ";") so the result does not depend on the
// input's order. It is difffolded.pl without -n: counts as recorded.
func MergeStacks(base, cur []flame.Stack) []flame.DiffStack {
	idx := make(map[string]int, len(base)+len(cur))
	var keys []string
	var merged []flame.DiffStack
	var b []byte
	add := func(s flame.Stack, isNew bool) {
		b = b[:0]
		for i, f := range s.Frames {
			if i > 0 {
				b = append(b, ';')
			}
			b = append(b, f...)
		}
		i, ok := idx[string(b)]
		if !ok {
			k := string(b)
			i = len(merged)
			idx[k] = i
			keys = append(keys, k)
			merged = append(merged, flame.DiffStack{Frames: s.Frames})
		}
		if isNew {
			merged[i].New += s.Count
		} else {
			merged[i].Base += s.Count
		}
	}
	for _, s := range base {
		add(s, false)
	}
	for _, s := range cur {
		add(s, true)
	}
	order := make([]int32, len(merged))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(keys[a], keys[b]) })
	out := make([]flame.DiffStack, len(merged))
	for i, j := range order {
		out[i] = merged[j]
	}
	return out
}

// Mover is a function whose share of the samples moved between the two
// profiles.
type Mover struct {
	// Name is the function, Kind "kernel", "inlined", "jit" or "" as in
	// flame.HotFunction.
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
	// BaseSelf, NewSelf, BaseTotal and NewTotal are the function's self
	// and total shares of each profile's samples (0 to 1).
	BaseSelf  float64 `json:"base_self"`
	NewSelf   float64 `json:"new_self"`
	BaseTotal float64 `json:"base_total"`
	NewTotal  float64 `json:"new_total"`
}

// SelfDelta and TotalDelta are the moves in fractions of all samples
// (0.05 is 5 percentage points).
func (m Mover) SelfDelta() float64  { return m.NewSelf - m.BaseSelf }
func (m Mover) TotalDelta() float64 { return m.NewTotal - m.BaseTotal }

// movers returns the n functions whose self share moved most and the n
// whose total share moved most, largest move first (ties by name),
// leaving out those that did not move.
func movers(base, cur []flame.Stack, n int) (bySelf, byTotal []Mover) {
	type id struct{ name, kind string }
	by := map[id]*Mover{}
	get := func(f flame.HotFunction) *Mover {
		k := id{f.Name, f.Kind}
		m, ok := by[k]
		if !ok {
			m = &Mover{Name: f.Name, Kind: f.Kind}
			by[k] = m
		}
		return m
	}
	// The two profiles are summed on two cores.
	var baseHot flame.HotSpots
	var wg sync.WaitGroup
	wg.Go(func() { baseHot = flame.Hot(base, 0) })
	curHot := flame.Hot(cur, 0)
	wg.Wait()
	for _, f := range baseHot.ByTotal {
		m := get(f)
		m.BaseSelf, m.BaseTotal = f.SelfShare, f.TotalShare
	}
	for _, f := range curHot.ByTotal {
		m := get(f)
		m.NewSelf, m.NewTotal = f.SelfShare, f.TotalShare
	}
	all := make([]Mover, 0, len(by))
	for _, m := range by {
		all = append(all, *m)
	}
	top := func(move func(Mover) float64) []Mover {
		moved := slices.DeleteFunc(slices.Clone(all), func(m Mover) bool { return move(m) == 0 })
		slices.SortFunc(moved, func(a, b Mover) int {
			return cmp.Or(cmp.Compare(math.Abs(move(b)), math.Abs(move(a))), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind))
		})
		if n > 0 && len(moved) > n {
			moved = moved[:n]
		}
		return moved
	}
	return top(Mover.SelfDelta), top(Mover.TotalDelta)
}

// Profile is the comparison of two profiles of the same thing: the whole
// run, or one benchmark when both bundles hold its own profile.
type Profile struct {
	// Name is "" for the whole run, else the benchmark's directory under
	// perf/bench/.
	Name string `json:"name,omitempty"`
	// BaseSamples and NewSamples are each profile's total weight.
	BaseSamples int64 `json:"base_samples"`
	NewSamples  int64 `json:"new_samples"`
	// BySelf are the functions whose self share (samples where they are
	// the leaf) moved most, ByTotal those whose total share (samples where
	// they are on the stack) did.
	BySelf  []Mover `json:"by_self"`
	ByTotal []Mover `json:"by_total"`
	// Kinds are the shares of allocation, garbage collection, lock and
	// system call functions in each, from the bundles' analyses; empty
	// when either bundle has none.
	Kinds []KindMove `json:"kinds,omitempty"`

	base, cur []flame.Stack
	merged    []flame.DiffStack
}

// DiffStacks are the two profiles' stacks merged (MergeStacks), for
// WriteFoldedDiff and flame.WriteDiffSVG; merged on the first call, as the
// tables do not need them.
func (p *Profile) DiffStacks() []flame.DiffStack {
	if p.merged == nil {
		p.merged = MergeStacks(p.base, p.cur)
	}
	return p.merged
}

// maxMovers bounds the functions listed per profile and list.
const maxMovers = 10

// compareProfile compares two profiles; nil when either has no samples.
func compareProfile(name string, base, cur []flame.Stack) *Profile {
	var bw, nw int64
	for _, s := range base {
		bw += s.Count
	}
	for _, s := range cur {
		nw += s.Count
	}
	if bw <= 0 || nw <= 0 {
		return nil
	}
	p := &Profile{Name: name, BaseSamples: bw, NewSamples: nw, base: base, cur: cur}
	p.BySelf, p.ByTotal = movers(base, cur, maxMovers)
	return p
}

// compareProfiles compares the whole runs' profiles and those of each
// benchmark both bundles profiled on its own.
func compareProfiles(base, cur *Run) (whole *Profile, benches []*Profile) {
	whole = compareProfile("", base.Stacks, cur.Stacks)
	if whole != nil {
		whole.Kinds = compareKinds(analysisOf(base, ""), analysisOf(cur, ""))
	}
	names := make([]string, 0, len(base.BenchStacks))
	for name := range base.BenchStacks {
		if _, ok := cur.BenchStacks[name]; ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if p := compareProfile(name, base.BenchStacks[name], cur.BenchStacks[name]); p != nil {
			p.Kinds = compareKinds(analysisOf(base, name), analysisOf(cur, name))
			benches = append(benches, p)
		}
	}
	return whole, benches
}
