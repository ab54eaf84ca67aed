package compare

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
)

// analysed is a run whose whole-run profile and one benchmark's carry an
// analysis with the given allocation and lock shares.
func analysed(alloc, lock float64) *Run {
	a := func(alloc, lock float64) *format.Analysis {
		return &format.Analysis{Samples: 100, Categories: []format.Category{
			{Name: format.CategoryAlloc, Share: alloc},
			{Name: format.CategoryGC, Share: 0},
			{Name: format.CategoryLock, Share: lock},
			{Name: format.CategorySyscall, Share: 0.05},
		}}
	}
	stacks := []flame.Stack{{Frames: []string{"vm", "main", "run"}, Count: 60}, {Frames: []string{"vm", "main", "malloc"}, Count: 40}}
	return &Run{
		Path: "run.tar.zst",
		Summary: &format.Summary{Perf: &format.Perf{
			Analysis:   a(alloc, lock),
			Benchmarks: []format.PerfBenchmark{{Tool: "criterion", ID: "b 1", Dir: "perf/bench/b_1", Analysis: a(alloc/2, lock)}},
		}},
		Stacks:      stacks,
		BenchStacks: map[string][]flame.Stack{"b_1": stacks},
	}
}

// TestKinds checks that the allocation, GC, lock and system call shares of
// the bundles' analyses are compared for the whole run and per benchmark,
// in the text, Markdown and JSON, and left out when a bundle has none.
func TestKinds(t *testing.T) {
	d, err := New([]*Run{analysed(0.031, 0), analysed(0.124, 0.2)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := d.Comparisons[0]
	if len(c.Profile.Kinds) != 4 || len(c.BenchProfiles) != 1 || len(c.BenchProfiles[0].Kinds) != 4 {
		t.Fatalf("kinds %+v, bench profiles %+v", c.Profile.Kinds, c.BenchProfiles)
	}
	var text, md bytes.Buffer
	if err := WriteText(&text, d, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"allocation 3.1% → 12.4% (+9.3 pp), garbage collection 0.0% → 0.0% (0.0 pp), locks 0.0% → 20.0% (+20.0 pp), system calls 5.0% → 5.0% (0.0 pp)",
		"allocation 1.6% → 6.2% (+4.7 pp)",
	} {
		for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
	}
	js, err := json.Marshal(d)
	if err != nil || !strings.Contains(string(js), `"kinds":[{"name":"allocation","base":0.031,"new":0.124}`) {
		t.Errorf("JSON: %v\n%s", err, js)
	}

	old := analysed(0.031, 0)
	old.Summary.Perf.Analysis, old.Summary.Perf.Benchmarks = nil, nil
	d, err = New([]*Run{old, analysed(0.124, 0.2)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	text.Reset()
	if err := WriteText(&text, d, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if d.Comparisons[0].Profile.Kinds != nil || strings.Contains(text.String(), "kinds of work") {
		t.Errorf("a bundle without an analysis gave kinds:\n%s", text.String())
	}
}
