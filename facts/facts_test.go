package facts

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/perfcap/perfcap/internal/golden"
)

// TestCollectThisMachine runs the real collection here and checks what
// must hold on any Linux machine that runs the tests.
func TestCollectThisMachine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("facts are read from Linux /proc and /sys")
	}
	_, cargoErr := exec.LookPath("cargo")
	dir := t.TempDir()
	f := Collect(context.Background(), Options{
		Dir:     dir,
		Command: []string{"cargo", "bench"},
		Env:     map[string]string{"RUSTFLAGS": "-C target-cpu=native"},
		// Generous, so a machine busy with other tests still answers; the
		// default is exercised by TestCollectGit.
		Timeout: 20 * time.Second,
	})
	if f.OS.Kernel == "" || f.OS.GOARCH != runtime.GOARCH && runtime.GOARCH != "386" && runtime.GOARCH != "arm" {
		t.Errorf("os: %+v", f.OS)
	}
	if f.CPU.LogicalCores != runtime.NumCPU() {
		t.Errorf("logical cores %d, runtime.NumCPU %d", f.CPU.LogicalCores, runtime.NumCPU())
	}
	if f.CPU.PhysicalCores == 0 || f.CPU.PhysicalCores > f.CPU.LogicalCores {
		t.Errorf("physical cores %d of %d logical", f.CPU.PhysicalCores, f.CPU.LogicalCores)
	}
	if f.Memory.TotalBytes == 0 || f.Memory.AvailableBytes > f.Memory.TotalBytes {
		t.Errorf("memory: %+v", f.Memory)
	}
	if f.Storage == nil || f.Storage.FSType == "" || f.Storage.MountPoint == "" {
		t.Errorf("storage of %s: %+v", dir, f.Storage)
	}
	if f.Virtualization.Virtualization == "" {
		t.Error("virtualization verdict is empty")
	}
	if f.System.PerfEventParanoid == nil || len(f.System.LoadAverage) != 3 {
		t.Errorf("system: %+v", f.System)
	}
	if cargoErr == nil {
		if rc := f.Toolchain.Rustc; rc == nil || rc.Release == "" || rc.Host == "" {
			t.Errorf("rustc: %+v (unknown: %q)", rc, f.Unknown["toolchain.rustc"])
		}
		if !strings.HasPrefix(f.Toolchain.Cargo, "cargo ") {
			t.Errorf("cargo: %q", f.Toolchain.Cargo)
		}
	}
	if f.Environment["RUSTFLAGS"] != "-C target-cpu=native" {
		t.Errorf("environment: %v", f.Environment)
	}
	if f.Git != nil || f.Cargo != nil {
		t.Errorf("a bare temporary directory has git %+v, cargo %+v", f.Git, f.Cargo)
	}
	for _, section := range []string{"os", "cpu", "memory", "storage", "virtualization", "system", "toolchain", "git", "cargo"} {
		if reason, ok := f.Unknown[section]; ok {
			t.Errorf("section %s unknown: %s", section, reason)
		}
	}
	if _, err := json.Marshal(f); err != nil {
		t.Error(err)
	}
	var text bytes.Buffer
	if err := f.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Logf("unknown: %v\n%s", f.Unknown, text.String())
}

func TestCollectGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not on PATH")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	collect := func() *GitFacts {
		t.Helper()
		return Collect(context.Background(), Options{Dir: dir, Command: []string{"true"}}).Git
	}

	if g := collect(); g != nil {
		t.Fatalf("outside a repository: %+v", g)
	}
	git("init", "-q", "-b", "perf-branch")
	write("a.txt", "one\n")
	git("add", "a.txt")
	git("commit", "-q", "-m", "first")
	head := git("rev-parse", "HEAD")

	tests := []struct {
		name   string
		change func()
		dirty  bool
	}{
		{"clean", func() {}, false},
		{"untracked file does not count", func() { write("b.txt", "new\n") }, false},
		{"modified tracked file", func() { write("a.txt", "two\n") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.change()
			g := collect()
			if g == nil || g.Commit != head || g.Branch != "perf-branch" || g.Dirty == nil || *g.Dirty != tt.dirty {
				t.Errorf("got %+v, want commit %s branch perf-branch dirty %v", g, head, tt.dirty)
			}
		})
	}
}

