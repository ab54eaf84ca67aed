package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// criterionBuilt copies the Cargo project testdata dir src into a
// temporary directory, builds its benchmark bench offline against Debian's
// Criterion 0.3 and makes that directory the current one; it skips the
// test when cargo, Criterion or (with perf) perf is missing. The build
// lands in $TMPDIR/perfcap-test-NAME-target, kept between test runs: it
// takes a minute or more here.
func criterionBuilt(t *testing.T, src, bench string, perf bool) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a Criterion benchmark")
	}
	tools := []string{"cargo"}
	if perf {
		tools = append(tools, "perf")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed; .ci/run installs what this test needs", tool)
		}
	}
	if m, _ := filepath.Glob("/usr/share/cargo/registry/criterion-0.3*"); len(m) == 0 {
		t.Skip("Criterion 0.3 is not installed: apt-get install librust-criterion-dev")
	}
	name := filepath.Base(src)
	project := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(project, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CARGO_TARGET_DIR", filepath.Join(os.TempDir(), "perfcap-test-"+name+"-target"))
	t.Setenv("CRITERION_HOME", filepath.Join(t.TempDir(), "criterion"))
	build := exec.Command("cargo", "bench", "--bench", bench, "--no-run")
	build.Dir = project
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("cargo bench --no-run: %v\n%s", err, out)
	}
	t.Chdir(project)
	return project
}
