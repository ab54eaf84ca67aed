package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// cli runs perfcap in-process and returns its exit code and output.
func cli(args ...string) (code int, stdout, stderr string) {
	io, out, errOut := iostreams.Test()
	code = Main(args, io)
	return code, out.String(), errOut.String()
}

func TestVerifyInspectExtract(t *testing.T) {
	r := perfcap(t, "--quiet", "--", workloadBin, "echo", "hello")

	code, out, _ := cli("verify", r.bundle)
	if code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("verify of a good bundle: exit %d, %q", code, out)
	}

	code, out, _ = cli("inspect", "--json", r.bundle)
	var got struct {
		Manifest struct{ Command []string }
		Summary  struct {
			ExitCode int `json:"exit_code"`
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got.Manifest.Command) != 3 {
		t.Errorf("inspect --json: exit %d, %q", code, out)
	}
	code, out, _ = cli("inspect", r.bundle)
	if code != 0 || !strings.Contains(out, "stdout.log") || !strings.Contains(out, "peak rss:") {
		t.Errorf("inspect: exit %d, %q", code, out)
	}

	dir := filepath.Join(t.TempDir(), "x")
	code, _, errOut := cli("extract", r.bundle, dir)
	if code != 0 {
		t.Fatalf("extract: exit %d, %s", code, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "stdout.log")); err != nil || string(b) != "hello\n" {
		t.Errorf("extracted stdout.log = %q, %v", b, err)
	}
	if code, _, errOut := cli("extract", r.bundle, dir); code == 0 || !strings.Contains(errOut, "already exists") {
		t.Errorf("extract over an existing directory: exit %d, %q", code, errOut)
	}
}

func TestVerifyNamesTheDamagedFile(t *testing.T) {
	tests := []struct {
		bundle, says string
	}{
		{"checksum-mismatch.tar.zst", "checksum"},
		{"missing.tar.zst", "missing"},
		{"traversal.tar.zst", "../"},
		{"truncated.tar.zst", "truncated.tar.zst"},
	}
	for _, tt := range tests {
		path := filepath.Join("..", "..", "bundle", "testdata", "hostile", tt.bundle)
		code, _, stderr := cli("verify", path)
		if code != exitInvalid {
			t.Errorf("verify %s: exit %d, want %d", tt.bundle, code, exitInvalid)
		}
		if !strings.Contains(stderr, tt.says) {
			t.Errorf("verify %s: stderr %q does not say %q", tt.bundle, stderr, tt.says)
		}
	}
}

func TestVerifyOfAnUnreadableFileIsAPerfcapError(t *testing.T) {
	code, _, stderr := cli("verify", filepath.Join(t.TempDir(), "none.tar.zst"))
	if code != exitError || !strings.Contains(stderr, "no such file") {
		t.Errorf("verify of a missing file: exit %d, %q; want %d", code, stderr, exitError)
	}
}

func TestEnvJSON(t *testing.T) {
	code, out, stderr := cli("env", "--json")
	if code != 0 {
		t.Fatalf("env --json: exit %d: %s", code, stderr)
	}
	var facts struct {
		OS  struct{ Kernel, Arch string }
		CPU struct {
			LogicalCores int `json:"logical_cores"`
		}
	}
	if err := json.Unmarshal([]byte(out), &facts); err != nil {
		t.Fatalf("env --json is not JSON: %v", err)
	}
	if facts.OS.Kernel == "" || facts.CPU.LogicalCores < 1 {
		t.Errorf("env --json lacks the kernel or the cores: %s", out)
	}
	code, out, _ = cli("env")
	if code != 0 || !strings.Contains(out, "kernel") {
		t.Errorf("env: exit %d, %q", code, out)
	}
}

