package bench

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ConsoleParser reads what `cargo bench` prints: Criterion's report
// lines (0.3 to 0.5) and libtest's "test X ... bench:" lines. It is an
// io.Writer so the command's stdout can be teed into it while it runs;
// partial lines are buffered, lines split at '\n' and '\r', and ANSI
// colour escapes stripped. Memory grows with the number of benchmarks,
// not with the size of the output.
//
// Criterion prints a benchmark as
//
//	fib 20                  time:   [26.029 us 26.251 us 26.505 us]
//	                        thrpt:  [1.2345 Melem/s 1.2400 Melem/s 1.2456 Melem/s]
//	                        change: [−2.2645% −0.4731% +1.3432%] (p = 0.63 > 0.05)
//	                        No change in performance detected.
//	Found 2 outliers among 100 measurements (2.00%)
//	  2 (2.00%) high mild
//
// with an id longer than 23 bytes on a line of its own, and, when a
// throughput is set, the change as "change:" followed by "time: [...]
// (p = ...)" and "thrpt: [...]" lines. Lines after a "time:" line belong
// to that benchmark. The time's point estimate is Criterion's typical
// estimate: the slope when it has one, else the mean (see ReadCriterion);
// its bounds are Criterion's confidence interval (Interval "ci", at the
// level Criterion was told, which its console does not print).
// Throughputs are converted to "elem/s" or "B/s".
//
// A ConsoleParser is not safe for concurrent use: call Results after the
// last Write, or from the goroutine that writes.
type ConsoleParser struct {
	split   lineSplitter
	results []Result
	// cur is the index in results of the benchmark being described, or -1.
	cur int
	// pendingID is the last line that was not recognised: the id of a
	// Criterion benchmark whose name did not fit before "time:".
	pendingID string
}

// NewConsoleParser returns a ConsoleParser; name ("stdout") prefixes the
// positions in warnings and is the Source of the results.
func NewConsoleParser(name string) *ConsoleParser {
	p := &ConsoleParser{cur: -1}
	p.split = lineSplitter{name: name, emit: p.line}
	return p
}

// Write parses p as the next bytes of output; it never fails.
func (p *ConsoleParser) Write(b []byte) (int, error) {
	p.split.write(b)
	return len(b), nil
}

// Close parses a last line that has no newline. Write must not be
// called after Close.
func (p *ConsoleParser) Close() error {
	p.split.flush()
	return nil
}

// Results returns the benchmarks parsed so far, in output order. The
// results share their Change, Throughput and Outliers with the parser,
// which may still fill them in on later writes.
func (p *ConsoleParser) Results() []Result {
	return append([]Result(nil), p.results...)
}

// Warnings returns one line per input that looked like a benchmark
// line but could not be parsed, as "name:line: what was expected".
func (p *ConsoleParser) Warnings() []string {
	return p.split.warn.all()
}

func (p *ConsoleParser) warnf(lineNo int, format string, args ...any) {
	p.split.warn.addf("%s:%d: %s", p.split.name, lineNo, fmt.Sprintf(format, args...))
}

var (
	outliersRe = regexp.MustCompile(`^Found (\d+) outliers among (\d+) measurements`)
	severityRe = regexp.MustCompile(`^(\d+) \([\d.]+%\) (low|high) (mild|severe)$`)
	libtestRe  = regexp.MustCompile(`^test (.+?)\s+\.\.\. bench:\s+([\d,._]+) ns/iter \(\+/- ([\d,._]+)\)(?: = ([\d,._]+) (\S+))?`)
	pValueRe   = regexp.MustCompile(`\(p = ([\d.]+) [<>=]+ [\d.]+\)`)
)

// verdicts maps Criterion's change explanations to Change.Verdict.
var verdicts = map[string]string{
	"No change in performance detected.": "no change",
	"Performance has regressed.":         "regressed",
	"Performance has improved.":          "improved",
	"Change within noise threshold.":     "within noise",
}

