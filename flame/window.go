package flame

import (
	"cmp"
	"errors"
	"slices"
)

// windowFolds folds the samples of each Window apart, alongside the fold
// of all of them: one Folder (and ProfileBuilder) per window, so memory
// grows with each window's distinct stacks.
type windowFolds struct {
	folders  []*Folder
	builders []*ProfileBuilder
	spans    []windowSpan // sorted by start
	maxEnd   []float64    // maxEnd[i]: the latest end of spans[:i+1]
	hits     []int
}

// windowSpan is one span of window w.
type windowSpan struct {
	Span
	w int
}

func newWindowFolds(opts PerfDataOptions) *windowFolds {
	wf := &windowFolds{}
	for i, w := range opts.Windows {
		wf.folders = append(wf.folders, NewFolder(opts.Fold))
		if opts.Profile {
			wf.builders = append(wf.builders, NewProfileBuilder(ProfileOptions{Comment: opts.Comment}))
		}
		for _, s := range w.Spans {
			if s.End > s.Start {
				wf.spans = append(wf.spans, windowSpan{s, i})
			}
		}
	}
	slices.SortStableFunc(wf.spans, func(a, b windowSpan) int { return cmp.Compare(a.Start, b.Start) })
	end := 0.0
	for i, s := range wf.spans {
		if i == 0 || s.End > end {
			end = s.End
		}
		wf.maxEnd = append(wf.maxEnd, end)
	}
	return wf
}

// add folds s into every window one of whose spans holds its time, once
// per window.
func (wf *windowFolds) add(s *Sample) {
	if len(wf.spans) == 0 {
		return
	}
	// The spans that start at or before s.Time are spans[:i]; walking
	// back, none before j can hold it once maxEnd[j] ≤ s.Time.
	i, _ := slices.BinarySearchFunc(wf.spans, s.Time, func(sp windowSpan, t float64) int {
		if sp.Start <= t {
			return -1
		}
		return 1
	})
	wf.hits = wf.hits[:0]
	for j := i - 1; j >= 0 && wf.maxEnd[j] > s.Time; j-- {
		sp := &wf.spans[j]
		if s.Time < sp.End && !slices.Contains(wf.hits, sp.w) {
			wf.hits = append(wf.hits, sp.w)
		}
	}
	for _, w := range wf.hits {
		wf.folders[w].Add(s)
		if wf.builders != nil {
			wf.builders[w].Add(s)
		}
	}
}

// data returns what each window folded; a window without samples has no
// stacks.
func (wf *windowFolds) data() ([]WindowData, error) {
	var out []WindowData
	for i, f := range wf.folders {
		wd := WindowData{Stats: f.Stats()}
		stacks, err := f.Stacks()
		if errors.Is(err, ErrEmpty) {
			out = append(out, wd)
			continue
		}
		if err != nil {
			return nil, err
		}
		wd.Stacks = stacks
		if wf.builders != nil {
			if wd.Profile, err = wf.builders[i].Profile(); err != nil {
				return nil, err
			}
		}
		out = append(out, wd)
	}
	return out, nil
}
