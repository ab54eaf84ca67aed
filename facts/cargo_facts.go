package facts

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// CargoFacts describes the Cargo project around the working directory and
// how it is built: the package, its version, and the profile settings
// Cargo would use, each with where it came from.
//
// Profile settings follow Cargo's rules: profiles are read from the
// workspace root's manifest only, .cargo/config.toml files override them
// (the one nearest the working directory winning, $CARGO_HOME's losing),
// and CARGO_PROFILE_<NAME>_<KEY> variables override both. bench inherits
// release and test inherits dev. Not modelled: --config command-line
// overrides, per-package and build-override tables, and which
// target.<triple> or target.<cfg> rustflags apply (they are listed in
// TargetRustflags instead).
type CargoFacts struct {
	// Manifest is the Cargo.toml nearest the working directory.
	Manifest string `json:"manifest"`
	// WorkspaceRoot is the manifest whose profiles apply: the workspace
	// root, or Manifest itself outside a workspace.
	WorkspaceRoot string `json:"workspace_root"`
	// Package is the package name; empty in a virtual workspace.
	Package string `json:"package,omitempty"`
	// Version is the package version, resolved through version.workspace =
	// true; in a virtual workspace, [workspace.package].version.
	Version string `json:"version,omitempty"`
	// ActiveProfile is the profile the command builds with, from its argv
	// ("bench" for cargo bench, "release" for --release, the name after
	// --profile); empty when it cannot tell.
	ActiveProfile string `json:"active_profile,omitempty"`
	// Profiles maps "release", "bench" and ActiveProfile to their effective
	// settings.
	Profiles map[string]map[string]ProfileSetting `json:"profiles,omitempty"`
	// ConfigFiles are the .cargo/config.toml files read, nearest first.
	ConfigFiles []string `json:"config_files,omitempty"`
	// Rustflags is the extra rustc flags from environment or build.rustflags,
	// and RustflagsSource where they came from.
	Rustflags       string `json:"rustflags,omitempty"`
	RustflagsSource string `json:"rustflags_source,omitempty"`
	// TargetRustflags maps each target.<triple-or-cfg>.rustflags set in a
	// config file to its flags; when one applies, Cargo uses it instead of
	// build.rustflags.
	TargetRustflags map[string]string `json:"target_rustflags,omitempty"`
	// EnvOverrides holds the build-relevant variables of the command's
	// environment: RUSTFLAGS, CARGO_ENCODED_RUSTFLAGS, CARGO_BUILD_RUSTFLAGS,
	// CARGO_TARGET_*_RUSTFLAGS, CARGO_INCREMENTAL and CARGO_PROFILE_*.
	EnvOverrides map[string]string `json:"env_overrides,omitempty"`
	// Errors lists manifests and config files that could not be read, one
	// line each ("path:line:col: message" for TOML syntax errors).
	Errors []string `json:"errors,omitempty"`
}

// ProfileSetting is one effective profile setting.
type ProfileSetting struct {
	// Value is the setting as written, such as "3", "fat" or "true".
	Value string `json:"value"`
	// Source is "default" for Cargo's built-in default, "Cargo.toml
	// [profile.NAME]" for the workspace root manifest, "PATH
	// [profile.NAME]" for a config file and "env VAR" for a variable.
	Source string `json:"source"`
}

// cargoProfileKeys are the profile settings CARGO_PROFILE_* variables are
// mapped to.
var cargoProfileKeys = []string{
	"opt-level", "lto", "codegen-units", "debug", "panic", "strip", "incremental",
	"overflow-checks", "debug-assertions", "rpath", "split-debuginfo", "trim-paths",
}

// cargoDefaults are Cargo's documented defaults for its root profiles.
var cargoDefaults = map[string]map[string]string{
	"release": {
		"opt-level": "3", "lto": "false", "codegen-units": "16", "debug": "false",
		"panic": "unwind", "strip": "none", "incremental": "false",
		"overflow-checks": "false", "debug-assertions": "false",
	},
	"dev": {
		"opt-level": "0", "lto": "false", "codegen-units": "256", "debug": "true",
		"panic": "unwind", "strip": "none", "incremental": "true",
		"overflow-checks": "true", "debug-assertions": "true",
	},
}

// errProfileNoInherits reports a custom profile without inherits, which
// Cargo rejects.
var errProfileNoInherits = errors.New("custom profile has no inherits")

// errProfileInheritLoop reports a chain of inherits that does not end.
var errProfileInheritLoop = errors.New("inherits chain too long or circular")

