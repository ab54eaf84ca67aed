package report

import (
	"fmt"
	"io"
	"os"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/trend"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
)

// NewData assembles what report templates see from a bundle's manifest,
// summary.json and env.json; files are the bundle's files, described in
// lang.
func NewData(m bundle.Manifest, sum *format.Summary, env *facts.Facts, files []bundle.File, lang string) *Data {
	d := &Data{
		Manifest:     m,
		Summary:      sum.Totals,
		Perf:         sum.Perf,
		Facts:        env,
		Benchmarks:   sum.Benchmarks,
		Metrics:      sum.Metrics,
		BuildProfile: BuildProfileOf(m.Command),
		Features:     FeaturesOf(m.Command),
	}
	if sum.Watch != nil {
		g := sum.Watch.Growth
		d.MemoryGrowth = &Growth{
			Detected:           g.Verdict == trend.Growing,
			BytesPerSecond:     g.SlopeBytesPerSec,
			Method:             g.Method,
			Verdict:            g.Verdict,
			LowBytesPerSecond:  g.LowBytesPerSec,
			HighBytesPerSecond: g.HighBytesPerSec,
			SinceSeconds:       g.Since.Seconds(),
			UntilSeconds:       g.Until.Seconds(),
			P:                  g.P,
			Reason:             g.Reason,
		}
	}
	for _, f := range files {
		d.Attachments = append(d.Attachments, Attachment{Path: f.Path, Size: f.Size, Description: Describe(f.Path, lang)})
	}
	return d
}

// RenderFile renders d in lang, or with the user's template file when
// templatePath is set.
func RenderFile(w io.Writer, d *Data, lang, templatePath string) error {
	if templatePath == "" {
		return Render(w, d, lang)
	}
	text, err := os.ReadFile(templatePath)
	if err != nil {
		return err
	}
	if err := RenderTemplate(w, d, string(text)); err != nil {
		return fmt.Errorf("%s: %w", templatePath, err)
	}
	return nil
}
