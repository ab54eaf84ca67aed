package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recordedOutput is one tool's real stdout under testdata.
type recordedOutput struct {
	path string
	tool string // "criterion", "go", "hyperfine" or "libtest"
	data []byte
}

// recordedOutputs returns every recorded stdout, named by the tool that
// printed it (the directory under testdata): real Criterion 0.3 runs
// (names with spaces and slashes, piped and through a terminal), real
// go test -bench -count N, real hyperfine (piped, terminal, one run), and
// libtest (a real run with RUSTC_BOOTSTRAP=1 and hand-written samples).
func recordedOutputs(t testing.TB) []recordedOutput {
	t.Helper()
	tools := map[string]string{"criterion-0.3": "criterion", "go": "go", "hyperfine": "hyperfine", "libtest": "libtest"}
	files, err := filepath.Glob("testdata/*/*/stdout.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []recordedOutput
	seen := map[string]bool{}
	for _, f := range files {
		tool, ok := tools[strings.Split(filepath.ToSlash(f), "/")[1]]
		if !ok {
			t.Fatalf("%s: unknown tool directory", f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, recordedOutput{f, tool, data})
		seen[tool] = true
	}
	if len(seen) != len(tools) {
		t.Fatalf("recorded outputs cover %v, want every tool of %v", seen, tools)
	}
	return out
}

// TestNoParserWarnsAboutAnotherTool feeds every parser of command output
// every tool's real output: a parser finds results only in its own
// tool's output, and warns about none of them.
func TestNoParserWarnsAboutAnotherTool(t *testing.T) {
	matched := map[string]bool{}
	defer func() {
		for _, tool := range []string{"criterion", "go", "hyperfine", "libtest"} {
			if !matched[tool] {
				t.Errorf("the %s metric rule matched nothing in %s's outputs", tool, tool)
			}
		}
	}()
	for _, in := range recordedOutputs(t) {
		t.Run(in.path, func(t *testing.T) {
			goRes, goWarns, err := ParseGo(bytes.NewReader(in.data), "stdout.log", nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(goWarns) > 0 {
				t.Errorf("Go parser warns: %q", goWarns)
			}
			if (len(goRes) > 0) != (in.tool == "go") {
				t.Errorf("Go parser found %d results in %s output", len(goRes), in.tool)
			}

			console := parseConsole(t, string(in.data))
			if w := console.Warnings(); len(w) > 0 {
				t.Errorf("Criterion/libtest parser warns: %q", w)
			}
			for _, r := range console.Results() {
				if r.Tool != in.tool {
					t.Errorf("Criterion/libtest parser found a %s result %q in %s output", r.Tool, r.ID, in.tool)
				}
			}
			if n := len(console.Results()); (n > 0) != (in.tool == "criterion" || in.tool == "libtest") {
				t.Errorf("Criterion/libtest parser found %d results in %s output", n, in.tool)
			}

			// Metric rules written for each tool's output: each matches
			// numbers in its own tool's output only, and none warns.
			m := NewMetricMatcher("stdout", metricRules(t))
			m.Write(in.data)
			m.Close()
			if w := m.Warnings(); len(w) > 0 {
				t.Errorf("metric rules warn: %q", w)
			}
			for _, mt := range m.Metrics() {
				if !strings.HasPrefix(mt.Name, in.tool+".") {
					t.Errorf("rule %s matched %q in %s output", mt.Name, mt.Text, in.tool)
				}
				matched[in.tool] = true
			}
		})
	}
}

// metricRules are --metric rules a user would write for each tool.
func metricRules(t testing.TB) []MetricRule {
	t.Helper()
	var rules []MetricRule
	for _, s := range []string{
		`criterion.thrpt=thrpt:\s+\[\S+ \S+ ([\d.]+) `,
		`go.allocs=([\d.]+) allocs/op`,
		`hyperfine.mean=Time \(mean ± σ\):\s+([\d.]+) ms`,
		`libtest.ns=bench:\s+([\d,.]+) ns/iter`,
		`other.mips=([\d.]+) MIPS`,
	} {
		r, err := ParseMetricRule(s)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	return rules
}

// TestMixedOutput runs every parser over all recorded outputs one after
// the other, as a script running several tools prints them: each tool's
// results are found, and nothing warns.
func TestMixedOutput(t *testing.T) {
	var all bytes.Buffer
	want := map[string]int{}
	for _, in := range recordedOutputs(t) {
		if strings.Contains(in.path, "handwritten") {
			continue
		}
		all.Write(in.data)
		all.WriteString("\n")
		switch in.tool {
		case "go":
			res, _, _ := ParseGo(bytes.NewReader(in.data), "x", nil)
			want["go"] += len(res)
		case "criterion", "libtest":
			want[in.tool] += len(parseConsole(t, string(in.data)).Results())
		}
	}
	got := map[string]int{}
	goRes, warns, err := ParseGo(bytes.NewReader(all.Bytes()), "stdout.log", nil)
	if err != nil || len(warns) > 0 {
		t.Errorf("Go parser: %v, warnings %q", err, warns)
	}
	// Runs of the same Go benchmark in several recordings are one result.
	got["go"] = 0
	for _, r := range goRes {
		got["go"] += r.N
	}
	goRuns := 0
	for _, in := range recordedOutputs(t) {
		if in.tool == "go" {
			res, _, _ := ParseGo(bytes.NewReader(in.data), "x", nil)
			for _, r := range res {
				goRuns += r.N
			}
		}
	}
	want["go"] = goRuns
	console := parseConsole(t, all.String())
	if w := console.Warnings(); len(w) > 0 {
		t.Errorf("Criterion/libtest parser warns: %q", w)
	}
	for _, r := range console.Results() {
		got[r.Tool]++
	}
	for tool, n := range want {
		if got[tool] != n || n == 0 {
			t.Errorf("%s: %d results in the mixed output, %d in its own", tool, got[tool], n)
		}
	}
}
