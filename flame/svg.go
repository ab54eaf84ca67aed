package flame

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// SVGOptions configures WriteSVG. The zero value is usable.
type SVGOptions struct {
	// Title names the profiled command; it heads the graph.
	Title string
	// Subtitle is a smaller second heading line; empty for none.
	Subtitle string
	// Width is the image width in pixels; 0 means 1200, and it is at
	// least 100.
	Width int
	// MinWidth is the narrowest frame drawn, in pixels; 0 means 0.1.
	// Narrower frames are left out with their whole subtree, which keeps
	// a profile of 100,000 stacks to a few MB. Their samples still count
	// in every drawn ancestor, so shares stay right, but they cannot be
	// zoomed into or found by a search.
	MinWidth float64
	// Inverted draws an icicle graph: the roots at the top, growing down.
	Inverted bool
	// CountName names the unit of Stack.Count in tooltips; "" means
	// "samples".
	CountName string
	// Kind classifies a frame, as written in Stack.Frames, for its colour.
	// nil means the folded format's suffixes ("_[k]" kernel, "_[i]"
	// inlined, "_[j]" JIT) and, for frames without one, a small heuristic
	// for well-known library code (see svgDefaultKind); everything else
	// is the program's own code.
	Kind func(frame string) Kind
}

// Layout constants, in pixels. flame.js repeats svgFontSize*svgFontWidth
// as its character width; keep them in step.
const (
	svgDefaultWidth    = 1200
	svgDefaultMinWidth = 0.1
	svgMinImageWidth   = 100
	svgPad             = 10   // left and right margin
	svgFrameHeight     = 16   // one row, including a 1px gap
	svgFontSize        = 12   // frame labels
	svgFontWidth       = 0.59 // average glyph width of Verdana, in ems
	svgTitleHeight     = 50   // above the frames: title and controls
	svgSubtitleHeight  = 16   // added to svgTitleHeight when there is a subtitle
	svgFooterHeight    = 30   // below the frames: details and match lines
)

var (
	//go:embed assets/flame.js
	svgScript string
	//go:embed assets/flame.css
	svgStyle string
)

// svgNode is one frame of the merged call tree. Nodes are kept in
// pre-order, children sorted by name, so the tree needs no pointers: a
// node's subtree is the run of nodes after it with a greater depth.
type svgNode struct {
	stack   int32 // index of a Stack holding this frame...
	depth   int32 // ...at Frames[depth-1]; 0 is the "all" root
	total   int64 // samples in this frame and below
	x       int64 // samples left of this frame
	visible bool
}

// WriteSVG renders stacks as a self-contained interactive flamegraph: one
// SVG file with inline CSS and ECMAScript and no external references, so
// it works opened from disk. Hovering a frame shows its name, samples and
// share; clicking zooms into it; "Search" (or Ctrl-F, or a "?s=regex" URL
// parameter) highlights the frames whose name matches a regular
// expression and prints the share of samples under them, nested matches
// counted once.
//
// Frames are labelled without their kind suffix; the tooltip, the details
// line and the search see the name as written, suffix included. Siblings
// are sorted by name and colours are hashed from names, so the same
// stacks give the same bytes. Stacks with no frames or a Count below 1
// are ignored; when none remain WriteSVG returns an error wrapping
// ErrEmpty and writes nothing. The "Matched" share is of all samples, also
// while zoomed, and the search uses JavaScript regular expression syntax.
func WriteSVG(w io.Writer, stacks []Stack, opts SVGOptions) error {
	opts.fill()
	nodes, _ := svgTree(stacks, nil)
	if nodes == nil {
		return fmt.Errorf("%w: no stack to draw; %s", ErrEmpty, emptyHint)
	}
	return svgRender(w, svgRenderer{opts: opts, stacks: stacks, nodes: nodes})
}

// fill sets the defaults of the fields left zero, for WriteSVG and
// WriteDiffSVG alike.
func (opts *SVGOptions) fill() {
	if opts.Width == 0 {
		opts.Width = svgDefaultWidth
	}
	opts.Width = max(opts.Width, svgMinImageWidth)
	if opts.MinWidth <= 0 {
		opts.MinWidth = svgDefaultMinWidth
	}
	if opts.CountName == "" {
		opts.CountName = "samples"
	}
	if opts.Kind == nil {
		opts.Kind = svgDefaultKind
	}
}

// svgRender lays out and writes a renderer's tree.
func svgRender(w io.Writer, r svgRenderer) error {
	r.layout()
	bw := bufio.NewWriterSize(w, 64<<10)
	r.write(bw)
	return bw.Flush()
}

