package format

// The names of the data files, in a bundle and in a spool alike.
const (
	TimelineFile       = "timeline.csv"
	ProcessSamplesFile = "process_samples.csv"
	ProcessesFile      = "processes.csv"
	WatchFile          = "watch.csv"
	PhasesFile         = "phases.csv"
	SummaryFile        = "summary.json"
)