// maxInheritDepth bounds a chain of custom profiles' inherits, which a
// broken manifest can make circular.
const maxInheritDepth = 16

// cargoSection reads the Cargo project around the working directory.
func (c *factsCollector) cargoSection(context.Context) func(*Facts) {
	if c.dirErr != nil {
		return func(*Facts) {}
	}
	cf := readCargoFacts(c.dir, c.argv, c.env, c.cargoHome())
	return func(f *Facts) { f.Cargo = cf }
}

// cargoHome is where Cargo keeps its own config.toml.
func (c *factsCollector) cargoHome() string {
	if h := c.env["CARGO_HOME"]; h != "" {
		return h
	}
	if h := os.Getenv("CARGO_HOME"); h != "" {
		return h
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".cargo")
	}
	return ""
}

// readCargoFacts describes the Cargo project around dir, or returns nil
// when no Cargo.toml is found in dir or above.
func readCargoFacts(dir string, argv []string, env map[string]string, cargoHome string) *CargoFacts {
	manifest := cargoFindUp(dir, "Cargo.toml")
	if manifest == "" {
		return nil
	}
	cf := &CargoFacts{Manifest: manifest, WorkspaceRoot: manifest, ActiveProfile: cargoProfileOf(argv)}
	m, err := readCargoManifest(manifest)
	if err != nil {
		cf.Errors = append(cf.Errors, factsOneLine(err.Error()))
		return cf
	}
	root := m
	rootPath, rm, err := findWorkspaceRoot(manifest, m)
	if err != nil {
		cf.Errors = append(cf.Errors, factsOneLine(err.Error()))
	} else if rm != nil {
		cf.WorkspaceRoot, root = rootPath, rm
	}

	switch {
	case m.Package == nil && m.Workspace != nil:
		cf.Version = m.Workspace.PackageVersion
	case m.Package != nil:
		cf.Package, cf.Version = m.Package.Name, m.Package.Version
		if m.Package.VersionFromWorkspace {
			if root.Workspace != nil && root.Workspace.PackageVersion != "" {
				cf.Version = root.Workspace.PackageVersion
			} else {
				cf.Errors = append(cf.Errors, manifest+": version.workspace = true but "+cf.WorkspaceRoot+" has no [workspace.package] version")
			}
		}
	}

	configs := readCargoConfigs(dir, cargoHome, cf)
	cf.EnvOverrides = cargoEnvOverrides(env)
	cf.Rustflags, cf.RustflagsSource = effectiveRustflags(env, configs)

	layers := profileLayers{manifest: root.Profiles, configs: configs, env: env}
	names := []string{"release", "bench"}
	if cf.ActiveProfile != "" && !slices.Contains(names, cf.ActiveProfile) {
		names = append(names, cf.ActiveProfile)
	}
	cf.Profiles = make(map[string]map[string]ProfileSetting, len(names))
	for _, name := range names {
		settings, err := layers.resolve(name, 0)
		if err != nil {
			cf.Errors = append(cf.Errors, err.Error())
		}
		cf.Profiles[name] = settings
	}
	return cf
}

// readCargoManifest reads and parses the manifest at path.
func readCargoManifest(path string) (*CargoManifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCargoManifest(path, data)
}

// cargoFindUp returns the file name in dir or its nearest parent that has one,
// or "".
func cargoFindUp(dir, name string) string {
	for {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// findWorkspaceRoot finds the workspace root of the package manifest m at
// path, as Cargo does: m itself when it has [workspace], the directory
// package.workspace names, or the nearest parent Cargo.toml with
// [workspace] that does not exclude the package. It returns a nil manifest
// when the package is its own root.
func findWorkspaceRoot(path string, m *CargoManifest) (string, *CargoManifest, error) {
	if m.Workspace != nil {
		return path, m, nil
	}
	if m.Package != nil && m.Package.Workspace != "" {
		rootPath := filepath.Join(filepath.Dir(path), m.Package.Workspace, "Cargo.toml")
		rm, err := readCargoManifest(rootPath)
		if err != nil {
			return "", nil, err
		}
		return rootPath, rm, nil
	}
	pkgDir := filepath.Dir(path)
	for dir := filepath.Dir(pkgDir); ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "Cargo.toml")
		if st, err := os.Stat(candidate); err == nil && !st.IsDir() {
			rm, err := readCargoManifest(candidate)
			if err != nil {
				return "", nil, err
			}
			if rm.Workspace != nil {
				if cargoExcluded(dir, pkgDir, rm.Workspace.Exclude) {
					return "", nil, nil
				}
				return candidate, rm, nil
			}
		}
		if filepath.Dir(dir) == dir {
			return "", nil, nil
		}
	}
}