// svgTree merges stacks by prefix into a pre-order tree rooted at "all",
// or returns nil if no stack has samples. Sorting the stacks first makes
// equal prefixes adjacent, so merging is one comparison with the previous
// stack and the children come out sorted.
//
// other, when not nil, weighs each stack in a second profile (the base of
// a differential graph): stacks with weight only there are merged too,
// their nodes with a total of 0 (never drawn), and the second result holds
// each node's total in other.
func svgTree(stacks []Stack, other []int64) ([]svgNode, []int64) {
	order := make([]int32, 0, len(stacks))
	size := 1 // an upper bound on the nodes, to allocate once
	for i, s := range stacks {
		if (s.Count > 0 || other != nil && other[i] > 0) && len(s.Frames) > 0 {
			order = append(order, int32(i))
			size += len(s.Frames)
		}
	}
	if len(order) == 0 {
		return nil, nil
	}
	slices.SortFunc(order, func(a, b int32) int {
		return slices.Compare(stacks[a].Frames, stacks[b].Frames)
	})
	nodes := make([]svgNode, 1, size)
	nodes[0].stack = -1
	var otherTotals []int64
	if other != nil {
		otherTotals = make([]int64, 1, size)
	}
	path := []int32{0} // path[d] is the node at depth d of the previous stack
	var prev []string
	for _, si := range order {
		frames := stacks[si].Frames
		common := 0
		for common < len(frames) && common < len(prev) && frames[common] == prev[common] {
			common++
		}
		path = path[:common+1]
		for d := common; d < len(frames); d++ {
			path = append(path, int32(len(nodes)))
			nodes = append(nodes, svgNode{stack: si, depth: int32(d + 1)})
			if other != nil {
				otherTotals = append(otherTotals, 0)
			}
		}
		for _, n := range path {
			nodes[n].total += max(stacks[si].Count, 0)
			if other != nil {
				otherTotals[n] += max(other[si], 0)
			}
		}
		prev = frames
	}
	if nodes[0].total == 0 {
		return nil, nil
	}
	return nodes, otherTotals
}

// svgRenderer holds one WriteSVG call's state.
type svgRenderer struct {
	opts     SVGOptions
	stacks   []Stack
	nodes    []svgNode
	scale    float64 // pixels per sample
	maxDepth int32   // deepest visible node
	height   int
	buf      []byte // scratch for one element
	// diff, when set, titles and colours the frames of a differential
	// graph (WriteDiffSVG).
	diff *svgDiff
}

// layout places every node and decides which are wide enough to draw.
func (r *svgRenderer) layout() {
	r.scale = float64(r.opts.Width-2*svgPad) / float64(r.nodes[0].total)
	next := make([]int64, 1, 64) // next[d]: x of the next node at depth d
	hiddenBelow := int32(math.MaxInt32)
	for i := range r.nodes {
		n := &r.nodes[i]
		d := n.depth
		for int(d+1) >= len(next) {
			next = append(next, 0)
		}
		n.x = next[d]
		next[d] += n.total
		next[d+1] = n.x
		if d <= hiddenBelow {
			hiddenBelow = math.MaxInt32
		}
		if d > hiddenBelow {
			continue
		}
		if float64(n.total)*r.scale < r.opts.MinWidth {
			hiddenBelow = d
			continue
		}
		n.visible = true
		r.maxDepth = max(r.maxDepth, d)
	}
	r.height = svgTitleHeight + svgFooterHeight + int(r.maxDepth+1)*svgFrameHeight
	if r.opts.Subtitle != "" {
		r.height += svgSubtitleHeight
	}
}

// write emits the document. Errors stick in w and surface at Flush.
func (r *svgRenderer) write(w *bufio.Writer) {
	width, height := strconv.Itoa(r.opts.Width), strconv.Itoa(r.height)
	w.WriteString(`<?xml version="1.0" standalone="no"?>` + "\n")
	w.WriteString(`<svg version="1.1" width="` + width + `" height="` + height +
		`" viewBox="0 0 ` + width + ` ` + height + `" xmlns="http://www.w3.org/2000/svg"`)
	if r.opts.Inverted {
		w.WriteString(` class="inverted"`)
	}
	w.WriteString(">\n<style><![CDATA[\n" + svgStyle + "]]></style>\n")
	w.WriteString(`<rect class="background" width="100%" height="100%"/>` + "\n")

	mid := strconv.Itoa(r.opts.Width / 2)
	right := strconv.Itoa(r.opts.Width - svgPad)
	r.buf = append(r.buf[:0], `<text id="title" x="`+mid+`" y="24">`...)
	r.buf = svgEscape(r.buf, r.opts.Title)
	r.buf = append(r.buf, "</text>\n"...)
	if r.opts.Subtitle != "" {
		r.buf = append(r.buf, `<text id="subtitle" x="`+mid+`" y="42">`...)
		r.buf = svgEscape(r.buf, r.opts.Subtitle)
		r.buf = append(r.buf, "</text>\n"...)
	}
	w.Write(r.buf)
	bottom := strconv.Itoa(r.height - 10)
	w.WriteString(`<text id="unzoom" class="control hide" x="` + strconv.Itoa(svgPad) + `" y="24">Reset Zoom</text>` + "\n")
	w.WriteString(`<text id="search" class="control" x="` + right + `" y="24">Search</text>` + "\n")
	w.WriteString(`<text id="details" x="` + strconv.Itoa(svgPad) + `" y="` + bottom + `"> </text>` + "\n")
	w.WriteString(`<text id="matched" x="` + right + `" y="` + bottom + `"> </text>` + "\n")

	w.WriteString(`<g id="frames">`)
	open := int32(-1) // depth of the innermost open <g>
	for i := range r.nodes {
		n := &r.nodes[i]
		if !n.visible {
			continue
		}
		for ; open >= n.depth; open-- {
			w.WriteString("</g>")
		}
		r.frame(w, i)
		open = n.depth
	}
	for ; open >= 0; open-- {
		w.WriteString("</g>")
	}
	w.WriteString("\n</g>\n<script><![CDATA[\n" + svgScript + "]]></script>\n</svg>\n")
}

