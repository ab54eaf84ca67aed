package bench

import (
	"fmt"
	"os"
	"strings"
)

// HyperfineFiles returns the files a hyperfine command line exports
// JSON to, from "--export-json FILE" and "--export-json=FILE", in order.
// It looks at every argument, so a hyperfine run through a wrapper
// ("time hyperfine ...") is found too.
func HyperfineFiles(argv []string) []string {
	var files []string
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "--":
			return files
		case a == "--export-json" && i+1 < len(argv):
			files = append(files, argv[i+1])
			i++
		case strings.HasPrefix(a, "--export-json="):
			files = append(files, strings.TrimPrefix(a, "--export-json="))
		}
	}
	return files
}

// ParseHyperfine reads a hyperfine --export-json file: one Result per
// command, ID the command, Estimate the mean (Low and High equal to it:
// hyperfine gives no confidence interval) and, in Extra, "stddev_ns",
// "median_ns", "min_ns", "max_ns", "user_ns" and "system_ns" when
// present. Hyperfine writes seconds; Results hold nanoseconds.
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
			Command *string  `json:"command"`
			Mean    *float64 `json:"mean"`
			Stddev  *float64 `json:"stddev"`
			Median  *float64 `json:"median"`
			Min     *float64 `json:"min"`
			Max     *float64 `json:"max"`
			User    *float64 `json:"user"`
			System  *float64 `json:"system"`
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
		r := Result{Tool: "hyperfine", ID: *h.Command, Estimate: mean, Low: mean, High: mean, Source: path}
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
