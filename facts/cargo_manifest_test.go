package facts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestCargoParseManifest(t *testing.T) {
	tests := []struct {
		file    string
		want    *CargoManifest
		wantErr string // the whole one-line message
	}{
		{file: "workspace-root.toml", want: &CargoManifest{
			Workspace: &CargoWorkspace{
				Members:        []string{"crates/*", "vm-bench"},
				Exclude:        []string{"experiments/old"},
				PackageVersion: "0.2.0",
			},
			Profiles: map[string]map[string]string{
				"release": {"opt-level": "3", "lto": "fat", "codegen-units": "1", "debug": "line-tables-only", "panic": "abort", "strip": "true"},
				"bench":   {"inherits": "release", "debug": "true"},
				"perf":    {"inherits": "release", "lto": "thin", "incremental": "false", "overflow-checks": "false"},
			},
		}},
		{file: "member-workspace-version.toml", want: &CargoManifest{
			Package: &CargoPackage{Name: "vm-core", VersionFromWorkspace: true},
		}},
		{file: "package-with-profiles.toml", want: &CargoManifest{
			Package: &CargoPackage{Name: "quick-start", Version: "1.4.0-beta.2"},
			Profiles: map[string]map[string]string{
				"release": {"opt-level": "s", "lto": "true", "debug": "1", "incremental": "true", "overflow-checks": "true", "split-debuginfo": "packed"},
			},
		}},
		{file: "virtual-workspace.toml", want: &CargoManifest{
			Workspace: &CargoWorkspace{Members: []string{"a", "b"}, PackageVersion: "3.0.0"},
		}},
		{file: "package-workspace-path.toml", want: &CargoManifest{
			Package: &CargoPackage{Name: "out-of-tree", Version: "0.1.0", Workspace: "../root"},
		}},
		{file: "malformed-syntax.toml", wantErr: `malformed-syntax.toml:3:17: strings cannot contain newlines`},
		{file: "malformed-duplicate.toml", wantErr: `malformed-duplicate.toml:3:15: Key 'profile.release.opt-level' has already been defined.`},
		{file: "malformed-version-type.toml", wantErr: `malformed-version-type.toml: package.version: expected a string or {workspace = true}, found an integer`},
		{file: "malformed-profile-type.toml", wantErr: `malformed-profile-type.toml: profile: expected a table, found a string`},
		{file: "malformed-version-workspace-false.toml", wantErr: `malformed-version-workspace-false.toml: package.version.workspace: expected true, found a boolean`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "cargo", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseCargoManifest(tt.file, data)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %s", err, tt.wantErr)
				}
				var me *CargoManifestError
				if !errors.As(err, &me) || me.Name != tt.file {
					t.Errorf("error %#v is not a *CargoManifestError for %s", err, tt.file)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %s\nwant %s", dumpManifest(got), dumpManifest(tt.want))
			}
		})
	}
}

func TestCargoParseManifestWrapsTOMLError(t *testing.T) {
	_, err := ParseCargoManifest("x.toml", []byte("a = \n"))
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v does not wrap toml.ParseError", err)
	}
}

// dumpManifest writes a manifest readably for test failures.
func dumpManifest(m *CargoManifest) string {
	var pkg, ws any
	if m.Package != nil {
		pkg = *m.Package
	}
	if m.Workspace != nil {
		ws = *m.Workspace
	}
	return fmt.Sprintf("package=%+v workspace=%+v profiles=%v", pkg, ws, m.Profiles)
}

// FuzzParseCargoManifest checks that no manifest makes the parser panic
// and that every error is one line naming the file.
func FuzzParseCargoManifest(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "cargo", "*.toml"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in testdata/cargo: %v", err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseCargoManifest("Cargo.toml", data)
		if err != nil {
			if m != nil {
				t.Error("manifest and error both returned")
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error is not one line: %q", msg)
			}
			if !strings.HasPrefix(msg, "Cargo.toml:") {
				t.Errorf("error does not name the file: %q", msg)
			}
			return
		}
		if m == nil {
			t.Error("nil manifest without an error")
		}
	})
}
