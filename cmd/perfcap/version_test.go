package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
)

func TestBuildVersion(t *testing.T) {
	info := func(version string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/perfcap/perfcap", Version: version}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	rev := "85947f9abcdef0123456789abcdef0123456789a"
	tests := []struct {
		release string
		read    func() (*debug.BuildInfo, bool)
		want    string
	}{
		{"", info("v0.0.0-20261129104546-85947f9abcde", "vcs", "git", "vcs.revision", rev, "vcs.modified", "false"),
			"v0.0.0-20261129104546-85947f9abcde (git " + rev + ") go1.26.8"},
		{"", info("v0.0.0-20261129104546-85947f9abcde+dirty", "vcs", "git", "vcs.revision", rev, "vcs.modified", "true"),
			"v0.0.0-20261129104546-85947f9abcde+dirty (git " + rev + ", modified) go1.26.8"},
		{"", info("(devel)"), "(devel) (VCS revision unknown) go1.26.8"},
		{"v1.2.3", info("(devel)", "vcs", "git", "vcs.revision", rev), "v1.2.3 (git " + rev + ") go1.26.8"},
		{"", func() (*debug.BuildInfo, bool) { return nil, false }, "(devel) (VCS revision unknown) " + runtime.Version()},
	}
	for _, tt := range tests {
		if got := buildVersion(tt.release, tt.read); got != tt.want {
			t.Errorf("buildVersion = %q, want %q", got, tt.want)
		}
	}
	if code, stdout, _ := cli("--version"); code != 0 || stdout != "perfcap "+version+"\n" {
		t.Errorf("perfcap --version: exit %d, %q; want %q", code, stdout, "perfcap "+version)
	}
}

// TestVersionStamped builds perfcap with the real go build in a fresh git
// checkout of this source (go stamps VCS information only where .git is a
// directory, not in a worktree) and checks that --version and a bundle's
// manifest carry that commit, the modified flag and the Go version.
func TestVersionStamped(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the source and builds perfcap twice")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	listed, err := exec.Command(git, "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "perfcap")
	for _, f := range strings.Split(strings.TrimRight(string(listed), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %q: %v\n%s", name, args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run(git, "init", "-q")
	run(git, "add", "-A")
	run(git, "commit", "-q", "-m", "snapshot")
	head := run(git, "rev-parse", "HEAD")
	bin := filepath.Join(t.TempDir(), "perfcap")

	goVersion := run("go", "env", "GOVERSION")
	for _, modified := range []bool{false, true} {
		if modified {
			if err := os.WriteFile(filepath.Join(src, "README.md"), []byte("changed\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// -buildvcs=true: this machine's go env sets GOFLAGS=-buildvcs=false.
		run("go", "build", "-buildvcs=true", "-o", bin, "./cmd/perfcap")
		got := run(bin, "--version")
		want := "(git " + head + ") " + goVersion
		if modified {
			want = "(git " + head + ", modified) " + goVersion
		}
		if !strings.HasPrefix(got, "perfcap v0.0.0-") || !strings.HasSuffix(got, want) || strings.Contains(got, "+dirty") != modified {
			t.Errorf("--version = %q, want a pseudo-version ending in %q", got, want)
		}
		out := filepath.Join(t.TempDir(), "b.tar.zst")
		run(bin, "-q", "--no-perf", "-o", out, "--", "true")
		m, err := bundle.ReadManifest(out)
		if err != nil {
			t.Fatal(err)
		}
		if "perfcap "+m.PerfcapVersion != got {
			t.Errorf("manifest perfcap_version %q, --version %q", m.PerfcapVersion, got)
		}
	}
}
