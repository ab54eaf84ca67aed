package flame

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

const (
	pprofApp    = "/usr/bin/app"
	pprofLibc   = "/usr/lib/x86_64-linux-gnu/libc.so.6"
	pprofKernel = "[kernel.kallsyms]"
)

// Frames of a small program: main calls hot_function and caller_fn, into
// which inlined_helper was inlined; the kernel takes a timer interrupt.
var (
	pprofHot      = Frame{Addr: 0x1010, Symbol: "hot_function", DSO: pprofApp}
	pprofHot2     = Frame{Addr: 0x1024, Symbol: "hot_function", DSO: pprofApp}
	pprofMain     = Frame{Addr: 0x1100, Symbol: "main", DSO: pprofApp}
	pprofInlined  = Frame{Addr: 0x1200, Symbol: "inlined_helper", DSO: pprofApp, Kind: KindInlined}
	pprofCaller   = Frame{Addr: 0x1200, Symbol: "caller_fn", DSO: pprofApp}
	pprofStart    = Frame{Addr: 0x7f0000029d90, Symbol: "__libc_start_main", DSO: pprofLibc, Kind: KindLibrary}
	pprofUnknown  = Frame{Addr: 0x7f00000aaaaa, Symbol: "[unknown]", DSO: pprofLibc, Kind: KindLibrary}
	pprofIRQ      = Frame{Addr: 0xffffffff81e00c0a, Symbol: "asm_sysvec_apic_timer_interrupt", DSO: pprofKernel, Kind: KindKernel}
	pprofClockDur = uint64(10101010) // 1s/99, perf's cpu-clock period at -F 99
)

// pprofSample returns a cpu-clock sample of app with frames innermost first.
func pprofSample(t float64, frames ...Frame) Sample {
	return Sample{
		Comm: "app", PID: 42, TID: 42, Time: t,
		Event: "cpu-clock", Period: pprofClockDur,
		Frames: frames,
	}
}

// pprofProgram returns 10 samples: 7 in hot_function (at two addresses),
// 2 in the inlined chain and 1 in the kernel.
func pprofProgram() []Sample {
	var ss []Sample
	for i := range 7 {
		hot := pprofHot
		if i%2 == 1 {
			hot = pprofHot2
		}
		ss = append(ss, pprofSample(100+float64(i)/100, hot, pprofMain, pprofStart))
	}
	ss = append(ss,
		pprofSample(100.07, pprofInlined, pprofCaller, pprofMain, pprofStart),
		pprofSample(100.08, pprofInlined, pprofCaller, pprofMain, pprofUnknown),
		pprofSample(100.09, pprofIRQ, pprofHot, pprofMain, pprofStart),
	)
	return ss
}

// pprofTraces renders p's samples as "labels|outer;...;inner[+inlined] values"
// lines, sorted, so profiles can be compared whatever their ids.
func pprofTraces(p *profile.Profile) []string {
	var out []string
	for _, s := range p.Sample {
		var frames []string
		for _, l := range slices.Backward(s.Location) {
			var names []string
			for _, ln := range slices.Backward(l.Line) {
				names = append(names, ln.Function.Name)
			}
			frames = append(frames, fmt.Sprintf("%s@%s:%#x", strings.Join(names, "+"), l.Mapping.File, l.Address))
		}
		out = append(out, fmt.Sprintf("comm=%v pid=%v tid=%v|%s %v",
			s.Label["comm"], s.NumLabel["pid"], s.NumLabel["tid"], strings.Join(frames, ";"), s.Value))
	}
	slices.Sort(out)
	return out
}

