package compare

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/perfcap/perfcap/bundle/report"
)

// TextOptions configures WriteText.
type TextOptions struct {
	// Color marks regressions red and improvements green with ANSI
	// escapes; for a terminal only.
	Color bool
}

const (
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiBold  = "\x1b[1m"
	ansiReset = "\x1b[0m"
)

// WriteText writes d as aligned tables for a terminal or a log: the
// bundles, then for each comparison its benchmark tables. Every string
// that came from a bundle is escaped (see oneLine).
func WriteText(w io.Writer, d *Diff, opts TextOptions) error {
	bw := bufio.NewWriter(w)
	tw := textWriter{w: bw, color: opts.Color}
	tw.bundles(d)
	for _, c := range d.Comparisons {
		if len(d.Comparisons) > 1 {
			tw.heading(fmt.Sprintf("%s → %s", oneLine(d.Bundles[c.Base].Label), oneLine(d.Bundles[c.New].Label)))
		}
		tw.benchmarks(d, c)
		if c.Noisy != "" {
			fmt.Fprintln(tw.w, tw.paint("WARNING: "+c.Noisy, ansiRed+ansiBold))
		}
		tw.resources(c)
		tw.facts(c)
		tw.profiles(c)
	}
	if len(d.Warnings) > 0 {
		fmt.Fprintln(bw)
		for _, warn := range d.Warnings {
			fmt.Fprintf(bw, "warning: %s\n", oneLine(warn))
		}
	}
	return bw.Flush()
}

type textWriter struct {
	w     *bufio.Writer
	color bool
}

func (t *textWriter) paint(s, code string) string {
	if !t.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) heading(s string) {
	fmt.Fprintf(t.w, "\n%s\n", t.paint(s, ansiBold))
}

// bundleRole names the i-th of n compared bundles in the tables: base,
// new, or #K with more than two.
func bundleRole(i, n int) string {
	switch {
	case i == 0:
		return "base"
	case n > 2:
		return fmt.Sprintf("#%d", i+1)
	}
	return "new"
}

func (t *textWriter) bundles(d *Diff) {
	rows := make([][]string, len(d.Bundles))
	for i, b := range d.Bundles {
		role := bundleRole(i, len(d.Bundles))
		rows[i] = []string{role, oneLine(b.Label), oneLine(b.Path), oneLine(report.ShellJoin(b.Command))}
	}
	for _, l := range grid(rows, "llll") {
		fmt.Fprintln(t.w, l)
	}
}

func (t *textWriter) benchmarks(d *Diff, c *Comparison) {
	if len(c.Benchmarks) == 0 {
		t.heading("benchmarks")
		fmt.Fprintln(t.w, "neither bundle holds benchmark results")
		return
	}
	for i := range c.Benchmarks {
		tb := &c.Benchmarks[i]
		t.heading(tableTitle(tb, d.Confidence))
		rows := [][]string{{"benchmark", "base", "new", "change", "p", "verdict"}}
		for j := range tb.Benchmarks {
			b := &tb.Benchmarks[j]
			rows = append(rows, []string{oneLine(benchName(b)), formatEstimate(b.Base, tb.Unit), formatEstimate(b.New, tb.Unit),
				formatChange(b), formatTest(b), formatVerdict(b)})
		}
		if g := tb.Geomean; g != nil {
			rows = append(rows, []string{"geomean", formatValue(g.Base, tb.Unit), formatValue(g.New, tb.Unit), formatPct(g.Change), "", ""})
		}
		for j, l := range grid(rows, "lrrrll") {
			if j > 0 && j <= len(tb.Benchmarks) {
				switch tb.Benchmarks[j-1].Verdict {
				case Regressed:
					l = t.paintVerdict(l, Regressed, ansiRed)
				case Improved:
					l = t.paintVerdict(l, Improved, ansiGreen)
				}
			}
			fmt.Fprintln(t.w, l)
		}
	}
}

// paintVerdict colours the verdict word at the end of a row.
func (t *textWriter) paintVerdict(line, verdict, code string) string {
	i := strings.LastIndex(line, verdict)
	if !t.color || i < 0 {
		return line
	}
	return line[:i] + code + verdict + ansiReset + line[i+len(verdict):]
}

func (t *textWriter) resources(c *Comparison) {
	if len(c.Resources) == 0 {
		return
	}
	t.heading("resources (whole run; one measurement each, no test)")
	rows := [][]string{{"", "base", "new", "change"}}
	for i := range c.Resources {
		r := &c.Resources[i]
		rows = append(rows, []string{r.Label, formatResource(r.Base, r.Unit), formatResource(r.New, r.Unit), formatResourceChange(r)})
	}
	for _, l := range grid(rows, "lrrr") {
		fmt.Fprintln(t.w, l)
	}
}

// maxFactWidth bounds a fact's value in the text and Markdown tables.
const maxFactWidth = 72

func (t *textWriter) facts(c *Comparison) {
	t.heading("what else changed")
	if len(c.Facts) == 0 {
		fmt.Fprintln(t.w, "nothing else: same commit, toolchain, build settings and machine, as far as both bundles know")
	} else {
		rows := make([][]string, len(c.Facts))
		for i, f := range c.Facts {
			rows[i] = []string{f.Key, factValue(f.Base), "→", factValue(f.New)}
		}
		for _, l := range grid(rows, "llll") {
			fmt.Fprintln(t.w, l)
		}
	}
	if c.MachineDiffers != "" {
		fmt.Fprintln(t.w, t.paint(machineWarning(c.MachineDiffers), ansiRed+ansiBold))
	}
}

// machineWarning is the warning printed when the machines differ.
func machineWarning(keys string) string {
	return "WARNING: the bundles were recorded on different machines (" + keys + "): the changes mix the code's and the machine's; compare on one machine"
}

// factValue shows a fact's value: escaped, cut to maxFactWidth,
// "unknown" when the bundle does not know it.
func factValue(v string) string {
	if v == "" {
		return "unknown"
	}
	v = oneLine(v)
	if r := []rune(v); len(r) > maxFactWidth {
		v = string(r[:maxFactWidth-1]) + "…"
	}
	return v
}

func (t *textWriter) profiles(c *Comparison) {
	if c.Profile == nil {
		t.heading("where")
		fmt.Fprintf(t.w, "no CPU profile to compare (%s)\n", oneLine(c.ProfileMissing))
	}
	for _, p := range append([]*Profile{c.Profile}, c.BenchProfiles...) {
		if p == nil {
			continue
		}
		t.heading(profileTitle(p))
		if len(p.Kinds) > 0 {
			fmt.Fprintf(t.w, "kinds of work (inclusive share of samples): %s\n", kindsLine(p.Kinds))
		}
		if len(p.BySelf)+len(p.ByTotal) == 0 {
			fmt.Fprintln(t.w, "no function's share moved")
			continue
		}
		for _, list := range moverLists(p) {
			rows := [][]string{{list.title, "self base → new", "change", "total base → new", "change"}}
			for _, m := range list.movers {
				rows = append(rows, []string{oneLine(moverName(m)), shareMove(m.BaseSelf, m.NewSelf), formatPP(m.SelfDelta()),
					shareMove(m.BaseTotal, m.NewTotal), formatPP(m.TotalDelta())})
			}
			for _, l := range grid(rows, "lrrrr") {
				fmt.Fprintln(t.w, l)
			}
		}
	}
}
