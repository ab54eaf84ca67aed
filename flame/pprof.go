package flame

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// DefaultFrequency is the sampling frequency, in Hz, that ProfileBuilder
// assumes when ProfileOptions.Frequency is zero: perf record's own default.
const DefaultFrequency = 4000

// ProfileOptions describes the recording the Samples came from, which the
// samples alone do not tell.
type ProfileOptions struct {
	// Frequency is the sampling frequency perf record ran with (its -F), in
	// Hz. It sets the profile's Period and the CPU time charged to samples
	// of events that do not count nanoseconds (cycles, instructions...).
	// Zero means DefaultFrequency.
	Frequency int
	// Comment is stored in the profile's comments, typically the profiled
	// command line. Empty means no comment.
	Comment string
	// Start is when the recording started; it becomes the profile's
	// TimeNanos. The zero time leaves TimeNanos unset, because perf's own
	// timestamps count from boot, not from the epoch.
	Start time.Time
	// Duration is how long the recording ran; it becomes the profile's
	// DurationNanos, against which pprof reports CPU utilization. Zero
	// means the span from the first to the last sample's timestamp, which
	// falls short by up to a sampling period.
	Duration time.Duration
	// ThreadLabels adds numeric "pid" and "tid" labels to every sample, so
	// that `pprof -tagfocus` can select threads. It keeps samples of
	// different threads apart and so makes the profile larger.
	ThreadLabels bool
}

// pprofClockEvents are the perf software events whose period is in nanoseconds
// of CPU time.
var pprofClockEvents = map[string]bool{"cpu-clock": true, "task-clock": true}

// ProfileBuilder turns Samples, one at a time, into a pprof CPU profile.
//
// Each profile sample carries two values: "samples/count" (1 per perf
// sample) and "cpu/nanoseconds". For the cpu-clock and task-clock events the
// CPU time of a perf sample is its period, which perf counts in
// nanoseconds. Other events (cycles, instructions...) count something else,
// so a perf sample of them is charged 1e9/Frequency nanoseconds: in
// frequency mode perf adjusts the period to take Frequency samples per
// second of CPU time. A clock sample without a period is charged the same.
//
// perf gives only symbol names, DSOs and absolute addresses, so the profile
// holds:
//   - one Mapping per DSO, its File the DSO as perf names it (kernel frames
//     live in "[kernel.kallsyms]"), Start and Limit spanning the lowest to
//     just past the highest address seen in it (perf script does not print
//     the real bounds, so offsets are unknown and left zero), and
//     HasFunctions set so that pprof does not try to symbolize it again;
//   - one Function per (symbol, DSO, source file), its Filename the file
//     of the frames' source lines (see Frame.File: an InlineReader reads
//     it from the binary's debug information; empty without one);
//     unresolved addresses all share the Function "[unknown]" of their DSO,
//     as in the flamegraph, and stay apart as Locations;
//   - one Location per (mapping, address, chain of functions). perf script
//     prints an inlined chain as consecutive frames at the same address, the
//     inlined ones (KindInlined) first; such a chain becomes one Location
//     whose Lines run from the innermost inlined function to the function
//     it was inlined into, the order profile.proto asks for. Each Line
//     has its frame's line number (Frame.Line), so that `pprof -lines`
//     and `-list` show where in a function the samples fall.
//
// Perf samples with the same Locations and labels (the "comm" string label,
// and "pid" and "tid" with ThreadLabels) are merged into one profile sample,
// which keeps the profile small; pprof's reports add them up anyway.
type ProfileBuilder struct {
	opts       ProfileOptions
	nsPerTick  int64 // CPU time of one perf sample of a non-clock event
	period     int64 // the profile's Period, once known
	p          *profile.Profile
	mappings   map[string]*profile.Mapping
	functions  map[pprofFunctionKey]*profile.Function
	locations  map[string]*profile.Location
	samples    map[string]*profile.Sample
	seenTime   bool
	start, end float64

	// Scratch space reused by Add.
	locs []*profile.Location
	key  []byte
}

