// Package alert parses and checks the alert rules of perfcap watch
// (--alert 'rss>2GiB' --alert 'growth>50MiB/h').
//
// A rule is METRIC OP VALUE, with optional spaces between and around them:
//
//	METRIC  rss | pss | uss            a size in bytes
//	        fds | threads | processes  a whole count
//	        cpu                        percent of one core
//	        growth                     a rate of growth of memory
//	OP      >  >=  <  <=
//	VALUE   a SIZE for rss, pss and uss; a whole NUMBER for fds, threads
//	        and processes; CPU for cpu; a RATE for growth
//	SIZE    NUMBER [UNIT]     4096, 512MiB, 2 GiB, 1.5GB
//	UNIT    B KiB MiB GiB TiB (binary), KB MB GB TB (decimal),
//	        K M G T (binary, as du reads them); any case
//	CPU     NUMBER [%]        150 or 150%
//	RATE    SIZE/TIME         50MiB/h, 1GiB/d, 10MiB/min, 100KiB/s
//	TIME    s sec min m h hr hour d day
//
// NUMBER is decimal digits with an optional fraction (1.5); signs,
// exponents, NaN and Inf are refused, and so are thresholds above 10^18 in
// the base unit. Metric and unit names are case
// insensitive. Parse turns a spec into a Rule, which holds its threshold in
// base units (bytes, bytes per second, percent, count); Rule.Check compares
// it with one sample's Values and Rule.Describe words a firing for people.
package alert

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/perfcap/perfcap/internal/units"
)

// Rule is one parsed alert rule.
type Rule struct {
	// Spec is the rule as it was given, for messages.
	Spec string
	// Metric is one of rss, pss, uss, fds, threads, processes, cpu, growth.
	Metric string
	// Op is one of >, >=, <, <=.
	Op string
	// Threshold is in the metric's base unit: bytes for rss, pss and uss,
	// bytes per second for growth, percent of one core for cpu, a count
	// for the rest.
	Threshold float64
}

// Values is one sample of the watched process tree, what rules are checked
// against. Sizes are in bytes, CPUPercent in percent of one core, Growth
// in bytes per second.
type Values struct {
	RSS, PSS, USS float64
	// HavePSS reports that PSS and USS were read (from smaps_rollup); rules
	// on them never fire without it.
	HavePSS                             bool
	FDs, Threads, Processes, CPUPercent float64
	Growth                              float64
	// HaveGrowth reports that Growth is known: a watch needs some history
	// before it can fit a rate. Growth rules never fire without it.
	HaveGrowth bool
}

// metricKind says how a metric's value is written and shown.
type metricKind int

const (
	sizeKind metricKind = iota
	countKind
	percentKind
	rateKind
)

// metric describes one metric a rule may name.
type metric struct {
	name    string
	kind    metricKind
	example string // a valid rule, for errors
}

// metrics lists the metrics in the order errors name them.
var metrics = []metric{
	{"rss", sizeKind, "rss>2GiB"},
	{"pss", sizeKind, "pss>2GiB"},
	{"uss", sizeKind, "uss>1.5GiB"},
	{"fds", countKind, "fds>1000"},
	{"threads", countKind, "threads>500"},
	{"processes", countKind, "processes>64"},
	{"cpu", percentKind, "cpu>150%"},
	{"growth", rateKind, "growth>50MiB/h"},
}

// metricNames is the list errors give for an unknown metric.
func metricNames() string {
	names := make([]string, len(metrics))
	for i, m := range metrics {
		names[i] = m.name
	}
	return strings.Join(names, ", ")
}

// lookupMetric finds the metric called name, case insensitively.
func lookupMetric(name string) (metric, bool) {
	for _, m := range metrics {
		if strings.EqualFold(m.name, name) {
			return m, true
		}
	}
	return metric{}, false
}

// timeUnit is one unit of time a rate may be per.
type timeUnit struct {
	name    string
	seconds float64
}

// timeUnits lists the units of time, the canonical spelling first of its
// length; String tries them in this order.
var timeUnits = []timeUnit{
	{"h", 3600}, {"d", 86400}, {"min", 60}, {"s", 1},
	{"hr", 3600}, {"hour", 3600}, {"day", 86400}, {"m", 60}, {"minute", 60},
	{"sec", 1}, {"second", 1},
}

// canonicalTime maps an accepted time unit to the spelling String writes.
var canonicalTime = map[string]string{
	"h": "h", "hr": "h", "hour": "h", "d": "d", "day": "d",
	"min": "min", "m": "min", "minute": "min", "s": "s", "sec": "s", "second": "s",
}

// ops are the comparisons, longest first so ">=" is not read as ">".
var ops = []string{">=", "<=", ">", "<"}

// Parse parses one --alert spec; see the package comment for the grammar.
// Its errors are one line that quote the spec, say what is wrong and show a
// rule that would work.
func Parse(spec string) (Rule, error) {
	r, _, err := parse(spec)
	return r, err
}

