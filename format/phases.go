package format

import (
	"io"
	"strconv"

	"github.com/perfcap/perfcap/capture/bench"
)

// PhasesHeader is the first line of phases.csv.
const PhasesHeader = "tool,benchmark,phase,start_seconds,end_seconds,approximate"

// MaxPhasesSize bounds the phases.csv ReadPhases reads: MaxPhases rows of
// a benchmark name each, with room to spare.
const MaxPhasesSize = 64 << 20

// WritePhases writes phases.csv, one row per phase of a benchmark
// harness (see bench.PhaseSplitter): which benchmark, warm-up, measure or
// analysis, from when to when in seconds since the command started, and
// whether its start is approximate (1) or was printed (0).
func WritePhases(w io.Writer, phases []bench.Phase) error {
	c := csvWriter{w: w, header: PhasesHeader + "\n"}
	for i := range phases {
		p := &phases[i]
		b := c.row()
		b = appendCSVField(b, p.Tool)
		b = append(b, ',')
		b = appendCSVField(b, p.Benchmark)
		b = append(b, ',')
		b = appendCSVField(b, p.Kind)
		b = append(b, ',')
		b = appendFixed(b, p.Start, secondsDecimals)
		b = append(b, ',')
		b = appendFixed(b, p.End, secondsDecimals)
		b = append(b, ',')
		if p.Approximate {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
		b = append(b, '\n')
		if err := c.done(b); err != nil {
			return err
		}
	}
	return c.flush()
}

// ReadPhases reads phases.csv: at most bench.MaxPhases rows of at most
// MaxPhasesSize bytes in all. A bad row is skipped; the error then lists
// the bad rows by line, and the good rows are still returned.
func ReadPhases(r io.Reader) ([]bench.Phase, error) {
	c := newCSVRecords(io.LimitReader(r, MaxPhasesSize), PhasesFile, PhasesHeader)
	var phases []bench.Phase
	for c.next() {
		if len(phases) >= bench.MaxPhases {
			c.errs.fail(c.line, "more than "+strconv.Itoa(bench.MaxPhases)+" phases")
			break
		}
		p, msg := parsePhase(c.rec)
		if msg != "" {
			c.errs.fail(c.line, msg)
			continue
		}
		phases = append(phases, p)
	}
	return phases, c.errs.err()
}

// parsePhase parses one record of phases.csv, or says what was wrong.
func parsePhase(rec []string) (bench.Phase, string) {
	var p bench.Phase
	if len(rec) != 6 {
		return p, "expected 6 comma-separated fields"
	}
	p.Tool, p.Benchmark, p.Kind = rec[0], rec[1], rec[2]
	switch p.Kind {
	case bench.PhaseWarmup, bench.PhaseMeasure, bench.PhaseAnalysis:
	default:
		return p, "expected phase warmup, measure or analysis, found " + quoteField([]byte(rec[2]))
	}
	var ok bool
	if p.Start, ok = parseNonNegative([]byte(rec[3])); !ok {
		return p, "expected start_seconds, a number of seconds ≥ 0, found " + quoteField([]byte(rec[3]))
	}
	if p.End, ok = parseNonNegative([]byte(rec[4])); !ok || p.End < p.Start {
		return p, "expected end_seconds, a number of seconds ≥ start_seconds, found " + quoteField([]byte(rec[4]))
	}
	switch rec[5] {
	case "0":
	case "1":
		p.Approximate = true
	default:
		return p, "expected approximate, 0 or 1, found " + quoteField([]byte(rec[5]))
	}
	return p, ""
}
