package flame

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// scanAll reads every sample, copying each since the reader reuses it.
func scanAll(t testing.TB, in string) ([]Sample, *ScriptReader) {
	t.Helper()
	r := NewScriptReader(strings.NewReader(in))
	var out []Sample
	for r.Scan() {
		s := *r.Sample()
		s.Frames = append([]Frame(nil), s.Frames...)
		out = append(out, s)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	return out, r
}

func TestScriptHeaders(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   Sample
	}{
		{"cargo 12345/12346 [001] 1234.567890:     250000 cpu-clock:pppH: ",
			Sample{Comm: "cargo", PID: 12345, TID: 12346, Time: 1234.56789, Event: "cpu-clock", Period: 250000}},
		{"sleep 1234 12345.678:   1 cycles:u:",
			Sample{Comm: "sleep", PID: -1, TID: 1234, Time: 12345.678, Event: "cycles", Period: 1}},
		{"fp 27842  8450.732255:    1001001 cpu-clock:ppp: ",
			Sample{Comm: "fp", PID: -1, TID: 27842, Time: 8450.732255, Event: "cpu-clock", Period: 1001001}},
		{"V8 WorkerThread 24636/25607 [000] 94564.109216: cycles:",
			Sample{Comm: "V8 WorkerThread", PID: 24636, TID: 25607, Time: 94564.109216, Event: "cycles"}},
		{"java 12688 [002] 6544038.708352: cpu-clock:",
			Sample{Comm: "java", PID: -1, TID: 12688, Time: 6544038.708352, Event: "cpu-clock"}},
		{"kworker/0:1 77 1.5: 3 sched:sched_switch: prev_comm=x",
			Sample{Comm: "kworker/0:1", PID: -1, TID: 77, Time: 1.5, Event: "sched:sched_switch", Period: 3}},
		{"perf 5 250000 cpu-clock:",
			Sample{Comm: "perf", PID: -1, TID: 5, Event: "cpu-clock", Period: 250000}},
		{"perf 5 cpu-clock:",
			Sample{Comm: "perf", PID: -1, TID: 5, Event: "cpu-clock"}},
		{"   dd 4242 [003] 2.000001: 1000 task-clock:",
			Sample{Comm: "dd", PID: -1, TID: 4242, Time: 2.000001, Event: "task-clock", Period: 1000}},
	} {
		got, r := scanAll(t, tc.header+"\n\t 4004d6 main+0x16 (/bin/x)\n\n")
		if len(got) != 1 {
			t.Errorf("%q: %d samples, warnings %v", tc.header, len(got), r.Warnings())
			continue
		}
		g := got[0]
		g.Frames = nil
		if !reflect.DeepEqual(g, tc.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.header, g, tc.want)
		}
	}
}

func TestScriptFrames(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Frame
	}{
		{"\t    7f1c2a3b4c5d func+0x1d (/usr/lib/libc.so.6)", Frame{0x7f1c2a3b4c5d, "func", "/usr/lib/libc.so.6", KindLibrary, "", 0}},
		{"\tffffffff8100 [unknown] ([kernel.kallsyms])", Frame{0xffffffff8100, "[unknown]", "[kernel.kallsyms]", KindKernel, "", 0}},
		{"\t55d0c0 [unknown] ([unknown])", Frame{0x55d0c0, "[unknown]", "[unknown]", KindUser, "", 0}},
		{"\t55d0c0 <alloc::vec::Vec<T> as core::ops::Drop>::drop+0x10 (/app/target/release/app)",
			Frame{0x55d0c0, "<alloc::vec::Vec<T> as core::ops::Drop>::drop", "/app/target/release/app", KindUser, "", 0}},
		{"\t55d0c0 std::rt::lang_start::{{closure}} (/app/bin)", Frame{0x55d0c0, "std::rt::lang_start::{{closure}}", "/app/bin", KindUser, "", 0}},
		{"\t7f00 operator new(unsigned long)+0x1c (/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30)",
			Frame{0x7f00, "operator new(unsigned long)", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", KindLibrary, "", 0}},
		{"\t11c4 kernel_step+0x34 (inlined)", Frame{0x11c4, "kernel_step", "inlined", KindInlined, "", 0}},
		{"\t7f84ec8a400d jit_spin_loop;tier1+0xd (/tmp/perf-27955.map)", Frame{0x7f84ec8a400d, "jit_spin_loop;tier1", "/tmp/perf-27955.map", KindJIT, "", 0}},
		{"\t7f84ec8a400d [unknown] ([JIT] tid 123)", Frame{0x7f84ec8a400d, "[unknown]", "[JIT] tid 123", KindJIT, "", 0}},
		{"\tffffffffc0a01000 nft_do_chain+0x30 ([nf_tables])", Frame{0xffffffffc0a01000, "nft_do_chain", "[nf_tables]", KindKernel, "", 0}},
		{"\t7ffd1234 __vdso_clock_gettime+0x5 ([vdso])", Frame{0x7ffd1234, "__vdso_clock_gettime", "[vdso]", KindLibrary, "", 0}},
		{"\t4004d6 main (/usr/bin/x (deleted))", Frame{0x4004d6, "main", "/usr/bin/x (deleted)", KindUser, "", 0}},
		{"\t4004d6 net/http.(*Client).Do+0x4d (/usr/bin/x)", Frame{0x4004d6, "net/http.(*Client).Do", "/usr/bin/x", KindUser, "", 0}},
		{"\t4004d6 sym+0xzz (/x)", Frame{0x4004d6, "sym+0xzz", "/x", KindUser, "", 0}},
		{"\t4004d6", Frame{Addr: 0x4004d6, Symbol: "[unknown]", Kind: KindUser}},
	} {
		got, r := scanAll(t, "x 1 1.0: cpu-clock:\n"+tc.line+"\n\n")
		if len(got) != 1 || len(got[0].Frames) != 1 {
			t.Errorf("%q: %+v, warnings %v", tc.line, got, r.Warnings())
			continue
		}
		if got[0].Frames[0] != tc.want {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.line, got[0].Frames[0], tc.want)
		}
	}
}