// cargoExcluded tells whether pkgDir is under one of the workspace's exclude
// paths.
func cargoExcluded(rootDir, pkgDir string, exclude []string) bool {
	rel, err := filepath.Rel(rootDir, pkgDir)
	if err != nil {
		return false
	}
	for _, e := range exclude {
		e = filepath.Clean(e)
		if rel == e || strings.HasPrefix(rel, e+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// cargoProfileOf names the profile a cargo command line builds with, or
// returns "" when it cannot tell.
func cargoProfileOf(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	args := argv[1:]
	switch filepath.Base(argv[0]) {
	case "cargo", "cross":
	case "rustup":
		if len(args) < 3 || args[0] != "run" || filepath.Base(args[2]) != "cargo" {
			return ""
		}
		args = args[3:]
	default:
		return ""
	}
	if len(args) > 0 && strings.HasPrefix(args[0], "+") {
		args = args[1:]
	}
	var sub, profile string
	release, debug := false, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			i = len(args)
		case a == "--release" || a == "-r":
			release = true
		case a == "--debug":
			debug = true
		case a == "--profile" && i+1 < len(args):
			profile = args[i+1]
			i++
		case strings.HasPrefix(a, "--profile="):
			profile = strings.TrimPrefix(a, "--profile=")
		case sub == "" && !strings.HasPrefix(a, "-"):
			sub = a
		}
	}
	if profile != "" {
		return profile
	}
	switch sub {
	case "bench":
		return "bench"
	case "install":
		if debug {
			return "dev"
		}
		return "release"
	case "test", "t":
		if release {
			return "release"
		}
		return "test"
	case "build", "b", "run", "r", "check", "c", "rustc", "doc", "d", "clippy", "fix":
		if release {
			return "release"
		}
		return "dev"
	}
	return ""
}

// cargoConfig is what perfcap reads from one .cargo/config.toml.
type cargoConfig struct {
	path            string
	rustflags       string
	hasRustflags    bool
	targetRustflags map[string]string
	profiles        map[string]map[string]string
}

// readCargoConfigs reads the config files Cargo would for a command run in
// dir, lowest precedence first, recording them and their errors in cf.
func readCargoConfigs(dir, cargoHome string, cf *CargoFacts) []*cargoConfig {
	var paths []string
	seen := make(map[string]bool)
	add := func(cargoDir string) {
		// Cargo prefers the legacy extensionless name when both exist.
		for _, name := range []string{"config", "config.toml"} {
			p := filepath.Join(cargoDir, name)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				if !seen[p] {
					seen[p] = true
					paths = append(paths, p)
				}
				return
			}
		}
	}
	for d := dir; ; d = filepath.Dir(d) {
		add(filepath.Join(d, ".cargo"))
		if filepath.Dir(d) == d {
			break
		}
	}
	if cargoHome != "" {
		add(cargoHome)
	}
	cf.ConfigFiles = paths
	var configs []*cargoConfig
	for _, p := range slices.Backward(paths) {
		data, err := os.ReadFile(p)
		if err == nil {
			var cfg *cargoConfig
			if cfg, err = parseCargoConfig(p, data); err == nil {
				configs = append(configs, cfg)
				continue
			}
		}
		cf.Errors = append(cf.Errors, factsOneLine(err.Error()))
	}
	for _, cfg := range configs {
		for k, v := range cfg.targetRustflags {
			if cf.TargetRustflags == nil {
				cf.TargetRustflags = make(map[string]string)
			}
			cf.TargetRustflags[k] = v
		}
	}
	return configs
}

// parseCargoConfig reads build.rustflags, target.*.rustflags and the
// profiles of a .cargo/config.toml; errors are *CargoManifestError.
func parseCargoConfig(name string, data []byte) (*cargoConfig, error) {
	doc, err := decodeCargoTOML(name, data)
	if err != nil {
		return nil, err
	}
	bad := cargoBadType(name)
	cfg := &cargoConfig{path: name}
	if b, ok := doc["build"].(map[string]any); ok {
		if v, ok := b["rustflags"]; ok {
			if cfg.rustflags, err = cargoFlags(v, "build.rustflags", bad); err != nil {
				return nil, err
			}
			cfg.hasRustflags = true
		}
	}
	if t, ok := doc["target"].(map[string]any); ok {
		for target, v := range t {
			tt, ok := v.(map[string]any)
			if !ok {
				continue
			}
			if rf, ok := tt["rustflags"]; ok {
				flags, err := cargoFlags(rf, "target."+target+".rustflags", bad)
				if err != nil {
					return nil, err
				}
				if cfg.targetRustflags == nil {
					cfg.targetRustflags = make(map[string]string)
				}
				cfg.targetRustflags[target] = flags
			}
		}
	}
	if cfg.profiles, err = cargoProfileTables(doc, "profile", bad); err != nil {
		return nil, err
	}
	return cfg, nil
}

