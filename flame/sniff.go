package flame

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Input is a kind of profile `perfcap flame` reads.
type Input int

// The inputs DetectInput tells apart.
const (
	InputPerfData Input = iota + 1 // perf.data, which `perf script` reads
	InputScript                    // the text `perf script` prints
	InputFolded                    // folded stacks, "frame;...;frame COUNT"
	InputPprof                     // a gzipped pprof profile
)

// ErrNotProfile means that an input is none of the kinds of profile
// DetectInput knows.
var ErrNotProfile = errors.New("flame: not a profile")

// SniffSize is how much of the input DetectInput looks at, at most.
const SniffSize = 64 << 10

// notProfile lists what an input was checked for, for the error.
const notProfile = "not perf.data (no PERFILE2 header), not a gzipped pprof profile, not perf script text nor folded stacks"

// DetectInput tells what kind of profile begins with head: the first
// SniffSize bytes of the input, or all of a shorter one. perf.data and a
// gzipped pprof profile are told by their magic bytes; text must be UTF-8
// without NUL or other control characters, and its first line that is
// not blank or a "#" comment must be a folded stack or the header of a
// perf script record. Anything else is refused with an error wrapping
// [ErrNotProfile] that says, on one line, what the input is not and why.
// Empty text is InputScript, whose reader reports it as [ErrEmpty].
func DetectInput(head []byte) (Input, error) {
	switch {
	case bytes.HasPrefix(head, []byte("PERFILE2")):
		return InputPerfData, nil
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return InputPprof, nil
	}
	if off, what, ok := binaryAt(head); ok {
		return 0, fmt.Errorf("%w: %s: binary data (%s at byte %d)", ErrNotProfile, notProfile, what, off)
	}
	line, n := firstRecordLine(head)
	switch {
	case line == nil:
		return InputScript, nil
	case isFoldedLine(line):
		return InputFolded, nil
	case isScriptHeader(line):
		return InputScript, nil
	}
	return 0, fmt.Errorf("%w: %s: line %d, %q, is neither a perf script record header (\"comm tid time: period event:\") nor a folded stack (\"frame;...;frame COUNT\")",
		ErrNotProfile, notProfile, n, sniffClip(line))
}

// binaryAt finds the first byte that text never holds: NUL, a control
// character other than tab, newline, carriage return and form feed, or
// invalid UTF-8 (a rune cut by the end of head excepted).
func binaryAt(head []byte) (off int, what string, ok bool) {
	for i := 0; i < len(head); {
		c := head[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f {
				return i, fmt.Sprintf("control byte %#02x", c), true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && n == 1 {
			if len(head)-i < utf8.UTFMax && len(head) == SniffSize && !utf8.FullRune(head[i:]) {
				break
			}
			return i, fmt.Sprintf("invalid UTF-8 byte %#02x", c), true
		}
		i += n
	}
	return 0, "", false
}

// firstRecordLine returns the first line of head that is neither blank
// nor a comment, without its line ending, and its number; nil if there is
// none.
func firstRecordLine(head []byte) ([]byte, int) {
	for n := 1; len(head) > 0; n++ {
		line, rest, _ := bytes.Cut(head, []byte("\n"))
		head = rest
		line = bytes.TrimRight(line, "\r")
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			return line, n
		}
	}
	return nil, 0
}

// isFoldedLine reports whether line reads as a folded stack: frames, a
// space and a count.
func isFoldedLine(line []byte) bool {
	line = bytes.TrimRight(line, " \t")
	i := bytes.LastIndexByte(line, ' ')
	if i <= 0 || i == len(line)-1 {
		return false
	}
	return allDigits(line[i+1:]) && len(bytes.TrimSpace(line[:i])) > 0
}

// isScriptHeader reports whether line reads as the header of a perf
// script record, "comm [pid/]tid [[cpu]] [time:] [period] event:": an
// event field after the first, and before it a thread id or a time.
func isScriptHeader(line []byte) bool {
	fields := bytes.Fields(line)
	event := -1
	for i := 1; i < len(fields); i++ {
		if f := fields[i]; len(f) > 1 && f[len(f)-1] == ':' && !sniffTime(f) {
			event = i
			break
		}
	}
	if event < 0 {
		return false
	}
	for _, f := range fields[:event] {
		if sniffTime(f) || sniffThread(f) {
			return true
		}
	}
	return false
}

// sniffTime reports whether f is a perf timestamp, "8450.732255:".
func sniffTime(f []byte) bool {
	if len(f) < 2 || f[len(f)-1] != ':' {
		return false
	}
	sec, frac, ok := bytes.Cut(f[:len(f)-1], []byte("."))
	return ok && allDigits(sec) && allDigits(frac)
}

// sniffThread reports whether f is a thread id or "pid/tid".
func sniffThread(f []byte) bool {
	pid, tid, found := bytes.Cut(f, []byte("/"))
	return allDigits(pid) && (!found || allDigits(tid))
}

// allDigits reports whether b is a decimal number.
func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// sniffClip is the start of a line, for an error message.
func sniffClip(line []byte) string {
	const n = 60
	if len(line) <= n {
		return string(line)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(line[cut]) {
		cut--
	}
	return string(line[:cut]) + "..."
}
