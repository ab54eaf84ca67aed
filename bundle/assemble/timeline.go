package assemble

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/timeline"
	"github.com/perfcap/perfcap/format"
)

// TimelineSVG draws timeline.svg from the staged timeline.csv,
// processes.csv and phases.csv (when the run has one). Callers treat a failure as a warning, never a failed run.
// decorate, when given, adds to the chart's options (a watch's trend line
// and events).
func TimelineSVG(w *bundle.Writer, title string, decorate ...func(*timeline.Options)) error {
	open := func(name string) (*os.File, error) { return os.Open(filepath.Join(w.Dir(), name)) }
	tf, err := open("timeline.csv")
	if err != nil {
		return err
	}
	defer tf.Close()
	tl, err := timeline.ReadTimeline(tf, 0)
	if err != nil {
		return fmt.Errorf("timeline.csv: %w", err)
	}
	opts := timeline.Options{Title: title, NumCPU: runtime.NumCPU(), SystemCPU: true}
	// Bad rows of processes.csv are left off the chart, and said.
	var procErr error
	if pf, err := open("processes.csv"); err == nil {
		opts.Processes, procErr = format.ReadProcesses(pf)
		pf.Close()
	}
	var phaseErr error
	if pf, err := open(format.PhasesFile); err == nil {
		opts.Phases, phaseErr = format.ReadPhases(pf)
		pf.Close()
	}
	for _, d := range decorate {
		d(&opts)
	}
	var b bytes.Buffer
	if err := timeline.WriteSVG(&b, tl, opts); err != nil {
		return err
	}
	if err := w.AddBytes("timeline.svg", b.Bytes()); err != nil {
		return err
	}
	if procErr != nil {
		return fmt.Errorf("drawn without some processes: %w", procErr)
	}
	if phaseErr != nil {
		return fmt.Errorf("drawn without some benchmark phases: %w", phaseErr)
	}
	return nil
}

// CountProcesses has timeline.svg's subtitle count the processes as s
// does: how many the run started, and how many samples saw.
func CountProcesses(s *format.Totals) func(*timeline.Options) {
	return func(o *timeline.Options) { o.ProcessCount = s.ProcessesText() }
}
