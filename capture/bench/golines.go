package bench

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode"
	"unicode/utf8"
)

// goLines is the reader benchfmt reads: r with every line that is not a
// benchmark result, a unit line or a configuration line ("pkg: x") of the
// Go benchmark format as Go's testing package writes them blanked (kept as an empty line, so positions stay right). benchfmt
// takes any line that starts with "Benchmark" for a result and reports a
// syntax error when it is not one, which other tools print all the time:
//
//	Benchmarking interpret 10k: Warming up for 3.0000 s     (Criterion)
//	BenchmarkStyle          time:   [161.68 ns 173.00 ns 184.39 ns]  (Criterion)
//	Benchmark 1: sleep 0.1                                   (hyperfine)
//	Unit tests passed: 12                                    (anything)
//
// Lines longer than MaxLineLen are blanked too (bufio.Scanner would stop
// the whole file at them), with a warning when they look like a result.
type goLines struct {
	name    string
	br      *bufio.Reader
	pending []byte
	line    int
	warn    warnings
	err     error
}

func newGoLines(r io.Reader, name string) *goLines {
	return &goLines{name: name, br: bufio.NewReaderSize(r, 64<<10)}
}

func (g *goLines) Read(p []byte) (int, error) {
	for len(g.pending) == 0 {
		if g.err != nil {
			return 0, g.err
		}
		g.next()
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	return n, nil
}

// next reads one line into pending, blanked unless it is a Go line.
func (g *goLines) next() {
	var line []byte
	tooLong := false
	for {
		chunk, err := g.br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > MaxLineLen {
				tooLong = true
				if isGoResultLine(append(line, chunk...)) {
					g.warn.addf("%s:%d: line longer than %d bytes not read", g.name, g.line+1, MaxLineLen)
				}
				line = nil
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			g.err = err
		}
		break
	}
	if len(line) == 0 && !tooLong {
		return // end of input
	}
	g.line++
	switch {
	case tooLong:
		g.pending = []byte("\n")
	case isGoResultLine(line) || isGoUnitLine(line) || isGoConfigLine(line):
		g.pending = line
		if line[len(line)-1] != '\n' {
			g.pending = append(g.pending, '\n')
		}
	default:
		g.pending = []byte("\n")
	}
}

var tab = []byte{'\t'}

// isGoResultLine reports whether line has the shape of a Go benchmark
// result: "Benchmark", a name whose first rune is not lower case (the
// testing package's rule for benchmark functions, which rules out
// "Benchmarking ..."), then either an iteration count or the tab Go's
// testing prints after the padded name (a result line garbled by the
// benchmark's own output still warns). A Criterion time line is not one,
// whatever its id.
func isGoResultLine(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("Benchmark"))
	if !ok {
		return false
	}
	if r, _ := utf8.DecodeRune(rest); unicode.IsLower(r) {
		return false
	}
	if bytes.Contains(line, []byte("time:")) && bytes.Contains(line, []byte("[")) {
		return false
	}
	// The name ends at the first white space; rest is what follows it.
	name := rest
	if i := bytes.IndexFunc(rest, unicode.IsSpace); i >= 0 {
		name, rest = rest[:i], rest[i:]
	} else {
		rest = nil
	}
	fields := bytes.Fields(rest)
	switch {
	case len(fields) == 0:
		return len(name) > 0 // "BenchmarkFoo" alone, as go test -v prints it: benchfmt skips it
	case isDigits(fields[0]):
		return true
	}
	// Go pads the name with spaces and then writes a tab.
	return len(name) > 0 && bytes.HasPrefix(bytes.TrimLeft(rest, " "), tab)
}

// isGoUnitLine reports whether line is a unit metadata line of the
// benchmark format: "Unit UNIT key=value...".
func isGoUnitLine(line []byte) bool {
	fields := bytes.Fields(line)
	if len(fields) < 3 || string(fields[0]) != "Unit" {
		return false
	}
	for _, f := range fields[2:] {
		if bytes.IndexByte(f, '=') <= 0 {
			return false
		}
	}
	return true
}

// isGoConfigLine reports whether line is a configuration line of the
// benchmark format, "key: value" with a lower-case key free of spaces and
// upper case, as benchfmt reads it.
func isGoConfigLine(line []byte) bool {
	line = bytes.TrimRight(line, "\r\n")
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	if r, _ := utf8.DecodeRune(line); !unicode.IsLower(r) {
		return false
	}
	if bytes.ContainsFunc(line[:i], func(r rune) bool { return unicode.IsSpace(r) || unicode.IsUpper(r) }) {
		return false
	}
	return i == len(line)-1 || line[i+1] == ' ' || line[i+1] == '\t'
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}