// TestScriptNoCallchain reads perf script of a recording without -g: one
// line a sample, the ip on the header, comm padded to 16 columns.
func TestScriptNoCallchain(t *testing.T) {
	in := "             thr 28546/28548 [000]  8563.941004:    1001001 cpu-clock:ppp:      55d0c0 spin+0x12 (/tmp/thr)\n" +
		"              dd 28546/28547 [001]  8563.941005:    1001001 cpu-clock:ppp:      55d0c4 spin+0x16 (/tmp/thr)\n" +
		"              dd 28546/28547 [001]  8563.941006:    1001001 cpu-clock:ppp:\n" +
		"              ab 28546/28547 [001]  8563.941007:    1001001 cpu-clock:ppp:\n"
	got, r := scanAll(t, in)
	if len(got) != 4 || r.Skipped() != 0 {
		t.Fatalf("got %d samples, warnings %v", len(got), r.Warnings())
	}
	for i, want := range []struct {
		comm   string
		tid    int
		frames int
	}{{"thr", 28548, 1}, {"dd", 28547, 1}, {"dd", 28547, 0}, {"ab", 28547, 0}} {
		s := got[i]
		if s.Comm != want.comm || s.TID != want.tid || len(s.Frames) != want.frames || (want.frames > 0 && s.Frames[0].Symbol != "spin") {
			t.Errorf("sample %d = %+v", i, s)
		}
	}
}

// TestScriptColumnZeroFrames reads old perf's layout: a header without a
// time, the frames at column 0. A column-0 line that reads as a header
// still starts the next record, even with a comm that reads as hex.
func TestScriptColumnZeroFrames(t *testing.T) {
	in := "java 19983 cycles:\n" +
		"ffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])\n" +
		"7f722d142778 Ljava/io/PrintStream;::print (/tmp/perf-19982.map)\n" +
		"dd 4242 2.000001: 1000 cpu-clock:\n" +
		"\t400 main (/x)\n\n"
	got, r := scanAll(t, in)
	if len(got) != 2 || r.Skipped() != 0 {
		t.Fatalf("got %d samples, warnings %v", len(got), r.Warnings())
	}
	if s := got[0]; s.Comm != "java" || s.TID != 19983 || len(s.Frames) != 2 ||
		s.Frames[0].Symbol != "native_write_msr_safe" || s.Frames[1].Kind != KindJIT {
		t.Errorf("first sample = %+v", s)
	}
	if s := got[1]; s.Comm != "dd" || len(s.Frames) != 1 || s.Frames[0].Symbol != "main" {
		t.Errorf("second sample = %+v", s)
	}
}

