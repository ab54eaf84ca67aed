// Package bench collects the benchmark results a command printed or wrote:
// Criterion's console lines and its JSON files, libtest `cargo bench`
// lines, Go benchmark lines (read with golang.org/x/perf/benchfmt) and hyperfine's --export-json files, plus
// numbers picked from the output by --metric NAME=REGEX rules. Results go
// into summary.json and the report; parsers of outside input report bad
// input by position and never panic.
//
// While the command runs, its output is teed into a ConsoleParser
// (Criterion and libtest) and a MetricMatcher, both io.Writers that keep
// memory bounded by the number of benchmarks. Afterwards ParseGo reads
// the captured log, CriterionFiles and ReadCriterion read the files
// Criterion wrote during the run under CriterionDir, and ParseHyperfine
// reads the files HyperfineFiles finds on the command line.
package bench
