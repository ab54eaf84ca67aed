package metrics

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrBadLabel means a --label is not NAME=VALUE with a Prometheus label
// name, or names a label perfcap sets itself.
var ErrBadLabel = errors.New("metrics: bad label")

// labelName is Prometheus's label name syntax; names starting with __ are
// reserved for Prometheus itself.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ParseLabels parses repeated --label NAME=VALUE flags into a label set.
// reserved are the names perfcap sets itself, which the user may not.
func ParseLabels(specs []string, reserved ...string) (map[string]string, error) {
	labels := map[string]string{}
	for _, spec := range specs {
		name, value, ok := strings.Cut(spec, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: --label %q is not NAME=VALUE, e.g. --label env=staging", ErrBadLabel, spec)
		case !labelName.MatchString(name) || strings.HasPrefix(name, "__"):
			return nil, fmt.Errorf("%w: --label %q: a name is letters, digits and _, not starting with a digit or __", ErrBadLabel, spec)
		case slices.Contains(reserved, name):
			return nil, fmt.Errorf("%w: --label %q: perfcap sets %q itself; choose another name", ErrBadLabel, spec, name)
		}
		if _, dup := labels[name]; dup {
			return nil, fmt.Errorf("%w: --label %q: %q is given twice", ErrBadLabel, spec, name)
		}
		labels[name] = value
	}
	return labels, nil
}

// maxCommandLabel bounds the command label: a label value is stored with
// every sample of the series, and a command line can be kilobytes long.
const maxCommandLabel = 200

// commandLabel is a command line as one label value, cut at
// maxCommandLabel bytes on a character boundary.
func commandLabel(argv []string) string {
	s := strings.Join(argv, " ")
	if len(s) <= maxCommandLabel {
		return s
	}
	cut := maxCommandLabel
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
