package compare

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Rule is a --fail-on threshold: a metric may not grow by more than
// Threshold (a fraction: 0.05 for "5%").
type Rule struct {
	// Metric is "time" (every benchmark's time per iteration or run) or
	// one of ResourceNames ("wall", "rss", ...).
	Metric string
	// OrEqual is set for ">=": a change equal to Threshold fails too.
	OrEqual   bool
	Threshold float64
	// Text is the rule as written.
	Text string
}

// ParseRule parses "METRIC>N%" or "METRIC>=N%", e.g. "time>5%",
// "rss>10%", "wall>=3%". N is a percentage, zero or more.
func ParseRule(s string) (Rule, error) {
	r := Rule{Text: s}
	text := strings.ReplaceAll(s, " ", "")
	i := strings.IndexByte(text, '>')
	if i <= 0 {
		return r, fmt.Errorf("--fail-on %q: want METRIC>N%% such as time>5%%, rss>10%%, wall>3%%", s)
	}
	r.Metric = strings.ToLower(text[:i])
	num := text[i+1:]
	if n, ok := strings.CutPrefix(num, "="); ok {
		r.OrEqual, num = true, n
	}
	if r.Metric != "time" && !slices.Contains(ResourceNames(), r.Metric) {
		return r, fmt.Errorf("--fail-on %q: unknown metric %q; known: time, %s", s, r.Metric, strings.Join(ResourceNames(), ", "))
	}
	pct, ok := strings.CutSuffix(num, "%")
	if !ok {
		return r, fmt.Errorf("--fail-on %q: the threshold is a percentage, such as %s>5%%", s, r.Metric)
	}
	v, err := strconv.ParseFloat(pct, 64)
	if err != nil || v < 0 || v != v || v > 1e6 {
		return r, fmt.Errorf("--fail-on %q: %q is not a percentage from 0 up", s, num)
	}
	r.Threshold = v / 100
	return r, nil
}

// beyond reports whether a growth of change passes the rule's threshold.
func (r Rule) beyond(change float64) bool {
	if r.OrEqual {
		return change >= r.Threshold
	}
	return change > r.Threshold
}

// Violation is one change a rule does not allow.
type Violation struct {
	Rule string `json:"rule"`
	// What names the benchmark or resource.
	What   string  `json:"what"`
	Change float64 `json:"change"`
	// Message says it in one line.
	Message string `json:"message"`
}

// Check returns the changes of the newest bundle against the base that
// the rules do not allow: for "time", a benchmark whose time grew
// significantly (p ≤ alpha) by more than the threshold; for a resource,
// a growth beyond the threshold (one measurement each: no test can say
// more, so the message says so). A change without a test (too few
// samples) never fails a time rule.
func (d *Diff) Check(rules []Rule) []Violation {
	if len(d.Comparisons) == 0 {
		return nil
	}
	c := d.Comparisons[len(d.Comparisons)-1]
	var out []Violation
	for _, r := range rules {
		if r.Metric == "time" {
			for _, t := range c.Benchmarks {
				if t.Unit != TimeUnit {
					continue
				}
				for _, b := range t.Benchmarks {
					if b.Verdict != Regressed || b.Change == nil || !r.beyond(*b.Change) {
						continue
					}
					out = append(out, Violation{Rule: r.Text, What: t.Tool + " " + b.Name, Change: *b.Change,
						Message: fmt.Sprintf("%s: %s %s is %s slower (%s → %s, p=%.3f)", r.Text, oneLine(t.Tool), oneLine(b.Name), formatPct(*b.Change),
							formatNS(b.Base.Center), formatNS(b.New.Center), *b.P)})
				}
			}
			continue
		}
		for _, res := range c.Resources {
			if res.Name != r.Metric || res.Change == nil || !r.beyond(*res.Change) {
				continue
			}
			out = append(out, Violation{Rule: r.Text, What: res.Name, Change: *res.Change,
				Message: fmt.Sprintf("%s: %s grew %s (%s → %s; one run each, no test)", r.Text, res.Label, formatPct(*res.Change),
					formatResource(res.Base, res.Unit), formatResource(res.New, res.Unit))})
		}
	}
	return out
}
