// Package flame turns CPU stacks recorded by Linux perf into the evidence a
// performance issue needs.
//
// The pipeline:
//
//  0. FoldPerfData runs `perf script --no-inline` over perf.data, and an
//     InlineReader adds to its text the functions inlined at each frame's
//     address, read once per distinct address from the binaries' DWARF,
//     only the compilation units that hold sampled code (perf script's own
//     inline resolution is 17 to 30 times slower), with each frame's
//     source file and line as perf script -F +srcline prints them; it
//     also names the code of binaries deleted since the recording from
//     files the caller kept open (Binary).
//  1. ScriptReader streams `perf script` text into Samples (one per perf
//     record: the process, the thread, the weight, and the stack of Frames,
//     innermost first), reporting a malformed record by its line number and
//     skipping it.
//  2. Fold aggregates Samples into Stacks, one per distinct call stack, in
//     the folded format of Brendan Gregg's stackcollapse-perf.pl
//     ("comm;outer;...;inner COUNT") but with full function names.
//     A Collapser folds the same text exactly as stackcollapse-perf.pl
//     does, for folded stacks that merge with the standard tools'; it
//     reads the text beside a ScriptReader through an io.TeeReader.
//  3. WriteSVG renders Stacks as a self-contained, interactive flamegraph;
//     BuildProfile turns Samples into a pprof profile; Hot lists the
//     functions with the largest self and total shares.
//
// flame never imports capture: it works on perf's output alone, so
// `perfcap flame` serves on its own too.
package flame
