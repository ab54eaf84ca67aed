package analysis

import (
	"cmp"
	"slices"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/perfcap/perfcap/format"
)

// Options says what the profile alone cannot tell about the user's code.
type Options struct {
	// Packages are the user's crate names (a Cargo package "my-vm" is
	// the crate "my_vm") and Go module paths: a frame without a source
	// file is the user's when its function is in one of them.
	Packages []string
	// Excluded are directories of toolchains and dependencies beyond the
	// built-in patterns (GOROOT, GOMODCACHE, CARGO_HOME as the command
	// saw them): their sources and binaries are not the user's.
	Excluded []string
}

// Limits of what Analyze lists.
const (
	maxUserFunctions     = 5
	maxCategoryFunctions = 5
	maxPathFrames        = 64
	maxWeight            = 1 << 40
)

// frame is one function of a Location, classified.
type frame struct {
	name, file string
	line       uint32
	user       bool
	harness    bool
	cats       uint8
}

// tally is what the samples charged to one user function add up to.
type tally struct {
	samples, self int64
	lines         map[fileLine]int64
	paths         map[string]int64 // call paths, by pathKey
}

type fileLine struct {
	file string
	line uint32
}

// analyzer holds the state of one Analyze.
type analyzer struct {
	uc        *userCode
	vi        int
	locs      map[uint64][]frame
	withLines map[string]bool // binaries some of whose frames have a source file
	byFn      map[string]*tally
	totals    map[string]int64 // samples with the user function on the stack
	cats      [4]int64
	catFns    [4]map[string]int64
	total     int64
	user      int64
	harness   int64
	kernel    bool
	stack     []frame
	seen      map[string]bool
	key       []byte
	pathKeys  map[string][]format.PathFrame
}

// Analyze reads p, a CPU profile whose frames carry their source files
// and lines when the debug information gave them (perfcap's
// profile.pb.gz), and returns the analysis sections' facts. Shares count
// the profile's "samples" values (its first sample type when it has
// none).
func Analyze(p *profile.Profile, opts Options) *format.Analysis {
	a := &analyzer{
		uc:        newUserCode(opts),
		vi:        sampleIndex(p),
		locs:      make(map[uint64][]frame),
		withLines: binariesWithLines(p),
		byFn:      make(map[string]*tally),
		totals:    make(map[string]int64),
		seen:      make(map[string]bool),
		pathKeys:  make(map[string][]format.PathFrame),
	}
	for i := range a.catFns {
		a.catFns[i] = make(map[string]int64)
	}
	for _, d := range goRoots(p) {
		a.uc.exclude(d)
	}
	for _, s := range p.Sample {
		if a.vi < len(s.Value) && s.Value[a.vi] > 0 {
			// A sample of perf counts itself once; merged ones count
			// millions at most. The cap keeps sums of absurd values
			// from overflowing.
			a.add(s, min(s.Value[a.vi], maxWeight))
		}
	}
	return a.result()
}

// sampleIndex returns the index of the "samples" value, else 0.
func sampleIndex(p *profile.Profile) int {
	for i, st := range p.SampleType {
		if st.Type == "samples" {
			return i
		}
	}
	return 0
}

// goRoots returns the GOROOTs of the Go binaries in p: where the source
// files of the runtime's functions are, less "src/runtime/FILE".
func goRoots(p *profile.Profile) []string {
	var roots []string
	for _, fn := range p.Function {
		if !strings.HasPrefix(fn.Name, "runtime.") {
			continue
		}
		if i := strings.LastIndex(fn.Filename, "/src/runtime/"); i > 0 && !slices.Contains(roots, fn.Filename[:i]) {
			roots = append(roots, fn.Filename[:i])
		}
	}
	return roots
}

// binariesWithLines returns the mapped files of p of which some Line has
// a source file.
func binariesWithLines(p *profile.Profile) map[string]bool {
	m := make(map[string]bool)
	for _, l := range p.Location {
		if l.Mapping == nil {
			continue
		}
		for _, ln := range l.Line {
			if ln.Function != nil && ln.Function.Filename != "" {
				m[l.Mapping.File] = true
			}
		}
	}
	return m
}

// frames returns the frames of l, innermost first, classified once.
func (a *analyzer) frames(l *profile.Location) []frame {
	if fs, ok := a.locs[l.ID]; ok {
		return fs
	}
	bin := ""
	if l.Mapping != nil {
		bin = l.Mapping.File
	}
	if !userSpaceFile(bin) && bin != "" && bin != "[unknown]" && bin != "[vdso]" {
		a.kernel = true
	}
	fs := make([]frame, 0, len(l.Line))
	for _, ln := range l.Line {
		f := frame{name: "[unknown]", line: uint32(max(ln.Line, 0))}
		if ln.Function != nil {
			f.name, f.file = ln.Function.Name, ln.Function.Filename
		}
		f.user = a.uc.isUser(f.name, f.file, bin, a.withLines[bin])
		f.harness = harness(f.name)
		f.cats = categoriesOf(f.name, bin)
		fs = append(fs, f)
	}
	a.locs[l.ID] = fs
	return fs
}

// add takes in one sample of weight w.
func (a *analyzer) add(s *profile.Sample, w int64) {
	a.total += w
	a.stack = a.stack[:0]
	for _, l := range s.Location {
		a.stack = append(a.stack, a.frames(l)...)
	}
	a.addCategories(w)
	clear(a.seen)
	for _, f := range a.stack {
		if f.user && !a.seen[f.name] {
			a.seen[f.name] = true
			a.totals[f.name] += w
		}
	}

	u := slices.IndexFunc(a.stack, func(f frame) bool { return f.user })
	if u < 0 {
		return
	}
	if slices.ContainsFunc(a.stack[:u], func(f frame) bool { return f.harness }) {
		a.harness += w
		return
	}
	a.user += w
	fn := a.stack[u]
	t := a.byFn[fn.name]
	if t == nil {
		t = &tally{lines: make(map[fileLine]int64), paths: make(map[string]int64)}
		a.byFn[fn.name] = t
	}
	t.samples += w
	if u == 0 {
		t.self += w
	}
	if fn.file != "" && fn.line > 0 {
		t.lines[fileLine{fn.file, fn.line}] += w
	}
	t.paths[a.path(u)] += w
}

