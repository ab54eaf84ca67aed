package capture

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// logText returns n bytes of distinct lines, so that a misplaced byte shows.
func logText(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.Bytes()[:n]
}

func TestLogCaptureKeepsHeadAndTail(t *testing.T) {
	const head, tail = 100, 300
	tests := []struct {
		name  string
		total int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"below head", head - 1},
		{"head", head},
		{"head plus one", head + 1},
		{"between", head + tail/2},
		{"head plus tail", head + tail},
		{"one cut", head + tail + 1},
		{"twice", 2 * (head + tail)},
		{"much larger", 100 * (head + tail)},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 7, 64, 1000, tt.total + 1} {
			t.Run(fmt.Sprintf("%s/chunk %d", tt.name, chunk), func(t *testing.T) {
				in := logText(tt.total)
				c := NewLogCapture(head, tail)
				for p := in; len(p) > 0; {
					k := min(chunk, len(p))
					if n, err := c.Write(p[:k]); n != k || err != nil {
						t.Fatalf("Write = %d, %v", n, err)
					}
					p = p[k:]
				}
				if c.Total() != int64(tt.total) {
					t.Errorf("Total = %d, want %d", c.Total(), tt.total)
				}
				var out bytes.Buffer
				n, err := c.WriteTo(&out)
				if err != nil || n != int64(out.Len()) {
					t.Fatalf("WriteTo = %d, %v; wrote %d", n, err, out.Len())
				}
				want := string(in)
				if cut := tt.total - head - tail; cut > 0 {
					marker := fmt.Sprintf("[perfcap: %d bytes cut here; the log keeps the first %d and the last %d of %d bytes]\n", cut, head, tail, tt.total)
					if in[head-1] != '\n' {
						marker = "\n" + marker
					}
					want = string(in[:head]) + marker + string(in[len(in)-tail:])
				}
				if out.String() != want {
					t.Errorf("WriteTo wrote\n%q\nwant\n%q", out.String(), want)
				}
			})
		}
	}
}

func TestLogCaptureZeroLimits(t *testing.T) {
	in := logText(1000)
	tests := []struct {
		head, tail int64
		want       string
	}{
		{0, 0, "[perfcap: 1000 bytes cut here; the log keeps the first 0 and the last 0 of 1000 bytes]\n"},
		{0, 10, "[perfcap: 990 bytes cut here; the log keeps the first 0 and the last 10 of 1000 bytes]\n" + string(in[990:])},
		{16, 0, string(in[:16]) + "\n[perfcap: 984 bytes cut here; the log keeps the first 16 and the last 0 of 1000 bytes]\n"},
		{0, 2000, string(in)},
		{2000, 0, string(in)},
	}
	for _, tt := range tests {
		c := NewLogCapture(tt.head, tt.tail)
		c.Write(in[:333])
		c.Write(in[333:])
		var out strings.Builder
		c.WriteTo(&out)
		if out.String() != tt.want {
			t.Errorf("head %d tail %d: got %q\nwant %q", tt.head, tt.tail, out.String(), tt.want)
		}
	}
}

func TestLogCaptureRandomWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		head, tail := int64(rng.IntN(50)), int64(rng.IntN(50))
		in := logText(rng.IntN(300))
		c := NewLogCapture(head, tail)
		for p := in; len(p) > 0; {
			k := min(1+rng.IntN(80), len(p))
			c.Write(p[:k])
			p = p[k:]
		}
		var out bytes.Buffer
		c.WriteTo(&out)
		kh, kt := min(int(head), len(in)), min(int(tail), max(len(in)-int(head), 0))
		got := out.Bytes()
		if !bytes.HasPrefix(got, in[:kh]) || !bytes.HasSuffix(got, in[len(in)-kt:]) {
			t.Fatalf("head %d tail %d len %d: got %q", head, tail, len(in), got)
		}
		if kh+kt == len(in) && !bytes.Equal(got, in) {
			t.Fatalf("head %d tail %d len %d: nothing cut but got %q", head, tail, len(in), got)
		}
	}
}

func TestLogCaptureSmallOutputIsCheap(t *testing.T) {
	c := NewLogCapture(1<<20, 4<<20)
	c.Write([]byte("hello\n"))
	if cap(c.first)+cap(c.last) > 8192 {
		t.Errorf("6 bytes of output took %d bytes of buffers", cap(c.first)+cap(c.last))
	}
}

func TestLogCaptureMemoryIsBounded(t *testing.T) {
	const head, tail = 1 << 20, 4 << 20
	total := int64(1 << 30)
	if testing.Short() {
		total = 64 << 20
	}
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := NewLogCapture(head, tail)
	for n := int64(0); n < total; n += int64(len(chunk)) {
		c.Write(chunk)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 2*(head+tail) {
		t.Errorf("heap grew by %d bytes writing %d; limit %d", grew, total, 2*(head+tail))
	}
	if c.Total() != total {
		t.Errorf("Total = %d, want %d", c.Total(), total)
	}
	n, _ := c.WriteTo(io.Discard)
	if n > head+tail+200 {
		t.Errorf("WriteTo wrote %d bytes", n)
	}
	runtime.KeepAlive(c)
}

func BenchmarkLogCaptureWrite(b *testing.B) {
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	c := NewLogCapture(1<<20, 4<<20)
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		c.Write(chunk)
	}
}

func TestLogCaptureFilteredCutsAtLines(t *testing.T) {
	c := NewLogCapture(20, 20)
	var all strings.Builder
	for i := range 100 {
		fmt.Fprintf(&all, "line %d token=ghp_x\n", i)
	}
	c.Write([]byte(all.String()))
	var out strings.Builder
	if _, err := c.WriteFiltered(&out, func(s string) string { return strings.ReplaceAll(s, "ghp_x", "[redacted]") }); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	want := "line 0 token=[redacted]\n" // the head's partial second line is dropped
	if !strings.HasPrefix(got, want) {
		t.Errorf("head = %q, want it to start %q", got, want)
	}
	if !strings.HasSuffix(got, "bytes]\n") {
		t.Errorf("the tail's only line was partial, so nothing follows the marker: %q", got)
	}
	if strings.Contains(got, "ghp_") {
		t.Errorf("filter not applied: %q", got)
	}
	cut := fmt.Sprintf("[perfcap: %d bytes cut here", all.Len()-len("line 0 token=ghp_x\n"))
	if !strings.Contains(got, cut) {
		t.Errorf("marker does not count the trimmed bytes: %q, want %q", got, cut)
	}
}
