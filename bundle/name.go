package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// checkName reports why name cannot be the path of a bundle member, or nil.
// The rules are the same for writing and reading: a clean, relative,
// slash-separated path of printable UTF-8 that stays inside the bundle.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty path")
	case strings.HasPrefix(name, "/"):
		return errors.New("absolute path")
	case name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "/../") || strings.HasSuffix(name, "/.."):
		return errors.New("path escapes the bundle")
	case strings.Contains(name, `\`):
		return errors.New("backslash in path")
	case !utf8.ValidString(name):
		return errors.New("path is not UTF-8")
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsGraphic(r) }) >= 0:
		return errors.New("control character in path")
	case !fs.ValidPath(name) || name == ".":
		return errors.New("path is not clean (empty, \".\" or trailing \"/\" element)")
	}
	return nil
}

// parents returns the directories above a member path, outermost first:
// "a/b/c" gives "a", "a/b".
func parents(name string) []string {
	var dirs []string
	for i := range len(name) {
		if name[i] == '/' {
			dirs = append(dirs, name[:i])
		}
	}
	return dirs
}

// Stem returns a bundle's path without its extension (".tar.zst", ".zst",
// ".tar" or ".zip"), the base of the names made beside it: the GitHub
// .zip, a watch's .spool directory, its snapshots.
func Stem(path string) string {
	if s, ok := strings.CutSuffix(path, ".zip"); ok {
		return s
	}
	return strings.TrimSuffix(strings.TrimSuffix(path, ".zst"), ".tar")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// DefaultName is the name a bundle gets when the user names none:
// perfcap-YYYYMMDD-HHMMSS-NAME.tar.zst, or perfcap-KIND-… (a "watch"),
// NAME being argv0's base made safe for a file name.
func DefaultName(kind string, t time.Time, argv0 string) string {
	name := unsafeName.ReplaceAllString(filepath.Base(argv0), "_")
	if name == "" || name == "." || name == ".." {
		name = "command"
	}
	prefix := "perfcap-"
	if kind != "" {
		prefix += kind + "-"
	}
	return fmt.Sprintf("%s%s-%s.tar.zst", prefix, t.Format("20060102-150405"), name)
}

// OutputPath is where a bundle asked for with -o out goes: out itself;
// inside out under the default name when out is an existing directory (as
// cp does); the default name in the current directory when out is empty.
func OutputPath(out, kind string, t time.Time, argv0 string) string {
	if out == "" {
		return DefaultName(kind, t, argv0)
	}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return filepath.Join(out, DefaultName(kind, t, argv0))
	}
	return out
}