type pprofFunctionKey struct{ name, dso, file string }

// NewProfileBuilder returns a ProfileBuilder for a recording made with opts.
func NewProfileBuilder(opts ProfileOptions) *ProfileBuilder {
	freq := opts.Frequency
	if freq <= 0 {
		freq = DefaultFrequency
	}
	b := &ProfileBuilder{
		opts:      opts,
		nsPerTick: int64(time.Second) / int64(freq),
		mappings:  make(map[string]*profile.Mapping),
		functions: make(map[pprofFunctionKey]*profile.Function),
		locations: make(map[string]*profile.Location),
		samples:   make(map[string]*profile.Sample),
		p: &profile.Profile{
			SampleType: []*profile.ValueType{
				{Type: "samples", Unit: "count"},
				{Type: "cpu", Unit: "nanoseconds"},
			},
			PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		},
	}
	if opts.Frequency > 0 {
		b.period = b.nsPerTick
	}
	if opts.Comment != "" {
		b.p.Comments = []string{opts.Comment}
	}
	if !opts.Start.IsZero() {
		b.p.TimeNanos = opts.Start.UnixNano()
	}
	return b
}

// Add adds one perf sample. It keeps nothing of s after it returns, so the
// caller may reuse s and its Frames.
func (b *ProfileBuilder) Add(s *Sample) {
	b.addTime(s.Time)

	b.locs = b.locs[:0]
	for i := 0; i < len(s.Frames); {
		// A chain is a run of inlined frames closed by the frame they were
		// inlined into, all at one address.
		j := i
		for j+1 < len(s.Frames) && s.Frames[j].Kind == KindInlined && s.Frames[j+1].Addr == s.Frames[i].Addr {
			j++
		}
		b.locs = append(b.locs, b.location(s.Frames[i:j+1]))
		i = j + 1
	}

	b.key = b.key[:0]
	for _, l := range b.locs {
		b.key = binary.AppendUvarint(b.key, l.ID)
	}
	b.key = append(b.key, 0)
	b.key = append(b.key, s.Comm...)
	if b.opts.ThreadLabels {
		b.key = append(b.key, 0)
		b.key = binary.AppendVarint(b.key, int64(s.PID))
		b.key = binary.AppendVarint(b.key, int64(s.TID))
	}

	cpu := b.nsPerTick
	if pprofClockEvents[pprofEventName(s.Event)] && s.Period > 0 {
		cpu = int64(min(s.Period, math.MaxInt64))
		if b.period == 0 {
			b.period = cpu
		}
	}

	if ps, ok := b.samples[string(b.key)]; ok {
		ps.Value[0]++
		ps.Value[1] += cpu
		return
	}
	ps := &profile.Sample{
		Location: append([]*profile.Location(nil), b.locs...),
		Value:    []int64{1, cpu},
		Label:    map[string][]string{"comm": {s.Comm}},
	}
	if b.opts.ThreadLabels {
		ps.NumLabel = map[string][]int64{"pid": {int64(s.PID)}, "tid": {int64(s.TID)}}
	}
	b.samples[string(b.key)] = ps
	b.p.Sample = append(b.p.Sample, ps)
}

// pprofEventName strips perf's modifiers from an event name: "cpu-clock:ppp"
// and "cpu-clock:" are both "cpu-clock".
func pprofEventName(event string) string {
	name, _, _ := strings.Cut(event, ":")
	return name
}

func (b *ProfileBuilder) addTime(t float64) {
	if !b.seenTime {
		b.start, b.end, b.seenTime = t, t, true
		return
	}
	b.start = min(b.start, t)
	b.end = max(b.end, t)
}

