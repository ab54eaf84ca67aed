package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseGo reads Go benchmark output (`go test -bench`) from r, following
// the Go benchmark data format that golang.org/x/perf/benchfmt reads:
// lines other than "Benchmark<name> <iterations> (<value> <unit>)+" are
// skipped, as are bare "Benchmark<name>" lines printed by -v. (benchfmt
// itself is not used: it imports benchmath, whose dependency
// go-moremath is not in go.sum.)
//
// Each result line gives a Result with ID as printed
// ("BenchmarkFoo/n=10-8"), Estimate from ns/op (Low and High equal to
// it) and every other unit in Extra under the unit as printed ("B/op",
// "allocs/op", "MB/s"). name prefixes positions in the returned
// warnings, one per malformed benchmark line; the error is only for a
// failing reader. Lines longer than MaxLineLen are dropped with a warning.
func ParseGo(r io.Reader, name string) (results []Result, warns []string, err error) {
	p := goParser{name: name}
	s := &lineSplitter{name: name}
	s.emit = func(line string, lineNo int) {
		if res, msg := p.line(line); msg != "" {
			s.warn.addf("%s:%d: %s", name, lineNo, msg)
		} else if res != nil {
			results = append(results, *res)
		}
	}
	buf := make([]byte, 32<<10)
	for {
		n, rerr := r.Read(buf)
		s.write(buf[:n])
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = fmt.Errorf("reading go benchmarks from %s: %w", name, rerr)
			break
		}
	}
	s.flush()
	return results, s.warn.all(), err
}

type goParser struct{ name string }

// line returns the result on line, or a message saying what was
// expected when line starts like a benchmark result but is not one.
func (p goParser) line(line string) (*Result, string) {
	if !strings.HasPrefix(line, "Benchmark") {
		return nil, ""
	}
	f := strings.Fields(line)
	if len(f) == 1 {
		return nil, "" // go test -v announces the benchmark alone first.
	}
	if len(f[0]) == len("Benchmark") {
		return nil, ""
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return nil, fmt.Sprintf("go benchmark line: expected an iteration count after the name, got %q", f[1])
	}
	if len(f)%2 != 0 || len(f) < 4 {
		return nil, "go benchmark line: expected value and unit pairs after the iteration count"
	}
	r := Result{Tool: "go", ID: f[0], Source: p.name}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return nil, fmt.Sprintf("go benchmark line: expected a number before unit %q, got %q", f[i+1], f[i])
		}
		if f[i+1] == "ns/op" {
			r.Estimate, r.Low, r.High = v, v, v
			continue
		}
		if r.Extra == nil {
			r.Extra = make(map[string]float64)
		}
		r.Extra[f[i+1]] = v
	}
	return &r, ""
}
