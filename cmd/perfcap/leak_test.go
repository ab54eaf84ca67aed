package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle"
)

// Secrets planted in every channel a run reads never reach the bundle, its
// name, the GitHub zip or perfcap's own messages. Each channel gets its own
// token, so a leak names its channel.
func TestNoSecretLeavesTheMachine(t *testing.T) {
	// GitHub tokens are ghp_ and 36 letters and digits.
	gh := func(word string) string { return "ghp_" + (strings.Repeat(word, 36))[:35] + "9" }
	tok := map[string]string{
		"env":       gh("Env"),
		"argv":      gh("Argv"),
		"out":       gh("Out"),
		"long":      "AKIAQ7LONGLINEKEY9Z2",
		"cwd":       gh("Cwd"),
		"branch":    gh("Branch"),
		"cargo":     gh("Cargo"),
		"rustflags": gh("Rustflags"),
		"bench":     gh("Bench"),
		"binary":    gh("Binary"),
		"attach":    gh("Attach"),
		"slack":     "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp",
	}
	root := t.TempDir()
	cwd := filepath.Join(root, tok["cwd"])
	if err := os.MkdirAll(filepath.Join(cwd, ".cargo"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"Cargo.toml":           "[package]\nname = \"leaky\"\nversion = \"0.1.0\"\ndescription = \"" + tok["cargo"] + "\"\n\n[profile.release]\ndebug = \"" + tok["cargo"] + "\"\n",
		".cargo/config.toml":   "[build]\nrustflags = [\"-C\", \"link-arg=" + tok["rustflags"] + "\"]\n",
		tok["attach"] + ".txt": "attached\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(cwd, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q", "-b", tok["branch"]}, {"add", "."}, {"-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x"}} {
		if out, err := exec.Command("git", append([]string{"-C", cwd}, args...)...).CombinedOutput(); err != nil {
			t.Skipf("git: %v %s", err, out)
		}
	}
	// The command is a binary named like a token: its process name, the
	// default bundle name and the manifest all start from it.
	bin := filepath.Join(root, tok["binary"])
	if err := os.Link(workloadBin, bin); err != nil {
		b, _ := os.ReadFile(workloadBin)
		if err := os.WriteFile(bin, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	long := strings.Repeat("x", 70000) + " " + tok["long"] + " " + strings.Repeat("y", 100)
	script := `echo "token from the environment: $GITHUB_TOKEN"
echo "plain ` + tok["out"] + `"
echo "` + long + `"
echo "slack ` + tok["slack"] + `" >&2
echo "Benchmark` + tok["bench"] + `-2   1000   1234 ns/op"
` + bin + ` echo -- --token=` + tok["argv"] + ` sleep 300ms
` + bin + ` burn 300ms`
	cmd := exec.Command(perfcapBin, "--github", "--attach", tok["attach"]+".txt", "--", "sh", "-c", script)
	cmd.Dir = cwd
	cmd.Env = append(os.Environ(), "GITHUB_TOKEN="+tok["env"])
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		t.Fatalf("perfcap: %v\n%s", err, stderr.String())
	}
	check := func(where, text string) {
		t.Helper()
		for channel, secret := range tok {
			for _, s := range []string{secret, secret[:15]} {
				if strings.Contains(text, s) {
					t.Errorf("the %s secret (%q) leaks into %s", channel, s, where)
					break
				}
			}
		}
	}
	// perfcap's own lines; the rest is the command's stderr, passed
	// through to the terminal as it is.
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(line, "perfcap:") {
			check("perfcap's stderr", line)
		}
	}
	entries, _ := os.ReadDir(cwd)
	var bundles, zips []string
	for _, e := range entries {
		if _, planted := files[e.Name()]; !planted && !e.IsDir() {
			check("a file name beside the bundle", e.Name())
		}
		switch {
		case strings.HasSuffix(e.Name(), ".tar.zst"):
			bundles = append(bundles, filepath.Join(cwd, e.Name()))
		case strings.HasSuffix(e.Name(), ".zip"):
			zips = append(zips, filepath.Join(cwd, e.Name()))
		}
	}
	if len(bundles) != 1 || len(zips) != 1 {
		t.Fatalf("bundles %v zips %v", bundles, zips)
	}
	for _, path := range append(bundles, zips...) {
		m, err := bundle.Verify(path)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := bundle.ReadFile(path, bundle.ManifestName)
		check(filepath.Base(path)+":manifest.json", string(raw)+strings.Join(m.Command, " ")+m.Cwd)
		for _, f := range m.Files {
			check(filepath.Base(path)+": the name "+f.Path, f.Path)
			b, err := bundle.ReadFile(path, f.Path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(f.Path, ".gz") {
				if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
					if d, err := io.ReadAll(zr); err == nil {
						b = d
					}
				}
			}
			check(filepath.Base(path)+":"+f.Path, string(b))
		}
	}
	// The channels were really exercised: the facts and the output are
	// in the bundle, redacted.
	got := readBundleFiles(t, bundles[0])
	for name, want := range map[string]string{
		"stdout.log":    "token from the environment: [redacted]",
		"env.json":      `"branch"`,
		"processes.csv": "--token=[redacted]",
		"stderr.log":    "slack [redacted]",
	} {
		if !strings.Contains(got[name], want) {
			t.Errorf("%s lacks %q: the channel was not exercised\n%s", name, want, got[name])
		}
	}
}

// The same for a watch: its bundle passes the same redaction step.
func TestNoSecretLeavesAWatch(t *testing.T) {
	secret := "ghp_" + strings.Repeat("Watch", 8)[:35] + "7"
	dir := filepath.Join(t.TempDir(), secret)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(perfcapBin, "watch", "-q", "--interval", "50ms", "--duration", "1s", "--", "sh", "-c", "echo out "+secret+"; echo err "+secret+" >&2; "+workloadBin+" echo -- --password="+secret+" sleep 2s")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("perfcap watch: %v\n%s", err, stderr.String())
	}
	names, _ := filepath.Glob(filepath.Join(dir, "perfcap-watch-*.tar.zst"))
	if len(names) != 1 {
		t.Fatalf("bundles %v", names)
	}
	for name, content := range readBundleFiles(t, names[0]) {
		if strings.Contains(name+content, secret) || strings.Contains(name+content, secret[:15]) {
			t.Errorf("%s leaks the secret", name)
		}
	}
	m, _ := bundle.Verify(names[0])
	if strings.Contains(m.Cwd+strings.Join(m.Command, " "), secret) {
		t.Errorf("the manifest leaks: %q %q", m.Cwd, m.Command)
	}
}