func (p *ConsoleParser) line(raw string, lineNo int) {
	s := strings.TrimRight(stripANSI(raw), " \t")
	t := strings.TrimSpace(s)
	if t == "" {
		return
	}
	pending := p.pendingID
	p.pendingID = ""
	switch {
	case strings.HasPrefix(t, "Benchmarking "):
	case strings.HasPrefix(t, "test ") && strings.Contains(t, " bench: "):
		p.libtest(t, lineNo)
	case strings.Contains(s, "time:") && strings.Contains(s, "["):
		p.timeLine(s, pending, lineNo)
	case strings.HasPrefix(t, "thrpt:"):
		p.thrptLine(t, lineNo)
	case strings.HasPrefix(t, "change:"):
		if t != "change:" {
			p.changeLine(strings.TrimPrefix(t, "change:"), lineNo)
		}
	case verdicts[t] != "":
		if r := p.current(); r != nil && r.Change != nil {
			r.Change.Verdict = verdicts[t]
		}
	case strings.HasPrefix(t, "Found "):
		p.outliers(t, lineNo)
	case severityRe.MatchString(t):
		p.severity(t)
	default:
		if s == t {
			p.pendingID = t
		}
	}
}

func (p *ConsoleParser) current() *Result {
	if p.cur < 0 {
		return nil
	}
	return &p.results[p.cur]
}

// bracket returns the fields between the first '[' and the following
// ']' and what follows the ']'.
func bracket(s string) (fields []string, rest string, ok bool) {
	i := strings.IndexByte(s, '[')
	if i < 0 {
		return nil, "", false
	}
	j := strings.IndexByte(s[i:], ']')
	if j < 0 {
		return nil, "", false
	}
	return strings.Fields(s[i+1 : i+j]), s[i+j+1:], true
}

func (p *ConsoleParser) timeLine(s, pending string, lineNo int) {
	k := strings.Index(s, "time:")
	id := strings.TrimSpace(s[:k])
	fields, rest, ok := bracket(s[k:])
	if !ok {
		p.warnf(lineNo, "criterion time line: expected [low estimate high]")
		return
	}
	if len(fields) == 3 && strings.HasSuffix(fields[0], "%") {
		// The time change of a benchmark with a throughput.
		p.setChange(fields, rest, lineNo)
		return
	}
	v, ok := unitTriple(fields, nsPerUnit)
	if !ok {
		p.warnf(lineNo, "criterion time line: expected three times with units ps, ns, µs, ms or s in [...], got %q", strings.Join(fields, " "))
		return
	}
	if id == "" {
		id = pending
	}
	if id == "" {
		p.warnf(lineNo, "criterion time line: expected a benchmark id before \"time:\" or on the line above")
		return
	}
	p.results = append(p.results, Result{
		Tool: "criterion", ID: id,
		Low: v[0], Estimate: v[1], High: v[2], Interval: "ci",
		Source: p.split.name,
	})
	p.cur = len(p.results) - 1
}

// unitTriple parses "a u b u c u" with the units in scale, returning
// the values multiplied by their unit's factor.
func unitTriple(fields []string, scale map[string]float64) ([3]float64, bool) {
	var v [3]float64
	if len(fields) != 6 {
		return v, false
	}
	for i := range v {
		x, err := parseNumber(fields[2*i])
		f, known := scale[fields[2*i+1]]
		if err != nil || !known {
			return v, false
		}
		v[i] = x * f
	}
	return v, true
}

func (p *ConsoleParser) thrptLine(t string, lineNo int) {
	fields, _, ok := bracket(t)
	if !ok {
		p.warnf(lineNo, "criterion thrpt line: expected [low estimate high]")
		return
	}
	if len(fields) == 3 && strings.HasSuffix(fields[0], "%") {
		// The throughput change mirrors the time change; Change keeps the time.
		return
	}
	r := p.current()
	if r == nil {
		p.warnf(lineNo, "criterion thrpt line: expected a time line before it")
		return
	}
	if len(fields) != 6 {
		p.warnf(lineNo, "criterion thrpt line: expected three rates with units in [...], got %q", strings.Join(fields, " "))
		return
	}
	var th Throughput
	for i, dst := range []*float64{&th.Low, &th.Estimate, &th.High} {
		x, err := parseNumber(fields[2*i])
		sc, known := throughputScale[fields[2*i+1]]
		if err != nil || !known || (th.Unit != "" && th.Unit != sc.base) {
			p.warnf(lineNo, "criterion thrpt line: expected a rate in B/s, KiB/s, MB/s, elem/s, Kelem/s... , got %q", fields[2*i]+" "+fields[2*i+1])
			return
		}
		*dst = x * sc.factor
		th.Unit = sc.base
	}
	r.Throughput = &th
}

