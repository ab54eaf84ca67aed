package flame

import (
	"cmp"

	"github.com/google/pprof/profile"
)

// AddSourceLines gives the functions of hs their source file and hottest
// line from p, a profile of the same samples whose Lines carry them (see
// ProfileBuilder): the file with the most samples of the function, and
// in it the line with the most samples where the function is the
// innermost frame, or else anywhere on the stack. Functions are matched
// by name and kind (an inlined frame is a Line before a Location's last).
func (hs *HotSpots) AddSourceLines(p *profile.Profile) {
	if p == nil {
		return
	}
	type key struct{ name, kind string }
	type weights struct{ files, self, total map[hotPos]int64 }
	want := make(map[key]*weights)
	for _, list := range [][]HotFunction{hs.BySelf, hs.ByTotal} {
		for _, f := range list {
			want[key{f.Name, f.Kind}] = &weights{make(map[hotPos]int64), make(map[hotPos]int64), make(map[hotPos]int64)}
		}
	}
	vi := 0
	for i, st := range p.SampleType {
		if st.Type == "samples" {
			vi = i
		}
	}
	for _, s := range p.Sample {
		if vi >= len(s.Value) {
			continue
		}
		w := s.Value[vi]
		for li, l := range s.Location {
			for j, ln := range l.Line {
				if ln.Function == nil || ln.Function.Filename == "" {
					continue
				}
				kind := profileKind(l, j)
				ws := want[key{ln.Function.Name, kind}]
				if ws == nil {
					continue
				}
				ps := hotPos{ln.Function.Filename, ln.Line}
				ws.files[hotPos{file: ps.file}] += w
				ws.total[ps] += w
				if li == 0 && j == 0 {
					ws.self[ps] += w
				}
			}
		}
	}
	for _, list := range [][]HotFunction{hs.BySelf, hs.ByTotal} {
		for i := range list {
			ws := want[key{list[i].Name, list[i].Kind}]
			file := heaviest(ws.files).file
			if file == "" {
				continue
			}
			at := heaviest(inFile(ws.self, file))
			if at.line <= 0 {
				at = heaviest(inFile(ws.total, file))
			}
			list[i].File = file
			if at.line > 0 {
				list[i].Line = uint32(min(at.line, 1<<31))
			}
		}
	}
}

// profileKind is the HotFunction kind of Line j of l.
func profileKind(l *profile.Location, j int) string {
	switch {
	case j < len(l.Line)-1:
		return "inlined"
	case l.Mapping != nil && frameKind(l.Address, l.Mapping.File) == KindKernel:
		return "kernel"
	case l.Mapping != nil && frameKind(l.Address, l.Mapping.File) == KindJIT:
		return "jit"
	}
	return ""
}

// hotPos is a source file, or a line in it.
type hotPos struct {
	file string
	line int64
}

// heaviest returns the position of m with the most weight; ties go to
// the first file and line.
func heaviest(m map[hotPos]int64) hotPos {
	var best hotPos
	var bw int64 = -1
	for p, w := range m {
		if w > bw || w == bw && cmp.Or(cmp.Compare(p.file, best.file), cmp.Compare(p.line, best.line)) < 0 {
			best, bw = p, w
		}
	}
	return best
}

// inFile returns the positions of m in file.
func inFile(m map[hotPos]int64, file string) map[hotPos]int64 {
	out := make(map[hotPos]int64)
	for p, w := range m {
		if p.file == file {
			out[p] = w
		}
	}
	return out
}
