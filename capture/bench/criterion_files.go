package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// CriterionDir returns the directory Criterion writes its files to:
// $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion, else
// workspaceRoot/target/criterion. Relative variables are taken relative
// to workspaceRoot, as cargo runs benchmarks from there.
func CriterionDir(env map[string]string, workspaceRoot string) string {
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(workspaceRoot, p)
	}
	if d := env["CRITERION_HOME"]; d != "" {
		return abs(d)
	}
	if d := env["CARGO_TARGET_DIR"]; d != "" {
		return filepath.Join(abs(d), "criterion")
	}
	return filepath.Join(workspaceRoot, "target", "criterion")
}

// CriterionFiles returns, sorted, the files Criterion wrote for each
// benchmark under dir — */new/benchmark.json, estimates.json,
// sample.json (the raw measurements), tukey.json and raw.csv, and
// */change/estimates.json — modified at or after since, so results of
// earlier runs are left out (base/ holds the previous run's). A missing
// dir gives no files and no error.
func CriterionFiles(dir string, since time.Time) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() || !isCriterionFile(path) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.ModTime().Before(since) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing criterion files in %s: %w", dir, err)
	}
	sort.Strings(files)
	return files, nil
}

func isCriterionFile(path string) bool {
	kind := filepath.Base(filepath.Dir(path))
	switch filepath.Base(path) {
	case "benchmark.json", "sample.json", "tukey.json", "raw.csv":
		return kind == "new"
	case "estimates.json":
		return kind == "new" || kind == "change"
	}
	return false
}