func TestScriptWarnings(t *testing.T) {
	in := "# ========\n# cmdline : perf record -g ./x\n" + // 1-2
		"x 1 1.0: 10 cpu-clock:\n\t400 main (/x)\n\n" + // 3-5
		"\tdeadbeef orphan (/x)\n\n" + // 6-7
		"x 1 1.1: 10 cpu-clock:\n\tnot a frame\n\t400 main (/x)\n\n" + // 8-11
		"no event here\n\t400 main (/x)\n\n" + // 12-14
		"x 1 1.2: 10 cpu-clock:\r\n\t400 main (/x)\r\n" // 15-16, CRLF, no final blank line
	got, r := scanAll(t, in)
	if len(got) != 2 {
		t.Errorf("got %d samples, want 2: %+v", len(got), got)
	}
	want := []string{
		"line 6: stack frame without a record header before it",
		`line 9: stack frame "address symbol (dso)", found "not a frame"`,
		`line 12: record header "comm tid time: event:", found no "event:" field`,
	}
	var msgs []string
	for _, w := range r.Warnings() {
		var se *SyntaxError
		if !errors.As(w, &se) {
			t.Errorf("warning %v is not a *SyntaxError", w)
		}
		msgs = append(msgs, w.Error())
	}
	if !reflect.DeepEqual(msgs, want) || r.Skipped() != 3 {
		t.Errorf("warnings (%d skipped):\n%s\nwant:\n%s", r.Skipped(), strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
}

func TestScriptWarningsCapped(t *testing.T) {
	in := strings.Repeat("bad header\n\n", 50) + "x 1 1.0: cpu-clock:\n\t400 main (/x)\n"
	got, r := scanAll(t, in)
	if len(got) != 1 || r.Skipped() != 50 || len(r.Warnings()) != maxWarnings {
		t.Errorf("%d samples, %d skipped, %d warnings", len(got), r.Skipped(), len(r.Warnings()))
	}
}

func TestScriptLongLine(t *testing.T) {
	in := "x 1 1.0: cpu-clock:\n\t400 " + strings.Repeat("a", 200<<10) + " (/x)\n\t500 main (/x)\n\n" +
		"x 1 1.1: cpu-clock:\n\t400 main (/x)\n\n"
	got, r := scanAll(t, in)
	if len(got) != 1 || got[0].Time != 1.1 || r.Skipped() != 1 {
		t.Errorf("%d samples, warnings %v", len(got), r.Warnings())
	}
}

func TestScriptReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewScriptReader(io.MultiReader(strings.NewReader("x 1 1.0: cpu-clock:\n\t400 main (/x)\n\n"), iotest.ErrReader(boom)))
	n := 0
	for r.Scan() {
		n++
	}
	if n != 1 || !errors.Is(r.Err(), boom) {
		t.Errorf("%d samples, Err() = %v, want 1 and boom", n, r.Err())
	}
}

// TestScriptFixtures reads every recorded fixture without a warning, and
// checks the kinds each was recorded to show.
func TestScriptFixtures(t *testing.T) {
	wantKinds := map[string][]Kind{
		"testdata/script/kernel.txt":       {KindKernel, KindLibrary, KindUser},
		"testdata/script/dwarf-inline.txt": {KindInlined},
		"testdata/script/jit.txt":          {KindJIT},
		"testdata/script/cxx.txt":          {KindLibrary, KindUser},
	}
	for _, path := range scriptFixtures(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, r := scanAll(t, string(data))
		if len(got) == 0 || r.Skipped() != 0 {
			t.Errorf("%s: %d samples, warnings %v", path, len(got), r.Warnings())
		}
		if want := bytes.Count(data, []byte("cpu-clock:")); len(got) != want {
			t.Errorf("%s: %d samples, want %d", path, len(got), want)
		}
		seen := map[Kind]bool{}
		for _, s := range got {
			for _, f := range s.Frames {
				seen[f.Kind] = true
			}
		}
		for _, k := range wantKinds[path] {
			if !seen[k] {
				t.Errorf("%s: no frame of kind %d", path, k)
			}
		}
	}
}

// TestScriptReuse checks that reading allocates nothing per record once
// the names are interned, the point of reusing the Sample.
func TestScriptReuse(t *testing.T) {
	data, err := os.ReadFile("testdata/script/kernel.txt")
	if err != nil {
		t.Fatal(err)
	}
	in := bytes.Repeat(data, 20)
	rd := bytes.NewReader(in)
	r := NewScriptReader(rd)
	for r.Scan() {
	}
	allocs := testing.AllocsPerRun(5, func() {
		rd.Reset(in)
		r.r.Reset(rd)
		for r.Scan() {
		}
	})
	if allocs > 0 {
		t.Errorf("%v allocations reading %d bytes again", allocs, len(in))
	}
}
