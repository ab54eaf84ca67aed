package redact

import (
	"fmt"
	"regexp"
	"regexp/syntax"
)

// Placeholder replaces every secret perfcap hides.
const Placeholder = "[redacted]"

var placeholder = []byte(Placeholder)

// Redactor hides secrets in what perfcap records. It holds no state between
// calls and is safe for concurrent use; each writer from NewWriter has its
// own.
type Redactor struct {
	user []userPattern
}

// userPattern is a --redact regexp. Its matches are replaced whole, one line
// at a time. lineFree patterns have no anchors or word boundaries, so a
// line can match only if the text around it does, and one search over a
// whole block can rule every line of it out.
type userPattern struct {
	re       *regexp.Regexp
	lineFree bool
}

// apply returns s with the pattern's non-empty matches replaced, or s
// itself if there are none.
func (p userPattern) apply(s []byte) []byte {
	ms := p.re.FindAllIndex(s, -1)
	if ms == nil {
		return s
	}
	out := make([]byte, 0, len(s))
	last := 0
	for _, m := range ms {
		if m[0] == m[1] {
			continue
		}
		out = append(append(out, s[last:m[0]]...), Placeholder...)
		last = m[1]
	}
	return append(out, s[last:]...)
}

// New returns a Redactor with the built-in rules and the user's extra
// regular expressions (from --redact), whose matches are hidden too. A
// pattern that does not compile, or that matches the empty string, is an
// error naming it.
func New(extra []string) (*Redactor, error) {
	r := &Redactor{}
	for _, p := range extra {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("redact: pattern %q: %w", p, err)
		}
		if re.MatchString("") {
			return nil, fmt.Errorf("redact: pattern %q matches the empty string; it must match the secret itself", p)
		}
		r.user = append(r.user, userPattern{re: re, lineFree: isLineFree(p)})
	}
	return r, nil
}

// isLineFree reports whether the pattern has no empty-width assertion
// (^ $ \A \z \b \B), the only parts that behave differently at the edge
// of a line than inside a larger text.
func isLineFree(pattern string) bool {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return false
	}
	var free func(*syntax.Regexp) bool
	free = func(re *syntax.Regexp) bool {
		switch re.Op {
		case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
			syntax.OpWordBoundary, syntax.OpNoWordBoundary:
			return false
		}
		for _, sub := range re.Sub {
			if !free(sub) {
				return false
			}
		}
		return true
	}
	return free(re)
}

// String returns s with its secrets replaced by Placeholder. It works line
// by line exactly as a writer from NewWriter does, so a private key block
// that starts in s is hidden up to its END marker.
func (r *Redactor) String(s string) string {
	var st state
	out, _ := r.process(nil, []byte(s), true, &st)
	return string(out)
}

// state is what redaction carries from one line to the next.
type state struct {
	inKey    bool // inside a private key block
	keyLines int  // lines seen since its BEGIN marker
}

// Line pieces: a line longer than maxLine is redacted in pieces. A piece
// ends after the last separator in the final cutWindow bytes of its first
// maxLine bytes (or at maxLine if there is none), so that a token shorter
// than cutWindow is never split. Only the line's own bytes choose the cut,
// which keeps String and the writer identical.
const (
	maxLine   = 64 << 10
	cutWindow = 1 << 10
)

// process appends the redaction of the lines at the front of data to dst
// and returns how many bytes of data it consumed. A trailing piece with no
// terminator is consumed only when final, or when it is too long to wait
// for one.
func (r *Redactor) process(dst, data []byte, final bool, st *state) ([]byte, int) {
	user := r.activeUser(data)
	pos := 0
	for pos < len(data) {
		rest := data[pos:]
		lim := rest
		if len(lim) > maxLine+1 {
			lim = lim[:maxLine+1]
		}
		end, mask := scanLine(lim)
		switch {
		case end < len(lim):
			dst = r.redactLine(dst, rest[:end], mask, user, st)
			dst = append(dst, rest[end])
			pos += end + 1
		case end > maxLine:
			cut := cutPoint(rest[:maxLine])
			_, mask = scanLine(rest[:cut])
			dst = r.redactLine(dst, rest[:cut], mask, user, st)
			pos += cut
		case final:
			dst = r.redactLine(dst, rest, mask, user, st)
			pos = len(data)
		default:
			return dst, pos
		}
	}
	return dst, pos
}

// cutPoint returns where a piece of an over-long line ends (see maxLine).
func cutPoint(b []byte) int {
	for i := len(b) - 1; i >= len(b)-cutWindow && i >= 0; i-- {
		switch b[i] {
		case ' ', '\t', ',', ';', '"', '\'', '`', '<', '>', '(', ')', '[', ']', '{', '}', '|', '&':
			return i + 1
		}
	}
	return len(b)
}

// activeUser returns the user patterns that may match a line of data:
// a line-free pattern that finds nothing in the whole block is skipped.
func (r *Redactor) activeUser(data []byte) []userPattern {
	if len(r.user) == 0 {
		return nil
	}
	active := make([]userPattern, 0, len(r.user))
	for _, p := range r.user {
		if !p.lineFree || p.re.Match(data) {
			active = append(active, p)
		}
	}
	return active
}

// redactLine appends the redaction of one line (without its terminator).
// mask holds the trigger bits of the whole line, a superset for any part of
// it.
func (r *Redactor) redactLine(dst, line []byte, mask uint32, user []userPattern, st *state) []byte {
	if st.inKey {
		st.keyLines++
		if st.keyLines > maxKeyLines {
			st.inKey = false
		} else {
			e := findKeyEnd(line)
			if e == nil {
				return appendKeyBody(dst, line)
			}
			dst = appendKeyBody(dst, line[:e[0]])
			dst = append(dst, line[e[0]:e[1]]...)
			line = line[e[1]:]
			st.inKey = false
		}
	}
	for mask&bitKey != 0 {
		b := keyBeginRe.FindIndex(line)
		if b == nil {
			break
		}
		dst = redactText(dst, line[:b[0]], mask, user)
		dst = append(dst, line[b[0]:b[1]]...)
		line = line[b[1]:]
		e := findKeyEnd(line)
		if e == nil {
			st.inKey, st.keyLines = true, 0
			return appendKeyBody(dst, line)
		}
		dst = appendKeyBody(dst, line[:e[0]])
		dst = append(dst, line[e[0]:e[1]]...)
		line = line[e[1]:]
	}
	return redactText(dst, line, mask, user)
}

// redactText appends the redaction of a piece of one line, outside any
// private key block.
func redactText(dst, s []byte, mask uint32, user []userPattern) []byte {
	for _, p := range user {
		s = p.apply(s)
	}
	if mask&bitHeader != 0 {
		s = headerRule.apply(s)
	}
	if mask&bitName != 0 {
		s = redactNames(s)
	}
	if mask&bitBearer != 0 {
		s = bearerRule.apply(s)
	}
	for _, rule := range shapes {
		if mask&rule.bit != 0 {
			s = rule.apply(s)
		}
	}
	if mask&(bitURL|bitAt) == bitURL|bitAt {
		s = redactURLs(s)
	}
	return append(dst, s...)
}
