package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/format"
)

// analysisOf reads summary.json's perf.analysis of a bundle, skipping
// the test when perf could not record.
func analysisOf(t *testing.T, path string) *format.Analysis {
	t.Helper()
	raw, err := bundle.ReadFile(path, "summary.json")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := format.ReadSummary(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Perf == nil || !sum.Perf.Recorded {
		t.Skipf("perf could not record here: %+v", sum.Perf)
	}
	if sum.Perf.Analysis == nil {
		t.Fatalf("no perf.analysis in summary.json; warnings: %v", sum.Warnings)
	}
	return sum.Perf.Analysis
}

// buildC compiles one of analysis/testdata/src's programs, skipping the
// test without a C compiler.
func buildC(t *testing.T, name string, flags ...string) string {
	t.Helper()
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler (cc); Debian: apt-get install gcc")
	}
	if _, err := exec.LookPath("perf"); err != nil {
		t.Skip("perf is not installed (Debian: apt-get install linux-perf); .ci/run installs it")
	}
	src, err := filepath.Abs(filepath.Join("..", "..", "analysis", "testdata", "src", name+".c"))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), name)
	args := append(append([]string{"-O2", "-g"}, flags...), "-o", bin, src)
	if out, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		t.Fatalf("cc %v: %v\n%s", args, err, out)
	}
	return bin
}

// recordCategory runs perfcap with args (flags, "--", the command; or
// the command alone) and returns the run, its analysis and the category
// named cat, which must hold over 30 % of the samples.
func recordCategory(t *testing.T, cat string, args ...string) (runResult, *format.Analysis, *format.Category) {
	t.Helper()
	if args[0] != "--" && !strings.HasPrefix(args[0], "-") {
		args = append([]string{"--"}, args...)
	}
	r := perfcap(t, append([]string{"--quiet", "--lang", "zh"}, args...)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	a := analysisOf(t, r.bundle)
	c := a.Category(cat)
	if c == nil || c.Share < 0.3 {
		t.Fatalf("%s share %+v, want over 30%%", cat, c)
	}
	return r, a, c
}

// reportedShare finds the share the pattern re captures in report.md's
// 可能的原因, which must be over 30 %.
func reportedShare(t *testing.T, report, re string) {
	t.Helper()
	causes := reportSection(report, "### 可能的原因")
	m := regexp.MustCompile(re).FindStringSubmatch(causes)
	if m == nil {
		t.Fatalf("the report's 可能的原因 gives no measured share (%s):\n%s", re, causes)
	}
	if v, _ := strconv.ParseFloat(m[1], 64); v < 30 {
		t.Errorf("the report gives %s%%, want over 30%%", m[1])
	}
}

// reportSection returns the text of report.md from the heading that
// holds title to the next heading of the same level.
func reportSection(report, title string) string {
	i := strings.Index(report, title)
	if i < 0 {
		return ""
	}
	rest := report[i:]
	if j := strings.Index(rest[1:], "\n### "); j >= 0 {
		return rest[:j+1]
	}
	return rest
}

// TestAnalysisAllocation runs a real program that spends most of its
// time in malloc and free: summary.json gives the allocation share
// (over 30 %) with malloc's functions, the report says it under 内存分配,
// and go tool pprof -lines on the bundle's profile shows the program's
// source lines.
func TestAnalysisAllocation(t *testing.T) {
	if testing.Short() {
		t.Skip("records a program with perf")
	}
	bin := buildC(t, "alloc", "-fno-omit-frame-pointer")
	r, _, c := recordCategory(t, format.CategoryAlloc, bin, "20000000")
	names := make([]string, 0, len(c.Functions))
	for _, f := range c.Functions {
		names = append(names, f.Name)
	}
	if !strings.Contains(strings.Join(names, " "), "malloc") {
		t.Errorf("the allocation share names %v, want malloc's functions", names)
	}
	files := readBundleFiles(t, r.bundle)
	reportedShare(t, files["report.md"], `内存分配\*\*\n   - 描述: _+\n   - 证据: 分配与释放函数出现在 ([0-9.]+)% 的样本栈上`)

	// pprof's own view of the profile: file:line per sample.
	prof := filepath.Join(t.TempDir(), "profile.pb.gz")
	if err := os.WriteFile(prof, []byte(files["perf/profile.pb.gz"]), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "pprof", "-lines", "-top", prof).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof -lines: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`churn .*alloc\.c:\d+`).Match(out) {
		t.Errorf("go tool pprof -lines shows no alloc.c:LINE for churn:\n%s", out)
	}
	list, err := exec.Command("go", "tool", "pprof", "-list", "churn", prof).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof -list: %v\n%s", err, list)
	}
	if !strings.Contains(string(list), "p = malloc(n)") {
		t.Errorf("go tool pprof -list churn does not show alloc.c's source:\n%s", list)
	}
}

