package compare

import (
	"cmp"
	"fmt"
	"path"
	"slices"

	"github.com/perfcap/perfcap/bundle/report"
)

// ReportComparison is the comparison of the newest bundle with the base as
// the performance-issue report shows it (report.Comparison): every bundle
// as a version row, the significant regressions of the time tables
// largest first, the headline benchmark (the one that regressed most, else
// the first both have) in every bundle, and whether the bundles ran
// different programs. archives name each bundle's file, in d.Bundles'
// order.
func (d *Diff) ReportComparison(archives []report.Archive) *report.Comparison {
	last := d.Comparisons[len(d.Comparisons)-1]
	rc := &report.Comparison{Alpha: d.Alpha, MachineDiffers: last.MachineDiffers}
	if p := last.Profile; p != nil {
		rc.DiffFlameGraph, _ = ProfileFiles(d, last, p)
		for _, m := range p.BySelf[:min(len(p.BySelf), 5)] {
			rc.Movers = append(rc.Movers, report.ComparedMover{Name: moverName(m), BaseSelf: m.BaseSelf, NewSelf: m.NewSelf, BaseTotal: m.BaseTotal, NewTotal: m.NewTotal})
		}
	}
	var headline *Benchmark
	var headTool string
	for _, t := range last.Benchmarks {
		if t.Unit != TimeUnit {
			continue
		}
		for i := range t.Benchmarks {
			b := &t.Benchmarks[i]
			if b.Verdict == Regressed {
				rc.Regressions = append(rc.Regressions, figure(t.Tool, b))
			}
			if headline == nil && b.Base != nil && b.New != nil {
				headline, headTool = b, t.Tool
			}
		}
	}
	slices.SortStableFunc(rc.Regressions, func(a, b report.ComparedFigure) int { return cmp.Compare(b.Change, a.Change) })
	rc.Regressed = len(rc.Regressions) > 0
	if rc.Regressed {
		headline, headTool = d.find(last, rc.Regressions[0].Tool, rc.Regressions[0].Name)
	}
	if headline != nil && headline.Change != nil {
		f := figure(headTool, headline)
		rc.Headline = &f
	}
	base := d.Bundles[0]
	for i, b := range d.Bundles {
		cb := report.ComparedBundle{
			Archive: archives[i], Version: b.Version, Command: b.Command,
			StartupSeconds: b.FirstOutputSeconds, WallSeconds: b.WallSeconds, PeakRSSBytes: b.PeakRSSBytes,
			OtherCPUPercent: b.OtherCPUPercent, Noisy: b.OtherCPUPercent > NoisyPercent,
		}
		if i > 0 {
			cb.WallChange = ratioChange(base.WallSeconds, b.WallSeconds)
			cb.RSSChange = ratioChange(float64(base.PeakRSSBytes), float64(b.PeakRSSBytes))
			if base.FirstOutputSeconds >= 0 && b.FirstOutputSeconds >= 0 {
				cb.StartupChange = ratioChange(base.FirstOutputSeconds, b.FirstOutputSeconds)
			}
			rc.DifferentCommands = rc.DifferentCommands || program(b.Command) != program(base.Command)
		}
		if rc.Headline != nil {
			if i == 0 {
				cb.Headline = rc.Headline.Base
			} else if row, _ := d.find(d.Comparisons[i-1], headTool, rc.Headline.Name); row != nil && row.New != nil {
				cb.Headline, cb.HeadlineChange = row.New.Center, row.Change
			}
		}
		rc.Bundles = append(rc.Bundles, cb)
	}
	return rc
}

// Baseline compares a run with a baseline bundle for its own report
// (perfcap run --baseline, perfcap report --baseline): the regression
// sections, without a differential flamegraph (a run bundle holds none;
// perfcap diff -o writes one). cur.Path names the run's bundle, which may
// not exist yet.
func Baseline(base, cur *Run, opts Options) (*report.Comparison, error) {
	d, err := New([]*Run{base, cur}, opts)
	if err != nil {
		return nil, err
	}
	baseArchive, err := report.ArchiveOf(base.Path)
	if err != nil {
		return nil, err
	}
	rc := d.ReportComparison([]report.Archive{baseArchive, {Name: path.Base(cur.Path)}})
	rc.DiffFlameGraph = ""
	return rc, nil
}

// LoadBaseline reads the bundles at baseline and path and compares them
// as Baseline does.
func LoadBaseline(baseline, path string) (*report.Comparison, error) {
	base, err := Load(baseline)
	if err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	cur, err := Load(path)
	if err != nil {
		return nil, err
	}
	return Baseline(base, cur, Options{})
}

// figure is a benchmark row as the report lists it.
func figure(tool string, b *Benchmark) report.ComparedFigure {
	f := report.ComparedFigure{Name: b.Name, Tool: tool, Base: b.Base.Center, New: b.New.Center, P: b.P, Significant: b.Significant}
	if b.Change != nil {
		f.Change = *b.Change
	}
	return f
}

// find returns the time row of a benchmark in a comparison.
func (d *Diff) find(c *Comparison, tool, name string) (*Benchmark, string) {
	for _, t := range c.Benchmarks {
		if t.Unit != TimeUnit || t.Tool != tool {
			continue
		}
		for i := range t.Benchmarks {
			if t.Benchmarks[i].Name == name {
				return &t.Benchmarks[i], tool
			}
		}
	}
	return nil, ""
}

// program is a command's program, its first word without the directory.
func program(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	return path.Base(argv[0])
}
