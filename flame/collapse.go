package flame

import (
	"bytes"
	"fmt"
	"io"
)

// CollapseOptions are the options of stackcollapse-perf.pl that a
// Collapser follows. The zero value folds as the script does with no
// option.
type CollapseOptions struct {
	// PID names the process "comm-PID" (--pid); TID names it
	// "comm-PID/TID" (--tid) and wins over PID.
	PID, TID bool
	// Kernel appends "_[k]" to kernel frames (--kernel), JIT "_[j]" to
	// frames of a /tmp/perf-PID.map (--jit); both are --all.
	Kernel, JIT bool
	// Addrs names unresolved frames "[dso <addr>]" (--addrs).
	Addrs bool
}

// CollapseStats says what a Collapser took in and left out.
type CollapseStats struct {
	// Samples is how many records were folded.
	Samples int
	// Filtered is how many records of events other than the first were
	// left out.
	Filtered int
	// Unrecognized is how many lines were neither a record header nor a
	// stack frame by the script's patterns (it warns "Unrecognized line"
	// and goes on), or were longer than 1 MiB; Warnings describes the
	// first 10, each a *SyntaxError.
	Unrecognized int
	Warnings     []error
}

// Collapser folds `perf script` text into Stacks exactly as Brendan
// Gregg's stackcollapse-perf.pl does, so that its output can be merged
// with the script's, or diffed against it: the same records (a record ends
// at an empty line; one without it at the end of the input is dropped), the
// same frame names (argument lists cut, quotes dropped, Java's "L" prefix
// dropped for the comm "java", "a->b" inline chains split), the same
// annotations, and samples weighed by the period the header shows, of the
// first event only.
//
// It takes the text through Write, so that it can sit behind an
// io.TeeReader while a ScriptReader reads the same text: one pass serves
// both. Memory grows with the distinct stacks and frame lines, not with
// the input; lines longer than 1 MiB are skipped and counted as
// unrecognized.
//
// Where the script and the FlameGraph corpus's expected results disagree,
// the corpus wins: Java names are tidied for the comm "java" only, not for
// "java-PID" with --pid, as upstream FlameGraph does.
type Collapser struct {
	opts CollapseOptions
	line int    // lines read so far
	part []byte // the start of a line cut by the end of a Write
	long bool   // the line being read is over maxCollapseLine and is dropped

	// The open record: the process frame, whether it was set since the
	// last empty line, whether it is "java", and the record's weight.
	pname    string
	hasPname bool
	java     bool
	period   int64
	frames   []collapsedLine // the record's frame lines, innermost first
	truncate bool            // the record passed maxCollapseFrames

	event  string // the event folded, the first one seen
	counts stackCounts
	key    []byte
	buf    []byte
	lines  [2]map[string]collapsedLine // frame lines already tidied, by java
	names  map[string]string           // process frames, interned
	stats  CollapseStats
	// srclines skips the source lines an InlineReader adds under frames,
	// which the script's own input never holds: set for FoldPerfData's
	// text.
	srclines bool
}

// collapsedLine is what one frame line adds to a stack: n frames, joined
// by ';' in text. ok is false for a line that is no frame line at all.
type collapsedLine struct {
	text string
	n    int32
	ok   bool
}

const (
	// maxCollapseLine bounds a line: the script takes any length, but
	// memory must stay bounded; demangled C++ names reach tens of KiB.
	maxCollapseLine = 1 << 20
	// maxCollapseFrames bounds a record's frames: perf's deepest stacks
	// are a few hundred frames, and the script gathers frames until an
	// empty line, so a text without one would otherwise fill memory.
	maxCollapseFrames = 1 << 16
)

// NewCollapser returns a Collapser that folds with opts.
func NewCollapser(opts CollapseOptions) *Collapser {
	return &Collapser{
		opts:  opts,
		lines: [2]map[string]collapsedLine{make(map[string]collapsedLine), make(map[string]collapsedLine)},
		names: make(map[string]string),
	}
}

// Write feeds `perf script` text; a line may be cut across Writes. It
// never fails.
func (c *Collapser) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.keep(p)
			break
		}
		if line := p[:i]; len(c.part) > 0 || c.long || len(line) > maxCollapseLine {
			c.keep(line)
			c.endLine()
		} else {
			c.collapseLine(line)
		}
		p = p[i+1:]
	}
	return n, nil
}

// keep adds b to the line being cut across Writes.
func (c *Collapser) keep(b []byte) {
	if c.long {
		return
	}
	if len(c.part)+len(b) > maxCollapseLine {
		c.long, c.part = true, nil
		return
	}
	c.part = append(c.part, b...)
}

// endLine folds the line kept across Writes.
func (c *Collapser) endLine() {
	if c.long {
		c.line++
		c.warn(fmt.Sprintf("line longer than %d bytes, skipped", maxCollapseLine))
		c.long = false
		return
	}
	c.collapseLine(c.part)
	c.part = c.part[:0]
}

// Stats returns what the Collapser took in so far.
func (c *Collapser) Stats() CollapseStats { return c.stats }

// Stacks ends the input and returns the folded stacks, sorted by their
// text as the script sorts them. A last line without a newline is read as
// the script reads it; a record it opens is dropped, as the script drops
// a record that no empty line ends. With no stack it returns an error
// wrapping ErrEmpty.
func (c *Collapser) Stacks() ([]Stack, error) {
	if len(c.part) > 0 || c.long {
		c.endLine()
	}
	if len(c.counts.keys) == 0 {
		return nil, fmt.Errorf("%w: stackcollapse-perf.pl folds nothing of this input: it needs records with call chains, each ended by an empty line; %s", ErrEmpty, emptyHint)
	}
	return c.counts.stacks(), nil
}