func TestPprofProfile(t *testing.T) {
	p, err := BuildProfile(pprofProgram(), ProfileOptions{Frequency: 99, Comment: "app --bench"})
	if err != nil {
		t.Fatal(err)
	}

	d := int64(pprofClockDur)
	want := []string{
		fmt.Sprintf("comm=[app] pid=[] tid=[]|__libc_start_main@%s:0x7f0000029d90;main@%s:0x1100;hot_function@%[2]s:0x1010 [4 %d]", pprofLibc, pprofApp, 4*d),
		fmt.Sprintf("comm=[app] pid=[] tid=[]|__libc_start_main@%s:0x7f0000029d90;main@%s:0x1100;hot_function@%[2]s:0x1010;asm_sysvec_apic_timer_interrupt@[kernel.kallsyms]:0xffffffff81e00c0a [1 %d]", pprofLibc, pprofApp, d),
		fmt.Sprintf("comm=[app] pid=[] tid=[]|__libc_start_main@%s:0x7f0000029d90;main@%s:0x1100;hot_function@%[2]s:0x1024 [3 %d]", pprofLibc, pprofApp, 3*d),
		fmt.Sprintf("comm=[app] pid=[] tid=[]|__libc_start_main@%s:0x7f0000029d90;main@%s:0x1100;caller_fn+inlined_helper@%[2]s:0x1200 [1 %d]", pprofLibc, pprofApp, d),
		fmt.Sprintf("comm=[app] pid=[] tid=[]|[unknown]@%s:0x7f00000aaaaa;main@%s:0x1100;caller_fn+inlined_helper@%[2]s:0x1200 [1 %d]", pprofLibc, pprofApp, d),
	}
	slices.Sort(want)
	if got := pprofTraces(p); !reflect.DeepEqual(got, want) {
		t.Errorf("traces:\n got %q\nwant %q", got, want)
	}

	if got, want := len(p.Function), 7; got != want {
		t.Errorf("%d functions, want %d (one per symbol and DSO)", got, want)
	}
	if got, want := len(p.Location), 7; got != want {
		t.Errorf("%d locations, want %d (one per address)", got, want)
	}
	var inlined *profile.Location
	for _, l := range p.Location {
		if l.Address == pprofCaller.Addr {
			inlined = l
		}
	}
	if inlined == nil || len(inlined.Line) != 2 ||
		inlined.Line[0].Function.Name != "inlined_helper" || inlined.Line[1].Function.Name != "caller_fn" {
		t.Errorf("inlined location %+v: want Lines inlined_helper (callee) then caller_fn", inlined)
	}

	type span struct {
		file        string
		start, lim  uint64
		hasFuncs    bool
		inlineFrame bool
	}
	var spans []span
	for _, m := range p.Mapping {
		spans = append(spans, span{m.File, m.Start, m.Limit, m.HasFunctions, m.HasInlineFrames})
	}
	wantSpans := []span{
		{pprofApp, 0x1010, 0x1201, true, true},
		{pprofLibc, 0x7f0000029d90, 0x7f00000aaaab, true, false},
		{pprofKernel, 0xffffffff81e00c0a, 0xffffffff81e00c0b, true, false},
	}
	if !reflect.DeepEqual(spans, wantSpans) {
		t.Errorf("mappings:\n got %+v\nwant %+v", spans, wantSpans)
	}

	if p.PeriodType.Type != "cpu" || p.PeriodType.Unit != "nanoseconds" || p.Period != d {
		t.Errorf("period %v %d, want cpu/nanoseconds %d", p.PeriodType, p.Period, d)
	}
	if got, want := p.DurationNanos, int64(90*time.Millisecond); got < want-1000 || got > want+1000 {
		t.Errorf("DurationNanos = %d, want about %d", got, want)
	}
	if !reflect.DeepEqual(p.Comments, []string{"app --bench"}) {
		t.Errorf("Comments = %q", p.Comments)
	}
}

func TestPprofDuration(t *testing.T) {
	p, err := BuildProfile(pprofProgram(), ProfileOptions{Duration: 2 * time.Second, Start: time.Unix(1700000000, 5)})
	if err != nil {
		t.Fatal(err)
	}
	if p.DurationNanos != int64(2*time.Second) || p.TimeNanos != 1700000000000000005 {
		t.Errorf("DurationNanos, TimeNanos = %d, %d; want the options' values", p.DurationNanos, p.TimeNanos)
	}
}

