package flame

import "bytes"

// The script's patterns, matched by hand so that folding keeps its speed.
// Each function gives the captures Perl gives, byte for byte: Perl reads
// the text as bytes, where \s is [\t\n\v\f\r ], \w and \d are ASCII, and
// "." is any byte but "\n" (lines hold none). FuzzScriptReader checks them
// against the patterns themselves, run by Go's regexp, whose leftmost-first
// matching gives the same captures as Perl's backtracking.

// perlSpace reports Perl's \s on a byte string.
func perlSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func perlDigit(c byte) bool { return '0' <= c && c <= '9' }

func perlWord(c byte) bool {
	return perlDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// scHeader matches the record header pattern
//
//	/^(\S.+?)\s+(\d+)\/*(\d+)*\s+/
//
// giving comm, pid and tid (empty when absent). The lazy comm ends at the
// first run of spaces followed by "digits[/[digits]] ".
func scHeader(line []byte) (comm, pid, tid []byte, ok bool) {
	if len(line) < 2 || perlSpace(line[0]) {
		return nil, nil, nil, false
	}
	for i := 1; i < len(line); {
		if !perlSpace(line[i]) {
			i++
			continue
		}
		// A run of spaces [i, r): every comm ending in it leads to the
		// same digits, so only the shortest (at least 2 bytes) is tried.
		r := i
		for r < len(line) && perlSpace(line[r]) {
			r++
		}
		if e := max(i, 2); e < r {
			s := r
			for s < len(line) && perlDigit(line[s]) {
				s++
			}
			t := s
			for t < len(line) && line[t] == '/' {
				t++
			}
			u := t
			for u < len(line) && perlDigit(line[u]) {
				u++
			}
			if s > r && u < len(line) && perlSpace(line[u]) {
				return line[:e], line[r:s], line[t:u], true
			}
		}
		i = r
	}
	return nil, nil, nil, false
}

// scEvent matches the event pattern
//
//	/:\s*(\d+)*\s+(\S+):\s*$/
//
// giving the period (empty when absent) and the event: the last word,
// ending in ':', preceded by "time: " or "time: period ".
func scEvent(line []byte) (period, event []byte, ok bool) {
	end := len(line)
	for end > 0 && perlSpace(line[end-1]) {
		end--
	}
	if end < 2 || line[end-1] != ':' {
		return nil, nil, false
	}
	ts := end - 1
	for ts > 0 && !perlSpace(line[ts-1]) {
		ts--
	}
	if ts == end-1 {
		return nil, nil, false
	}
	w := ts
	for w > 0 && perlSpace(line[w-1]) {
		w--
	}
	if w == ts || w == 0 {
		return nil, nil, false
	}
	switch c := line[w-1]; {
	case c == ':':
		return nil, line[ts : end-1], true
	case perlDigit(c):
		d := w - 1
		for d > 0 && perlDigit(line[d-1]) {
			d--
		}
		v := d
		for v > 0 && perlSpace(line[v-1]) {
			v--
		}
		if v > 0 && line[v-1] == ':' {
			return line[d:w], line[ts : end-1], true
		}
	}
	return nil, nil, false
}

// scFrame matches the stack line pattern
//
//	/^\s*(\w+)\s*(.+) \((.*)\)/
//
// giving the address, the symbol and the DSO. The greedy symbol ends at
// the last " (" with a ')' after it, and the DSO runs to the last ')'. When
// that leaves the symbol empty, Perl backtracks into the address and the
// spaces after it: the symbol starts one byte before that " (", at most.
func scFrame(line []byte) (pc, sym, dso []byte, ok bool) {
	a := 0
	for a < len(line) && perlSpace(line[a]) {
		a++
	}
	b := a
	for b < len(line) && perlWord(line[b]) {
		b++
	}
	if b == a {
		return nil, nil, nil, false
	}
	c := b
	for c < len(line) && perlSpace(line[c]) {
		c++
	}
	lp := bytes.LastIndexByte(line, ')')
	q := -1
	for i := lp - 2; i >= 0; i-- {
		if line[i] == ' ' && line[i+1] == '(' {
			q = i
			break
		}
	}
	p := min(c, q-1)
	if q < 0 || p < a+1 {
		return nil, nil, nil, false
	}
	return line[a:min(b, p)], line[p:q], line[q+2 : lp], true
}

// stripPerlOffset is the script's s/\+0x[\da-f]+$//: lower-case hex only,
// and an offset alone leaves an empty name.
func stripPerlOffset(sym []byte) []byte {
	i := bytes.LastIndex(sym, []byte("+0x"))
	if i < 0 || i+3 == len(sym) {
		return sym
	}
	for _, c := range sym[i+3:] {
		if !perlDigit(c) && (c < 'a' || c > 'f') {
			return sym
		}
	}
	return sym[:i]
}

// appendTidy appends one frame as the script names it: an unresolved
// frame after its DSO, ';' made ':', the argument list cut (but not a Go
// method's receiver, nor "(anonymous namespace)"), quotes dropped, Java's
// "L" prefix dropped for the comm "java", and the annotation.
func (c *Collapser) appendTidy(b, fn, pc, dso []byte, inlined bool) []byte {
	start := len(b)
	if string(fn) == "[unknown]" {
		b = append(b, '[')
		if string(dso) != "[unknown]" {
			b = append(b, dso[bytes.LastIndexByte(dso, '/')+1:]...)
		} else {
			b = append(b, "unknown"...)
		}
		if c.opts.Addrs {
			b = append(b, " <"...)
			b = append(b, pc...)
			b = append(b, '>')
		}
		b = append(b, ']')
	} else {
		b = append(b, fn...)
	}
	for i := start; i < len(b); i++ {
		if b[i] == ';' {
			b[i] = ':'
		}
	}
	if !goMethod(b[start:]) {
		if i := argsStart(b[start:]); i >= 0 {
			b = b[:start+i]
		}
	}
	w := start
	for _, ch := range b[start:] {
		if ch != '"' && ch != '\'' {
			b[w] = ch
			w++
		}
	}
	b = b[:w]
	if c.java && len(b) > start && b[start] == 'L' && bytes.IndexByte(b[start:], '/') >= 0 {
		b = append(b[:start], b[start+1:]...)
	}
	switch {
	case inlined:
		if !bytes.Contains(b[start:], []byte("_[i]")) {
			b = append(b, "_[i]"...)
		}
	case c.opts.Kernel && (len(dso) > 0 && dso[0] == '[' || bytes.HasSuffix(dso, []byte("vmlinux"))) && !bytes.Contains(dso, []byte("unknown")):
		b = append(b, "_[k]"...)
	case c.opts.JIT && hasPerfMap(dso):
		if !bytes.Contains(b[start:], []byte("_[j]")) {
			b = append(b, "_[j]"...)
		}
	}
	return b
}

// goMethod is the script's m/\.\(.*\)\./, a Go method such as
// "net/http.(*Client).Do", whose parentheses are kept.
func goMethod(fn []byte) bool {
	i := bytes.Index(fn, []byte(".("))
	return i >= 0 && bytes.LastIndex(fn, []byte(").")) >= i+2
}

// argsStart is where the script's s/\((?!anonymous namespace\)).*// cuts:
// the first '(' that does not open "(anonymous namespace)", or -1.
func argsStart(fn []byte) int {
	for i, ch := range fn {
		if ch == '(' && !bytes.HasPrefix(fn[i:], []byte("(anonymous namespace)")) {
			return i
		}
	}
	return -1
}

// hasPerfMap is the script's m:/tmp/perf-\d+\.map:, anywhere in the DSO.
func hasPerfMap(dso []byte) bool {
	for {
		i := bytes.Index(dso, []byte("/tmp/perf-"))
		if i < 0 {
			return false
		}
		dso = dso[i+len("/tmp/perf-"):]
		n := 0
		for n < len(dso) && perlDigit(dso[n]) {
			n++
		}
		if n > 0 && bytes.HasPrefix(dso[n:], []byte(".map")) {
			return true
		}
	}
}
