package compare

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/perfcap/perfcap/internal/units"
)

// formatValue formats a figure in a table's unit: times with their unit
// ("26.31 µs"), other units with an SI prefix past 10,000 ("11.84k"), four
// significant digits, as benchstat prints them.
func formatValue(v float64, unit string) string {
	if unit == TimeUnit {
		return formatNS(v)
	}
	switch a := math.Abs(v); {
	case a < 1e4:
		return sig4(v)
	case a < 1e7:
		return sig4(v/1e3) + "k"
	case a < 1e10:
		return sig4(v/1e6) + "M"
	case a < 1e13:
		return sig4(v/1e9) + "G"
	}
	return sig4(v/1e12) + "T"
}

// formatNS formats nanoseconds with four significant digits.
func formatNS(ns float64) string {
	switch a := math.Abs(ns); {
	case math.IsNaN(ns) || math.IsInf(ns, 0):
		return "?"
	case a < 1e3:
		return sig4(ns) + " ns"
	case a < 1e6:
		return sig4(ns/1e3) + " µs"
	case a < 1e9:
		return sig4(ns/1e6) + " ms"
	}
	return sig4(ns/1e9) + " s"
}

// sig4 prints v with four significant digits, trailing zeros kept so that
// a column reads evenly ("236.0", "56.90", "1.000"), never in exponent
// form below 10,000.
func sig4(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "?"
	}
	decimals := func(a float64) int {
		switch {
		case a >= 1000:
			return 0
		case a >= 100:
			return 1
		case a >= 10:
			return 2
		}
		return 3
	}
	d := decimals(math.Abs(v))
	s := strconv.FormatFloat(v, 'f', d, 64)
	// Rounding may carry into another digit: 99.996 is "100.0", not "100.00".
	if r, err := strconv.ParseFloat(s, 64); err == nil && decimals(math.Abs(r)) < d {
		s = strconv.FormatFloat(v, 'f', decimals(math.Abs(r)), 64)
	}
	return s
}

// formatEstimate is one side of a row: the centre, and "± N%" when it has
// an interval (benchstat's rendering: the larger distance to a bound, in
// percent of the centre).
func formatEstimate(e *Estimate, unit string) string {
	if e == nil {
		return ""
	}
	s := formatValue(e.Center, unit)
	if e.Low != nil && e.High != nil {
		s += " ± " + pctRange(e.Center, *e.Low, *e.High)
	}
	return s
}

// pctRange is benchmath.Summary.PctRangeString for a finite interval.
func pctRange(center, lo, hi float64) string {
	if center == 0 {
		return "0%"
	}
	if math.Signbit(center) != math.Signbit(lo) || math.Signbit(center) != math.Signbit(hi) {
		return "?"
	}
	return fmt.Sprintf("%.0f%%", 100*math.Max(hi/center-1, 1-lo/center))
}

// formatChange is a change as benchstat prints it: "+21.33%", or "~" when
// the test found no significant difference.
func formatChange(b *Benchmark) string {
	switch {
	case b.Change == nil:
		return ""
	case b.Verdict == NoChange:
		return "~"
	}
	return formatPct(*b.Change)
}

// formatPct formats a fraction as a signed percentage with two decimals.
func formatPct(f float64) string {
	if f == 0 {
		return "0.00%"
	}
	return fmt.Sprintf("%+.2f%%", 100*f)
}

// formatTest is the p column: "p=0.002 n=10+10", or "n=1+10" without a
// test.
func formatTest(b *Benchmark) string {
	if b.Base == nil || b.New == nil {
		return ""
	}
	n := fmt.Sprintf("n=%d+%d", b.Base.N, b.New.N)
	if b.Base.Statistic == "estimate" || b.New.Statistic == "estimate" {
		n = ""
	}
	if b.P == nil {
		return n
	}
	return fmt.Sprintf("p=%.3f %s", *b.P, n)
}