// cargoFlags reads a rustflags value: a space-separated string or an array
// of strings, returned space-separated.
func cargoFlags(v any, key string, bad cargoBadTypeFunc) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []any:
		flags := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return "", bad(key, "a string or an array of strings", x)
			}
			flags = append(flags, s)
		}
		return strings.Join(flags, " "), nil
	}
	return "", bad(key, "a string or an array of strings", v)
}

// cargoEnvOverrides picks the build-relevant variables out of env.
func cargoEnvOverrides(env map[string]string) map[string]string {
	var out map[string]string
	for k, v := range env {
		relevant := k == "RUSTFLAGS" || k == "CARGO_ENCODED_RUSTFLAGS" || k == "CARGO_BUILD_RUSTFLAGS" ||
			k == "CARGO_INCREMENTAL" || strings.HasPrefix(k, "CARGO_PROFILE_") ||
			strings.HasPrefix(k, "CARGO_TARGET_") && strings.HasSuffix(k, "_RUSTFLAGS")
		if relevant {
			if out == nil {
				out = make(map[string]string)
			}
			out[k] = v
		}
	}
	return out
}

// effectiveRustflags applies Cargo's order: CARGO_ENCODED_RUSTFLAGS (its
// 0x1f separators shown as spaces), then RUSTFLAGS, then build.rustflags
// from CARGO_BUILD_RUSTFLAGS or the nearest config file that sets it.
// configs are lowest precedence first.
func effectiveRustflags(env map[string]string, configs []*cargoConfig) (flags, source string) {
	if v, ok := env["CARGO_ENCODED_RUSTFLAGS"]; ok {
		return strings.ReplaceAll(v, "\x1f", " "), "env CARGO_ENCODED_RUSTFLAGS"
	}
	for _, k := range []string{"RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS"} {
		if v, ok := env[k]; ok {
			return v, "env " + k
		}
	}
	for _, cfg := range slices.Backward(configs) {
		if cfg.hasRustflags {
			return cfg.rustflags, cfg.path + " [build]"
		}
	}
	return "", ""
}

// profileLayers holds every place a profile setting can come from.
type profileLayers struct {
	manifest map[string]map[string]string // workspace root's [profile.*]
	configs  []*cargoConfig               // lowest precedence first
	env      map[string]string
}

// own returns the settings profile name sets itself, before inheritance.
func (l profileLayers) own(name string) map[string]ProfileSetting {
	out := make(map[string]ProfileSetting)
	for k, v := range l.manifest[name] {
		out[k] = ProfileSetting{v, "Cargo.toml [profile." + name + "]"}
	}
	for _, cfg := range l.configs {
		for k, v := range cfg.profiles[name] {
			out[k] = ProfileSetting{v, cfg.path + " [profile." + name + "]"}
		}
	}
	prefix := "CARGO_PROFILE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_"
	for _, k := range cargoProfileKeys {
		env := prefix + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
		if v, ok := l.env[env]; ok {
			out[k] = ProfileSetting{v, "env " + env}
		}
	}
	return out
}

// resolve returns profile name's effective settings: its parent's (or
// Cargo's defaults), overridden by its own.
func (l profileLayers) resolve(name string, depth int) (map[string]ProfileSetting, error) {
	own := l.own(name)
	var base map[string]ProfileSetting
	var err error
	switch name {
	case "dev", "release":
		base = make(map[string]ProfileSetting)
		for k, v := range cargoDefaults[name] {
			base[k] = ProfileSetting{v, "default"}
		}
	case "test":
		base, err = l.resolve("dev", depth+1)
	case "bench":
		base, err = l.resolve("release", depth+1)
	default:
		parent := own["inherits"].Value
		switch {
		case parent == "":
			return own, fmt.Errorf("profile %q: %w", name, errProfileNoInherits)
		case depth >= maxInheritDepth:
			return own, fmt.Errorf("profile %q: %w", name, errProfileInheritLoop)
		}
		base, err = l.resolve(parent, depth+1)
	}
	out := maps.Clone(base)
	if out == nil {
		out = make(map[string]ProfileSetting)
	}
	maps.Copy(out, own)
	return out, err
}
