package report

// Comparison is what a comparison of the run with earlier bundles found
// (`perfcap diff`): it fills the template's regression sections — 性能差距
// (gap), 性能回归 (regression), 与其他VM对比 (other systems) and 版本对比
// (versions) — and decides the 性能回归 tick. Nil leaves those sections
// blank, as for a single run.
type Comparison struct {
	// Bundles are the compared bundles, oldest first: the first is the
	// base, the last the run the report describes.
	Bundles []ComparedBundle
	// Regressed is set when a benchmark got significantly slower (p ≤
	// Alpha) from the base to the last bundle; it alone ticks 性能回归.
	Regressed bool
	// Headline is the figure the regression and gap lines give: the
	// benchmark that regressed most, else the first benchmark both ends
	// have; nil when they share none (the wall time then stands in).
	Headline *ComparedFigure
	// Regressions lists every significant regression, largest first.
	Regressions []ComparedFigure
	// DifferentCommands is set when the bundles ran different commands
	// (`perfcap -- qemu …` against `perfcap -- ourvm …`): the other-systems
	// table is filled then.
	DifferentCommands bool
	// MachineDiffers names the machine facts that differ ("cpu.model,
	// cpu.logical_cores"): the figures then compare the machines too.
	MachineDiffers string
	// Alpha is the significance level of the tests.
	Alpha float64
	// DiffFlameGraph is the differential flamegraph of the whole run in
	// the diff bundle ("perf/diff.svg"), "" when none was drawn; Movers
	// are the functions whose self share of the samples moved most.
	DiffFlameGraph string
	Movers         []ComparedMover
}

// ComparedMover is a function whose share of the CPU samples moved: its
// self and total shares (0 to 1) of each run's samples.
type ComparedMover struct {
	Name                string
	BaseSelf, NewSelf   float64
	BaseTotal, NewTotal float64
}

// SelfChange is the move of the self share in fractions of all samples.
func (m ComparedMover) SelfChange() float64 { return m.NewSelf - m.BaseSelf }

// ComparedBundle is one compared bundle's row.
type ComparedBundle struct {
	// Archive names the bundle file and gives its SHA-256.
	Archive
	// Version is the code's version: crate version and git commit
	// ("v0.2.0 (abc1234)"), "" when unknown.
	Version string
	// Command is the recorded command.
	Command []string
	// StartupSeconds is the time to the first output, -1 when unknown;
	// WallSeconds the run's wall time; PeakRSSBytes the tree's peak RSS.
	StartupSeconds float64
	WallSeconds    float64
	PeakRSSBytes   uint64
	// OtherCPUPercent is the share of the machine's CPU other processes
	// used during the run; Noisy is set when it was enough to make the
	// timings unreliable.
	OtherCPUPercent float64
	Noisy           bool
	// Headline is the headline benchmark's centre in this bundle, in
	// nanoseconds; 0 when this bundle does not have it.
	Headline float64
	// The changes against the base, fractions (0.05 is 5 % more); nil for
	// the base itself and where a figure is missing.
	HeadlineChange, StartupChange, WallChange, RSSChange *float64
}

// ComparedFigure is one benchmark compared between the base and the last
// bundle.
type ComparedFigure struct {
	// Name is the benchmark's name, Tool the tool that ran it.
	Name string
	Tool string
	// Base and New are the centres (medians, or the tool's estimate), in
	// nanoseconds; Change is New/Base − 1.
	Base, New, Change float64
	// P is the test's p-value, nil without a test (too few measurements).
	P           *float64
	Significant bool
}

// Label names a compared bundle: its version, else its file.
func (b ComparedBundle) Label() string {
	if b.Version != "" {
		return b.Version
	}
	return b.Name
}

// Base is the first compared bundle, Last the one the report describes.
func (c *Comparison) Base() ComparedBundle { return c.Bundles[0] }
func (c *Comparison) Last() ComparedBundle { return c.Bundles[len(c.Bundles)-1] }

// HasHeadline reports whether the base and the last bundle both have the
// headline benchmark.
func (c *Comparison) HasHeadline() bool {
	return c.Headline != nil && c.Base().Headline > 0 && c.Last().Headline > 0
}
