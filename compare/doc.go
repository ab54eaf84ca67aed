// Package compare tells what changed between two or more perfcap run
// bundles, and how sure it is. It is the engine of `perfcap diff`.
//
// The pipeline:
//
//  1. Load reads each bundle in one verified pass: manifest, summary.json,
//     env.json and the folded stacks (whole run, and per benchmark under
//     perf/bench/NAME/ when the bundle has them). A watch bundle, a damaged
//     bundle or a file that is no bundle is refused with a one-line error.
//  2. New pairs every later bundle with the first (the base), as benchstat
//     compares columns with the first: benchmarks are matched by tool,
//     package and name (Go names without their -N GOMAXPROCS suffix,
//     unless a bundle needs it to tell two benchmarks apart; Options.Match
//     pairs differently named ones), and each pair is compared on its raw
//     measurements with golang.org/x/perf/benchmath, benchstat's
//     statistics: the median with its 95 % interval and the Mann–Whitney U
//     test. The run's resources (wall, CPU, peak RSS, faults...) and the
//     facts that differ (commit, toolchain, Cargo profile, machine) are
//     set side by side, and the folded stacks are merged into a
//     differential profile: per stack the two counts, per function the
//     moves of its self and total shares.
//  3. The result renders as an aligned text table (WriteText), Markdown
//     (WriteMarkdown), JSON (the Diff value itself), a differential
//     flamegraph (flame.WriteDiffSVG) and folded diff in difffolded.pl's
//     "stack count1 count2" format (WriteFoldedDiff), the sections of the
//     performance-issue template (ReportComparison), and a bundle holding
//     all of them (WriteBundle). Rules such as "time>5%" (ParseRule) are
//     checked against it for a CI gate (Diff.Check).
package compare
