package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/termsafe"
)

// Data is everything a report template can show. Its fields are the
// reference for users writing their own template with --template FILE: a
// template reaches them as {{.Manifest.Cwd}}, {{.Summary.PeakRSSBytes}} and
// so on, and the functions listed in Funcs format them.
//
// Every pointer and slice may be nil or empty: the evidence was not
// collected, and templates must say so rather than guess.
type Data struct {
	// Manifest is the bundle's manifest: the command (already redacted),
	// its working directory, start and end, exit status and the files.
	Manifest bundle.Manifest
	// Summary is summary.json without its perf part: wall, CPU, peak
	// memory, faults, first output time, sampling and warnings.
	Summary format.Totals
	// Perf is what perf recorded, with the hot spots; nil when perf was
	// off.
	Perf *format.Perf
	// Facts describes the machine and toolchain (env.json); nil when
	// they were not collected, which Render shows to templates as an
	// empty Facts so that every fact reads as zero, that is unknown.
	Facts *facts.Facts
	// Benchmarks are the benchmark results parsed from the command's
	// output and files (Criterion, libtest, Go, hyperfine).
	Benchmarks []bench.Result
	// Metrics are the numbers taken from the output by --metric rules.
	Metrics []bench.Metric
	// MemoryGrowth is the verdict on memory growing over the run, filled
	// by `perfcap watch`; nil means it was not analysed, and the report
	// then never ticks 内存增长/memory growth.
	MemoryGrowth *Growth
	// Comparison is what a comparison with earlier bundles found (perfcap
	// diff); nil for a single run, which leaves the regression sections
	// blank.
	Comparison *Comparison
	// Attachments are the files of the bundle worth naming in the issue.
	Attachments []Attachment
	// Bundle is the archive itself, to be attached to the issue: its
	// name and SHA-256 let a reader check they hold the right file. In
	// the report.md inside the bundle, SHA256 and Size are empty (a file
	// cannot hold its own hash) and the templates say where to find them.
	Bundle Archive
	// GitHubZip is the optional .zip copy made for GitHub's attachment
	// rules; nil when none was made.
	GitHubZip *Archive
	// BuildProfile is the Cargo profile the command builds with: "bench"
	// (cargo bench; inherits release), "release" (--release), "debug"
	// (cargo build/run/test/check without it), the NAME of --profile NAME,
	// or "" when the command is not a Cargo build. Render fills it from
	// Manifest.Command when empty; see BuildProfileOf.
	BuildProfile string
	// Features are the features the command line enables: the names of
	// --features/-F, and "all-features" / "no-default-features" for those
	// flags. Render fills it from Manifest.Command when nil; see
	// FeaturesOf.
	Features []string
	// Caps bound the rows of long tables; zero fields take DefaultCaps.
	// Render lowers them when the body would pass MaxBody.
	Caps Caps
}

// Growth is the verdict of a memory growth analysis.
type Growth struct {
	// Detected is true when memory kept growing without being released.
	Detected bool `json:"detected"`
	// BytesPerSecond is the fitted growth rate of the tree's RSS.
	BytesPerSecond float64 `json:"bytes_per_second"`
	// Method says how the verdict was reached, for the metrics table.
	Method string `json:"method,omitempty"`
	// Verdict is "growing", "flat" or "inconclusive"; Reason says why in
	// one line.
	Verdict string `json:"verdict,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// LowBytesPerSecond and HighBytesPerSecond bound the rate's
	// confidence interval.
	LowBytesPerSecond  float64 `json:"low_bytes_per_second,omitempty"`
	HighBytesPerSecond float64 `json:"high_bytes_per_second,omitempty"`
	// SinceSeconds and UntilSeconds delimit the analysed window (after
	// the warm-up), in seconds since the start.
	SinceSeconds float64 `json:"since_seconds,omitempty"`
	UntilSeconds float64 `json:"until_seconds,omitempty"`
	// P is the trend test's p-value.
	P float64 `json:"p,omitempty"`
}

// Attachment is one file of the bundle named in the report.
type Attachment struct {
	// Path is the file's path inside the bundle ("perf/flame.svg").
	Path string
	// Size is its size in bytes.
	Size int64
	// Description says what the file holds, in the report's language
	// when the caller knows it; Render fills it for known paths when
	// empty.
	Description string
}

// Archive is a file to attach to the issue.
type Archive struct {
	// Name is the file name ("perfcap-20261129-103500.tar.zst").
	Name string
	// SHA256 is its hex SHA-256.
	SHA256 string
	// Size is its size in bytes.
	Size int64
}

// ArchiveOf names the file at path with its size and SHA-256, read once.
func ArchiveOf(path string) (Archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return Archive{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Archive{}, fmt.Errorf("hashing %s: %w", termsafe.Text(path), err)
	}
	return Archive{Name: filepath.Base(path), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// Caps bound the rows of the report's long sections.
type Caps struct {
	// Benchmarks bounds the rows of the benchmark table.
	Benchmarks int
	// Hot bounds the hot functions listed, by self and by total share.
	Hot int
	// Metrics bounds the --metric rows of the metrics table.
	Metrics int
	// Warnings bounds the warnings quoted from summary.json.
	Warnings int
	// Attachments bounds the rows of the attachment table.
	Attachments int
	// Text bounds a single free-text value (a command, a warning) in
	// characters.
	Text int
}

// DefaultCaps are the caps of a first rendering.
var DefaultCaps = Caps{Benchmarks: 100, Hot: 15, Metrics: 50, Warnings: 20, Attachments: 50, Text: 2000}

// MaxBody is the largest issue body GitHub accepts, in characters; Render
// counts UTF-16 code units, which is never fewer.
const MaxBody = 65536

func (c Caps) withDefaults() Caps {
	fill := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	fill(&c.Benchmarks, DefaultCaps.Benchmarks)
	fill(&c.Hot, DefaultCaps.Hot)
	fill(&c.Metrics, DefaultCaps.Metrics)
	fill(&c.Warnings, DefaultCaps.Warnings)
	fill(&c.Attachments, DefaultCaps.Attachments)
	fill(&c.Text, DefaultCaps.Text)
	return c
}