// addCategories counts the sample once in each category of its frames,
// and once for each function that puts it there.
func (a *analyzer) addCategories(w int64) {
	var bits uint8
	clear(a.seen)
	for _, f := range a.stack {
		if f.cats == 0 {
			continue
		}
		bits |= f.cats
		name := tidyCName(f.name)
		if a.seen[name] {
			continue
		}
		a.seen[name] = true
		for i := range categories {
			if f.cats&(1<<i) != 0 {
				a.catFns[i][name] += w
			}
		}
	}
	for i := range categories {
		if bits&(1<<i) != 0 {
			a.cats[i] += w
		}
	}
}

// path returns the key of the call path from the root to frame u, and
// keeps its frames; the last frame's line (where in the function the
// sample fell) is not part of it.
func (a *analyzer) path(u int) string {
	a.key = a.key[:0]
	first := max(u, len(a.stack)-maxPathFrames)
	for i := len(a.stack) - 1; i >= first; i-- {
		f := &a.stack[i]
		a.key = append(a.key, f.name...)
		a.key = append(a.key, 0)
		if i > u {
			a.key = append(a.key, f.file...)
			a.key = append(a.key, byte(f.line), byte(f.line>>8), byte(f.line>>16), byte(f.line>>24))
		}
		a.key = append(a.key, 0)
	}
	if _, ok := a.pathKeys[string(a.key)]; !ok {
		var pf []format.PathFrame
		for i := len(a.stack) - 1; i >= first; i-- {
			f := &a.stack[i]
			p := format.PathFrame{Name: f.name, User: f.user}
			if i > u {
				p.File, p.Line = f.file, f.line
			}
			pf = append(pf, p)
		}
		a.pathKeys[string(a.key)] = pf
	}
	return string(a.key)
}

// result turns the tallies into the analysis.
func (a *analyzer) result() *format.Analysis {
	res := &format.Analysis{
		Samples:      a.total,
		KernelFrames: a.kernel,
		UserCode:     a.rule(),
	}
	share := func(n int64) float64 {
		if a.total == 0 {
			return 0
		}
		return float64(n) / float64(a.total)
	}
	res.UserShare, res.HarnessShare = share(a.user), share(a.harness)
	for i, m := range categories {
		c := format.Category{Name: m.name, Samples: a.cats[i], Share: share(a.cats[i])}
		for _, fs := range topFunctions(a.catFns[i], maxCategoryFunctions) {
			c.Functions = append(c.Functions, format.FunctionShare{Name: fs.name, Samples: fs.n, Share: share(fs.n)})
		}
		res.Categories = append(res.Categories, c)
	}
	names := make([]string, 0, len(a.byFn))
	for n := range a.byFn {
		names = append(names, n)
	}
	slices.SortFunc(names, func(x, y string) int {
		return cmp.Or(cmp.Compare(a.byFn[y].samples, a.byFn[x].samples), strings.Compare(x, y))
	})
	for _, n := range names[:min(len(names), maxUserFunctions)] {
		t := a.byFn[n]
		uf := format.UserFunction{Name: n, Samples: t.samples, Share: share(t.samples),
			SelfShare: share(t.self), TotalShare: share(a.totals[n])}
		uf.File, uf.Line, uf.FirstLine, uf.LastLine = hottestLine(t.lines)
		res.UserFunctions = append(res.UserFunctions, uf)
	}
	if len(names) > 0 {
		t := a.byFn[names[0]]
		b := &format.Bottleneck{UserFunction: res.UserFunctions[0]}
		best := topFunctions(t.paths, 1)[0].name
		b.Path, b.PathShare = a.pathKeys[best], share(t.paths[best])
		res.Bottleneck = b
	}
	return res
}

// rule describes the user-code decision made.
func (a *analyzer) rule() format.UserCodeRule {
	r := format.UserCodeRule{Packages: a.uc.packages, Harness: harnesses}
	for _, t := range a.uc.excluded {
		r.Excluded = append(r.Excluded, t.dir)
	}
	return r
}

type named struct {
	name string
	n    int64
}

// topFunctions returns the n heaviest names of m, heaviest first.
func topFunctions(m map[string]int64, n int) []named {
	all := make([]named, 0, len(m))
	for k, v := range m {
		all = append(all, named{k, v})
	}
	slices.SortFunc(all, func(x, y named) int { return cmp.Or(cmp.Compare(y.n, x.n), strings.Compare(x.name, y.name)) })
	return all[:min(len(all), n)]
}

// hottestLine returns the file with the most samples, its line with the
// most, and the lowest and highest line sampled in it.
func hottestLine(lines map[fileLine]int64) (file string, hot, first, last uint32) {
	byFile := make(map[string]int64)
	for fl, w := range lines {
		byFile[fl.file] += w
	}
	for _, f := range topFunctions(byFile, 1) {
		file = f.name
	}
	var hotW int64
	for fl, w := range lines {
		if fl.file != file {
			continue
		}
		if w > hotW || (w == hotW && fl.line < hot) {
			hot, hotW = fl.line, w
		}
		if first == 0 || fl.line < first {
			first = fl.line
		}
		last = max(last, fl.line)
	}
	return file, hot, first, last
}
