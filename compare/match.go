package compare

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/perfcap/perfcap/capture/bench"
)

// entry is one benchmark of one bundle with the key it is paired by.
type entry struct {
	r *bench.Result
	// key pairs the benchmark with its counterpart: tool, package and
	// name, or the groups of Options.Match.
	key string
	// name is what the tables show: the ID, for Go without its GOMAXPROCS
	// suffix unless the bundle needs it.
	name string
	// procs is the GOMAXPROCS suffix of a Go name ("8" of "-8"), "" for
	// none.
	procs string
}

// goProcs splits a Go benchmark name into its name and the -N suffix Go
// appends when GOMAXPROCS is not 1.
func goProcs(id string) (name, procs string) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 || i == len(id)-1 {
		return id, ""
	}
	for _, c := range id[i+1:] {
		if c < '0' || c > '9' {
			return id, ""
		}
	}
	return id[:i], id[i+1:]
}

// entries gives each benchmark of a bundle its key, and warns about
// benchmarks that share one (only the first of them is compared).
func entries(results []bench.Result, match *regexp.Regexp, label string) ([]entry, []string) {
	es := make([]entry, len(results))
	// A Go name keeps its suffix when the same bundle has the name with two
	// suffixes (go test -cpu 1,4), which would otherwise collide.
	stripped := map[string]map[string]bool{}
	for i := range results {
		r := &results[i]
		es[i] = entry{r: r, name: r.ID}
		if r.Tool == "go" {
			name, procs := goProcs(r.ID)
			es[i].name, es[i].procs = name, procs
			k := r.Package + "\x00" + name
			if stripped[k] == nil {
				stripped[k] = map[string]bool{}
			}
			stripped[k][procs] = true
		}
	}
	var warns []string
	seen := map[string]bool{}
	out := es[:0]
	for _, e := range es {
		if e.r.Tool == "go" && len(stripped[e.r.Package+"\x00"+e.name]) > 1 {
			e.name, e.procs = e.r.ID, ""
		}
		id := e.name
		if match != nil {
			if m := match.FindStringSubmatch(e.name); m != nil {
				id = strings.Join(m[1:], "\x00")
			}
		}
		e.key = e.r.Tool + "\x00" + e.r.Package + "\x00" + id
		if seen[e.key] {
			warns = append(warns, fmt.Sprintf("%s: %s benchmark %q pairs by the same name as an earlier one; only the first is compared", label, e.r.Tool, oneLine(e.name)))
			continue
		}
		seen[e.key] = true
		out = append(out, e)
	}
	return out, warns
}

// CompileMatch compiles a --match expression: a regular expression with at
// least one group; benchmarks whose names it matches are paired by the text
// of its groups instead of their whole names.
func CompileMatch(expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("--match %q: %w", expr, err)
	}
	if re.NumSubexp() == 0 {
		return nil, fmt.Errorf("--match %q: the expression needs a group, (…), whose text pairs the benchmarks", expr)
	}
	return re, nil
}
