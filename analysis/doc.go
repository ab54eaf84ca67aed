// Package analysis reads a CPU profile for the report's analysis
// sections: where the user's own code spends the samples (性能瓶颈位置:
// the hottest function, its file and line, the call path to it), and the
// share of the samples in allocation, garbage collection, lock and system
// call functions (可能的原因: facts, not guesses).
//
// The pipeline, for a pprof profile of a whole run or of one benchmark:
//
//  1. Each Location's frames (its Lines, inlined functions first) are
//     classified once: user code or not (UserCode), a benchmark
//     harness's or not, and the categories its function name is in.
//  2. Each sample is charged to its innermost frame of user code, unless
//     a harness frame lies between that frame and the sampled
//     instruction (the harness's own work, called from the user's main);
//     the lines and the call paths of the charged samples are tallied.
//  3. Each sample counts once in every category one of its frames is in.
//
// Analyze returns format.Analysis, which summary.json stores.
package analysis
