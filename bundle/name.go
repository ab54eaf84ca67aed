package bundle

import (
	"errors"
	"io/fs"
	"strings"
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
