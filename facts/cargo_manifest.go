package facts

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/BurntSushi/toml"
)

// CargoManifest is what perfcap reads from a Cargo.toml.
type CargoManifest struct {
	// Package is the [package] table; nil in a virtual workspace manifest.
	Package *CargoPackage
	// Workspace is the [workspace] table; nil unless this manifest is a
	// workspace root.
	Workspace *CargoWorkspace
	// Profiles maps a profile name ("release", "bench", a custom name) to
	// its scalar settings as written, each kept as a string: opt-level = 3
	// gives "3", lto = "fat" gives "fat", lto = true gives "true". Nested
	// tables (per-package overrides, build-override) are not kept.
	Profiles map[string]map[string]string
}

// CargoPackage is the part of [package] perfcap needs.
type CargoPackage struct {
	// Name is the package name.
	Name string
	// Version is the version as written; empty when it is inherited or
	// absent.
	Version string
	// VersionFromWorkspace is true for version.workspace = true: the
	// version is the workspace root's [workspace.package].version.
	VersionFromWorkspace bool
	// Workspace is package.workspace, the path of the workspace root's
	// directory when it is not a parent directory.
	Workspace string
}

// CargoWorkspace is the part of [workspace] perfcap needs.
type CargoWorkspace struct {
	// Members and Exclude are the member and excluded path globs.
	Members []string
	Exclude []string
	// PackageVersion is [workspace.package].version, inherited by members
	// that say version.workspace = true.
	PackageVersion string
}

// CargoManifestError is a Cargo.toml that cannot be read: bad TOML, or a
// key perfcap reads holding the wrong type. Its message is one line,
// "name:line:col: message" when the position is known.
type CargoManifestError struct {
	// Name is the manifest's file name as given to ParseCargoManifest.
	Name string
	// Line and Col locate the error, starting at 1; zero when unknown.
	Line, Col int
	// Msg says what is wrong.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error writes the error on one line, prefixed by the position.
func (e *CargoManifestError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.Name, e.Line, e.Col, factsOneLine(e.Msg))
	}
	return fmt.Sprintf("%s: %s", e.Name, factsOneLine(e.Msg))
}

// Unwrap returns the underlying TOML error, if any.
func (e *CargoManifestError) Unwrap() error { return e.Err }

// ParseCargoManifest reads the package, workspace and profile tables of a
// Cargo.toml; name is used in errors only. Keys perfcap does not read may
// hold anything. An error is a *CargoManifestError.
func ParseCargoManifest(name string, data []byte) (*CargoManifest, error) {
	doc, err := decodeCargoTOML(name, data)
	if err != nil {
		return nil, err
	}
	bad := cargoBadType(name)

	m := &CargoManifest{}
	if v, ok := doc["package"]; ok {
		pkg, ok := v.(map[string]any)
		if !ok {
			return nil, bad("package", "a table", v)
		}
		m.Package = &CargoPackage{}
		if m.Package.Name, err = cargoString(pkg, "name", "package.name", bad); err != nil {
			return nil, err
		}
		if m.Package.Workspace, err = cargoString(pkg, "workspace", "package.workspace", bad); err != nil {
			return nil, err
		}
		switch v := pkg["version"].(type) {
		case nil:
		case string:
			m.Package.Version = v
		case map[string]any:
			if w, ok := v["workspace"].(bool); !ok || !w {
				return nil, bad("package.version.workspace", "true", v["workspace"])
			}
			m.Package.VersionFromWorkspace = true
		default:
			return nil, bad("package.version", "a string or {workspace = true}", v)
		}
	}

	if v, ok := doc["workspace"]; ok {
		ws, ok := v.(map[string]any)
		if !ok {
			return nil, bad("workspace", "a table", v)
		}
		m.Workspace = &CargoWorkspace{}
		if m.Workspace.Members, err = cargoStrings(ws, "members", "workspace.members", bad); err != nil {
			return nil, err
		}
		if m.Workspace.Exclude, err = cargoStrings(ws, "exclude", "workspace.exclude", bad); err != nil {
			return nil, err
		}
		if v, ok := ws["package"]; ok {
			wp, ok := v.(map[string]any)
			if !ok {
				return nil, bad("workspace.package", "a table", v)
			}
			if m.Workspace.PackageVersion, err = cargoString(wp, "version", "workspace.package.version", bad); err != nil {
				return nil, err
			}
		}
	}

	profiles, err := cargoProfileTables(doc, "profile", bad)
	if err != nil {
		return nil, err
	}
	m.Profiles = profiles
	return m, nil
}

// decodeCargoTOML decodes a Cargo TOML file, turning syntax errors into
// a *CargoManifestError with the position.
func decodeCargoTOML(name string, data []byte) (map[string]any, error) {
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		e := &CargoManifestError{Name: name, Msg: err.Error(), Err: err}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			e.Line, e.Col, e.Msg = pe.Position.Line, pe.Position.Col, pe.Message
		}
		return nil, e
	}
	return doc, nil
}

// cargoBadType returns the cargoBadTypeFunc for the file name.
func cargoBadType(name string) cargoBadTypeFunc {
	return func(key, want string, got any) error {
		return &CargoManifestError{Name: name, Msg: fmt.Sprintf("%s: expected %s, found %s", key, want, tomlKind(got))}
	}
}

// cargoBadTypeFunc builds the error for key holding got instead of want.
type cargoBadTypeFunc func(key, want string, got any) error

// cargoProfileTables reads the [profile.NAME] tables of a decoded Cargo.toml
// or .cargo/config.toml, keeping scalar settings as strings.
func cargoProfileTables(doc map[string]any, key string, bad cargoBadTypeFunc) (map[string]map[string]string, error) {
	v, ok := doc[key]
	if !ok {
		return nil, nil
	}
	tables, ok := v.(map[string]any)
	if !ok {
		return nil, bad(key, "a table", v)
	}
	profiles := make(map[string]map[string]string, len(tables))
	for name, v := range tables {
		table, ok := v.(map[string]any)
		if !ok {
			return nil, bad(key+"."+name, "a table", v)
		}
		settings := make(map[string]string, len(table))
		for k, v := range table {
			if s, ok := tomlScalar(v); ok {
				settings[k] = s
			}
		}
		profiles[name] = settings
	}
	return profiles, nil
}

// cargoString reads key from table as a string; absent gives "".
func cargoString(table map[string]any, key, path string, bad cargoBadTypeFunc) (string, error) {
	v, ok := table[key]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", bad(path, "a string", v)
	}
	return s, nil
}

// cargoStrings reads key from table as an array of strings.
func cargoStrings(table map[string]any, key, path string, bad cargoBadTypeFunc) ([]string, error) {
	v, ok := table[key]
	if !ok {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, bad(path, "an array of strings", v)
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, bad(path, "an array of strings", x)
		}
		out = append(out, s)
	}
	return out, nil
}

// tomlScalar renders a decoded TOML scalar as it would be written, without
// quotes; tables and arrays are not scalars.
func tomlScalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case time.Time:
		return v.Format(time.RFC3339Nano), true
	}
	return "", false
}

// tomlKind names the TOML type of a decoded value for error messages.
func tomlKind(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case time.Time:
		return "a date-time"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}
