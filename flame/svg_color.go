package flame

import (
	"hash/fnv"
	"strconv"
	"strings"
)

// svgRootFill colours the "all" frame, which is no code at all.
const svgRootFill = "rgb(200,200,200)"

// svgKindSuffixes are the folded format's kind annotations.
var svgKindSuffixes = [...]struct {
	suffix string
	kind   Kind
}{
	{"_[k]", KindKernel},
	{"_[i]", KindInlined},
	{"_[j]", KindJIT},
}

// svgLibraryPrefixes name code that is almost always a library's, not
// the program's: the C library and dynamic loader, and the standard
// libraries of Rust and C++. Folded text carries no DSO, so this is a
// guess; callers that know better pass SVGOptions.Kind.
var svgLibraryPrefixes = [...]string{
	"__libc_", "__GI_", "_dl_", "__pthread_", "pthread_",
	"std::", "core::", "alloc::", "<std::", "<core::", "<alloc::",
}

// svgDefaultKind is SVGOptions.Kind's default: the frame's kind
// annotation if it has one, KindLibrary for the names in
// svgLibraryPrefixes and for unresolved frames perf names after their DSO
// ("[libc.so.6]"), and KindUser otherwise.
func svgDefaultKind(frame string) Kind {
	for _, s := range svgKindSuffixes {
		if strings.HasSuffix(frame, s.suffix) {
			return s.kind
		}
	}
	if strings.HasPrefix(frame, "[") && strings.Contains(frame, ".so") {
		return KindLibrary
	}
	for _, p := range svgLibraryPrefixes {
		if strings.HasPrefix(frame, p) {
			return KindLibrary
		}
	}
	return KindUser
}

// svgStripKind removes a kind annotation from a frame name, for its label.
func svgStripKind(frame string) string {
	for _, s := range svgKindSuffixes {
		if name, ok := strings.CutSuffix(frame, s.suffix); ok {
			return name
		}
	}
	return frame
}

// svgAppendFill appends the fill colour of a frame: a hue family per kind,
// after flamegraph.pl --colors=java (own code red, from crimson to
// vermilion like the red half of the default "hot" palette; libraries
// yellow; kernel orange; inlined aqua; JIT green), varied within the family by a
// hash of the name so that a function keeps its colour across graphs.
func svgAppendFill(b []byte, kind Kind, name string) []byte {
	h := fnv.New64a()
	h.Write([]byte(name))
	sum := h.Sum64()
	// Three independent fractions in [0,1) from the hash's bytes.
	v1 := float64(sum&0xff) / 256
	v2 := float64(sum>>8&0xff) / 256
	v3 := float64(sum>>16&0xff) / 256
	var r, g, bl float64
	switch kind {
	case KindLibrary:
		r, g, bl = 175+55*v2, 175+55*v2, 50+20*v1
	case KindKernel:
		r, g, bl = 210+45*v1, 120+50*v1, 0+30*v3
	case KindInlined:
		r, g, bl = 50+60*v1, 165+55*v2, 165+55*v2
	case KindJIT:
		r, g, bl = 50+60*v1, 200+55*v2, 50+60*v1
	default:
		r, g, bl = 205+50*v3, 0+80*v1, 0+55*v2
	}
	b = append(b, "rgb("...)
	b = strconv.AppendInt(b, int64(r), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(g), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(bl), 10)
	return append(b, ')')
}
