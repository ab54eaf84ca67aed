package bench

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// MaxLineLen is the longest output line the streaming parsers keep; a
// longer line is dropped with a warning so memory stays bounded whatever
// the command prints.
const MaxLineLen = 64 << 10

// maxWarnings bounds the warnings a parser keeps; the rest are counted.
const maxWarnings = 100

// lineSplitter cuts a byte stream into lines at '\n' and '\r' (terminals
// get '\r'-separated progress) and hands each line, with its 1-based
// number counted in '\n's, to emit. It keeps at most MaxLineLen bytes.
type lineSplitter struct {
	name    string
	emit    func(line string, lineNo int)
	buf     []byte
	line    int // number of the line being buffered, 1-based
	tooLong bool
	warn    warnings
}

func (s *lineSplitter) write(p []byte) {
	if s.line == 0 {
		s.line = 1
	}
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			s.add(p)
			return
		}
		s.add(p[:i])
		s.flush()
		if p[i] == '\n' {
			s.line++
		}
		p = p[i+1:]
	}
}

func (s *lineSplitter) add(p []byte) {
	if s.tooLong {
		return
	}
	if len(s.buf)+len(p) > MaxLineLen {
		s.tooLong = true
		s.buf = s.buf[:0]
		s.warn.addf("%s:%d: line longer than %d bytes dropped", s.name, s.line, MaxLineLen)
		return
	}
	s.buf = append(s.buf, p...)
}

func (s *lineSplitter) flush() {
	if !s.tooLong && len(s.buf) > 0 {
		s.emit(string(s.buf), s.line)
	}
	s.buf = s.buf[:0]
	s.tooLong = false
}

// warnings keeps the first maxWarnings messages and counts the others.
type warnings struct {
	list    []string
	dropped int
}

func (w *warnings) addf(format string, args ...any) {
	if len(w.list) >= maxWarnings {
		w.dropped++
		return
	}
	w.list = append(w.list, fmt.Sprintf(format, args...))
}

func (w *warnings) all() []string {
	out := append([]string(nil), w.list...)
	if w.dropped > 0 {
		out = append(out, fmt.Sprintf("%d more warnings not shown", w.dropped))
	}
	return out
}

// stripANSI removes terminal escape sequences: CSI sequences (ESC '['
// parameters, final byte 0x40-0x7E), OSC sequences ended by BEL or ESC
// '\', character set designations (ESC '(' B) and other two-byte escapes.
func stripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != 0x1b {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			break
		}
		switch s[i+1] {
		case '[':
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
		case ']':
			j := i + 2
			for j < len(s) && s[j] != 0x07 && !(s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\') {
				j++
			}
			if j < len(s) && s[j] == 0x1b {
				j++
			}
			i = j
		case '(', ')', '*', '+':
			i += 2 // character set designation, as tput sgr0 prints
		default:
			i++
		}
	}
	return b.String()
}

// parseNumber parses a decimal number that may carry thousands
// separators (',' or '_'), a leading '+' and a U+2212 MINUS SIGN.
// A ',' is always taken as a thousands separator, never as a decimal comma.
func parseNumber(s string) (float64, error) {
	s = strings.Replace(s, "\u2212", "-", 1)
	if strings.ContainsAny(s, ",_") {
		s = strings.NewReplacer(",", "", "_", "").Replace(s)
	}
	if s == "" || strings.ContainsAny(s, "xXpPiInN") {
		// Refuse hex floats, Inf and NaN: no benchmark tool prints them.
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	return v, nil
}

// nsPerUnit gives the nanoseconds in one of the time units Criterion
// prints; "µs" comes as U+00B5 or U+03BC.
var nsPerUnit = map[string]float64{
	"ps": 1e-3,
	"ns": 1,
	"us": 1e3, "\u00b5s": 1e3, "\u03bcs": 1e3,
	"ms": 1e6,
	"s":  1e9,
}

// throughputScale maps the throughput units Criterion prints to a base
// unit and its factor, so console and file results use the same unit.
var throughputScale = map[string]struct {
	base   string
	factor float64
}{
	"B/s": {"B/s", 1}, "KiB/s": {"B/s", 1 << 10}, "MiB/s": {"B/s", 1 << 20}, "GiB/s": {"B/s", 1 << 30},
	"KB/s": {"B/s", 1e3}, "MB/s": {"B/s", 1e6}, "GB/s": {"B/s", 1e9},
	"elem/s": {"elem/s", 1}, "Kelem/s": {"elem/s", 1e3}, "Melem/s": {"elem/s", 1e6}, "Gelem/s": {"elem/s", 1e9},
}