func TestPprofCPUValue(t *testing.T) {
	tests := []struct {
		name       string
		event      string
		period     uint64
		frequency  int
		wantCPU    int64
		wantPeriod int64
	}{
		{"cpu-clock period is ns", "cpu-clock", 10101010, 99, 10101010, 10101010},
		{"task-clock with modifiers", "task-clock:ppp", 250000, 0, 250000, 250000},
		{"clock period wins over frequency", "cpu-clock", 2000000, 99, 2000000, 10101010},
		{"cycles charged 1s/frequency", "cycles", 123456789, 99, 10101010, 10101010},
		{"cycles at perf's default frequency", "cycles:u", 123456789, 0, 250000, 250000},
		{"unknown event", "instructions", 5, 1000, 1000000, 1000000},
		{"clock without period", "cpu-clock", 0, 1000, 1000000, 1000000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := pprofSample(1, pprofHot)
			s.Event, s.Period = tt.event, tt.period
			p, err := BuildProfile([]Sample{s, s}, ProfileOptions{Frequency: tt.frequency})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Sample) != 1 {
				t.Fatalf("%d samples, want 1 (identical samples merged)", len(p.Sample))
			}
			if got, want := p.Sample[0].Value, []int64{2, 2 * tt.wantCPU}; !reflect.DeepEqual(got, want) {
				t.Errorf("values = %v, want %v", got, want)
			}
			if p.Period != tt.wantPeriod {
				t.Errorf("Period = %d, want %d", p.Period, tt.wantPeriod)
			}
		})
	}
}

