package alert

import (
	"math"
	"strings"
	"testing"
)

// FuzzParse checks that any spec gives a rule or a one-line error, never a
// panic; that a rule's threshold is a finite non-negative number; and that
// its String reads back to the same rule. Seeds are in testdata/fuzz.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"rss>2GiB", "growth>50MiB/h", "cpu>150%", "fds>=1000", " uss <= 1.5 gb "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		r, err := Parse(spec)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, "; try --alert '") {
				t.Errorf("error is not one line with an example: %q", msg)
			}
			return
		}
		if math.IsNaN(r.Threshold) || math.IsInf(r.Threshold, 0) || r.Threshold < 0 {
			t.Errorf("Parse(%q) threshold %v", spec, r.Threshold)
		}
		norm := r.String()
		back, err := Parse(norm)
		if err != nil || back.Metric != r.Metric || back.Op != r.Op || back.Threshold != r.Threshold {
			t.Errorf("Parse(%q) = %+v, %v; from String of Parse(%q) = %+v", norm, back, err, spec, r)
		}
		if back.String() != norm {
			t.Errorf("String is not stable: %q, then %q", norm, back.String())
		}
		built := Rule{Metric: r.Metric, Op: r.Op, Threshold: r.Threshold}
		if again, err := Parse(built.String()); err != nil || again.Threshold != r.Threshold {
			t.Errorf("rule %+v: String %q reads back as %+v, %v", built, built.String(), again, err)
		}
		_ = r.Describe(r.Threshold)
	})
}