func TestMetricsAndAttachments(t *testing.T) {
	note := filepath.Join(t.TempDir(), "heap.txt")
	if err := os.WriteFile(note, []byte("heap profile\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := perfcap(t, "--quiet", "--no-perf", "--metric", "MIPS=([0-9.,]+) MIPS", "--metric", "jit_ms=jit took ([0-9]+)ms",
		"--attach", note, "--", workloadBin, "echo", "ran at 1,234.5 MIPS", "echo", "jit took 87ms", "--stderr")
	raw, err := bundle.ReadFile(r.bundle, "summary.json")
	if err != nil {
		t.Fatal(err)
	}
	var sum format.Summary
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, m := range sum.Metrics {
		got[m.Name] = m.Value
	}
	if got["MIPS"] != 1234.5 || got["jit_ms"] != 87 {
		t.Errorf("metrics = %v, want MIPS 1234.5 and jit_ms 87", got)
	}
	if files := readBundleFiles(t, r.bundle); files["attach/heap.txt"] != "heap profile\n" {
		t.Errorf("--attach did not bring heap.txt into the bundle")
	}
	if code, _, stderr := cli("--metric", "no-equals-sign", "--", "true"); code != exitError || !strings.Contains(stderr, "--metric") {
		t.Errorf("a bad --metric: exit %d, %q", code, stderr)
	}
}

func TestReportAndGitHubExport(t *testing.T) {
	r := perfcap(t, "--no-perf", "--github", "--lang", "en", "--", workloadBin, "echo", "hi")
	if b, err := report.ArchiveOf(r.bundle); err != nil || !strings.Contains(r.stderr, "sha256 "+b.SHA256) {
		t.Errorf("the run did not print the bundle's SHA-256 (%v):\n%s", err, r.stderr)
	}
	if !strings.Contains(r.stderr, "suggested issue title: [PERF]") {
		t.Errorf("the run did not suggest an issue title:\n%s", r.stderr)
	}
	zip := strings.TrimSuffix(r.bundle, ".tar.zst") + ".zip"
	if code, out, stderr := cli("verify", zip); code != 0 {
		t.Fatalf("verify of the GitHub zip: exit %d, %s %s", code, out, stderr)
	}
	if unzip, err := exec.LookPath("unzip"); err == nil {
		if out, err := exec.Command(unzip, "-t", zip).CombinedOutput(); err != nil {
			t.Errorf("unzip -t: %v\n%s", err, out)
		}
	}
	files := readBundleFiles(t, r.bundle)
	if !strings.Contains(files["report.md"], "## 🖥️ Environment") || !strings.Contains(files["report.md"], "[x] Linux") {
		t.Errorf("report.md (en) lacks the template's structure or the Linux tick:\n%.1500s", files["report.md"])
	}

	// Rendered again from the zip: in Chinese, naming the file and its hash.
	code, out, stderr := cli("report", zip)
	if code != 0 {
		t.Fatalf("perfcap report: exit %d: %s", code, stderr)
	}
	a, err := report.ArchiveOf(zip)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "## 🖥️ 环境信息") || !strings.Contains(out, a.SHA256) || !strings.Contains(out, filepath.Base(zip)) {
		t.Errorf("perfcap report does not give the zh structure, the file's name and its SHA-256 %s:\n%.1500s", a.SHA256, out)
	}

	tmpl := filepath.Join(t.TempDir(), "mine.tmpl")
	if err := os.WriteFile(tmpl, []byte("cmd={{index .Manifest.Command 1}} exit={{.Summary.ExitCode}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := cli("report", "--template", tmpl, r.bundle); code != 0 || out != "cmd=echo exit=0\n" {
		t.Errorf("report --template: exit %d, %q %s", code, out, stderr)
	}
	if code, _, _ := cli("export", r.bundle); code != exitError {
		t.Errorf("export without --github: exit %d, want %d", code, exitError)
	}
}

func TestBrokenTemplateNeverCostsTheRun(t *testing.T) {
	tmpl := filepath.Join(t.TempDir(), "broken.tmpl")
	if err := os.WriteFile(tmpl, []byte("{{.NoSuchField}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := perfcap(t, "--no-perf", "--template", tmpl, "--", workloadBin, "exit", "0")
	if r.code != 0 || !strings.Contains(r.stderr, "built-in template") {
		t.Fatalf("exit %d; stderr %q", r.code, r.stderr)
	}
	if rep := readBundleFiles(t, r.bundle)["report.md"]; !strings.Contains(rep, "## 🖥️ 环境信息") {
		t.Errorf("report.md is not the built-in report:\n%.500s", rep)
	}
}
