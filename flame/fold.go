package flame

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ErrEmpty is returned, wrapped with what to do about it, when a profile
// has no samples to fold or draw.
var ErrEmpty = errors.New("flame: no samples")

// emptyHint is what an empty profile tells the user to try.
const emptyHint = "record with call graphs (`perf record -g`) and let the command run long enough to be sampled"

// FoldOptions chooses how Samples become folded Stacks. The zero value
// folds like stackcollapse-perf.pl with no options, but keeps function
// names whole and counts samples; a Collapser folds exactly as the script
// does.
type FoldOptions struct {
	// PID names the process "comm-PID" (stackcollapse-perf.pl --pid);
	// TID names it "comm-PID/TID" (--tid) and wins over PID. A PID perf
	// did not print shows as "?", as in stackcollapse-perf.pl.
	PID, TID bool
	// Annotate appends "_[k]" to kernel frames, "_[i]" to inlined frames
	// and "_[j]" to JIT frames (stackcollapse-perf.pl --all). perfcap
	// folds with it on.
	Annotate bool
	// Addrs names an unresolved frame with its address too, "[libc.so.6
	// <7f1c2a3b4c5d>]" or "[unknown <7f1c2a3b4c5d>]", as
	// stackcollapse-perf.pl --addrs does, so that unknown code at
	// different places is told apart.
	Addrs bool
	// ByPeriod weighs each sample by its period instead of counting it as
	// one. The two differ when the period varies between samples: with
	// perf's default frequency mode (-F), the kernel retunes the period
	// to keep the sample rate, so a sample stands for a varying amount of
	// the event (for cpu-clock, the nanoseconds since the previous
	// sample), and period sums are the better estimate of time spent.
	// With a fixed period (-c) every sample weighs the same and the two
	// are proportional. A sample whose header printed no period weighs
	// one.
	ByPeriod bool
	// Event is the event to fold ("cpu-clock", "cycles"); samples of other
	// events are left out, since their counts cannot be added up. Empty
	// means the first event in the input, as stackcollapse-perf.pl does.
	Event string
}

// FoldStats says what a fold took in and what it left out.
type FoldStats struct {
	// Samples is how many samples were folded.
	Samples int
	// Filtered is how many samples of other events were left out.
	Filtered int
	// Skipped is how many malformed records were skipped; Warnings tells
	// why for the first few of them.
	Skipped  int
	Warnings []error
	// Events counts the samples seen of each event, folded or not.
	Events map[string]int
	// Frames counts the frames of the folded samples; Unsymbolized those
	// perf could not name ("[unknown]"), and UnsymbolizedDSOs them by the
	// file they are in ("[unknown]" when perf knew none either).
	Frames, Unsymbolized int64
	UnsymbolizedDSOs     map[string]int64
}

// UnsymbolizedShare returns the share (0 to 1) of the frames that perf
// could not name; 0 without frames.
func (s *FoldStats) UnsymbolizedShare() float64 {
	if s.Frames == 0 {
		return 0
	}
	return float64(s.Unsymbolized) / float64(s.Frames)
}

// maxUnsymbolizedDSOs bounds FoldStats.UnsymbolizedDSOs; frames of files
// past it count under "".
const maxUnsymbolizedDSOs = 256

// Folder aggregates Samples into folded Stacks, one per distinct stack.
// Its memory grows with the number of distinct stacks, not of samples.
type Folder struct {
	opts   FoldOptions
	counts stackCounts
	key    []byte
	stats  FoldStats
}

// NewFolder returns a Folder that folds with opts.
func NewFolder(opts FoldOptions) *Folder {
	return &Folder{
		opts:  opts,
		stats: FoldStats{Events: make(map[string]int), UnsymbolizedDSOs: make(map[string]int64)},
	}
}

// Add folds one sample in, unless it is of another event than the one
// being folded; it does not keep s.
func (f *Folder) Add(s *Sample) {
	f.stats.Events[s.Event]++
	if f.opts.Event == "" {
		f.opts.Event = s.Event
	}
	if s.Event != f.opts.Event {
		f.stats.Filtered++
		return
	}
	f.stats.Samples++
	f.stats.Frames += int64(len(s.Frames))
	for i := range s.Frames {
		if s.Frames[i].Symbol == "[unknown]" {
			f.unsymbolized(s.Frames[i].DSO)
		}
	}
	f.key = appendFoldedStack(f.key[:0], s, &f.opts)
	w := int64(1)
	if f.opts.ByPeriod && s.Period > 0 {
		w = int64(min(s.Period, maxWeight))
	}
	f.counts.add(f.key, w)
}

// unsymbolized counts a frame of dso that perf could not name.
func (f *Folder) unsymbolized(dso string) {
	f.stats.Unsymbolized++
	if dso == "" {
		dso = "[unknown]"
	}
	if _, ok := f.stats.UnsymbolizedDSOs[dso]; !ok && len(f.stats.UnsymbolizedDSOs) >= maxUnsymbolizedDSOs {
		dso = ""
	}
	f.stats.UnsymbolizedDSOs[dso]++
}

// Event returns the event being folded: FoldOptions.Event, or else the
// first event added; empty before any sample.
func (f *Folder) Event() string { return f.opts.Event }

// Stats returns what the Folder took in so far.
func (f *Folder) Stats() FoldStats { return f.stats }

