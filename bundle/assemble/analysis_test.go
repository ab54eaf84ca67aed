package assemble

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/facts"
)

func TestUserCode(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "cmd", "x")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("// comment\nmodule example.com/app // the app\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GOROOT": "/opt/go", "GOPATH": "/home/me/go:/srv/go", "CARGO_HOME": "/home/me/.cargo"}
	o := UserCode(&facts.Facts{Cargo: &facts.CargoFacts{Package: "my-vm"}}, sub, func(k string) string { return env[k] })
	if got := strings.Join(o.Packages, " "); got != "my_vm example.com/app" {
		t.Errorf("packages %q, want the crate my_vm and the module example.com/app", got)
	}
	if got := strings.Join(o.Excluded, " "); got != "/opt/go /home/me/.cargo /home/me/go/pkg/mod /srv/go/pkg/mod" {
		t.Errorf("excluded %q", got)
	}
	if o := UserCode(nil, t.TempDir(), func(string) string { return "" }); len(o.Packages)+len(o.Excluded) != 0 {
		t.Errorf("nothing known gives %+v", o)
	}
}

func TestModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"module example.com/app\n":        "example.com/app",
		"module \"example.com/quoted\"\n": "example.com/quoted",
		"\tmodule\tx // c\n":              "x",
		"modules x\nmodule y\n":           "y",
		"go 1.26\n":                       "",
		"module":                          "",
	} {
		if got := modulePath([]byte(in)); got != want {
			t.Errorf("modulePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzModulePath reads arbitrary go.mod files: one line of the input at
// most comes out, never a panic.
func FuzzModulePath(f *testing.F) {
	f.Add([]byte("module example.com/app\n\ngo 1.26\n"))
	f.Add([]byte("module \"a b\" // x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p := modulePath(b); strings.ContainsAny(p, "\n") {
			t.Errorf("module path %q spans lines", p)
		}
	})
}
