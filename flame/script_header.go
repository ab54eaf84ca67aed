package flame

import (
	"bytes"
	"strconv"
)

// maxHeaderFields bounds the fields of a record header read before its
// event: a comm is at most 15 bytes, so it never needs more than a few.
const maxHeaderFields = 32

// headerFields splits a header into its space-separated fields up to and
// including the event, the first field after the first that ends in ':' and
// is not a time. It returns the number of fields and the event's index, or
// -1 when there is none.
func headerFields(line []byte, f *[maxHeaderFields][2]int) (n, event int) {
	i := 0
	for i < len(line) && n < maxHeaderFields {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			break
		}
		start := i
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		f[n] = [2]int{start, i}
		n++
		tok := line[start:i]
		if n > 1 && tok[len(tok)-1] == ':' && len(tok) > 1 && !isTime(tok) {
			return n, n - 1
		}
	}
	return n, -1
}

// looksLikeHeader reports whether an indented line is a record header
// rather than a stack frame.
func looksLikeHeader(line []byte) bool {
	var f [maxHeaderFields][2]int
	_, e := headerFields(line, &f)
	return e > 0
}

// header starts a record from its header line:
//
//	comm [pid/]tid [[cpu]] [time:] [period] event[:modifiers]: [ip sym (dso)]
//
// The fields before the event are recognised from the right, each by its
// shape, so that a comm may hold spaces and any field but the event may be
// missing, as `perf script -F` allows.
func (r *ScriptReader) header(line []byte) {
	r.inRecord, r.bad, r.oneLine = true, false, false
	s := &r.sample
	*s = Sample{PID: -1, TID: -1, Frames: s.Frames[:0]}

	var f [maxHeaderFields][2]int
	_, e := headerFields(line, &f)
	if e < 0 {
		r.reject(`record header "comm tid time: event:", found no "event:" field`)
		return
	}
	tok := func(i int) []byte { return line[f[i][0]:f[i][1]] }

	j := e - 1
	var period uint64
	hasPeriod := false
	if j >= 0 {
		if v, ok := parseUint(tok(j)); ok {
			period, hasPeriod = v, true
			j--
		}
	}
	if j >= 0 && isTime(tok(j)) {
		s.Time = parseTime(tok(j))
		j--
	}
	if t := tok(max(j, 0)); j >= 0 && len(t) > 2 && t[0] == '[' && t[len(t)-1] == ']' {
		if _, ok := parseUint(t[1 : len(t)-1]); ok {
			j--
		}
	}
	if j >= 0 {
		if pid, tid, ok := parsePIDTID(tok(j)); ok {
			s.PID, s.TID = pid, tid
			j--
		}
	}
	if s.TID < 0 && hasPeriod {
		// "comm 1234 cycles:": one number before the event is the thread,
		// as in perf's default layout without a time.
		s.TID, period = int(min(period, 1<<31)), 0
	}
	s.Period = period
	if j >= 0 {
		s.Comm = r.internBytes(line[f[0][0]:f[j][1]])
	}
	s.Event = r.internBytes(eventName(tok(e)))

	// Without a call chain perf prints the sampled ip on the header line.
	rest := trimSpace(line[f[e][1]:])
	if len(rest) > 0 {
		if fr, ok := r.parseFrame(rest); ok {
			s.Frames = append(s.Frames, fr)
			r.oneLine = true
		}
	}
}

// eventName strips the trailing ':' and perf's modifiers ("cpu-clock:ppp:"
// gives "cpu-clock", "cycles:u:" gives "cycles") but keeps a tracepoint's
// subsystem ("sched:sched_switch:").
func eventName(tok []byte) []byte {
	tok = tok[:len(tok)-1]
	i := bytes.LastIndexByte(tok, ':')
	if i < 0 {
		return tok
	}
	for _, c := range tok[i+1:] {
		if bytes.IndexByte([]byte("ukhHGIpPSDWeb"), c) < 0 {
			return tok
		}
	}
	return tok[:i]
}

// isTime reports a "seconds.fraction:" time field.
func isTime(tok []byte) bool {
	if len(tok) < 4 || tok[len(tok)-1] != ':' {
		return false
	}
	dot := false
	for i, c := range tok[:len(tok)-1] {
		switch {
		case c == '.' && !dot && i > 0 && i < len(tok)-2:
			dot = true
		case c < '0' || c > '9':
			return false
		}
	}
	return dot
}

// parseTime parses a field isTime accepted, without allocating.
func parseTime(tok []byte) float64 {
	tok = tok[:len(tok)-1]
	dot := bytes.IndexByte(tok, '.')
	secs, _ := parseUint(tok[:dot])
	frac, _ := parseUint(tok[dot+1:])
	scale := 1.0
	for range tok[dot+1:] {
		scale *= 10
	}
	return float64(secs) + float64(frac)/scale
}

// parsePIDTID parses "tid" or "pid/tid".
func parsePIDTID(tok []byte) (pid, tid int, ok bool) {
	p, t, slash := bytes.Cut(tok, []byte{'/'})
	if !slash {
		v, ok := parseUint(tok)
		if !ok || v > 1<<31 {
			return 0, 0, false
		}
		return -1, int(v), true
	}
	pv, ok1 := parseUint(p)
	tv, ok2 := parseUint(t)
	if !ok1 || !ok2 || pv > 1<<31 || tv > 1<<31 {
		return 0, 0, false
	}
	return int(pv), int(tv), true
}

// parseUint parses a decimal number without allocating.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		if len(b) > 19 {
			v, err := strconv.ParseUint(string(b), 10, 64)
			return v, err == nil
		}
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}