func TestPprofLabels(t *testing.T) {
	a := pprofSample(1, pprofHot, pprofMain)
	b := a
	b.TID = 43
	c := a
	c.Comm, c.PID, c.TID = "worker", 50, 50
	samples := []Sample{a, b, c, a}
	d := int64(pprofClockDur)

	tests := []struct {
		name string
		opts ProfileOptions
		want []string
	}{
		{"by comm", ProfileOptions{}, []string{
			fmt.Sprintf("comm=[app] pid=[] tid=[]|main@/usr/bin/app:0x1100;hot_function@/usr/bin/app:0x1010 [3 %d]", 3*d),
			fmt.Sprintf("comm=[worker] pid=[] tid=[]|main@/usr/bin/app:0x1100;hot_function@/usr/bin/app:0x1010 [1 %d]", d),
		}},
		{"by thread", ProfileOptions{ThreadLabels: true}, []string{
			fmt.Sprintf("comm=[app] pid=[42] tid=[42]|main@/usr/bin/app:0x1100;hot_function@/usr/bin/app:0x1010 [2 %d]", 2*d),
			fmt.Sprintf("comm=[app] pid=[42] tid=[43]|main@/usr/bin/app:0x1100;hot_function@/usr/bin/app:0x1010 [1 %d]", d),
			fmt.Sprintf("comm=[worker] pid=[50] tid=[50]|main@/usr/bin/app:0x1100;hot_function@/usr/bin/app:0x1010 [1 %d]", d),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := BuildProfile(samples, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := pprofTraces(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("traces:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestPprofReusedSample feeds the builder one Sample whose memory is
// overwritten after every Add, as a streaming reader does.
func TestPprofReusedSample(t *testing.T) {
	want, err := BuildProfile(pprofProgram(), ProfileOptions{})
	if err != nil {
		t.Fatal(err)
	}

	b := NewProfileBuilder(ProfileOptions{})
	var s Sample
	for _, src := range pprofProgram() {
		s.Comm, s.PID, s.TID, s.Time, s.Event, s.Period = src.Comm, src.PID, src.TID, src.Time, src.Event, src.Period
		s.Frames = append(s.Frames[:0], src.Frames...)
		b.Add(&s)
		for i := range s.Frames {
			s.Frames[i] = Frame{Addr: 0xdead, Symbol: "clobbered", DSO: "clobbered"}
		}
	}
	got, err := b.Profile()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(pprofTraces(got), pprofTraces(want)) {
		t.Errorf("traces:\n got %q\nwant %q", pprofTraces(got), pprofTraces(want))
	}
}

func TestPprofRoundTrip(t *testing.T) {
	p, err := BuildProfile(pprofProgram(), ProfileOptions{Frequency: 99, Comment: "app", ThreadLabels: true})
	if err != nil {
		t.Fatal(err)
	}
	want := pprofTraces(p)

	var buf bytes.Buffer
	if err := WriteProfile(&buf, p); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte{0x1f, 0x8b}) {
		t.Errorf("profile is not gzipped")
	}
	q, err := profile.Parse(&buf)
	if err != nil {
		t.Fatalf("parsing written profile: %v", err)
	}
	if err := q.CheckValid(); err != nil {
		t.Fatalf("parsed profile invalid: %v", err)
	}
	if got := pprofTraces(q); !reflect.DeepEqual(got, want) {
		t.Errorf("traces after round trip:\n got %q\nwant %q", got, want)
	}
	if q.Period != p.Period || q.PeriodType.Type != "cpu" || !reflect.DeepEqual(q.Comments, []string{"app"}) {
		t.Errorf("round trip lost Period %d, PeriodType %v or Comments %q", q.Period, q.PeriodType, q.Comments)
	}
}

func TestPprofEmpty(t *testing.T) {
	p, err := NewProfileBuilder(ProfileOptions{}).Profile()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteProfile(&buf, p); err != nil {
		t.Fatal(err)
	}
	if _, err := profile.Parse(&buf); err != nil {
		t.Fatalf("parsing empty profile: %v", err)
	}
}

// TestPprofGoTool reads a written profile with the real `go tool pprof`.
func TestPprofGoTool(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go tool pprof unavailable: %v", err)
	}
	p, err := BuildProfile(pprofProgram(), ProfileOptions{Frequency: 99, Comment: "app --bench"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "profile.pb.gz")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteProfile(f, p); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	pprof := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(goBin, append([]string{"tool", "pprof"}, append(args, file)...)...)
		// Outside the module, so that go.mod's toolchain line plays no part.
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go tool pprof %v: %v\n%s", args, err, stderr.String())
		}
		t.Logf("go tool pprof %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}

	t.Run("top", func(t *testing.T) {
		for _, index := range []string{"samples", "cpu"} {
			out := pprof("-top", "-nodecount=5", "-sample_index="+index)
			_, table, ok := strings.Cut(out, "cum%\n")
			if !ok {
				t.Fatalf("-sample_index=%s: no table in output", index)
			}
			row := strings.Fields(strings.SplitN(table, "\n", 2)[0])
			if len(row) < 6 || row[5] != "hot_function" || row[1] != "70.00%" {
				t.Errorf("-sample_index=%s: first row %q, want hot_function at 70.00%% flat", index, row)
			}
		}
	})

	t.Run("totals", func(t *testing.T) {
		tests := []struct {
			args []string
			want string
		}{
			{[]string{"-sample_index=samples"}, "of 10 total"},
			{[]string{"-sample_index=cpu", "-unit=ns"}, fmt.Sprintf("of %dns total", 10*pprofClockDur)},
		}
		for _, tt := range tests {
			if out := pprof(append(tt.args, "-top")...); !strings.Contains(out, tt.want) {
				t.Errorf("%v: output lacks %q", tt.args, tt.want)
			}
		}
	})

	t.Run("inlined", func(t *testing.T) {
		out := pprof("-traces")
		want := "inlined_helper (inline)\n             caller_fn\n             main\n"
		if !strings.Contains(out, want) {
			t.Errorf("-traces lacks the inlined chain %q", want)
		}
	})
}