// Stacks returns the folded stacks, sorted by their folded text as
// stackcollapse-perf.pl sorts its output. With no sample folded it returns
// an error wrapping ErrEmpty.
func (f *Folder) Stacks() ([]Stack, error) {
	if len(f.counts.keys) == 0 {
		return nil, fmt.Errorf("%w: nothing to fold; %s", ErrEmpty, emptyHint)
	}
	return f.counts.stacks(), nil
}

// maxWeight caps one sample's weight, so that a few absurd periods cannot
// overflow a sum before the saturation in stackCounts.add.
const maxWeight = 1 << 62

// stackCounts sums weights by folded stack text, "comm;outer;...;inner".
type stackCounts struct {
	index map[string]int // folded stack to its place in keys and count
	keys  []string
	count []int64
}

// add adds w to the stack key, saturating at math.MaxInt64.
func (c *stackCounts) add(key []byte, w int64) {
	// A string(key) lookup does not allocate, where a map assignment
	// would: so the counts live in a slice and only a new stack allocates.
	if i, ok := c.index[string(key)]; ok {
		if c.count[i] > math.MaxInt64-w {
			c.count[i] = math.MaxInt64
		} else {
			c.count[i] += w
		}
		return
	}
	if c.index == nil {
		c.index = make(map[string]int)
	}
	k := string(key)
	c.index[k] = len(c.keys)
	c.keys = append(c.keys, k)
	c.count = append(c.count, w)
}

// stacks returns the stacks sorted by their folded text, as
// stackcollapse-perf.pl sorts its output.
func (c *stackCounts) stacks() []Stack {
	order := make([]int, len(c.keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(c.keys[a], c.keys[b]) })
	stacks := make([]Stack, len(order))
	for i, j := range order {
		stacks[i] = Stack{Frames: strings.Split(c.keys[j], ";"), Count: c.count[j]}
	}
	return stacks
}

// Fold aggregates samples into Stacks; see Folder.
func Fold(samples []Sample, opts FoldOptions) ([]Stack, error) {
	f := NewFolder(opts)
	for i := range samples {
		f.Add(&samples[i])
	}
	return f.Stacks()
}

// FoldScript folds the `perf script` text r holds. Malformed records are
// skipped and reported in the stats; the error is a read error, or wraps
// ErrEmpty when no sample was folded.
func FoldScript(r io.Reader, opts FoldOptions) ([]Stack, FoldStats, error) {
	sr := NewScriptReader(r)
	f := NewFolder(opts)
	for sr.Scan() {
		f.Add(sr.Sample())
	}
	stats := f.Stats()
	stats.Skipped, stats.Warnings = sr.Skipped(), sr.Warnings()
	if err := sr.Err(); err != nil {
		return nil, stats, err
	}
	stacks, err := f.Stacks()
	return stacks, stats, err
}

// appendFoldedStack appends the folded form of s, "comm;outer;...;inner",
// to b.
func appendFoldedStack(b []byte, s *Sample, opts *FoldOptions) []byte {
	b = appendFoldedName(b, s.Comm, ' ', '_')
	if opts.PID || opts.TID {
		b = append(b, '-')
		if s.PID < 0 {
			b = append(b, '?')
		} else {
			b = strconv.AppendInt(b, int64(s.PID), 10)
		}
		if opts.TID {
			b = append(b, '/')
			b = strconv.AppendInt(b, int64(s.TID), 10)
		}
	}
	for i := len(s.Frames) - 1; i >= 0; i-- {
		b = append(b, ';')
		b = appendFoldedFrame(b, &s.Frames[i], opts)
	}
	return b
}

// appendFoldedFrame appends one frame's folded name. An unresolved symbol
// is named after its DSO ("[libc.so.6]"), as stackcollapse-perf.pl does,
// when the DSO is known, and with opts.Addrs gets its address.
func appendFoldedFrame(b []byte, f *Frame, opts *FoldOptions) []byte {
	switch {
	case f.Symbol != "[unknown]":
		b = appendFoldedName(b, f.Symbol, 0, 0)
	case opts.Addrs:
		b = append(b, '[')
		if f.DSO != "" && f.DSO != "[unknown]" {
			b = appendFoldedName(b, f.DSO[strings.LastIndexByte(f.DSO, '/')+1:], 0, 0)
		} else {
			b = append(b, "unknown"...)
		}
		b = append(b, " <"...)
		b = strconv.AppendUint(b, f.Addr, 16)
		b = append(b, ">]"...)
	case f.DSO != "" && f.DSO != "[unknown]":
		b = append(b, '[')
		b = appendFoldedName(b, f.DSO[strings.LastIndexByte(f.DSO, '/')+1:], 0, 0)
		b = append(b, ']')
	default:
		b = appendFoldedName(b, f.Symbol, 0, 0)
	}
	if opts.Annotate {
		switch f.Kind {
		case KindKernel:
			b = append(b, "_[k]"...)
		case KindInlined:
			b = append(b, "_[i]"...)
		case KindJIT:
			b = append(b, "_[j]"...)
		}
	}
	return b
}

// appendFoldedName appends name with ';' (the frame separator) turned into
// ':' and, when from is not 0, from turned into to. A newline, which would
// end the line, becomes a space.
func appendFoldedName(b []byte, name string, from, to byte) []byte {
	start := len(b)
	b = append(b, name...)
	for i := start; i < len(b); i++ {
		switch c := b[i]; {
		case c == ';':
			b[i] = ':'
		case c == '\n' || c == '\r':
			b[i] = ' '
		case from != 0 && c == from:
			b[i] = to
		}
	}
	return b
}
