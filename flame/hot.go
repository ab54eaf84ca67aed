package flame

import (
	"cmp"
	"slices"
	"strings"
)

// HotFunction is one function's share of the samples.
type HotFunction struct {
	// Name is the function name without its folded-format kind annotation.
	Name string `json:"name"`
	// Kind is "kernel", "inlined" or "jit" for frames annotated "_[k]",
	// "_[i]" or "_[j]", and empty for user and library code.
	Kind string `json:"kind,omitempty"`
	// Self is the weight of the stacks in which the function is the leaf.
	Self int64 `json:"self"`
	// Total is the weight of the stacks in which the function appears at
	// least once, so recursion is not counted twice.
	Total int64 `json:"total"`
	// SelfShare and TotalShare are Self and Total as fractions (0 to 1) of
	// the weight of all stacks.
	SelfShare  float64 `json:"self_share"`
	TotalShare float64 `json:"total_share"`
	// File is the function's source file and Line its line with the
	// most samples, from the debug information (see AddSourceLines);
	// empty and 0 when unknown.
	File string `json:"file,omitempty"`
	Line uint32 `json:"line,omitempty"`
}

// HotSpots lists the functions that take the largest share of the samples.
type HotSpots struct {
	// Weight is the summed Count of all stacks, the denominator of the
	// shares.
	Weight int64 `json:"weight"`
	// BySelf holds the functions with the largest Self, largest first,
	// leaving out functions that are never a leaf.
	BySelf []HotFunction `json:"by_self"`
	// ByTotal holds the functions with the largest Total, largest first.
	ByTotal []HotFunction `json:"by_total"`
}

// hotKinds maps the folded format's kind suffixes to HotFunction
// kinds.
var hotKinds = []struct{ suffix, kind string }{
	{"_[k]", "kernel"},
	{"_[i]", "inlined"},
	{"_[j]", "jit"},
}

// hotSplitKind splits a folded frame into its function name and kind.
func hotSplitKind(frame string) (name, kind string) {
	for _, a := range hotKinds {
		if n, ok := strings.CutSuffix(frame, a.suffix); ok {
			return n, a.kind
		}
	}
	return frame, ""
}

// Hot returns the n functions with the largest self and the n with the
// largest total weight in stacks; n <= 0 means all of them. Frames[0] of
// every Stack is the process name, not a function, and is skipped. A
// function is identified by its annotated frame, so a kernel and a user
// function of the same name stay apart. Ties are broken by name, then kind,
// so the result does not depend on the order of stacks.
func Hot(stacks []Stack, n int) HotSpots {
	var hs HotSpots
	byFrame := make(map[string]*HotFunction)
	seen := make(map[string]bool) // frames of the current stack
	for _, st := range stacks {
		hs.Weight += st.Count
		if len(st.Frames) < 2 {
			continue
		}
		clear(seen)
		for _, fr := range st.Frames[1:] {
			if seen[fr] {
				continue
			}
			seen[fr] = true
			hf, ok := byFrame[fr]
			if !ok {
				name, kind := hotSplitKind(fr)
				hf = &HotFunction{Name: name, Kind: kind}
				byFrame[fr] = hf
			}
			hf.Total += st.Count
		}
		byFrame[st.Frames[len(st.Frames)-1]].Self += st.Count
	}

	all := make([]HotFunction, 0, len(byFrame))
	for _, hf := range byFrame {
		if hs.Weight > 0 {
			hf.SelfShare = float64(hf.Self) / float64(hs.Weight)
			hf.TotalShare = float64(hf.Total) / float64(hs.Weight)
		}
		all = append(all, *hf)
	}
	byName := func(a, b HotFunction) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind))
	}

	slices.SortFunc(all, func(a, b HotFunction) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), byName(a, b))
	})
	hs.ByTotal = hotTop(all, n)

	all = slices.DeleteFunc(all, func(hf HotFunction) bool { return hf.Self == 0 })
	slices.SortFunc(all, func(a, b HotFunction) int {
		return cmp.Or(cmp.Compare(b.Self, a.Self), byName(a, b))
	})
	hs.BySelf = hotTop(all, n)
	return hs
}

// hotTop returns a copy of the first n elements of fs, or all of them when
// n <= 0.
func hotTop(fs []HotFunction, n int) []HotFunction {
	if n > 0 && n < len(fs) {
		fs = fs[:n]
	}
	return slices.Clone(fs)
}

// MedianDepth returns the median number of frames below the process name in
// stacks, weighting each stack by its Count. Shallow stacks (a median of 2
// or less) usually mean the profiled code has no frame pointers. It returns
// 0 when stacks weigh nothing.
func MedianDepth(stacks []Stack) float64 {
	type depth struct{ frames, weight int64 }
	ds := make([]depth, 0, len(stacks))
	var total int64
	for _, st := range stacks {
		if st.Count <= 0 {
			continue
		}
		ds = append(ds, depth{int64(max(len(st.Frames)-1, 0)), st.Count})
		total += st.Count
	}
	if total == 0 {
		return 0
	}
	slices.SortFunc(ds, func(a, b depth) int { return cmp.Compare(a.frames, b.frames) })

	// at returns the depth of the k-th sample (1-based) in depth order.
	at := func(k int64) int64 {
		var cum int64
		for _, d := range ds {
			cum += d.weight
			if cum >= k {
				return d.frames
			}
		}
		return ds[len(ds)-1].frames
	}
	// With an even total the median is the mean of the two middle samples.
	return float64(at((total+1)/2)+at(total/2+1)) / 2
}
