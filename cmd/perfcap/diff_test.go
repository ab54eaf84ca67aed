package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/compare"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// diffBundle is a recorded bundle of compare's tests.
func diffBundle(name string) string {
	return filepath.Join("..", "..", "compare", "testdata", "bundles", name)
}

// runMain runs perfcap in-process with args.
func runMain(args ...string) (code int, stdout, stderr string) {
	io, out, errOut := iostreams.Test()
	code = Main(args, io)
	return code, out.String(), errOut.String()
}

// TestDiffErrors: bad input and bad flags exit 125 with one line on
// stderr and nothing on stdout.
func TestDiffErrors(t *testing.T) {
	base, cur := diffBundle("go-before.tar.zst"), diffBundle("go-after.tar.zst")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"one bundle", []string{"diff", base}, "needs two bundles"},
		{"watch bundle", []string{"diff", diffBundle("watch.tar.zst"), cur}, "watch bundle"},
		{"damaged", []string{"diff", base, "../../bundle/testdata/hostile/flipped-byte.tar.zst"}, "flipped-byte.tar.zst"},
		{"not a bundle", []string{"diff", base, "diff.go"}, "not a perfcap bundle"},
		{"missing", []string{"diff", base, "no-such.tar.zst"}, "no-such.tar.zst"},
		{"json and markdown", []string{"diff", "--json", "--markdown", base, cur}, "exclusive"},
		{"bad rule", []string{"diff", "--fail-on", "time<5%", base, cur}, "METRIC>N%"},
		{"bad match", []string{"diff", "--match", "(", base, cur}, "--match"},
		{"match without group", []string{"diff", "--match", "Hash", base, cur}, "needs a group"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runMain(c.args...)
			if code != exitError || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 125, nothing, one line with %q", code, stdout, stderr, c.want)
			}
		})
	}
}

// TestDiffOutputs: the table, --markdown and --json go to stdout, nothing
// to stderr, exit 0 without rules; --json has the fields the issue asks.
func TestDiffOutputs(t *testing.T) {
	base, cur := diffBundle("go-before.tar.zst"), diffBundle("go-after.tar.zst")
	code, stdout, stderr := runMain("diff", base, cur)
	if code != 0 || stderr != "" || !strings.Contains(stdout, "BenchmarkHash") || !strings.Contains(stdout, "resources") {
		t.Errorf("table: exit %d, stderr %q:\n%s", code, stderr, stdout)
	}
	code, stdout, stderr = runMain("diff", "--markdown", base, cur)
	if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "### perfcap diff") || !strings.Contains(stdout, "| `BenchmarkHash` |") {
		t.Errorf("markdown: exit %d, stderr %q:\n%s", code, stderr, stdout)
	}
	code, stdout, stderr = runMain("diff", "--json", base, cur)
	if code != 0 || stderr != "" {
		t.Fatalf("json: exit %d, stderr %q", code, stderr)
	}
	var raw struct {
		Comparisons []struct {
			Tables []struct {
				Benchmarks []map[string]json.RawMessage `json:"benchmarks"`
			} `json:"benchmark_tables"`
			Resources []map[string]json.RawMessage `json:"resources"`
		} `json:"comparisons"`
	}
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil || len(raw.Comparisons) != 1 || len(raw.Comparisons[0].Tables) == 0 {
		t.Fatalf("json: %v:\n%s", err, stdout)
	}
	for _, b := range raw.Comparisons[0].Tables[0].Benchmarks {
		for _, k := range []string{"name", "base", "new", "change", "p", "significant", "verdict"} {
			if _, ok := b[k]; !ok {
				t.Errorf("json benchmark without %q: %v", k, b)
			}
		}
	}
	if len(raw.Comparisons[0].Resources) == 0 {
		t.Errorf("json without resources")
	}
}

