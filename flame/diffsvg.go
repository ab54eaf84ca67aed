package flame

import (
	"fmt"
	"io"
	"math"
	"strconv"
)

// DiffStack is one distinct call stack weighed in two profiles, a line of
// difffolded.pl's output: "frame;...;frame BASE NEW".
type DiffStack struct {
	// Frames are outermost first, as in Stack.
	Frames []string
	// Base and New are the stack's samples in the two profiles.
	Base, New int64
}

// DiffFullScale is the change of a frame's self share, in percentage points
// of all samples, drawn in full colour when no frame changed more: the
// noise between two runs of the same code (a point or two) stays pale.
const DiffFullScale = 0.05

// svgDiff holds what a differential graph adds to each node.
type svgDiff struct {
	nodes               []svgNode
	baseTotal, newTotal float64
	// base is each node's total in the base profile; selfBase and selfNew
	// its self weight (samples where it is the leaf) in each.
	base, selfBase, selfNew []int64
	// scale is the self-share change drawn in full colour.
	scale float64
}

// WriteDiffSVG renders a differential flamegraph, after flamegraph.pl's
// red/blue differential graphs of difffolded.pl output: frames are sized
// by the new profile, and coloured by how the share of samples in which
// the frame is the leaf (its self share, each profile normalised by its
// own total, as difffolded.pl -n makes the counts comparable) moved: red
// where it grew, blue where it shrank, white where it did not, in full
// colour at the largest change or at DiffFullScale when every change is
// smaller. A frame that only the base has is not drawn, but its samples
// count in its callers' base shares. The tooltip gives the frame's new
// samples and share, its base share, the change in percentage points, and
// the change of its self share:
//
//	name (1,234 samples, 40.1%; base 20.3%, +19.8 pp; self +18.0 pp)
//
// Zoom and search work as in WriteSVG (search and "Matched" see the new
// profile). The same stacks give the same bytes. It returns an error
// wrapping ErrEmpty when the new profile has no samples.
func WriteDiffSVG(w io.Writer, stacks []DiffStack, opts SVGOptions) error {
	opts.fill()
	st := make([]Stack, len(stacks))
	base := make([]int64, len(stacks))
	var baseTotal int64
	for i, s := range stacks {
		st[i] = Stack{Frames: s.Frames, Count: s.New}
		base[i] = s.Base
		if len(s.Frames) > 0 {
			baseTotal += max(s.Base, 0)
		}
	}
	nodes, baseTotals := svgTree(st, base)
	if nodes == nil {
		return fmt.Errorf("%w: the new profile has no stack to draw; %s", ErrEmpty, emptyHint)
	}
	d := &svgDiff{nodes: nodes, baseTotal: float64(baseTotal), newTotal: float64(nodes[0].total), base: baseTotals}
	d.selfs(nodes)
	return svgRender(w, svgRenderer{opts: opts, stacks: st, nodes: nodes, diff: d})
}

// selfs computes each node's self weight in both profiles (its total less
// its children's) and the colour scale from the largest change.
func (d *svgDiff) selfs(nodes []svgNode) {
	d.selfNew = make([]int64, len(nodes))
	d.selfBase = make([]int64, len(nodes))
	path := make([]int, 0, 64) // path[k]: the node at depth k above the current one
	for i, n := range nodes {
		d.selfNew[i], d.selfBase[i] = n.total, d.base[i]
		path = append(path[:n.depth], i)
		if n.depth > 0 {
			p := path[n.depth-1]
			d.selfNew[p] -= n.total
			d.selfBase[p] -= d.base[i]
		}
	}
	d.scale = DiffFullScale
	for i, n := range nodes {
		if n.depth > 0 && n.total > 0 {
			d.scale = max(d.scale, math.Abs(d.selfDelta(i)))
		}
	}
}

// share is a weight as a fraction of a total; 0 of nothing.
func share(v int64, total float64) float64 {
	if total <= 0 {
		return 0
	}
	return float64(v) / total
}

// selfDelta is node i's self share in the new profile less that in the
// base, as a fraction of all samples.
func (d *svgDiff) selfDelta(i int) float64 {
	return share(d.selfNew[i], d.newTotal) - share(d.selfBase[i], d.baseTotal)
}

// appendTitle appends the base share and the changes to node i's tooltip.
func (d *svgDiff) appendTitle(b []byte, i int) []byte {
	b = append(b, "; base "...)
	b = strconv.AppendFloat(b, svgRound(100*share(d.base[i], d.baseTotal)), 'f', -1, 64)
	b = append(b, "%, "...)
	b = appendPP(b, d.totalDelta(i))
	b = append(b, "; self "...)
	b = appendPP(b, d.selfDelta(i))
	return b
}

// totalDelta is node i's share of all samples in the new profile less
// that in the base.
func (d *svgDiff) totalDelta(i int) float64 {
	return share(d.nodes[i].total, d.newTotal) - share(d.base[i], d.baseTotal)
}

// appendPP appends a change of share as signed percentage points: "+19.8 pp".
func appendPP(b []byte, delta float64) []byte {
	v := svgRound(100 * delta)
	if v >= 0 {
		b = append(b, '+')
	}
	if v == 0 {
		v = 0 // no "-0"
	}
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	return append(b, " pp"...)
}

// appendFill appends node i's colour: white for no change, towards red as
// its self share grew, towards blue as it shrank.
func (d *svgDiff) appendFill(b []byte, i int) []byte {
	delta := d.selfDelta(i)
	t := math.Min(1, math.Abs(delta)/d.scale)
	fade := strconv.Itoa(int(math.Round(255 * (1 - t))))
	switch {
	case delta > 0:
		return append(b, "rgb(255,"+fade+","+fade+")"...)
	case delta < 0:
		return append(b, "rgb("+fade+","+fade+",255)"...)
	}
	return append(b, "rgb(255,255,255)"...)
}
