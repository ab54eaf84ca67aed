// Package perfpipe reads the record format of perf record's output: it
// cuts the pipe-mode stream (perf record -o -) into self-contained chunk
// files that perf script reads one at a time (Stream), and counts the
// task events (forks, lost events) of a stream or of a perf.data file
// (Tasks, ReadTasks). It is a library of outside input only: it launches
// no process; package capture runs perf and perf script around it.
package perfpipe

// The record format (tools/perf/util/header.h,
// include/uapi/linux/perf_event.h, tools/lib/perf/include/perf/event.h):
// a file header, then records, each a perf_event_header (type u32, misc
// u16, size u16) and its body.
const (
	magic          = 0x32454c4946524550 // "PERFILE2" read little-endian
	fileHeaderSize = 104                // perf_file_header with its feature bitmap
	pipeHeaderSize = 16                 // the pipe-mode header: magic, size
	eventHeaderLen = 8                  // perf_event_header: type u32, misc u16, size u16

	recordMmap          = 1
	recordLost          = 2
	recordComm          = 3
	recordExit          = 4
	recordFork          = 7
	recordSample        = 9
	recordMmap2         = 10
	recordNamespaces    = 16
	recordKsymbol       = 17
	recordBPFEvent      = 18
	recordCgroup        = 19
	recordTextPoke      = 20
	recordUserTypeStart = 64 // header records: attributes, features...
	recordTracingData   = 66 // followed by its tracepoint formats
	recordFinishedRound = 68
	recordAuxtrace      = 71 // followed by its aux payload, whose size it holds
	recordCompressed    = 81
	recordCompressed2   = 83

	miscCommExec = 1 << 13 // a comm record written by exec
)