// frame writes the opening <g>, title, rect and label of node i.
func (r *svgRenderer) frame(w *bufio.Writer, i int) {
	n := &r.nodes[i]
	name := "all"
	kind := KindUser
	if n.depth > 0 {
		name = r.stacks[n.stack].Frames[n.depth-1]
		kind = r.opts.Kind(name)
	}
	x := svgRound(svgPad + float64(n.x)*r.scale)
	width := svgRound(float64(n.total) * r.scale)
	y := svgTitleHeight + int(n.depth)*svgFrameHeight
	if r.opts.Subtitle != "" {
		y += svgSubtitleHeight
	}
	if !r.opts.Inverted {
		y = r.height - svgFooterHeight - int(n.depth+1)*svgFrameHeight
	}

	b := append(r.buf[:0], "\n<g><title>"...)
	b = svgEscape(b, name)
	b = append(b, " ("...)
	b = svgAppendCount(b, n.total)
	b = append(b, ' ')
	b = svgEscape(b, r.opts.CountName)
	b = append(b, ", "...)
	b = strconv.AppendFloat(b, svgRound(100*float64(n.total)/float64(r.nodes[0].total)), 'f', -1, 64)
	b = append(b, '%')
	if r.diff != nil {
		b = r.diff.appendTitle(b, i)
	}
	b = append(b, `)</title><rect x="`...)
	b = strconv.AppendFloat(b, x, 'f', -1, 64)
	b = append(b, `" y="`...)
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, `" width="`...)
	b = strconv.AppendFloat(b, width, 'f', -1, 64)
	b = append(b, `" height="`+strconv.Itoa(svgFrameHeight-1)+`" fill="`...)
	switch {
	case n.depth == 0:
		b = append(b, svgRootFill...)
	case r.diff != nil:
		b = r.diff.appendFill(b, i)
	default:
		b = svgAppendFill(b, kind, svgStripKind(name))
	}
	b = append(b, `"/>`...)
	if label := svgLabel(svgStripKind(name), width); label != "" {
		b = append(b, `<text x="`...)
		b = strconv.AppendFloat(b, svgRound(x+3), 'f', -1, 64)
		b = append(b, `" y="`...)
		b = strconv.AppendFloat(b, float64(y)+10.5, 'f', -1, 64)
		b = append(b, `">`...)
		b = svgEscape(b, label)
		b = append(b, "</text>"...)
	}
	r.buf = b
	w.Write(b)
}

// svgLabel fits name into a frame width pixels wide, truncating it with
// "..", or returns "" when not even three characters fit. flame.js's
// fit() does the same after a zoom.
func svgLabel(name string, width float64) string {
	chars := int(math.Floor((width - 6) / (svgFontSize * svgFontWidth)))
	if chars < 3 {
		return ""
	}
	if utf8.RuneCountInString(name) <= chars {
		return name
	}
	i := 0
	for n := 0; n < chars-2; n++ {
		_, size := utf8.DecodeRuneInString(name[i:])
		i += size
	}
	return name[:i] + ".."
}

// svgRound rounds to two decimals: enough for a pixel, short to print.
func svgRound(v float64) float64 {
	return math.Round(v*100) / 100
}

// svgAppendCount appends n with thousands separators, as flamegraph.pl does.
func svgAppendCount(b []byte, n int64) []byte {
	s := strconv.FormatInt(n, 10)
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return b
}

// svgEscape appends s escaped for XML text and attribute values. Bytes
// XML 1.0 cannot carry (control characters, invalid UTF-8) become U+FFFD.
func svgEscape(b []byte, s string) []byte {
	for _, c := range s {
		switch {
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '<':
			b = append(b, "&lt;"...)
		case c == '>':
			b = append(b, "&gt;"...)
		case c == '"':
			b = append(b, "&quot;"...)
		case c == '\'':
			b = append(b, "&#39;"...)
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r',
			c == 0xFFFE, c == 0xFFFF:
			b = utf8.AppendRune(b, utf8.RuneError)
		default:
			b = utf8.AppendRune(b, c)
		}
	}
	return b
}
