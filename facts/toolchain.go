package facts

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// ToolchainFacts holds the versions of the compilers that built or run the
// measured code. Rust is probed when the command is Rust's (cargo, rustc,
// rustup, cross, cargo-*), Go when it is go; gcc and clang whenever they are
// on PATH, since build scripts and C dependencies use them. Probes run in
// the command's directory so rust-toolchain files and go.mod toolchain
// lines take effect.
type ToolchainFacts struct {
	// Rustc is rustc -vV; nil when Rust was not probed.
	Rustc *RustcFacts `json:"rustc,omitempty"`
	// Cargo is the first line of cargo -V, such as "cargo 1.95.0 (f2d3ce0bd 2026-03-21)".
	Cargo string `json:"cargo,omitempty"`
	// Go is the output of go version.
	Go string `json:"go,omitempty"`
	// GCC and Clang are the first lines of gcc --version and clang --version.
	GCC   string `json:"gcc,omitempty"`
	Clang string `json:"clang,omitempty"`
}

// RustcFacts is what rustc -vV says.
type RustcFacts struct {
	// Version is the first line, such as "rustc 1.95.0 (59807616e 2026-04-14)".
	Version string `json:"version"`
	// Release is the version number, such as "1.95.0" or "1.97.0-nightly".
	Release string `json:"release"`
	// CommitHash and CommitDate identify the compiler's source.
	CommitHash string `json:"commit_hash,omitempty"`
	CommitDate string `json:"commit_date,omitempty"`
	// Host is the host target triple, such as "x86_64-unknown-linux-gnu".
	Host string `json:"host,omitempty"`
	// LLVMVersion is the LLVM rustc was built with.
	LLVMVersion string `json:"llvm_version,omitempty"`
}

// rustProbeEnv keeps rustup from installing a toolchain a rust-toolchain
// file names but the machine lacks: that would outlast any probe timeout,
// and the measured command will install it anyway.
var rustProbeEnv = []string{"RUSTUP_AUTO_INSTALL=0"}

// toolchainSection runs the version probes concurrently.
func (c *factsCollector) toolchainSection(ctx context.Context) func(*Facts) {
	var (
		mu      sync.Mutex
		applies []func(*Facts)
		wg      sync.WaitGroup
	)
	later := func(apply func(*Facts)) {
		mu.Lock()
		defer mu.Unlock()
		applies = append(applies, apply)
	}
	// version runs one probe and hands its first line to set; an absent
	// optional compiler is skipped without a trace.
	version := func(key string, optional bool, env []string, set func(*Facts, string), name string, args ...string) {
		if _, err := exec.LookPath(name); err != nil && optional {
			return
		}
		wg.Go(func() {
			out, err := c.probe(ctx, env, name, args...)
			line := factsFirstLine(out)
			later(func(f *Facts) {
				switch {
				case err != nil:
					f.unknownErr(key, err)
				case line == "":
					f.unknown(key, strings.Join(append([]string{name}, args...), " ")+": no output")
				default:
					set(f, line)
				}
			})
		})
	}

	lang, selector := toolchainOf(c.argv)
	switch lang {
	case "rust":
		wg.Go(func() {
			out, err := c.probe(ctx, rustProbeEnv, "rustc", withSelector(selector, "-vV")...)
			if err == nil {
				var rc *RustcFacts
				if rc, err = parseRustcVersion(out); err == nil {
					later(func(f *Facts) { f.Toolchain.Rustc = rc })
					return
				}
			}
			later(func(f *Facts) { f.unknownErr("toolchain.rustc", err) })
		})
		version("toolchain.cargo", false, rustProbeEnv, func(f *Facts, s string) { f.Toolchain.Cargo = s },
			"cargo", withSelector(selector, "-V")...)
	case "go":
		version("toolchain.go", false, nil, func(f *Facts, s string) { f.Toolchain.Go = s }, "go", "version")
	}
	version("toolchain.gcc", true, nil, func(f *Facts, s string) { f.Toolchain.GCC = s }, "gcc", "--version")
	version("toolchain.clang", true, nil, func(f *Facts, s string) { f.Toolchain.Clang = s }, "clang", "--version")
	wg.Wait()
	return func(f *Facts) {
		for _, apply := range applies {
			apply(f)
		}
	}
}

// toolchainOf decides from argv which language's toolchain to probe:
// "rust", "go" or "". For Rust it also returns the toolchain the command
// selects, as "+nightly" in `cargo +nightly bench` or
// `rustup run nightly cargo bench`, so the probes ask the same toolchain.
func toolchainOf(argv []string) (lang, selector string) {
	if len(argv) == 0 {
		return "", ""
	}
	switch base := filepath.Base(argv[0]); {
	case base == "go":
		return "go", ""
	case base == "rustup":
		if len(argv) > 2 && argv[1] == "run" {
			return "rust", "+" + argv[2]
		}
		return "rust", ""
	case base == "cargo" || base == "rustc" || base == "cross" || strings.HasPrefix(base, "cargo-"):
		if len(argv) > 1 && strings.HasPrefix(argv[1], "+") {
			return "rust", argv[1]
		}
		return "rust", ""
	}
	return "", ""
}

// withSelector puts a "+toolchain" selector, if any, before args.
func withSelector(selector string, args ...string) []string {
	if selector == "" {
		return args
	}
	return append([]string{selector}, args...)
}

// errNoRustcRelease reports rustc -vV output without a release line.
var errNoRustcRelease = errors.New("no release line")

// parseRustcVersion parses the output of rustc -vV.
func parseRustcVersion(out string) (*RustcFacts, error) {
	rc := &RustcFacts{Version: factsFirstLine(out)}
	for line := range strings.Lines(out) {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "release":
			rc.Release = val
		case "commit-hash":
			rc.CommitHash = val
		case "commit-date":
			rc.CommitDate = val
		case "host":
			rc.Host = val
		case "LLVM version":
			rc.LLVMVersion = val
		}
	}
	if rc.Release == "" {
		return nil, fmt.Errorf("parsing rustc -vV output %q: %w", factsTruncate(rc.Version, 80), errNoRustcRelease)
	}
	return rc, nil
}
