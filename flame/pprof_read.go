package flame

import (
	"strings"

	"github.com/google/pprof/profile"
)

// StacksFromProfile folds a pprof profile into Stacks weighted by the
// sample type at index, so a profile made elsewhere (Go's runtime/pprof, or
// perfcap's own profile.pb.gz) renders as a flamegraph too. The first frame
// is the sample's "comm" label when it has one, else the profile's main
// binary name, else "all"; lines inlined into a location's last line
// become frames annotated "_[i]".
func StacksFromProfile(p *profile.Profile, index int) []Stack {
	root := "all"
	if len(p.Mapping) > 0 && p.Mapping[0].File != "" {
		root = baseName(p.Mapping[0].File)
	}
	sums := make(map[string]int64)
	var b strings.Builder
	for _, s := range p.Sample {
		if index >= len(s.Value) || s.Value[index] <= 0 {
			continue
		}
		b.Reset()
		if comm := s.Label["comm"]; len(comm) > 0 {
			b.WriteString(comm[0])
		} else {
			b.WriteString(root)
		}
		// Locations go leaf first, and each location's lines innermost
		// first: walk both backwards for outermost-first frames.
		for i := len(s.Location) - 1; i >= 0; i-- {
			loc := s.Location[i]
			for j := len(loc.Line) - 1; j >= 0; j-- {
				b.WriteByte(';')
				name := "[unknown]"
				if fn := loc.Line[j].Function; fn != nil && fn.Name != "" {
					name = strings.ReplaceAll(fn.Name, ";", ":")
				}
				b.WriteString(name)
				if j < len(loc.Line)-1 {
					b.WriteString("_[i]") // inlined into the line after it
				}
			}
		}
		sums[b.String()] += s.Value[index]
	}
	stacks := make([]Stack, 0, len(sums))
	for joined, n := range sums {
		stacks = append(stacks, Stack{Frames: strings.Split(joined, ";"), Count: n})
	}
	return stacks
}

func baseName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}
