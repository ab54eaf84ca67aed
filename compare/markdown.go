package compare

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/perfcap/perfcap/bundle/report"
)

// WriteMarkdown writes d as GitHub-flavoured Markdown, ready to paste as a
// pull-request comment: the same tables as WriteText, regressions in bold.
func WriteMarkdown(w io.Writer, d *Diff) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "### perfcap diff")
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "| | version | bundle | command |")
	fmt.Fprintln(bw, "|---|---|---|---|")
	for i, b := range d.Bundles {
		role := bundleRole(i, len(d.Bundles))
		fmt.Fprintf(bw, "| %s | %s | %s | %s |\n", role, mdCell(b.Label), mdCode(b.Path), mdCode(report.ShellJoin(b.Command)))
	}
	for _, c := range d.Comparisons {
		if len(d.Comparisons) > 1 {
			fmt.Fprintf(bw, "\n#### %s → %s\n", mdCell(d.Bundles[c.Base].Label), mdCell(d.Bundles[c.New].Label))
		}
		mdBenchmarks(bw, d, c)
		if c.Noisy != "" {
			fmt.Fprintf(bw, "\n> [!WARNING]\n> %s\n", mdCell(c.Noisy))
		}
		mdResources(bw, c)
		mdFacts(bw, c)
		mdProfiles(bw, c)
	}
	if len(d.Warnings) > 0 {
		fmt.Fprintln(bw)
		for _, warn := range d.Warnings {
			fmt.Fprintf(bw, "> ⚠️ %s\n", mdCell(warn))
		}
	}
	return bw.Flush()
}

func mdBenchmarks(w *bufio.Writer, d *Diff, c *Comparison) {
	if len(c.Benchmarks) == 0 {
		fmt.Fprintln(w, "\nNeither bundle holds benchmark results.")
		return
	}
	for i := range c.Benchmarks {
		tb := &c.Benchmarks[i]
		fmt.Fprintf(w, "\n**%s**\n\n", mdCell(tableTitle(tb, d.Confidence)))
		fmt.Fprintln(w, "| benchmark | base | new | change | p | verdict |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---|---|")
		for j := range tb.Benchmarks {
			b := &tb.Benchmarks[j]
			change, verdict := formatChange(b), mdCell(formatVerdict(b))
			if b.Verdict == Regressed {
				change, verdict = "**"+change+"**", "**"+verdict+"**"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", mdCode(benchName(b)), formatEstimate(b.Base, tb.Unit), formatEstimate(b.New, tb.Unit),
				change, formatTest(b), verdict)
		}
		if g := tb.Geomean; g != nil {
			fmt.Fprintf(w, "| geomean | %s | %s | %s | | |\n", formatValue(g.Base, tb.Unit), formatValue(g.New, tb.Unit), formatPct(g.Change))
		}
	}
}

// mdCell makes text from a bundle safe for one Markdown table cell: one
// line, pipes escaped, control characters escaped, Markdown and HTML
// punctuation neutralised.
func mdCell(s string) string {
	s = oneLine(s)
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`).Replace(s)
}

// mdCode is s as inline code in a table cell: enough backticks that none
// inside closes it, pipes escaped (GitHub splits cells before code spans).
func mdCode(s string) string {
	s = strings.ReplaceAll(oneLine(s), "|", `\|`)
	if s == "" {
		return ""
	}
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

func mdResources(w *bufio.Writer, c *Comparison) {
	if len(c.Resources) == 0 {
		return
	}
	fmt.Fprint(w, "\n**resources** (whole run; one measurement each, no test)\n\n")
	fmt.Fprintln(w, "| | base | new | change |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for i := range c.Resources {
		r := &c.Resources[i]
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.Label, formatResource(r.Base, r.Unit), formatResource(r.New, r.Unit), formatResourceChange(r))
	}
}

func mdFacts(w *bufio.Writer, c *Comparison) {
	if c.MachineDiffers != "" {
		fmt.Fprintf(w, "\n> [!WARNING]\n> %s\n", mdCell(machineWarning(c.MachineDiffers)))
	}
	if len(c.Facts) == 0 {
		return
	}
	fmt.Fprint(w, "\n**what else changed**\n\n")
	fmt.Fprintln(w, "| fact | base | new |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, f := range c.Facts {
		fmt.Fprintf(w, "| %s | %s | %s |\n", f.Key, mdCode(factValue(f.Base)), mdCode(factValue(f.New)))
	}
}

func mdProfiles(w *bufio.Writer, c *Comparison) {
	if c.Profile == nil {
		fmt.Fprintf(w, "\n**where**: no CPU profile to compare (%s)\n", mdCell(c.ProfileMissing))
	}
	for _, p := range append([]*Profile{c.Profile}, c.BenchProfiles...) {
		if p == nil || len(p.BySelf)+len(p.ByTotal)+len(p.Kinds) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n**%s**\n", mdCell(profileTitle(p)))
		if len(p.Kinds) > 0 {
			fmt.Fprintf(w, "\nKinds of work (inclusive share of samples): %s\n", kindsLine(p.Kinds))
		}
		for _, list := range moverLists(p) {
			fmt.Fprintf(w, "\n| %s | self base → new | change | total base → new | change |\n", list.title)
			fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
			for _, m := range list.movers {
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdCode(moverName(m)), shareMove(m.BaseSelf, m.NewSelf), formatPP(m.SelfDelta()),
					shareMove(m.BaseTotal, m.NewTotal), formatPP(m.TotalDelta()))
			}
		}
	}
}