// formatVerdict is the last column: empty for "~" (the change column says
// it), else the verdict and its note.
func formatVerdict(b *Benchmark) string {
	v := b.Verdict
	if v == NoChange {
		v = ""
	}
	if b.Note != "" {
		if v != "" {
			v += " "
		}
		v += "(" + b.Note + ")"
	}
	return v
}

// benchName is a row's name: "base → new" when Options.Match paired two
// names.
func benchName(b *Benchmark) string {
	if b.BaseName != "" {
		return b.BaseName + " → " + b.Name
	}
	return b.Name
}

// tableTitle names a table: "go: time/op (median, 95% CI)".
func tableTitle(t *Table, confidence float64) string {
	what := map[string]string{"go": "time/op", "hyperfine": "time/run"}[t.Tool]
	if what == "" {
		what = "time/iter"
	}
	if t.Unit != TimeUnit {
		what = t.Unit
	}
	return fmt.Sprintf("%s: %s (median, %.0f%% CI; change is new/base − 1, U test)", oneLine(t.Tool), what, 100*confidence)
}

// grid lays out rows of cells in aligned columns: the first left-aligned,
// the rest as align says ('l' or 'r'), two spaces apart, trailing blanks
// trimmed.
func grid(rows [][]string, align string) []string {
	var width []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], runeWidth(c))
		}
	}
	lines := make([]string, len(rows))
	for j, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-runeWidth(c))
			if i < len(align) && align[i] == 'r' {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		lines[j] = strings.TrimRight(b.String(), " ")
	}
	return lines
}

// runeWidth is the number of terminal columns of s: one per rune, two for
// wide East Asian characters.
func runeWidth(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 ||
			r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 ||
			r >= 0xffe0 && r <= 0xffe6 || r >= 0x1f300 && r <= 0x1faff || r >= 0x20000 && r <= 0x3fffd) {
			n++
		}
	}
	return n
}

// formatResource formats a run-wide figure in its unit.
func formatResource(v float64, unit string) string {
	switch unit {
	case UnitSeconds:
		return formatNS(v * 1e9)
	case UnitPercent:
		return fmt.Sprintf("%.1f%%", v)
	case UnitBytes:
		return units.FormatSize(int64(v))
	}
	return groupThousands(int64(v))
}

// groupThousands writes n with thousands separators: "1,234,567".
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// formatResourceChange is a resource's change column.
func formatResourceChange(r *Resource) string {
	if r.Change == nil {
		return ""
	}
	return formatPct(*r.Change)
}

// profileTitle heads a profile's table.
func profileTitle(p *Profile) string {
	what := "whole run"
	if p.Name != "" {
		what = "benchmark " + oneLine(p.Name)
	}
	return fmt.Sprintf("where: %s (functions whose share of CPU samples moved most; %s → %s samples)", what,
		groupThousands(p.BaseSamples), groupThousands(p.NewSamples))
}

// moverName is a function with its kind: "memcpy [kernel]".
func moverName(m Mover) string {
	if m.Kind != "" {
		return m.Name + " [" + m.Kind + "]"
	}
	return m.Name
}

// shareMove is "20.1% → 55.3%".
func shareMove(base, cur float64) string {
	return fmt.Sprintf("%.1f%% → %.1f%%", 100*base, 100*cur)
}

// formatPP is a change of share in signed percentage points: "+35.2 pp".
func formatPP(delta float64) string {
	v := math.Round(1000*delta) / 10
	if v == 0 {
		return "0.0 pp"
	}
	return fmt.Sprintf("%+.1f pp", v)
}

// moverList is one list of a profile's table.
type moverList struct {
	title  string
	movers []Mover
}

// moverLists are a profile's two lists, by self and by total move.
func moverLists(p *Profile) []moverList {
	var out []moverList
	if len(p.BySelf) > 0 {
		out = append(out, moverList{"moved most in self share", p.BySelf})
	}
	if len(p.ByTotal) > 0 {
		out = append(out, moverList{"moved most in total share", p.ByTotal})
	}
	return out
}
