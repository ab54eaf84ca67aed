// Package iostreams is the one value through which perfcap talks to its
// terminal: the standard streams, whether each is a terminal, and colour
// preferences. Commands never touch os.Stdout directly, so tests run them
// over buffers.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams holds perfcap's standard streams.
type IOStreams struct {
	In     *os.File // nil in tests: the command then reads /dev/null
	Out    io.Writer
	ErrOut io.Writer

	// OutTTY and ErrTTY are the terminals behind Out and ErrOut, nil when
	// those are not terminals.
	OutTTY, ErrTTY *os.File
	// NoColor is set when NO_COLOR asks for plain output.
	NoColor bool
}

// System returns the process's real streams.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	if term.IsTerminal(int(os.Stdout.Fd())) {
		s.OutTTY = os.Stdout
	}
	if term.IsTerminal(int(os.Stderr.Fd())) {
		s.ErrTTY = os.Stderr
	}
	_, s.NoColor = os.LookupEnv("NO_COLOR")
	return s
}

// Test returns streams over buffers, none a terminal.
func Test() (s *IOStreams, stdout, stderr *bytes.Buffer) {
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	return &IOStreams{Out: stdout, ErrOut: stderr}, stdout, stderr
}

// ErrWidth is the width of the terminal behind ErrOut, 80 when unknown.
func (s *IOStreams) ErrWidth() int {
	if s.ErrTTY == nil {
		return 80
	}
	w, _, err := term.GetSize(int(s.ErrTTY.Fd()))
	if err != nil || w <= 0 {
		return 80
	}
	return w
}
