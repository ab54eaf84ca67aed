package flame

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/internal/golden"
)

// svgSmallStacks is a small profile touching every kind and the
// characters XML needs escaped.
func svgSmallStacks() []Stack {
	return []Stack{
		{Frames: []string{"app", "main", "parse", "std::vec::Vec<T>::push"}, Count: 30},
		{Frames: []string{"app", "main", "parse", "lex_[i]"}, Count: 20},
		{Frames: []string{"app", "main", "compute", "compute", "compute"}, Count: 25},
		{Frames: []string{"app", "main", "compute"}, Count: 5},
		{Frames: []string{"app", "main", "Map<K, V>::get & \"friends\""}, Count: 10},
		{Frames: []string{"app", "main", "write", "__libc_write", "entry_SYSCALL_64_[k]", "ksys_write_[k]"}, Count: 7},
		{Frames: []string{"app", "interp", "LJ::trace_42_[j]"}, Count: 3},
		{Frames: []string{"app-helper", "loop"}, Count: 1},
	}
}

func TestSVGGolden(t *testing.T) {
	tests := []struct {
		file string
		opts SVGOptions
	}{
		{"small.svg", SVGOptions{Title: "app --input x.txt", Subtitle: "100 samples at 4000 Hz"}},
		{"small-inverted.svg", SVGOptions{Title: "app", Inverted: true, Width: 600, CountName: "ns"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSVG(&buf, svgSmallStacks(), tt.opts); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "svg", tt.file)
			golden.Check(t, path, buf.Bytes())
		})
	}
}

func TestSVGDeterministic(t *testing.T) {
	stacks := svgRandomStacks(2000, 7)
	var a, b bytes.Buffer
	if err := WriteSVG(&a, stacks, SVGOptions{Title: "x"}); err != nil {
		t.Fatal(err)
	}
	// Input order must not matter.
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(stacks), func(i, j int) { stacks[i], stacks[j] = stacks[j], stacks[i] })
	if err := WriteSVG(&b, stacks, SVGOptions{Title: "x"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("two renders of the same stacks differ:\n%s", golden.Diff(a.String(), b.String()))
	}
}

func TestSVGEscaping(t *testing.T) {
	names := []string{
		`<alloc::vec::Vec<T> as core::ops::Drop>::drop`,
		`std::map<int, std::string>::operator[]`,
		`a&&b`, `say "hi"`, `it's`, "ctl\x01char", "bad\xffutf8",
	}
	var stacks []Stack
	for _, n := range names {
		stacks = append(stacks, Stack{Frames: []string{"p", n}, Count: 100})
	}
	var buf bytes.Buffer
	if err := WriteSVG(&buf, stacks, SVGOptions{Title: `<script>&"`, Subtitle: `a<b`}); err != nil {
		t.Fatal(err)
	}
	doc := svgParse(t, buf.Bytes())
	if got := doc.text("title"); got != `<script>&"` {
		t.Errorf("title = %q", got)
	}
	got := map[string]bool{}
	for _, f := range doc.Frames[0].Children[0].Children {
		got[f.name(t)] = true
	}
	for _, n := range names {
		want := strings.ToValidUTF8(n, "\uFFFD")
		want = strings.ReplaceAll(want, "\x01", "\uFFFD")
		if !got[want] {
			t.Errorf("frame %q missing; have %v", want, got)
		}
	}
}

func TestSVGPruningKeepsCounts(t *testing.T) {
	stacks := svgRandomStacks(5000, 1)
	var total int64
	for _, s := range stacks {
		total += s.Count
	}
	for _, minWidth := range []float64{0.001, 0.1, 5} {
		t.Run(fmt.Sprint(minWidth), func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSVG(&buf, stacks, SVGOptions{MinWidth: minWidth}); err != nil {
				t.Fatal(err)
			}
			doc := svgParse(t, buf.Bytes())
			root := doc.Frames[0]
			if root.name(t) != "all" || root.count(t) != total {
				t.Fatalf("root is %q with %d samples, want all with %d", root.Title, root.count(t), total)
			}
			var roots int64
			for _, f := range root.Children {
				roots += f.count(t)
			}
			if roots != total {
				t.Errorf("visible roots hold %d samples, want %d", roots, total)
			}
			n := root.check(t, minWidth)
			t.Logf("MinWidth %v: %d frames drawn", minWidth, n)
		})
	}
}

func TestSVGInverted(t *testing.T) {
	for _, inverted := range []bool{false, true} {
		var buf bytes.Buffer
		if err := WriteSVG(&buf, svgSmallStacks(), SVGOptions{Inverted: inverted}); err != nil {
			t.Fatal(err)
		}
		root := svgParse(t, buf.Bytes()).Frames[0]
		child := root.Children[0]
		if down := child.Rect.Y > root.Rect.Y; down != inverted {
			t.Errorf("Inverted %v: root at y=%v, its child at y=%v", inverted, root.Rect.Y, child.Rect.Y)
		}
	}
}

func TestSVGEmpty(t *testing.T) {
	for _, stacks := range [][]Stack{nil, {{Frames: []string{"a"}, Count: 0}}, {{Count: 5}}} {
		var buf bytes.Buffer
		err := WriteSVG(&buf, stacks, SVGOptions{})
		if !errors.Is(err, ErrEmpty) || buf.Len() != 0 {
			t.Errorf("WriteSVG(%v) = %v and %d bytes, want %v and none", stacks, err, buf.Len(), ErrEmpty)
		}
	}
}

