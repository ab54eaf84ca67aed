// Package timeline draws timeline.svg, the CPU and memory of a measured
// process tree over time, from a bundle's timeline.csv and processes.csv.
//
// The pipeline: a Reader streams timeline.csv row by row; ReadTimeline
// folds the rows into at most a fixed number of time buckets, each keeping
// the minimum, maximum and mean of what it covers, so a week-long run
// sampled every 100 ms (6 million rows) is read in constant memory and its
// peaks still show; ReadProcesses reads processes.csv for the process start
// markers; WriteSVG renders the buckets as two stacked panels, tree CPU and
// tree RSS, sharing the time axis.
package timeline
