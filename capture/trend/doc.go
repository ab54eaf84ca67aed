// Package trend decides whether a long-running process's memory is growing.
//
// The pipeline:
//
//  1. A Series takes one (t, RSS) sample at a time into at most 1024
//     fixed-width time buckets holding min, max, sum and count. When a sample
//     would need a 1025th bucket, neighbours are merged and the width doubles,
//     so a week at one sample a second costs the same few tens of KiB as an
//     hour.
//  2. Analyze drops the warm-up, then regroups the remaining stored
//     buckets into fit buckets at least Options.BucketWidth wide and at
//     most Options.MaxBuckets (512) in number. Unless the caller sets
//     them, both follow the length of the watch: from 10 minutes on, a
//     warm-up of 5 minutes or 10 % of the watch, whichever is longer, and
//     30 s buckets; a shorter watch leaves out its first half and fits ten
//     buckets on the second (2 s each for a 40-second watch). Either way an
//     automatic bucket spans the longest cycle of RSS seen (Series.cycle:
//     the longest stretch between two big falls, told from noise by
//     their size against the median absolute deviation of the steps), so
//     a GC sawtooth never splits across buckets. A watch still running
//     passes Options.Length, its planned length, so that its warm-up is
//     not that of the few minutes seen so far.
//  3. Each fit bucket is reduced to its minimum RSS. The minimum is the
//     post-GC floor: a garbage-collected sawtooth whose period is shorter
//     than a fit bucket has the same minimum in every bucket, so the
//     sawtooth becomes flat and only growth of the floor, which is what a
//     leak is, remains. A maximum or a mean would follow the phase of the
//     sawtooth at the bucket edges and add noise; a least-squares line over
//     the raw samples follows the warm-up ramp and the last partial cycle.
//  4. The Mann–Kendall test gives the significance of a monotonic trend of
//     the minima, and the Theil–Sen estimator (median of pairwise slopes)
//     the rate, with Sen's confidence interval at level 1−Alpha built from
//     the Mann–Kendall variance and the normal quantile. Both ignore the
//     size of outliers, so a spike or a single deep GC does not move them.
//     The intercept, the median of minimum − rate × time, fixes the fitted
//     floor line over the window from Result.Since to Result.Until, for a
//     chart to draw.
//  5. The verdict, from rate r, interval [lo, hi], two-sided p and threshold
//     m = max(MinRate, MinRelRate × mean RSS of the window per hour):
//     "inconclusive" if fewer than MinBuckets fit buckets remain after the
//     warm-up (including a watch shorter than the warm-up); else "growing"
//     if p < Alpha and lo > m; else "flat" if p ≥ Alpha (no significant
//     trend) or hi ≤ m (a significant drift too small to matter, or a
//     shrink); else "inconclusive" (significant, but the interval straddles
//     m).
//
// Limits. A sawtooth whose period is longer than a set BucketWidth leaks
// through as correlated noise, which Mann–Kendall assumes away, and a
// cycle longer than the whole window is indistinguishable from growth:
// a short watch that has not seen RSS fall twice cannot tell the rise of a
// slow GC cycle from a leak. A single big fall of RSS followed by a climb
// back towards it counts as a cycle in progress and keeps a short watch
// inconclusive. A plateau still approaching its level after the
// warm-up reads as growth until it settles. Not significant is reported
// "flat" even when the interval is wide, so a very noisy short watch can
// hide a real leak; the interval says how much could be hidden. Theil–Sen
// is O(n²) in fit buckets: 512 buckets mean 130,816 slopes, about 1 MiB
// held only during Analyze. The newest stored bucket may be partly filled,
// which can lift its minimum a little.
package trend
