package bench

import (
	"fmt"
	"os"
	"strings"
)

// HyperfineExport is a file a hyperfine command line exports its results
// to.
type HyperfineExport struct {
	// Format is the flag's format: "json", "csv", "markdown", "asciidoc"
	// or "orgmode".
	Format string
	// Path is the file as given on the command line.
	Path string
}

// hyperfineFormats are the formats of hyperfine's --export-FORMAT flags.
var hyperfineFormats = []string{"json", "csv", "markdown", "asciidoc", "orgmode"}

// HyperfineExports returns the files a hyperfine command line exports to,
// from "--export-FORMAT FILE" and "--export-FORMAT=FILE", in order. It
// looks at every argument up to "--", so a hyperfine run through a wrapper
// ("time hyperfine ...") is found too.
func HyperfineExports(argv []string) []HyperfineExport {
	var files []HyperfineExport
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			return files
		}
		for _, f := range hyperfineFormats {
			flag := "--export-" + f
			switch {
			case a == flag && i+1 < len(argv):
				files = append(files, HyperfineExport{f, argv[i+1]})
				i++
			case strings.HasPrefix(a, flag+"="):
				files = append(files, HyperfineExport{f, strings.TrimPrefix(a, flag+"=")})
			default:
				continue
			}
			break
		}
	}
	return files
}

// HyperfineFiles returns the files a hyperfine command line exports
// JSON to (see HyperfineExports), the ones ParseHyperfine reads.
func HyperfineFiles(argv []string) []string {
	var files []string
	for _, e := range HyperfineExports(argv) {
		if e.Format == "json" {
			files = append(files, e.Path)
		}
	}
	return files
}

// ParseHyperfine reads a hyperfine --export-json file: one Result per
// command, ID the command (or its --command-name), Estimate the mean, Low
// and High equal to it (hyperfine gives no confidence interval), N the
// number of runs and Values their times, and, in Extra, "stddev_ns",
// "median_ns", "min_ns", "max_ns", "user_ns" and "system_ns" when present
// (stddev is null for a single run). Hyperfine writes seconds; Results
// hold nanoseconds.
func ParseHyperfine(path string) ([]Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading hyperfine results: %w", err)
	}
	return parseHyperfine(path, data)
}

func parseHyperfine(path string, data []byte) ([]Result, error) {
	var j struct {
		Results []struct {
			Command *string   `json:"command"`
			Mean    *float64  `json:"mean"`
			Stddev  *float64  `json:"stddev"`
			Median  *float64  `json:"median"`
			Min     *float64  `json:"min"`
			Max     *float64  `json:"max"`
			User    *float64  `json:"user"`
			System  *float64  `json:"system"`
			Times   []float64 `json:"times"`
		} `json:"results"`
	}
	if err := decodeJSON(path, data, &j); err != nil {
		return nil, err
	}
	var results []Result
	for i, h := range j.Results {
		if h.Command == nil || h.Mean == nil {
			return nil, fmt.Errorf("%s: results[%d]: expected \"command\" and \"mean\"", path, i)
		}
		mean := *h.Mean * 1e9
		r := Result{Tool: "hyperfine", ID: *h.Command, Estimate: mean, Low: mean, High: mean, Source: path, N: len(h.Times)}
		for _, t := range h.Times[:min(len(h.Times), MaxValues)] {
			r.Values = append(r.Values, t*1e9)
		}
		for _, x := range []struct {
			key string
			v   *float64
		}{{"stddev_ns", h.Stddev}, {"median_ns", h.Median}, {"min_ns", h.Min}, {"max_ns", h.Max}, {"user_ns", h.User}, {"system_ns", h.System}} {
			if x.v == nil {
				continue
			}
			if r.Extra == nil {
				r.Extra = make(map[string]float64)
			}
			r.Extra[x.key] = *x.v * 1e9
		}
		results = append(results, r)
	}
	return results, nil
}