// parse is Parse that also returns the threshold as written, normalized
// ("2GiB", "50MiB/h", "150%"), for String.
func parse(spec string) (Rule, string, error) {
	fail := func(ex, format string, args ...any) (Rule, string, error) {
		return Rule{}, "", fmt.Errorf("--alert %q: %s; try --alert '%s'", spec, fmt.Sprintf(format, args...), ex)
	}
	s := strings.TrimSpace(spec)
	i := strings.IndexFunc(s, func(r rune) bool { return !isLetter(r) })
	if i < 0 {
		i = len(s)
	}
	name := s[:i]
	s = strings.TrimSpace(s[i:])
	if name == "" {
		return fail("rss>2GiB", "want METRIC OP VALUE, with METRIC one of %s", metricNames())
	}
	m, ok := lookupMetric(name)
	if !ok {
		return fail("rss>2GiB", "unknown metric %q; want one of %s", name, metricNames())
	}
	op := ""
	for _, o := range ops {
		if strings.HasPrefix(s, o) {
			op = o
			break
		}
	}
	if op == "" || strings.HasPrefix(s[len(op):], "=") || strings.HasPrefix(s[len(op):], ">") || strings.HasPrefix(s[len(op):], "<") {
		got := s
		if j := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '.' || r >= '0' && r <= '9' }); j >= 0 {
			got = s[:j]
		}
		if got == "" {
			return fail(m.example, "missing comparison after %q; want >, >=, < or <=", m.name)
		}
		return fail(m.example, "unknown comparison %q; want >, >=, < or <=", got)
	}
	val := strings.TrimSpace(s[len(op):])
	if val == "" {
		return fail(m.example, "missing value after %q", m.name+op)
	}
	if val[0] == '-' {
		return fail(m.example, "negative threshold %q; thresholds are 0 or more", val)
	}
	var th float64
	var text string
	switch m.kind {
	case sizeKind:
		n, unit, err := parseSize(val)
		if err != "" {
			return fail(m.example, "%s", err)
		}
		th, text = n*float64(unit.Bytes), formatNumber(n)+unit.Name
	case countKind:
		n, rest := splitNumber(val)
		if rest != "" || n == "" {
			return fail(m.example, "want a whole number of %s, got %q", m.name, val)
		}
		v, err := strconv.ParseFloat(n, 64)
		if err != nil || v != math.Trunc(v) || v > 1<<53 {
			return fail(m.example, "want a whole number of %s, got %q", m.name, val)
		}
		th, text = v, formatNumber(v)
	case percentKind:
		n, rest := splitNumber(val)
		rest = strings.TrimSpace(rest)
		if n == "" || rest != "" && rest != "%" {
			return fail(m.example, "want percent of one core like 150 or 150%%, got %q", val)
		}
		v, err := strconv.ParseFloat(n, 64)
		if err != nil || math.IsInf(v, 0) {
			return fail(m.example, "want percent of one core like 150 or 150%%, got %q", val)
		}
		th, text = v, formatNumber(v)+"%"
	case rateKind:
		size, per, ok := strings.Cut(val, "/")
		if !ok {
			return fail(m.example, "growth is a rate, SIZE per TIME like 50MiB/h or 1GiB/d; got %q", val)
		}
		n, unit, err := parseSize(strings.TrimSpace(size))
		if err != "" {
			return fail(m.example, "%s", err)
		}
		per = strings.ToLower(strings.TrimSpace(per))
		canon, ok := canonicalTime[per]
		if !ok {
			return fail(m.example, "unknown time unit %q; want s, min, h or d", per)
		}
		secs := 0.0
		for _, t := range timeUnits {
			if t.name == canon {
				secs = t.seconds
			}
		}
		th, text = n*float64(unit.Bytes)/secs, formatNumber(n)+unit.Name+"/"+canon
	}
	if math.IsInf(th, 0) || math.IsNaN(th) || th > 1e18 {
		return fail(m.example, "threshold %q is too large", val)
	}
	return Rule{Spec: spec, Metric: m.name, Op: op, Threshold: th}, m.name + op + text, nil
}

// isLetter reports whether r may be part of a metric name.
func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' }

// splitNumber splits s into a leading NUMBER (digits with at most one
// '.') and the rest, which keeps its spaces.
func splitNumber(s string) (num, rest string) {
	dot := false
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' && !dot {
			dot = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
	}
	num = s[:i]
	if strings.Trim(num, ".") == "" {
		return "", s
	}
	return num, s[i:]
}