// TestCollectProbeTimeout gives Collect runners that never finish
// in time. Collect must come back by itself, with every probe marked
// unknown: were it to wait for the runner, the blocking runner would hang
// the test.
func TestCollectProbeTimeout(t *testing.T) {
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip("sleep is not on PATH")
	}
	release := make(chan struct{})
	defer close(release)
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		run  func(*exec.Cmd) error
	}{
		{"runner ignores the context", factsBackground, func(*exec.Cmd) error {
			<-release
			return nil
		}},
		{"probe outlives the timeout", factsBackground, func(cmd *exec.Cmd) error {
			// Swap the probe for a real process that outlives the timeout;
			// exec.CommandContext must kill it.
			sleep, _ := exec.LookPath("sleep")
			cmd.Path, cmd.Args = sleep, []string{"sleep", "60"}
			return cmd.Run()
		}},
		{"context cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, func(*exec.Cmd) error {
			<-release
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			f := Collect(ctx, Options{
				Dir:     t.TempDir(),
				Command: []string{"cargo", "bench"},
				Run:     tt.run,
				Timeout: 50 * time.Millisecond,
			})
			for _, key := range []string{"toolchain.rustc", "toolchain.cargo"} {
				if _, ok := f.Unknown[key]; !ok {
					if _, sectionLost := f.Unknown["toolchain"]; !sectionLost {
						t.Errorf("%s is not unknown: %v", key, f.Unknown)
					}
				}
			}
			if f.Toolchain.Rustc != nil || f.Toolchain.Cargo != "" {
				t.Errorf("toolchain from a probe that never ran: %+v", f.Toolchain)
			}
		})
	}
}

func factsBackground() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// TestFactsWriteText compares the text form of a fixed Facts with
// testdata/facts/env.txt; go test -update rewrites it.
func TestFactsWriteText(t *testing.T) {
	paranoid, kptr := 2, 0
	dirty := true
	f := &Facts{
		Collected:    time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
		CollectionMS: 41.5,
		OS:           OSFacts{Name: "Debian GNU/Linux 12 (bookworm)", ID: "debian", VersionID: "12", Kernel: "6.18.44", Arch: "x86_64", GOARCH: "amd64"},
		CPU: CPUFacts{Model: "AMD EPYC", Vendor: "AuthenticAMD", LogicalCores: 2, PhysicalCores: 2,
			CurrentMHz: 2596.15, FrequencySource: "cpuinfo", HypervisorFlag: true,
			Caches: []CacheFacts{{Name: "L1d", Level: 1, Type: "Data", Size: "32K", SizeBytes: 32 << 10, SharedCPUs: "0"}}},
		Memory:         MemoryFacts{TotalBytes: 24 << 30, AvailableBytes: 20 << 30, TransparentHugePages: "madvise"},
		Storage:        &StorageFacts{Dir: "/work/vm", MountPoint: "/", FSType: "ext4", Source: "/dev/vda", Device: "vda", Disks: []string{"vda"}, Kind: "virtio (hdd)"},
		Virtualization: VirtualizationFacts{Container: "docker", Virtualization: "kvm", Evidence: []string{"/.dockerenv exists", "cpu flag hypervisor"}},
		System:         SystemFacts{LoadAverage: []float64{0.5, 0.25, 0}, PerfEventParanoid: &paranoid, KptrRestrict: &kptr},
		Toolchain: ToolchainFacts{
			Rustc: &RustcFacts{Version: "rustc 1.95.0 (59807616e 2026-04-14)", Release: "1.95.0", Host: "x86_64-unknown-linux-gnu", LLVMVersion: "22.1.2"},
			Cargo: "cargo 1.95.0 (f2d3ce0bd 2026-03-21)", GCC: "gcc (Debian 12.2.0-14) 12.2.0"},
		Git: &GitFacts{Commit: "0123456789abcdef0123456789abcdef01234567", Branch: "main", Dirty: &dirty},
		Cargo: &CargoFacts{Manifest: "/work/vm/Cargo.toml", WorkspaceRoot: "/work/vm/Cargo.toml", Package: "vm", Version: "0.2.0",
			ActiveProfile: "bench", Rustflags: "-C target-cpu=native", RustflagsSource: "env RUSTFLAGS",
			EnvOverrides: map[string]string{"RUSTFLAGS": "-C target-cpu=native"},
			Profiles: map[string]map[string]ProfileSetting{"bench": {
				"opt-level": {"3", "default"}, "lto": {"fat", "Cargo.toml [profile.release]"}}}},
		Environment: map[string]string{"RUSTFLAGS": "-C target-cpu=native"},
		Unknown: map[string]string{
			"cpu.governor": "no cpufreq in /sys (usual in virtual machines)",
			"cpu.turbo":    "no intel_pstate/no_turbo or cpufreq boost in /sys",
			"git.x":        "not shown inline",
		},
	}
	var got bytes.Buffer
	if err := f.WriteText(&got); err != nil {
		t.Fatal(err)
	}
	goldenPath := filepath.Join("testdata", "facts", "env.txt")
	golden.Check(t, goldenPath, got.Bytes())
}

// factsFailingWriter fails every write.
type factsFailingWriter struct{}

func (factsFailingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestFactsWriteTextError(t *testing.T) {
	if err := (&Facts{}).WriteText(factsFailingWriter{}); err == nil {
		t.Error("WriteText to a failing writer: no error")
	}
}

// BenchmarkCollect measures one whole collection on this machine, with
// the Rust probes a `cargo bench` command asks for.
func BenchmarkCollect(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		Collect(context.Background(), Options{Dir: dir, Command: []string{"cargo", "bench"}})
	}
}
