package capture

import (
	"bytes"
	"testing"
	"time"

	"github.com/perfcap/perfcap/capture/bench"
)

// shortLines is 64 KiB of 28-byte lines, a chatty command's worst case.
var shortLines = bytes.Repeat([]byte("some output line here 12345\n"), 64<<10/28)

// BenchmarkLineClock is what stamping every line of stdout and feeding it
// to the phase splitter costs perfcap, per byte of output.
func BenchmarkLineClock(b *testing.B) {
	s := bench.NewPhaseSplitter()
	c := &lineClock{stream: 1, origin: time.Now(), emit: func(l Line) { s.Line(l.Start, l.End, l.Text) }}
	b.SetBytes(int64(len(shortLines)))
	for b.Loop() {
		c.write(shortLines, time.Now())
	}
}

// BenchmarkConsoleParser is the same output through the Criterion and
// libtest result parser every run already feeds stdout to, for scale.
func BenchmarkConsoleParser(b *testing.B) {
	p := bench.NewConsoleParser("stdout")
	b.SetBytes(int64(len(shortLines)))
	for b.Loop() {
		_, _ = p.Write(shortLines)
	}
}
