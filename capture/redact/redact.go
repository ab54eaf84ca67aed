package redact

import (
	"bytes"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"sync"
)

// Placeholder replaces every secret perfcap hides.
const Placeholder = "[redacted]"

var placeholder = []byte(Placeholder)

// Redactor hides secrets in what perfcap records. It is safe for
// concurrent use; each writer from NewWriter has its own line state.
//
// A Redactor remembers the secrets it has hidden (see learn) and hides
// them, and the 15-byte process names made from them, wherever they appear
// later: a command named like a token is hidden in its argv by the token
// rules, and then in the process names of processes.csv, folded stacks and
// flamegraphs, which no rule could recognise as a token by themselves.
type Redactor struct {
	user []userPattern

	mu    sync.RWMutex
	known [][]byte // secrets hidden so far, longest first; copy on write
}

// maxKnown bounds the secrets a Redactor remembers.
const maxKnown = 256

// minKnown is the shortest secret remembered: shorter hidden values
// (passwords of URL examples, "x") would hide ordinary text.
const minKnown = 8

// commLen is how much of a program's name the kernel keeps as its process
// name (TASK_COMM_LEN - 1).
const commLen = 15

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
	r.mu.RLock()
	known := r.known
	r.mu.RUnlock()
	line := func(dst, l []byte, mask uint32) []byte {
		start := len(dst)
		dst = r.redactLine(dst, l, mask, user, st)
		if out := dst[start:]; !bytes.Equal(out, l) {
			r.learn(l, out)
		}
		if len(known) > 0 {
			dst = append(dst[:start], hideKnown(dst[start:], known)...)
		}
		return dst
	}
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
			dst = line(dst, rest[:end], mask)
			dst = append(dst, rest[end])
			pos += end + 1
		case end > maxLine:
			cut := cutPoint(rest[:maxLine])
			_, mask = scanLine(rest[:cut])
			dst = line(dst, rest[:cut], mask)
			pos += cut
		case final:
			dst = line(dst, rest, mask)
			pos = len(data)
		default:
			return dst, pos
		}
	}
	return dst, pos
}

// cutPoint returns where a piece of an over-long line ends (see maxLine).
// Without a separator in the window, the piece ends before the last place
// a trigger starts (or might, cut short by the end of b), so that a token
// glued to the text before it is not split either.
func cutPoint(b []byte) int {
	lo := max(len(b)-cutWindow, 0)
	for i := len(b) - 1; i >= lo; i-- {
		switch b[i] {
		case ' ', '\t', ',', ';', '"', '\'', '`', '<', '>', '(', ')', '[', ']', '{', '}', '|', '&':
			return i + 1
		}
	}
	for i := len(b) - 1; i > lo; i-- {
		if tables.maybe(b[i:]) && tables.match(b[i:]) != 0 {
			return i
		}
	}
	// A trigger cut short by the end: the earliest such start keeps the
	// longest beginning together (no trigger is longer than 16 bytes).
	for i := max(lo+1, len(b)-16); i < len(b); i++ {
		if tables.couldStart(b[i:]) {
			return i
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

// learn remembers the secrets a line lost on its way from in to out: the
// text in in where out has a Placeholder, found by matching the text
// around each placeholder. Secrets of at least minKnown bytes are kept,
// with their first commLen bytes (a process name made from them).
func (r *Redactor) learn(in, out []byte) {
	var found [][]byte
	i := 0
	for {
		k := bytes.Index(out, []byte(Placeholder))
		if k < 0 || !bytes.HasPrefix(in[i:], out[:k]) {
			break
		}
		i += k
		out = out[k+len(Placeholder):]
		next := out
		if n := bytes.Index(out, []byte(Placeholder)); n >= 0 {
			next = out[:n]
		}
		j := len(in)
		if len(next) > 0 {
			n := bytes.Index(in[i:], next)
			if n < 0 {
				break
			}
			j = i + n
		}
		if secret := in[i:j]; len(secret) >= minKnown && bytes.IndexAny(secret, "\n\r") < 0 {
			found = append(found, secret)
			if len(secret) > commLen {
				found = append(found, secret[:commLen])
			}
		}
		i = j
	}
	if len(found) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	known := r.known
	for _, f := range found {
		dup := false
		for _, k := range known {
			if bytes.Equal(k, f) {
				dup = true
				break
			}
		}
		if !dup && len(known) < maxKnown {
			known = append(known[:len(known):len(known)], bytes.Clone(f))
		}
	}
	slices.SortStableFunc(known, func(a, b []byte) int { return len(b) - len(a) })
	r.known = known
}

// hideKnown replaces every remembered secret in s, longest first.
func hideKnown(s []byte, known [][]byte) []byte {
	for _, k := range known {
		if bytes.Contains(s, k) {
			s = bytes.ReplaceAll(s, k, []byte(Placeholder))
		}
	}
	return s
}
