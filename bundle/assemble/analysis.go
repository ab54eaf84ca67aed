package assemble

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/perfcap/perfcap/analysis"
	"github.com/perfcap/perfcap/facts"
)

// UserCode returns what tells the user's code apart in the profile of a
// command run in dir: the Cargo package's crate name (from f, nil when
// the facts were not collected), the module path of the go.mod over dir,
// and the toolchain and dependency directories the command's environment
// names (getenv: GOROOT, GOMODCACHE, GOPATH's pkg/mod, CARGO_HOME,
// RUSTUP_HOME).
func UserCode(f *facts.Facts, dir string, getenv func(string) string) analysis.Options {
	var o analysis.Options
	if f != nil && f.Cargo != nil && f.Cargo.Package != "" {
		// Cargo names the crate after the package, '-' made '_'.
		o.Packages = append(o.Packages, strings.ReplaceAll(f.Cargo.Package, "-", "_"))
	}
	if m := goModule(dir); m != "" {
		o.Packages = append(o.Packages, m)
	}
	for _, v := range []string{"GOROOT", "GOMODCACHE", "CARGO_HOME", "RUSTUP_HOME"} {
		if d := getenv(v); d != "" {
			o.Excluded = append(o.Excluded, d)
		}
	}
	for _, d := range filepath.SplitList(getenv("GOPATH")) {
		if d != "" {
			o.Excluded = append(o.Excluded, filepath.Join(d, "pkg", "mod"))
		}
	}
	return o
}

// goModule returns the module path of the go.mod in dir or the nearest
// directory above it; "" when there is none.
func goModule(dir string) string {
	for d := dir; d != ""; {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			return modulePath(b)
		}
		up := filepath.Dir(d)
		if up == d {
			break
		}
		d = up
	}
	return ""
}

// modulePath reads the module directive of a go.mod.
func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		rest, ok := strings.CutPrefix(line, "module")
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '"') {
			continue
		}
		rest, _, _ = strings.Cut(rest, "//")
		rest = strings.TrimSpace(rest)
		if p, err := strconv.Unquote(rest); err == nil {
			return p
		}
		return rest
	}
	return ""
}
