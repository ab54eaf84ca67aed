// Package bench collects the benchmark results a command printed or wrote:
// Criterion's console lines and its JSON files, libtest `cargo bench`
// lines, Go benchmark lines (read with golang.org/x/perf/benchfmt, repeated
// runs summarised with benchmath as benchstat does) and hyperfine's
// exported files, plus numbers picked from the output by --metric
// NAME=REGEX rules. Results go into summary.json and the report; parsers of
// outside input report bad input by position and never panic, and each
// reads only its own tool's lines, so that none warns about another tool's
// normal output.
//
// While the command runs, its output is teed into a ConsoleParser
// (Criterion and libtest) and a MetricMatcher, both io.Writers that keep
// memory bounded by the number of benchmarks. Afterwards ParseGo reads
// the captured log (and writes its result lines back in the benchmark
// format, kept as bench/go/bench.txt), CriterionFiles and ReadCriterion
// read the files Criterion wrote during the run under CriterionDir, and
// ParseHyperfine reads the JSON files HyperfineExports finds on the
// command line.
//
// A PhaseSplitter reads the same output line by line with the times the
// lines came, and cuts the run into each benchmark's warm-up, measurement
// and analysis (Criterion, Go, libtest), for one profile per benchmark.
package bench