func (p *ConsoleParser) changeLine(t string, lineNo int) {
	fields, rest, ok := bracket(t)
	if !ok || len(fields) != 3 {
		p.warnf(lineNo, "criterion change line: expected [low%% estimate%% high%%]")
		return
	}
	p.setChange(fields, rest, lineNo)
}

func (p *ConsoleParser) setChange(fields []string, rest string, lineNo int) {
	r := p.current()
	if r == nil {
		p.warnf(lineNo, "criterion change line: expected a time line before it")
		return
	}
	var c Change
	for i, dst := range []*float64{&c.Low, &c.Estimate, &c.High} {
		x, err := parseNumber(strings.TrimSuffix(fields[i], "%"))
		if err != nil || !strings.HasSuffix(fields[i], "%") {
			p.warnf(lineNo, "criterion change line: expected a percentage, got %q", fields[i])
			return
		}
		*dst = x / 100
	}
	if m := pValueRe.FindStringSubmatch(rest); m != nil {
		c.P, _ = strconv.ParseFloat(m[1], 64)
	}
	r.Change = &c
}

func (p *ConsoleParser) outliers(t string, lineNo int) {
	m := outliersRe.FindStringSubmatch(t)
	if m == nil {
		return
	}
	r := p.current()
	if r == nil {
		p.warnf(lineNo, "criterion outliers line: expected a time line before it")
		return
	}
	found, err1 := strconv.Atoi(m[1])
	among, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil {
		p.warnf(lineNo, "criterion outliers line: expected counts that fit an int")
		return
	}
	r.Outliers = &Outliers{Found: found, Among: among}
}

func (p *ConsoleParser) severity(t string) {
	r := p.current()
	if r == nil || r.Outliers == nil {
		return
	}
	m := severityRe.FindStringSubmatch(t)
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return
	}
	o := r.Outliers
	switch m[2] + " " + m[3] {
	case "low severe":
		o.LowSevere = n
	case "low mild":
		o.LowMild = n
	case "high mild":
		o.HighMild = n
	case "high severe":
		o.HighSevere = n
	}
}

// libtest parses "test NAME ... bench: 1,234.50 ns/iter (+/- 56)" with
// an optional " = 123 MB/s"; Low and High are the estimate minus and
// plus the deviation.
func (p *ConsoleParser) libtest(t string, lineNo int) {
	m := libtestRe.FindStringSubmatch(t)
	if m == nil {
		p.warnf(lineNo, "libtest bench line: expected \"test NAME ... bench: N ns/iter (+/- D)\"")
		return
	}
	est, err1 := parseNumber(m[2])
	dev, err2 := parseNumber(m[3])
	if err1 != nil || err2 != nil {
		p.warnf(lineNo, "libtest bench line: expected numbers for ns/iter and +/-, got %q and %q", m[2], m[3])
		return
	}
	r := Result{
		Tool: "libtest", ID: m[1],
		Estimate: est, Low: est - dev, High: est + dev, Interval: "deviation",
		Source: p.split.name,
	}
	if m[4] != "" {
		rate, err := parseNumber(m[4])
		if err != nil {
			p.warnf(lineNo, "libtest bench line: expected a number before %q, got %q", m[5], m[4])
			return
		}
		r.Throughput = &Throughput{Low: rate, Estimate: rate, High: rate, Unit: m[5]}
	}
	p.results = append(p.results, r)
	// Criterion lines never follow a libtest line for the same benchmark.
	p.cur = -1
}