// ReadCriterion turns the files CriterionFiles found into Results, one
// per */new/estimates.json, named by the benchmark.json beside it (its
// title, else full_id) and with Source set to the estimates.json path.
//
// The Estimate is Criterion's typical estimate, the one it prints as
// "time:": the slope's point estimate when slope is present and not
// null, else the mean's; Low and High are that estimate's confidence
// bounds (Interval "ci" at its confidence_level). A sample.json beside it
// in files gives N, the number of samples, and Values, each sample's
// time per iteration. A */change/estimates.json in files gives Change from its mean
// (a relative change, as Criterion prints); P and Verdict stay empty as
// Criterion does not write them to files. A throughput in
// benchmark.json gives Throughput in "elem/s" or "B/s", computed from
// the time bounds as Criterion does.
func ReadCriterion(files []string) ([]Result, error) {
	inRun := make(map[string]bool, len(files))
	for _, f := range files {
		inRun[f] = true
	}
	var results []Result
	for _, f := range files {
		if filepath.Base(f) != "estimates.json" || filepath.Base(filepath.Dir(f)) != "new" {
			continue
		}
		r, err := readCriterionBenchmark(f, inRun)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	return results, nil
}

func readCriterionBenchmark(estimatesPath string, inRun map[string]bool) (Result, error) {
	newDir := filepath.Dir(estimatesPath)
	b, err := readBenchmarkJSON(filepath.Join(newDir, "benchmark.json"))
	if err != nil {
		return Result{}, err
	}
	data, err := os.ReadFile(estimatesPath)
	if err != nil {
		return Result{}, fmt.Errorf("reading criterion estimates: %w", err)
	}
	est, err := ParseCriterionEstimates(estimatesPath, data)
	if err != nil {
		return Result{}, err
	}
	typical := est.Mean
	if est.Slope != nil {
		typical = *est.Slope
	}
	r := Result{
		Tool: "criterion", ID: b.ID,
		Estimate:   typical.PointEstimate,
		Low:        typical.ConfidenceInterval.LowerBound,
		High:       typical.ConfidenceInterval.UpperBound,
		Interval:   "ci",
		Confidence: typical.ConfidenceInterval.ConfidenceLevel,
		Source:     estimatesPath,
	}
	if samplePath := filepath.Join(newDir, "sample.json"); inRun[samplePath] {
		data, err := os.ReadFile(samplePath)
		if err != nil {
			return Result{}, fmt.Errorf("reading criterion samples: %w", err)
		}
		perIter, err := ParseCriterionSample(samplePath, data)
		if err != nil {
			return Result{}, err
		}
		r.N, r.Values = len(perIter), capValues(perIter)
	}
	if b.Throughput != nil {
		r.Throughput = b.Throughput.rate(r.Low, r.Estimate, r.High)
	}
	changePath := filepath.Join(filepath.Dir(newDir), "change", "estimates.json")
	if inRun[changePath] {
		data, err := os.ReadFile(changePath)
		if err != nil {
			return Result{}, fmt.Errorf("reading criterion change: %w", err)
		}
		ch, err := ParseCriterionEstimates(changePath, data)
		if err != nil {
			return Result{}, err
		}
		r.Change = &Change{
			Low:      ch.Mean.ConfidenceInterval.LowerBound,
			Estimate: ch.Mean.PointEstimate,
			High:     ch.Mean.ConfidenceInterval.UpperBound,
		}
	}
	return r, nil
}

// CriterionEstimates is the content of Criterion's estimates.json, in
// nanoseconds for new/ and as relative changes for change/ (which has
// only Mean and Median).
type CriterionEstimates struct {
	Mean   CriterionEstimate
	Median CriterionEstimate
	// StdDev and Slope are nil when absent; Slope is also nil when
	// Criterion used flat sampling and wrote null.
	StdDev *CriterionEstimate
	Slope  *CriterionEstimate
}

// CriterionEstimate is one statistic with its confidence interval.
type CriterionEstimate struct {
	PointEstimate      float64
	StandardError      float64
	ConfidenceInterval struct {
		ConfidenceLevel float64
		LowerBound      float64
		UpperBound      float64
	}
}

type jsonEstimate struct {
	ConfidenceInterval *struct {
		ConfidenceLevel *float64 `json:"confidence_level"`
		LowerBound      *float64 `json:"lower_bound"`
		UpperBound      *float64 `json:"upper_bound"`
	} `json:"confidence_interval"`
	PointEstimate *float64 `json:"point_estimate"`
	StandardError *float64 `json:"standard_error"`
}

func (j *jsonEstimate) check(path, name string) (CriterionEstimate, error) {
	var e CriterionEstimate
	missing := func(field string) error {
		return fmt.Errorf("%s: %s.%s: expected a number: %w", path, name, field, ErrCriterionFile)
	}
	if j == nil {
		return e, fmt.Errorf("%s: %s: expected an estimate object: %w", path, name, ErrCriterionFile)
	}
	if j.PointEstimate == nil {
		return e, missing("point_estimate")
	}
	ci := j.ConfidenceInterval
	if ci == nil || ci.LowerBound == nil || ci.UpperBound == nil {
		return e, missing("confidence_interval.lower_bound/upper_bound")
	}
	e.PointEstimate = *j.PointEstimate
	e.ConfidenceInterval.LowerBound = *ci.LowerBound
	e.ConfidenceInterval.UpperBound = *ci.UpperBound
	if ci.ConfidenceLevel != nil {
		e.ConfidenceInterval.ConfidenceLevel = *ci.ConfidenceLevel
	}
	if j.StandardError != nil {
		e.StandardError = *j.StandardError
	}
	return e, nil
}

// ErrCriterionFile is wrapped by errors about a Criterion file that is
// valid JSON but lacks what Criterion writes.
var ErrCriterionFile = errors.New("bench: unexpected criterion file content")

// ParseCriterionEstimates parses the content of an estimates.json file;
// path only names it in errors, which read "path:line:col: ..." for
// malformed JSON and "path: field: expected ..." for missing fields.
// mean and median are required, std_dev and slope optional.
func ParseCriterionEstimates(path string, data []byte) (CriterionEstimates, error) {
	var j struct {
		Mean   *jsonEstimate `json:"mean"`
		Median *jsonEstimate `json:"median"`
		StdDev *jsonEstimate `json:"std_dev"`
		Slope  *jsonEstimate `json:"slope"`
	}
	var est CriterionEstimates
	if err := decodeJSON(path, data, &j); err != nil {
		return est, err
	}
	var err error
	if est.Mean, err = j.Mean.check(path, "mean"); err != nil {
		return est, err
	}
	if est.Median, err = j.Median.check(path, "median"); err != nil {
		return est, err
	}
	for _, opt := range []struct {
		name string
		j    *jsonEstimate
		dst  **CriterionEstimate
	}{{"std_dev", j.StdDev, &est.StdDev}, {"slope", j.Slope, &est.Slope}} {
		if opt.j == nil {
			continue
		}
		e, err := opt.j.check(path, opt.name)
		if err != nil {
			return est, err
		}
		*opt.dst = &e
	}
	return est, nil
}

// CriterionThroughput is benchmark.json's throughput: one of
// {"Bytes": n}, {"BytesDecimal": n}, {"Elements": n} per iteration;
// exactly one field is set.
type CriterionThroughput struct {
	Bytes        *float64 `json:"Bytes"`
	BytesDecimal *float64 `json:"BytesDecimal"`
	Elements     *float64 `json:"Elements"`
}

// rate converts per-iteration amounts and times in ns to rates; the
// low rate comes from the high time.
func (t *CriterionThroughput) rate(low, est, high float64) *Throughput {
	var n float64
	unit := "B/s"
	switch {
	case t.Bytes != nil:
		n = *t.Bytes
	case t.BytesDecimal != nil:
		n = *t.BytesDecimal
	case t.Elements != nil:
		n, unit = *t.Elements, "elem/s"
	default:
		return nil
	}
	per := func(ns float64) float64 { return n * 1e9 / ns }
	return &Throughput{Low: per(high), Estimate: per(est), High: per(low), Unit: unit}
}

func readBenchmarkJSON(path string) (CriterionBenchmark, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return CriterionBenchmark{}, fmt.Errorf("reading criterion benchmark id: %w", err)
	}
	return ParseCriterionBenchmark(path, data)
}

