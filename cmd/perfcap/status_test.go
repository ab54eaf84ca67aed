package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/format"
)

func TestStatusLineNeverSplitsTheCommandsLines(t *testing.T) {
	var term bytes.Buffer
	s := newStatusLine(&term, 80)
	out := s.wrap(&term)
	s.update(capture.Sample{TimelineRow: format.TimelineRow{T: 1.5, TreeCPUPercent: 99, TreeRSS: 100 << 20, Processes: 3}})
	if !strings.Contains(term.String(), "procs 3") {
		t.Fatalf("status not drawn: %q", term.String())
	}
	term.Reset()

	// A partial line: the status is erased and not redrawn after it.
	out.Write([]byte("compiling"))
	if got, want := term.String(), "\r\x1b[Kcompiling"; got != want {
		t.Errorf("after a partial line the terminal got %q, want %q", got, want)
	}
	term.Reset()
	s.last = time.Time{}
	s.update(capture.Sample{TimelineRow: format.TimelineRow{T: 2, Processes: 4}})
	if term.Len() != 0 {
		t.Errorf("status drawn in the middle of the command's line: %q", term.String())
	}

	// The line ends: the status comes back under it.
	out.Write([]byte(" done\n"))
	if got := term.String(); !strings.HasPrefix(got, " done\n") || !strings.Contains(got, "procs 4") {
		t.Errorf("after a complete line the terminal got %q, want the line then the status", got)
	}
	term.Reset()
	s.stop()
	if got := term.String(); got != "\r\x1b[K" {
		t.Errorf("stop wrote %q, want the line erased", got)
	}
}

func TestStatusLineFitsTheTerminal(t *testing.T) {
	var term bytes.Buffer
	s := newStatusLine(&term, 20)
	s.update(capture.Sample{TimelineRow: format.TimelineRow{T: 100, TreeCPUPercent: 150, TreeRSS: 1 << 30, Processes: 120}})
	if n := len(strings.TrimPrefix(term.String(), "\r\x1b[K")); n > 19 {
		t.Errorf("status is %d columns on a 20-column terminal", n)
	}
}