// TestDiffFailOn: exit 1 when a rule is broken, each broken rule on
// stderr; 0 otherwise. The thresholds are set from the bundles' own
// figures on either side of the wall time's real change.
func TestDiffFailOn(t *testing.T) {
	base, cur := diffBundle("go-before.tar.zst"), diffBundle("go-after.tar.zst")
	var runs []*compare.Run
	for _, p := range []string{base, cur} {
		r, err := compare.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	d, err := compare.New(runs, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wall float64
	for _, r := range d.Comparisons[0].Resources {
		if r.Name == "wall" {
			wall = *r.Change * 100
		}
	}
	if wall <= 1 {
		t.Fatalf("the recorded bundles' wall time changed by %.1f%%; the test needs a growth", wall)
	}
	below, above := wall/2, wall*2
	code, stdout, stderr := runMain("diff", "--fail-on", "wall>"+ftoa(below)+"%", base, cur)
	if code != exitRegressed || stdout == "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "regression: wall>") {
		t.Errorf("wall>%.1f%%: exit %d, stderr %q", below, code, stderr)
	}
	code, _, stderr = runMain("diff", "--fail-on", "wall>"+ftoa(above)+"%", base, cur)
	if code != 0 || stderr != "" {
		t.Errorf("wall>%.1f%%: exit %d, stderr %q", above, code, stderr)
	}
	// time rules: exit 1 exactly when the library finds a violation.
	for _, rule := range []string{"time>5%", "time>1000%"} {
		r, err := compare.ParseRule(rule)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if len(d.Check([]compare.Rule{r})) > 0 {
			want = exitRegressed
		}
		if code, _, stderr := runMain("diff", "--fail-on", rule, base, cur); code != want || (want == 0) != (stderr == "") {
			t.Errorf("%s: exit %d, stderr %q, want %d", rule, code, stderr, want)
		}
	}
}

func ftoa(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// TestDiffBundle: -o writes a verifiable diff bundle and names it on
// stderr; the same path again takes the next free name, --force replaces.
func TestDiffBundle(t *testing.T) {
	base, cur := diffBundle("criterion-before.tar.zst"), diffBundle("criterion-after.tar.zst")
	out := filepath.Join(t.TempDir(), "diff.tar.zst")
	for _, c := range []struct {
		args []string
		path string
	}{
		{[]string{"-o", out, "--lang", "en"}, out},
		{[]string{"-o", out}, strings.TrimSuffix(out, ".tar.zst") + "-2.tar.zst"},
		{[]string{"-o", out, "--force"}, out},
	} {
		code, stdout, stderr := runMain(append(append([]string{"diff"}, c.args...), base, cur)...)
		if code != 0 || !strings.Contains(stdout, "checksum 4k") || !strings.Contains(stderr, "perfcap: diff bundle "+c.path+" (") {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, stderr)
			continue
		}
		if _, err := bundle.Verify(c.path); err != nil {
			t.Errorf("%v: %v", c.args, err)
		}
	}
	md, err := bundle.ReadFile(out, "report.md")
	if err != nil || !strings.Contains(string(md), "### 性能回归") {
		t.Errorf("the --force bundle's report is not in Chinese (the default): %v", err)
	}
	code, _, stderr := runMain("diff", "-o", out, "--lang", "fr", base, cur)
	if code != exitError || !strings.Contains(stderr, "--lang") {
		t.Errorf("--lang fr: exit %d, %q", code, stderr)
	}
}

// TestDiffBundleReportAndInspect: perfcap report prints a diff bundle's
// report with the bundle's own size and SHA-256 (the sentence inside sends
// the reader there), refuses another language or a template with the
// command that compares again, and inspect describes the bundle.
func TestDiffBundleReportAndInspect(t *testing.T) {
	base, cur := diffBundle("go-before.tar.zst"), diffBundle("go-after.tar.zst")
	out := filepath.Join(t.TempDir(), "d.tar.zst")
	if code, _, stderr := runMain("diff", "-o", out, "--lang", "en", base, cur); code != 0 {
		t.Fatalf("diff -o: exit %d\n%s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	code, stdout, stderr := runMain("report", out)
	if code != 0 || !strings.Contains(stdout, "Attachment `d.tar.zst` (") || !strings.Contains(stdout, "SHA-256 `"+hex.EncodeToString(sum[:])+"`") {
		t.Errorf("report of a diff bundle: exit %d, stderr %q; the attachment line does not give its SHA-256", code, stderr)
	}
	if !strings.Contains(stdout, "### Regression") {
		t.Errorf("report of a diff bundle has no regression section")
	}
	for _, args := range [][]string{{"report", "--lang", "zh", out}, {"report", "--baseline", base, out}} {
		code, _, stderr := runMain(args...)
		if code != exitError || !strings.Contains(stderr, "compare again: perfcap diff ") {
			t.Errorf("%v: exit %d, %q; want a refusal that gives the diff command", args, code, stderr)
		}
	}
	code, stdout, stderr = runMain("inspect", out)
	if code != 0 || !strings.Contains(stdout, "perfcap diff -o") || !strings.Contains(stdout, "diff.json") {
		t.Errorf("inspect of a diff bundle: exit %d, %q\n%s", code, stderr, stdout)
	}
	code, stdout, _ = runMain("inspect", "--json", out)
	var js struct {
		Diff json.RawMessage `json:"diff"`
	}
	if err := json.Unmarshal([]byte(stdout), &js); code != 0 || err != nil || len(js.Diff) < 100 {
		t.Errorf("inspect --json of a diff bundle: exit %d, %v, diff %d bytes", code, err, len(js.Diff))
	}
}

// TestReportBaseline: perfcap report --baseline fills the regression
// sections from the comparison; a baseline that is no run is refused in
// one line.
func TestReportBaseline(t *testing.T) {
	base, cur := diffBundle("criterion-before.tar.zst"), diffBundle("criterion-after.tar.zst")
	code, stdout, stderr := runMain("report", cur, "--baseline", base)
	if code != 0 || stderr != "" || !strings.Contains(stdout, "- [x] 🔍 **性能回归**") || !strings.Contains(stdout, "**回归幅度**: +") {
		t.Errorf("exit %d, stderr %q:\n%s", code, stderr, stdout)
	}
	code, stdout, _ = runMain("report", cur)
	if code != 0 || !strings.Contains(stdout, "v0.X.Y → v0.Z.W") {
		t.Errorf("without --baseline the sections are blank: exit %d", code)
	}
	code, _, stderr = runMain("report", cur, "--baseline", diffBundle("watch.tar.zst"))
	if code != exitError || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--baseline") {
		t.Errorf("watch baseline: exit %d, %q", code, stderr)
	}
}

// TestRunBaseline: a real run with --baseline fills its own report's
// regression sections (a different program than the baseline's: the
// other-systems table too); a bad baseline stops perfcap before the
// command runs.
func TestRunBaseline(t *testing.T) {
	base := diffBundle("hyperfine-before.tar.zst")
	r := perfcap(t, "--quiet", "--no-perf", "--lang", "en", "--baseline", base, "--", "sh", "-c", "echo hello")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	md, err := bundle.ReadFile(r.bundle, "report.md")
	if err != nil {
		t.Fatal(err)
	}
	report := string(md)
	for _, want := range []string{"- **Versions**: ", "- **Compared bundles**: `hyperfine-before.tar.zst`", "| `sh -c 'echo hello'` |", "| baseline |"} {
		if !strings.Contains(report, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	marker := filepath.Join(t.TempDir(), "ran")
	r = perfcap(t, "--quiet", "--no-perf", "--baseline", diffBundle("watch.tar.zst"), "--", "touch", marker)
	if r.code != exitError || !strings.Contains(r.stderr, "--baseline") {
		t.Errorf("watch baseline: exit %d, %q", r.code, r.stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the command ran despite a bad --baseline")
	}
}