// CriterionBenchmark is what perfcap uses of a benchmark.json file.
type CriterionBenchmark struct {
	// ID is the id Criterion prints: title, else full_id.
	ID string
	// Throughput is nil when the benchmark sets none.
	Throughput *CriterionThroughput
}

// ParseCriterionBenchmark parses the content of a benchmark.json file;
// path only names it in errors.
func ParseCriterionBenchmark(path string, data []byte) (CriterionBenchmark, error) {
	var j struct {
		FullID     *string              `json:"full_id"`
		Title      *string              `json:"title"`
		Throughput *CriterionThroughput `json:"throughput"`
	}
	if err := decodeJSON(path, data, &j); err != nil {
		return CriterionBenchmark{}, err
	}
	switch {
	case j.Title != nil && *j.Title != "":
		return CriterionBenchmark{*j.Title, j.Throughput}, nil
	case j.FullID != nil && *j.FullID != "":
		return CriterionBenchmark{*j.FullID, j.Throughput}, nil
	}
	return CriterionBenchmark{}, fmt.Errorf("%s: title or full_id: expected a non-empty string: %w", path, ErrCriterionFile)
}

// decodeJSON decodes data into v, reporting syntax and type errors as
// "path:line:col: ...".
func decodeJSON(path string, data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return fmt.Errorf("%s: expected a JSON object: %w", path, err)
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Errorf("%s:%d:%d: expected valid criterion JSON: %w", path, line, col, err)
}

// ParseCriterionSample parses the content of a sample.json file, the
// measurements Criterion's estimates come from: "iters" and "times" (ns)
// of each sample, of equal length, iterations positive. It returns each
// sample's time per iteration in ns; path only names it in errors.
func ParseCriterionSample(path string, data []byte) ([]float64, error) {
	var j struct {
		Iters *[]float64 `json:"iters"`
		Times *[]float64 `json:"times"`
	}
	if err := decodeJSON(path, data, &j); err != nil {
		return nil, err
	}
	if j.Iters == nil || j.Times == nil || len(*j.Iters) != len(*j.Times) || len(*j.Iters) == 0 {
		return nil, fmt.Errorf("%s: iters and times: expected two arrays of the same, non-zero length: %w", path, ErrCriterionFile)
	}
	perIter := make([]float64, len(*j.Iters))
	for i, n := range *j.Iters {
		if !(n > 0) {
			return nil, fmt.Errorf("%s: iters[%d]: expected a positive count, got %v: %w", path, i, n, ErrCriterionFile)
		}
		perIter[i] = (*j.Times)[i] / n
	}
	return perIter, nil
}
