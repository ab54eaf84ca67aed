package assemble

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/format"
)

// TestSession drives the run engine without the CLI: a real shell command
// runs into a real bundle, whose manifest, summary and log are read back.
func TestSession(t *testing.T) {
	dir := t.TempDir()
	red, err := redact.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	rule, err := bench.ParseMetricRule(`answer=answer: (\d+)`)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var samples, ends int
	var problems []string
	s, err := NewSession(SessionConfig{
		Argv: []string{"sh", "-c", "echo answer: 42; sleep 0.2; exit 3"}, Cwd: dir,
		Path: filepath.Join(dir, "run.tar.zst"), Version: "test", Interval: 20 * time.Millisecond,
		Redactor: red, Head: 1 << 20, Tail: 1 << 20, Rules: []bench.MetricRule{rule}, Lang: "en",
		Stdout: &out, Stderr: &out,
		OnSample:     func(capture.Sample) { samples++ },
		OnCommandEnd: func() { ends++ },
		Warn:         func(msg string) { problems = append(problems, msg) },
		Error:        func(err error) { problems = append(problems, err.Error()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.Capture(context.Background())
	if err != nil {
		s.Abort()
		t.Fatal(err)
	}
	if _, err := s.Finish(res); err != nil {
		t.Fatal(err)
	}
	if samples == 0 || ends != 1 || len(problems) != 0 {
		t.Errorf("hooks: %d samples, %d ends, problems %q; want samples, one end, no problems", samples, ends, problems)
	}
	if got := out.String(); got != "answer: 42\n" {
		t.Errorf("the command's output passed on as %q", got)
	}
	m, err := bundle.ReadManifest(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if m.Exit.Code != 3 || strings.Join(m.Command, " ") != "sh -c echo answer: 42; sleep 0.2; exit 3" {
		t.Errorf("manifest: exit %d, command %q", m.Exit.Code, m.Command)
	}
	raw, err := bundle.ReadFile(s.Path(), format.SummaryFile)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := format.ReadSummary(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Totals.ExitCode != 3 || len(sum.Metrics) != 1 || sum.Metrics[0].Name != "answer" {
		t.Errorf("summary: exit %d, metrics %+v; want exit 3 and the metric answer", sum.Totals.ExitCode, sum.Metrics)
	}
	if log, err := bundle.ReadFile(s.Path(), "stdout.log"); err != nil || string(log) != "answer: 42\n" {
		t.Errorf("stdout.log %q, %v", log, err)
	}
	if _, err := os.Stat(s.Dir()); err == nil {
		t.Errorf("the staging directory %s outlived a written bundle", s.Dir())
	}
}
