package bundle

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/perfcap/perfcap/internal/termsafe"
	"github.com/perfcap/perfcap/internal/units"
)

// MaxNamedDropped is how many of the files left out of a zip
// DroppedText names.
const MaxNamedDropped = 3

// DroppedText says in one line what the export left out, naming the
// largest files: a bundle of 100,000 files must not print 100,000 lines.
func (r *ZipReport) DroppedText() string {
	dropped := r.Dropped
	bySize := slices.Clone(dropped)
	slices.SortStableFunc(bySize, func(a, b File) int { return cmp.Compare(b.Size, a.Size) })
	var total int64
	for _, f := range dropped {
		total += f.Size
	}
	var b strings.Builder
	if len(dropped) == 1 {
		fmt.Fprintf(&b, "left out of the .zip to stay under 25 MB: %s (%s)", termsafe.Text(dropped[0].Path), units.FormatSize(total))
	} else {
		fmt.Fprintf(&b, "left out of the .zip to stay under 25 MB: %d files, %s in all (", len(dropped), units.FormatSize(total))
		for i, f := range bySize[:min(len(bySize), MaxNamedDropped)] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %s", termsafe.Text(f.Path), units.FormatSize(f.Size))
		}
		if len(dropped) > MaxNamedDropped {
			fmt.Fprintf(&b, ", and %d more", len(dropped)-MaxNamedDropped)
		}
		b.WriteString(")")
	}
	b.WriteString("; the zip's manifest.json lists them under \"dropped\"")
	return b.String()
}