// TestAnalysisLock runs four real threads fighting for one mutex: the
// lock share is over 30 % with pthread's functions, and the report says
// it under 锁竞争; the system call share counts the futex calls.
func TestAnalysisLock(t *testing.T) {
	if testing.Short() {
		t.Skip("records a program with perf")
	}
	bin := buildC(t, "lock", "-pthread")
	r, _, c := recordCategory(t, format.CategoryLock, "--call-graph", "dwarf", "--", bin, "30000000", "4")
	if len(c.Functions) == 0 || !strings.Contains(c.Functions[0].Name, "pthread_mutex") && !strings.Contains(c.Functions[0].Name, "futex") {
		t.Errorf("the lock share names %+v, want pthread's mutex or futex functions first", c.Functions)
	}
	report := readBundleFiles(t, r.bundle)["report.md"]
	reportedShare(t, report, `锁竞争\*\*\n   - 描述: _+\n   - 证据: 锁与 futex 函数出现在 ([0-9.]+)% 的样本栈上`)
	if causes := reportSection(report, "### 可能的原因"); !strings.Contains(causes, "系统态 CPU 时间") {
		t.Errorf("the report does not give the system CPU time under 其他:\n%s", causes)
	}
	where := reportSection(report, "### 性能瓶颈位置")
	if !regexp.MustCompile("`worker`").MatchString(where) || !regexp.MustCompile(`lock\.c:\d+`).MatchString(where) {
		t.Errorf("性能瓶颈位置 does not name worker at lock.c:LINE:\n%s", where)
	}
}

// TestAnalysisCargoBench runs a real Criterion benchmark whose body, the
// user's interpreter loop, is inlined into Criterion's Bencher::iter: the
// report's 性能瓶颈位置 names criterion_demo::interpret at a line of
// src/lib.rs inside the function, not Criterion or the standard library.
func TestAnalysisCargoBench(t *testing.T) {
	criterionBuilt(t, "../../testdata/criterion-demo", "vm", true)
	r := perfcap(t, "--quiet", "--lang", "zh", "--", "cargo", "bench", "--bench", "vm", "--",
		"--warm-up-time", "1", "--measurement-time", "3", "--noplot")
	if r.code != 0 {
		t.Fatalf("perfcap -- cargo bench: exit %d\n%s", r.code, r.stderr)
	}
	a := analysisOf(t, r.bundle)
	b := a.Bottleneck
	if b == nil {
		t.Fatalf("no bottleneck: %+v", a)
	}
	// interpret spans lines 60 to 103 of src/lib.rs.
	if b.Name != "criterion_demo::interpret" || !strings.HasSuffix(b.File, "src/lib.rs") || b.Line < 60 || b.Line > 103 {
		t.Errorf("bottleneck %s at %s:%d, want criterion_demo::interpret in src/lib.rs lines 60-103", b.Name, b.File, b.Line)
	}
	where := reportSection(readBundleFiles(t, r.bundle)["report.md"], "### 性能瓶颈位置")
	m := regexp.MustCompile("文件位置\\*\\*: `([^`]*src/lib\\.rs):(\\d+)`").FindStringSubmatch(where)
	if m == nil || !strings.Contains(where, "函数名称**: `criterion_demo::interpret`") {
		t.Fatalf("性能瓶颈位置 does not name criterion_demo::interpret at src/lib.rs:LINE:\n%s", where)
	}
	if n, _ := strconv.Atoi(m[2]); n < 60 || n > 103 {
		t.Errorf("the report's line %s is outside interpret (60-103)", m[2])
	}
	if !strings.Contains(where, "→ `criterion_demo::interpret`") {
		t.Errorf("the call path does not lead to interpret:\n%s", where)
	}
}