func TestSVGLabel(t *testing.T) {
	tests := []struct {
		name  string
		width float64
		want  string
	}{
		{"main", 100, "main"},
		{"main", 20, ""},
		{"very_long_function_name", 60, "very_.."}, // 7 characters fit
		{"ünïcödé_name", 60, "ünïcö.."},
	}
	for _, tt := range tests {
		if got := svgLabel(tt.name, tt.width); got != tt.want {
			t.Errorf("svgLabel(%q, %v) = %q, want %q", tt.name, tt.width, got, tt.want)
		}
	}
}

func TestSVGDefaultKind(t *testing.T) {
	tests := map[string]Kind{
		"main":                 KindUser,
		"do_syscall_64_[k]":    KindKernel,
		"inlined_thing_[i]":    KindInlined,
		"LJ::trace_[j]":        KindJIT,
		"__libc_start_main":    KindLibrary,
		"std::io::Write::fmt":  KindLibrary,
		"[libc.so.6]":          KindLibrary,
		"[unknown]":            KindUser,
		"my_[k]ernel_function": KindUser,
	}
	for frame, want := range tests {
		if got := svgDefaultKind(frame); got != want {
			t.Errorf("svgDefaultKind(%q) = %v, want %v", frame, got, want)
		}
	}
}

func BenchmarkWriteSVG100k(b *testing.B) {
	stacks := svgRandomStacks(100000, 42)
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteSVG(&buf, stacks, SVGOptions{Title: "bench"}); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size)/1e6, "MB")
}

// svgRandomStacks makes n distinct stacks of depth 5 to 40 the way a real
// program's would look: random walks down a fixed call graph in which
// each function calls a few others, so stacks share prefixes, with a
// skewed count per stack.
func svgRandomStacks(n int, seed uint64) []Stack {
	r := rand.New(rand.NewPCG(seed, seed))
	const funcs = 2000
	callees := make([][]int, funcs)
	for i := range callees {
		for range 2 + r.IntN(6) {
			callees[i] = append(callees[i], r.IntN(funcs))
		}
	}
	names := make([]string, funcs)
	for i := range names {
		names[i] = fmt.Sprintf("pkg%d::func_%d", i%37, i)
		switch i % 10 {
		case 0:
			names[i] += "_[k]"
		case 1:
			names[i] += "_[i]"
		}
	}
	seen := make(map[string]bool, n)
	stacks := make([]Stack, 0, n)
	for len(stacks) < n {
		depth := 5 + r.IntN(36)
		frames := []string{fmt.Sprintf("proc%d", r.IntN(3))}
		f := r.IntN(4)
		for len(frames) < depth {
			frames = append(frames, names[f])
			f = callees[f][r.IntN(len(callees[f]))]
		}
		key := strings.Join(frames, ";")
		if seen[key] {
			continue
		}
		seen[key] = true
		stacks = append(stacks, Stack{Frames: frames, Count: 1 + int64(r.ExpFloat64()*5)})
	}
	return stacks
}

// svgDoc is the part of WriteSVG's output the tests read back.
type svgDoc struct {
	Texts []struct {
		ID   string `xml:"id,attr"`
		Text string `xml:",chardata"`
	} `xml:"text"`
	Frames []svgTestFrame `xml:"g>g"`
}

func (d *svgDoc) text(id string) string {
	for _, t := range d.Texts {
		if t.ID == id {
			return t.Text
		}
	}
	return ""
}

// svgTestFrame is one drawn frame and the frames drawn above it.
type svgTestFrame struct {
	Title string `xml:"title"`
	Rect  struct {
		X     float64 `xml:"x,attr"`
		Y     float64 `xml:"y,attr"`
		Width float64 `xml:"width,attr"`
	} `xml:"rect"`
	Children []svgTestFrame `xml:"g"`
}

func (f *svgTestFrame) name(t *testing.T) string {
	i := strings.LastIndex(f.Title, " (")
	if i < 0 {
		t.Fatalf("title %q has no count", f.Title)
	}
	return f.Title[:i]
}

func (f *svgTestFrame) count(t *testing.T) int64 {
	i := strings.LastIndex(f.Title, " (")
	num, _, _ := strings.Cut(f.Title[i+2:], " ")
	n, err := strconv.ParseInt(strings.ReplaceAll(num, ",", ""), 10, 64)
	if err != nil {
		t.Fatalf("title %q: %v", f.Title, err)
	}
	return n
}

// check verifies that no frame holds fewer samples than its drawn
// children, that none is narrower than minWidth, and that children lie
// within their parent; it returns how many frames it saw.
func (f *svgTestFrame) check(t *testing.T, minWidth float64) int {
	t.Helper()
	n := 1
	var sum int64
	for i := range f.Children {
		c := &f.Children[i]
		sum += c.count(t)
		if c.Rect.Width < minWidth-0.01 || c.Rect.X < f.Rect.X-0.01 || c.Rect.X+c.Rect.Width > f.Rect.X+f.Rect.Width+0.02 {
			t.Fatalf("frame %q (x %v, width %v) is narrower than %v or outside its parent %q (x %v, width %v)",
				c.Title, c.Rect.X, c.Rect.Width, minWidth, f.Title, f.Rect.X, f.Rect.Width)
		}
		n += c.check(t, minWidth)
	}
	if sum > f.count(t) {
		t.Fatalf("frame %q: children hold %d samples", f.Title, sum)
	}
	return n
}

func svgParse(t *testing.T, data []byte) *svgDoc {
	t.Helper()
	var doc svgDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("output is not well-formed XML: %v", err)
	}
	if len(doc.Frames) != 1 {
		t.Fatalf("found %d root frames, want 1", len(doc.Frames))
	}
	return &doc
}