// location returns the Location of chain: frames at one address, inlined
// ones first, innermost first.
func (b *ProfileBuilder) location(chain []Frame) *profile.Location {
	m := b.mapping(chain[len(chain)-1])

	// The key tells chains apart by their functions too: the same address
	// may name different code in two processes or in two JIT maps.
	key := make([]byte, 0, 32)
	key = binary.AppendUvarint(key, m.ID)
	key = binary.AppendUvarint(key, chain[0].Addr)
	fns := make([]*profile.Function, len(chain))
	for i, f := range chain {
		fns[i] = b.function(f, m.File)
		key = binary.AppendUvarint(key, fns[i].ID)
		key = binary.AppendUvarint(key, uint64(f.Line))
	}
	if l, ok := b.locations[string(key)]; ok {
		return l
	}

	l := &profile.Location{
		ID:      uint64(len(b.p.Location) + 1),
		Mapping: m,
		Address: chain[0].Addr,
		Line:    make([]profile.Line, len(fns)),
	}
	for i, fn := range fns {
		l.Line[i] = profile.Line{Function: fn, Line: int64(chain[i].Line)}
	}
	if len(chain) > 1 {
		m.HasInlineFrames = true
	}
	b.locations[string(key)] = l
	b.p.Location = append(b.p.Location, l)
	return l
}

// mapping returns the Mapping of f's DSO, widened to cover f's address.
func (b *ProfileBuilder) mapping(f Frame) *profile.Mapping {
	dso := f.DSO
	if dso == "" {
		dso = "[unknown]"
	}
	m, ok := b.mappings[dso]
	if !ok {
		m = &profile.Mapping{
			ID:           uint64(len(b.p.Mapping) + 1),
			Start:        f.Addr,
			Limit:        f.Addr + 1,
			File:         dso,
			HasFunctions: true,
		}
		b.mappings[dso] = m
		b.p.Mapping = append(b.p.Mapping, m)
	}
	m.Start = min(m.Start, f.Addr)
	if f.Addr >= m.Limit && f.Addr < math.MaxUint64 {
		m.Limit = f.Addr + 1
	}
	return m
}

// function returns the Function of f's symbol in dso.
func (b *ProfileBuilder) function(f Frame, dso string) *profile.Function {
	name := f.Symbol
	if name == "" {
		name = "[unknown]"
	}
	k := pprofFunctionKey{name, dso, f.File}
	if fn, ok := b.functions[k]; ok {
		return fn
	}
	fn := &profile.Function{
		ID:         uint64(len(b.p.Function) + 1),
		Name:       name,
		SystemName: name,
		Filename:   f.File,
	}
	b.functions[k] = fn
	b.p.Function = append(b.p.Function, fn)
	return fn
}

// Profile returns the profile of the samples added so far, checked for
// consistency. The builder keeps sharing it: adding more samples changes it.
func (b *ProfileBuilder) Profile() (*profile.Profile, error) {
	b.p.Period = b.period
	if b.period == 0 {
		b.p.Period = b.nsPerTick
	}
	switch {
	case b.opts.Duration > 0:
		b.p.DurationNanos = b.opts.Duration.Nanoseconds()
	case b.seenTime:
		b.p.DurationNanos = int64((b.end - b.start) * float64(time.Second))
	}
	if err := b.p.CheckValid(); err != nil {
		return nil, fmt.Errorf("building pprof profile: %w", err)
	}
	return b.p, nil
}

// BuildProfile turns samples into a pprof profile; see ProfileBuilder.
func BuildProfile(samples []Sample, opts ProfileOptions) (*profile.Profile, error) {
	b := NewProfileBuilder(opts)
	for i := range samples {
		b.Add(&samples[i])
	}
	return b.Profile()
}

// WriteProfile writes p to w in pprof's gzipped protocol buffer format, the
// content of a profile.pb.gz.
func WriteProfile(w io.Writer, p *profile.Profile) error {
	if err := p.Write(w); err != nil {
		return fmt.Errorf("writing pprof profile: %w", err)
	}
	return nil
}
