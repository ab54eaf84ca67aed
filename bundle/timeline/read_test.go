package timeline

import (
	"errors"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/format"
)

const header = format.TimelineHeader + "\n"

func TestReadTimelineErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		rows     int
		want     []string // substrings of the error, in order
	}{
		{"empty file", "", 0, []string{"timeline.csv:1: expected the header t_seconds,"}},
		{"other header", "t,cpu\n0.1,5\n", 0, []string{"timeline.csv:1: expected the header"}},
		{"good", header + "0.000,0.0,1,1,1,0.0,5\r\n\n0.100,50.0,2,1,1,3.0,5\n", 2, nil},
		{"few fields", header + "0.1,1,2\n0.2,1,2,1,1,1,1\n", 1, []string{"timeline.csv:2: expected 7 comma-separated fields"}},
		{"many fields", header + "0.1,1,2,1,1,1,1,9\n", 0, []string{"timeline.csv:2: expected 7"}},
		{"bad time", header + "x,1,2,1,1,1,1\n", 0, []string{`timeline.csv:2: expected t_seconds, a number of seconds ≥ 0, found "x"`}},
		{"NaN", header + "NaN,1,2,1,1,1,1\n", 0, []string{"timeline.csv:2: expected t_seconds"}},
		{"back in time", header + "1.0,1,2,1,1,1,1\n0.5,1,2,1,1,1,1\n2.0,1,2,1,1,1,1\n", 2,
			[]string{"timeline.csv:3: expected t_seconds ≥ the previous row's"}},
		{"negative cpu", header + "0.1,-1,2,1,1,1,1\n", 0, []string{"timeline.csv:2: expected tree_cpu_percent"}},
		{"fractional rss", header + "0.1,1,2.5,1,1,1,1\n", 0, []string{"timeline.csv:2: expected tree_rss_bytes"}},
		{"bad threads", header + "0.1,1,2,1,-1,1,1\n", 0, []string{"timeline.csv:2: expected threads"}},
		{"bad available", header + "0.1,1,2,1,1,1,\n", 0, []string{"timeline.csv:2: expected system_available_bytes"}},
		{"many bad rows", header + strings.Repeat("bad\n", 25) + "0.1,1,2,1,1,1,1\n", 1,
			[]string{"timeline.csv:2:", "timeline.csv:11:", "timeline.csv: 15 more bad rows"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl, err := ReadTimeline(strings.NewReader(tc.in), 0)
			if tl.Rows != tc.rows {
				t.Errorf("read %d rows, want %d", tl.Rows, tc.rows)
			}
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			msg := err.Error()
			for _, w := range tc.want {
				i := strings.Index(msg, w)
				if i < 0 {
					t.Fatalf("error %q lacks %q", msg, w)
				}
				msg = msg[i+len(w):]
			}
			var se *format.SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("error %v is no *format.SyntaxError", err)
			}
		})
	}
}

// synthetic is timeline.csv of n rows every 100 ms, made on the fly so a
// week of samples costs no memory: tree RSS is 100 MiB with a single
// 1 GiB row at spike, CPU cycles 0 to 99 %.
type synthetic struct {
	n, i, spike int
	buf         []byte
	off         int
}

func (s *synthetic) Read(p []byte) (int, error) {
	if s.off == len(s.buf) {
		if s.i > s.n {
			return 0, io.EOF
		}
		s.buf, s.off = s.buf[:0], 0
		if s.i == 0 {
			s.buf = append(s.buf, header...)
		} else {
			k := s.i - 1
			rss := uint64(100 << 20)
			if k == s.spike {
				rss = 1 << 30
			}
			s.buf = strconv.AppendFloat(s.buf, float64(k)/10, 'f', 3, 64)
			s.buf = append(s.buf, ',')
			s.buf = strconv.AppendInt(s.buf, int64(k%100), 10)
			s.buf = append(s.buf, ".0,"...)
			s.buf = strconv.AppendUint(s.buf, rss, 10)
			s.buf = append(s.buf, ",3,9,50.0,1000000\n"...)
		}
		s.i++
	}
	n := copy(p, s.buf[s.off:])
	s.off += n
	return n, nil
}

func TestDownsampleKeepsPeaks(t *testing.T) {
	const n, buckets = 10_000, 10
	tl, err := ReadTimeline(&synthetic{n: n, spike: 4321}, buckets)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Buckets) > buckets || tl.Rows != n {
		t.Fatalf("%d buckets of %d rows, want ≤ %d of %d", len(tl.Buckets), tl.Rows, buckets, n)
	}
	if tl.PeakRSS != 1<<30 || tl.PeakRSSAt != 432.1 {
		t.Errorf("peak %d at %v, want 1 GiB at 432.1", tl.PeakRSS, tl.PeakRSSAt)
	}
	total := 0
	spiked := 0
	for _, b := range tl.Buckets {
		total += b.Samples
		if b.TreeRSS.Max == 1<<30 {
			spiked++
			if b.First > 432.1 || b.Last < 432.1 {
				t.Errorf("the spike's bucket spans %v to %v", b.First, b.Last)
			}
		}
		if b.TreeCPU.Min != 0 || b.TreeCPU.Max != 99 || math.Abs(b.TreeCPU.Mean-49.5) > 2 {
			t.Errorf("bucket %v–%v: CPU %+v, want 0, 99, about 49.5", b.First, b.Last, b.TreeCPU)
		}
	}
	if total != n || spiked != 1 {
		t.Errorf("buckets hold %d samples and %d spikes, want %d and 1", total, spiked, n)
	}
}

// TestReadTimelineBoundedMemory reads a week at 100 ms, 6 million rows,
// and checks the heap did not grow with them: what is allocated in all
// (TotalAlloc) stays far below one allocation per row, and what is live
// afterwards is the buckets alone.
func TestReadTimelineBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("6 million rows")
	}
	const n = 7 * 24 * 3600 * 10
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tl, err := ReadTimeline(&synthetic{n: n, spike: n - 7}, DefaultBuckets)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if tl.Rows != n || len(tl.Buckets) > DefaultBuckets {
		t.Fatalf("%d rows in %d buckets", tl.Rows, len(tl.Buckets))
	}
	if tl.PeakRSS != 1<<30 {
		t.Errorf("the peak in the last second was lost: %d", tl.PeakRSS)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	live := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d rows: %d bytes allocated, %d live, %d buckets of %v s", n, allocated, live, len(tl.Buckets), tl.Width)
	if allocated > 8<<20 {
		t.Errorf("reading allocated %d bytes: memory grows with the rows", allocated)
	}
	if live > 2<<20 {
		t.Errorf("%d bytes live after reading", live)
	}
	runtime.KeepAlive(tl)
}
