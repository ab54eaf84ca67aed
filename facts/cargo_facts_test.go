package facts

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// cargoProjects copies testdata/cargo/projects into a temporary directory,
// so the walk up to the filesystem root meets no stray Cargo.toml or
// .cargo directory of the checkout, and returns that directory with a
// Cargo home holding its own config.toml.
func cargoProjects(t *testing.T) (dir, cargoHome string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "cargo", "projects"))); err != nil {
		t.Fatal(err)
	}
	cargoHome = filepath.Join(dir, "cargo-home")
	if err := os.MkdirAll(cargoHome, 0o755); err != nil {
		t.Fatal(err)
	}
	home := "[build]\nrustflags = \"-C opt-level=2\"\n\n[profile.release]\nincremental = true\n"
	if err := os.WriteFile(filepath.Join(cargoHome, "config.toml"), []byte(home), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, cargoHome
}

func TestCargoFactsWorkspace(t *testing.T) {
	dir, cargoHome := cargoProjects(t)
	ws := filepath.Join(dir, "ws")
	env := map[string]string{
		"CARGO_PROFILE_RELEASE_OPT_LEVEL": "2",
		"CARGO_PROFILE_BENCH_DEBUG":       "false",
		"RUST_LOG":                        "info",
	}
	got := readCargoFacts(filepath.Join(ws, "crates", "vm"), []string{"cargo", "bench", "--bench", "performance_test"}, env, cargoHome)

	wsConfig := filepath.Join(ws, ".cargo", "config.toml")
	vmConfig := filepath.Join(ws, "crates", "vm", ".cargo", "config.toml")
	homeConfig := filepath.Join(cargoHome, "config.toml")
	release := map[string]ProfileSetting{
		"opt-level":        {"2", "env CARGO_PROFILE_RELEASE_OPT_LEVEL"},
		"lto":              {"fat", "Cargo.toml [profile.release]"},
		"codegen-units":    {"4", wsConfig + " [profile.release]"},
		"debug":            {"false", "default"},
		"panic":            {"abort", vmConfig + " [profile.release]"},
		"strip":            {"none", "default"},
		"incremental":      {"true", homeConfig + " [profile.release]"},
		"overflow-checks":  {"false", "default"},
		"debug-assertions": {"false", "default"},
	}
	bench := map[string]ProfileSetting{}
	for k, v := range release {
		bench[k] = v
	}
	bench["debug"] = ProfileSetting{"false", "env CARGO_PROFILE_BENCH_DEBUG"}
	want := &CargoFacts{
		Manifest:        filepath.Join(ws, "crates", "vm", "Cargo.toml"),
		WorkspaceRoot:   filepath.Join(ws, "Cargo.toml"),
		Package:         "vm",
		Version:         "0.2.0",
		ActiveProfile:   "bench",
		Profiles:        map[string]map[string]ProfileSetting{"release": release, "bench": bench},
		ConfigFiles:     []string{vmConfig, wsConfig, homeConfig},
		Rustflags:       "-C target-cpu=native",
		RustflagsSource: wsConfig + " [build]",
		TargetRustflags: map[string]string{"x86_64-unknown-linux-gnu": "-C link-arg=-fuse-ld=lld"},
		EnvOverrides:    map[string]string{"CARGO_PROFILE_RELEASE_OPT_LEVEL": "2", "CARGO_PROFILE_BENCH_DEBUG": "false"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestCargoFactsProfiles(t *testing.T) {
	dir, _ := cargoProjects(t)
	ws := filepath.Join(dir, "ws")
	tests := []struct {
		argv    []string
		profile string
		want    map[string]ProfileSetting // a subset of the active profile
		wantErr string                    // a substring of the only error
	}{
		{[]string{"cargo", "build", "--profile", "perf"}, "perf", map[string]ProfileSetting{
			"inherits":  {"bench", "Cargo.toml [profile.perf]"},
			"strip":     {"symbols", "Cargo.toml [profile.perf]"},
			"debug":     {"true", "Cargo.toml [profile.bench]"},
			"lto":       {"fat", "Cargo.toml [profile.release]"},
			"opt-level": {"3", "default"},
		}, ""},
		{[]string{"cargo", "test"}, "test", map[string]ProfileSetting{
			"opt-level":        {"0", "default"},
			"debug-assertions": {"true", "default"},
			"codegen-units":    {"256", "default"},
		}, ""},
		{[]string{"cargo", "build", "--profile=loop-a"}, "loop-a", nil, `profile "loop-a": inherits chain too long or circular`},
		{[]string{"cargo", "build", "--profile", "orphan"}, "orphan", map[string]ProfileSetting{
			"opt-level": {"1", "Cargo.toml [profile.orphan]"},
		}, `profile "orphan": custom profile has no inherits`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.argv, " "), func(t *testing.T) {
			got := readCargoFacts(ws, tt.argv, nil, "")
			if got.ActiveProfile != tt.profile {
				t.Fatalf("active profile %q, want %q", got.ActiveProfile, tt.profile)
			}
			for k, v := range tt.want {
				if got.Profiles[tt.profile][k] != v {
					t.Errorf("%s = %+v, want %+v", k, got.Profiles[tt.profile][k], v)
				}
			}
			switch {
			case tt.wantErr == "" && len(got.Errors) > 0:
				t.Errorf("errors %q", got.Errors)
			case tt.wantErr != "" && (len(got.Errors) != 1 || !strings.Contains(got.Errors[0], tt.wantErr)):
				t.Errorf("errors %q, want one containing %q", got.Errors, tt.wantErr)
			}
		})
	}
}

func TestCargoFactsProjects(t *testing.T) {
	dir, _ := cargoProjects(t)
	tests := []struct {
		name, dir       string
		root            string // want WorkspaceRoot, relative to dir
		pkg, version    string
		wantErrorPrefix string
	}{
		{"excluded member is its own root", "ws/experiments/solo", "ws/experiments/solo/Cargo.toml", "solo", "9.9.9", ""},
		{"workspace root itself", "ws", "ws/Cargo.toml", "", "0.2.0", ""},
		{"malformed manifest", "broken", "broken/Cargo.toml", "", "",
			filepath.Join(dir, "broken", "Cargo.toml") + ":6:7: "},
		{"malformed config", "badconfig", "badconfig/Cargo.toml", "badconfig", "0.1.0",
			filepath.Join(dir, "badconfig", ".cargo", "config.toml") + ": build.rustflags: expected a string or an array of strings, found an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readCargoFacts(filepath.Join(dir, tt.dir), []string{"cargo", "bench"}, nil, "")
			if got == nil {
				t.Fatal("nil facts")
			}
			if got.WorkspaceRoot != filepath.Join(dir, tt.root) || got.Package != tt.pkg || got.Version != tt.version {
				t.Errorf("root %s package %q version %q, want %s %q %q", got.WorkspaceRoot, got.Package, got.Version, tt.root, tt.pkg, tt.version)
			}
			if tt.wantErrorPrefix == "" {
				if len(got.Errors) > 0 {
					t.Errorf("errors %q", got.Errors)
				}
				return
			}
			if len(got.Errors) != 1 || !strings.HasPrefix(got.Errors[0], tt.wantErrorPrefix) || strings.Contains(got.Errors[0], "\n") {
				t.Errorf("errors %q, want one line starting %q", got.Errors, tt.wantErrorPrefix)
			}
		})
	}
	if got := readCargoFacts(t.TempDir(), []string{"cargo", "bench"}, nil, ""); got != nil {
		t.Errorf("no Cargo.toml: got %+v, want nil", got)
	}
}

func TestCargoProfileOf(t *testing.T) {
	tests := []struct {
		argv []string
		want string
	}{
		{[]string{"cargo", "bench"}, "bench"},
		{[]string{"cargo", "+nightly", "bench", "--bench", "x"}, "bench"},
		{[]string{"cargo", "bench", "--profile", "perf"}, "perf"},
		{[]string{"cargo", "build", "--release"}, "release"},
		{[]string{"cargo", "run", "-r", "--example", "quick_start"}, "release"},
		{[]string{"cargo", "run", "--example", "quick_start"}, "dev"},
		{[]string{"cargo", "test"}, "test"},
		{[]string{"cargo", "test", "--release"}, "release"},
		{[]string{"cargo", "install", "--path", "."}, "release"},
		{[]string{"cargo", "install", "--debug", "--path", "."}, "dev"},
		{[]string{"cargo", "run", "--", "--release"}, "dev"},
		{[]string{"rustup", "run", "stable", "cargo", "build", "--release"}, "release"},
		{[]string{"rustup", "run", "stable", "rustc"}, ""},
		{[]string{"cargo", "flamegraph"}, ""},
		{[]string{"make", "bench"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := cargoProfileOf(tt.argv); got != tt.want {
			t.Errorf("cargoProfileOf(%q) = %q, want %q", tt.argv, got, tt.want)
		}
	}
}

func TestCargoEffectiveRustflags(t *testing.T) {
	configs := []*cargoConfig{
		{path: "home", rustflags: "-C a", hasRustflags: true},
		{path: "near", rustflags: "-C b", hasRustflags: true},
		{path: "nearest"},
	}
	tests := []struct {
		name                  string
		env                   map[string]string
		configs               []*cargoConfig
		wantFlags, wantSource string
	}{
		{"encoded wins", map[string]string{"CARGO_ENCODED_RUSTFLAGS": "-C\x1ftarget-cpu=native", "RUSTFLAGS": "-g"}, configs,
			"-C target-cpu=native", "env CARGO_ENCODED_RUSTFLAGS"},
		{"empty RUSTFLAGS still wins", map[string]string{"RUSTFLAGS": "", "CARGO_BUILD_RUSTFLAGS": "-g"}, configs, "", "env RUSTFLAGS"},
		{"build env over config", map[string]string{"CARGO_BUILD_RUSTFLAGS": "-g"}, configs, "-g", "env CARGO_BUILD_RUSTFLAGS"},
		{"nearest config that sets it", nil, configs, "-C b", "near [build]"},
		{"nothing", nil, nil, "", ""},
	}
	for _, tt := range tests {
		flags, source := effectiveRustflags(tt.env, tt.configs)
		if flags != tt.wantFlags || source != tt.wantSource {
			t.Errorf("%s: got %q from %q, want %q from %q", tt.name, flags, source, tt.wantFlags, tt.wantSource)
		}
	}
}