// parseSize reads SIZE: NUMBER and an optional unit, with optional space
// between. It returns the number, the unit in its canonical spelling, and
// what is wrong if anything, worded for Parse's errors.
func parseSize(s string) (float64, units.SizeUnit, string) {
	num, rest := splitNumber(s)
	if num == "" {
		return 0, units.SizeUnit{}, fmt.Sprintf("want a size like 512MiB or 2GiB, got %q", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, units.SizeUnit{}, fmt.Sprintf("size %q is too large", s)
	}
	u := strings.TrimSpace(rest)
	if u == "" {
		return v, units.SizeUnit{Name: "B", Bytes: 1}, ""
	}
	if su, ok := units.LookupSizeUnit(u); ok {
		return v, su, ""
	}
	return 0, units.SizeUnit{}, fmt.Sprintf("unknown size unit %q; want B, KiB, MiB, GiB, TiB, KB, MB, GB or TB", u)
}

// formatNumber writes a threshold's number in the fewest digits that read
// back to the same value.
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// String returns the rule in normal form: lower-case metric, no spaces,
// canonical units ("rss>2GiB", "growth>50MiB/h", "cpu>150%"). For a rule
// from Parse it keeps the numbers and units as given; for one built in
// code it picks units that write the threshold exactly. Parse reads it
// back to the same rule.
func (r Rule) String() string {
	if p, text, err := parse(r.Spec); err == nil && p.Metric == r.Metric && p.Op == r.Op && p.Threshold == r.Threshold {
		return text
	}
	return r.Metric + r.Op + strings.ReplaceAll(r.threshold(), " ", "")
}

// threshold writes the threshold for people, with a space before a unit:
// "2 GiB", "50 MiB/h", "150%", "1000".
func (r Rule) threshold() string {
	m, _ := lookupMetric(r.Metric)
	if r.Spec != "" {
		if p, text, err := parse(r.Spec); err == nil && p.Metric == r.Metric && p.Op == r.Op && p.Threshold == r.Threshold {
			return spaceUnit(strings.TrimPrefix(text, r.Metric+r.Op), m.kind)
		}
	}
	switch m.kind {
	case sizeKind:
		return exactSize(r.Threshold, 1)
	case rateKind:
		for _, t := range timeUnits[:4] {
			if s := exactSize(r.Threshold, t.seconds); s != "" {
				return s + "/" + t.name
			}
		}
		return formatNumber(r.Threshold) + " B/s"
	case percentKind:
		return formatNumber(r.Threshold) + "%"
	}
	return formatNumber(r.Threshold)
}

// exactSize writes v·per bytes as "NUMBER UNIT" with the largest unit that
// takes at most three decimals and reads back exactly (NUMBER·unit/per ==
// v); bytes as the last resort.
func exactSize(v, per float64) string {
	total := v * per
	// The binary and decimal units with their suffixes (not the bare
	// letters), largest first: a binary unit wins a tie.
	for _, u := range units.SizeUnits[:9] {
		b := float64(u.Bytes)
		if total < b && b != 1 {
			continue
		}
		n := total / b
		for _, d := range []int{0, 1, 2, 3} {
			s := strconv.FormatFloat(n, 'f', d, 64)
			back, err := strconv.ParseFloat(s, 64)
			if err == nil && back*b/per == v {
				return s + " " + u.Name
			}
		}
	}
	if per == 1 {
		return formatNumber(v) + " B"
	}
	return ""
}

// spaceUnit puts a space between the number and unit of a normalized
// threshold ("2GiB" to "2 GiB") for Describe; percents and counts stay.
func spaceUnit(text string, kind metricKind) string {
	if kind != sizeKind && kind != rateKind {
		return text
	}
	num, rest := splitNumber(text)
	return num + " " + rest
}

// value returns the metric's value in v, and false when v does not have it.
func (r Rule) value(v Values) (float64, bool) {
	switch r.Metric {
	case "rss":
		return v.RSS, true
	case "pss":
		return v.PSS, v.HavePSS
	case "uss":
		return v.USS, v.HavePSS
	case "fds":
		return v.FDs, true
	case "threads":
		return v.Threads, true
	case "processes":
		return v.Processes, true
	case "cpu":
		return v.CPUPercent, true
	case "growth":
		return v.Growth, v.HaveGrowth
	}
	return 0, false
}

// Check compares the rule's metric in v with its threshold. It returns
// whether the rule fires and the value compared. A rule on pss or uss does
// not fire without v.HavePSS, nor one on growth without v.HaveGrowth, nor
// any on a NaN value; value is then 0 for a missing metric.
func (r Rule) Check(v Values) (fired bool, value float64) {
	x, ok := r.value(v)
	if !ok {
		return false, 0
	}
	switch r.Op {
	case ">":
		return x > r.Threshold, x
	case ">=":
		return x >= r.Threshold, x
	case "<":
		return x < r.Threshold, x
	case "<=":
		return x <= r.Threshold, x
	}
	return false, x
}

// Describe words a check of the rule that gave value for people:
// "rss 2.1 GiB > 2 GiB", "growth 63.2 MiB/h > 50 MiB/h", "cpu 162.5% > 150%",
// "fds 1034 > 1000". Sizes are shown with units.FormatSize, rates per
// hour.
func (r Rule) Describe(value float64) string {
	m, _ := lookupMetric(r.Metric)
	var got string
	switch m.kind {
	case sizeKind:
		got = units.FormatBytes(value)
	case rateKind:
		got = units.FormatBytes(value*3600) + "/h"
	case percentKind:
		got = strconv.FormatFloat(value, 'f', 1, 64) + "%"
	default:
		got = formatNumber(math.Round(value*10) / 10)
	}
	return r.Metric + " " + got + " " + r.Op + " " + r.threshold()
}