// CollapseScript folds the `perf script` text r holds as
// stackcollapse-perf.pl does; see Collapser. The error is a read error, or
// wraps ErrEmpty when nothing was folded.
func CollapseScript(r io.Reader, opts CollapseOptions) ([]Stack, CollapseStats, error) {
	c := NewCollapser(opts)
	if _, err := io.Copy(c, r); err != nil {
		return nil, c.Stats(), fmt.Errorf("reading perf script: %w", err)
	}
	stacks, err := c.Stacks()
	return stacks, c.Stats(), err
}

// warn counts an unrecognized line and describes the first few.
func (c *Collapser) warn(msg string) {
	c.stats.Unrecognized++
	if len(c.stats.Warnings) < maxWarnings {
		c.stats.Warnings = append(c.stats.Warnings, &SyntaxError{Line: c.line, Msg: msg})
	}
}

// unrecognized counts a line that is neither a header nor a frame; only
// the first few are described, so that garbage costs no formatting.
func (c *Collapser) unrecognized(line []byte) {
	if len(c.stats.Warnings) >= maxWarnings {
		c.stats.Unrecognized++
		return
	}
	c.warn(fmt.Sprintf("neither a record header nor a stack frame, skipped as stackcollapse-perf.pl skips it: %q", clip(line)))
}

// collapseLine takes one line, without its "\n", through the script's
// main loop.
func (c *Collapser) collapseLine(line []byte) {
	c.line++
	switch {
	case len(line) > 0 && line[0] == '#':
		// A comment of `perf script --header`, anywhere.
	case len(line) == 0:
		c.endRecord()
	case !perlSpace(line[0]) && c.header(line):
	default:
		c.frameLine(line)
	}
}

// header starts a record if line matches the script's header pattern.
func (c *Collapser) header(line []byte) bool {
	comm, pid, tid, ok := scHeader(line)
	if !ok {
		return false
	}
	if len(tid) == 0 || string(tid) == "0" {
		// Perl's "not $tid": perf printed the thread alone.
		tid, pid = pid, []byte{'?'}
	}
	period := int64(1)
	if p, event, ok := scEvent(line); ok {
		switch {
		case c.event == "":
			c.event = string(event)
		case string(event) != c.event:
			// Left out, and the open record (if no empty line closed it)
			// goes on, as in the script.
			c.stats.Filtered++
			return true
		}
		if len(p) > 0 && string(p) != "0" {
			v, ok := parseUint(p)
			if !ok || v > maxWeight {
				v = maxWeight
			}
			period = int64(v)
		}
	}
	b := append(c.buf[:0], comm...)
	if c.opts.PID || c.opts.TID {
		b = append(b, '-')
		b = append(b, pid...)
		if c.opts.TID {
			b = append(b, '/')
			b = append(b, tid...)
		}
	}
	for i, ch := range b {
		if ch == ' ' {
			b[i] = '_'
		}
	}
	c.buf = b
	name, ok := c.names[string(b)]
	if !ok {
		name = string(b)
		c.names[name] = name
	}
	c.pname, c.hasPname, c.java, c.period = name, true, name == "java", period
	return true
}

// frameLine adds a frame line to the open record, if one is open.
func (c *Collapser) frameLine(line []byte) {
	if c.srclines {
		if _, _, _, ok := parseSrcline(line); ok {
			return
		}
	}
	java := 0
	if c.java {
		java = 1
	}
	cl, ok := c.lines[java][string(line)]
	if !ok {
		cl = c.tidyLine(line)
		if len(c.lines[java]) >= frameCacheSize {
			clear(c.lines[java])
		}
		c.lines[java][string(line)] = cl
	}
	switch {
	case !cl.ok:
		c.unrecognized(line)
	case !c.hasPname || cl.n == 0:
	case len(c.frames) >= maxCollapseFrames:
		if !c.truncate {
			c.truncate = true
			c.warn(fmt.Sprintf("more than %d frames without an empty line; the record is cut there", maxCollapseFrames))
		}
	default:
		c.frames = append(c.frames, cl)
	}
}

// endRecord folds the open record at an empty line.
func (c *Collapser) endRecord() {
	if !c.hasPname {
		return
	}
	k := append(c.key[:0], c.pname...)
	for i := len(c.frames) - 1; i >= 0; i-- {
		k = append(k, ';')
		k = append(k, c.frames[i].text...)
	}
	c.key = k
	c.counts.add(k, c.period)
	c.stats.Samples++
	c.frames = c.frames[:0]
	c.hasPname, c.java, c.truncate = false, false, false
}

// tidyLine turns a frame line into the frames the script makes of it.
func (c *Collapser) tidyLine(line []byte) collapsedLine {
	pc, raw, mod, ok := scFrame(line)
	if !ok {
		return collapsedLine{}
	}
	raw = stripPerlOffset(raw)
	if len(raw) > 0 && raw[0] == '(' {
		// "skip process names", says the script.
		return collapsedLine{ok: true}
	}
	// Perl's split drops the empty fields at the end.
	pieces := bytes.Split(raw, []byte("->"))
	for len(pieces) > 0 && len(pieces[len(pieces)-1]) == 0 {
		pieces = pieces[:len(pieces)-1]
	}
	b := c.buf[:0]
	for i, fn := range pieces {
		if i > 0 {
			b = append(b, ';')
		}
		b = c.appendTidy(b, fn, pc, mod, i > 0)
	}
	c.buf = b
	return collapsedLine{text: string(b), n: int32(len(pieces)), ok: true}
}
