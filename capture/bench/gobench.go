package bench

import (
	"fmt"
	"io"

	"golang.org/x/perf/benchfmt"
)

// ParseGo reads Go benchmark output (`go test -bench`) from r with
// golang.org/x/perf/benchfmt, the reference reader of the Go benchmark data
// format: lines that are not results are skipped, configuration lines are
// understood, and a malformed result line becomes a warning naming its
// position (name:line), never an error.
//
// Each result gives a Result with ID the full name as printed
// ("BenchmarkFoo/n=10-8"), Estimate from sec/op in ns (benchfmt
// normalises ns/op to sec/op; Low and High equal it) and every other unit
// in Extra under its name ("B/op", "allocs/op", "B/s"). The error is only
// for a failing reader.
func ParseGo(r io.Reader, name string) (results []Result, warns []string, err error) {
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			warns = append(warns, rec.Error())
		case *benchfmt.Result:
			res := Result{Tool: "go", ID: "Benchmark" + string(rec.Name.Full()), Source: name}
			for _, v := range rec.Values {
				unit, value := v.Unit, v.Value
				if v.OrigUnit != "" {
					unit, value = v.OrigUnit, v.OrigValue
				}
				if v.Unit == "sec/op" {
					res.Estimate = v.Value * 1e9
					if v.OrigUnit == "ns/op" {
						res.Estimate = v.OrigValue // exact, as printed
					}
					res.Low, res.High = res.Estimate, res.Estimate
					continue
				}
				if res.Extra == nil {
					res.Extra = map[string]float64{}
				}
				res.Extra[unit] = value
			}
			results = append(results, res)
		}
	}
	if e := br.Err(); e != nil {
		err = fmt.Errorf("reading go benchmarks from %s: %w", name, e)
	}
	return results, warns, err
}
