package bench

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// MaxMetricMatches bounds the matches kept per metric rule. Past it,
// the last kept match is overwritten by each new one, so the final
// element for a name is always the latest match in the output.
const MaxMetricMatches = 1000

// MetricRule is a parsed --metric NAME=REGEX: each match of Regexp in an
// output line yields a Metric named Name.
type MetricRule struct {
	Name   string
	Regexp *regexp.Regexp
}

// ErrMetricRule is wrapped by every ParseMetricRule error.
var ErrMetricRule = errors.New("bench: bad --metric rule")

// ParseMetricRule parses "NAME=REGEX". NAME is letters, digits, '_',
// '-' and '.'; REGEX is RE2 syntax with at most one capture group that
// matters: the first group, or the whole match if it has none, must be
// a number.
func ParseMetricRule(s string) (MetricRule, error) {
	name, expr, ok := strings.Cut(s, "=")
	if !ok {
		return MetricRule{}, fmt.Errorf("%w %q: expected NAME=REGEX, found no '='", ErrMetricRule, s)
	}
	if name == "" || strings.IndexFunc(name, func(r rune) bool {
		return !(r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) >= 0 {
		return MetricRule{}, fmt.Errorf("%w %q: name %q: expected letters, digits, '_', '-' or '.'", ErrMetricRule, s, name)
	}
	if expr == "" {
		return MetricRule{}, fmt.Errorf("%w %q: expected a regular expression after '='", ErrMetricRule, s)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return MetricRule{}, fmt.Errorf("%w %q: regular expression: %v", ErrMetricRule, s, err)
	}
	return MetricRule{Name: name, Regexp: re}, nil
}

// MetricMatcher applies metric rules to an output stream as it is
// written, line by line (split at '\n' and '\r', ANSI escapes stripped).
// A match whose number does not parse gives a warning, not a Metric.
type MetricMatcher struct {
	stream  string
	rules   []MetricRule
	split   lineSplitter
	metrics [][]Metric // per rule
}

// NewMetricMatcher returns a MetricMatcher for the stream named stream
// ("stdout" or "stderr").
func NewMetricMatcher(stream string, rules []MetricRule) *MetricMatcher {
	m := &MetricMatcher{stream: stream, rules: rules, metrics: make([][]Metric, len(rules))}
	m.split = lineSplitter{name: stream, emit: m.line}
	return m
}

// Write matches the rules against p as the next bytes of the stream; it
// never fails.
func (m *MetricMatcher) Write(p []byte) (int, error) {
	m.split.write(p)
	return len(p), nil
}

// Close matches a last line that has no newline. Write must not be
// called after Close.
func (m *MetricMatcher) Close() error {
	m.split.flush()
	return nil
}

// Metrics returns the matches so far, grouped by rule in rule order and
// in output order within a rule (see MaxMetricMatches); the summary
// takes the last one of each name.
func (m *MetricMatcher) Metrics() []Metric {
	var out []Metric
	for _, ms := range m.metrics {
		out = append(out, ms...)
	}
	return out
}

// Warnings returns one line per match that was not a number.
func (m *MetricMatcher) Warnings() []string {
	return m.split.warn.all()
}

func (m *MetricMatcher) line(raw string, lineNo int) {
	line := stripANSI(raw)
	for i, rule := range m.rules {
		for _, sub := range rule.Regexp.FindAllStringSubmatch(line, -1) {
			text := sub[0]
			if len(sub) > 1 {
				text = sub[1]
			}
			v, err := parseNumber(strings.TrimSpace(text))
			if err != nil {
				m.split.warn.addf("%s:%d: metric %s: expected a number, got %q", m.stream, lineNo, rule.Name, text)
				continue
			}
			mt := Metric{Name: rule.Name, Value: v, Text: sub[0], Stream: m.stream, Line: lineNo}
			if len(m.metrics[i]) < MaxMetricMatches {
				m.metrics[i] = append(m.metrics[i], mt)
			} else {
				m.metrics[i][MaxMetricMatches-1] = mt
			}
		}
	}
}
