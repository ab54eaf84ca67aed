package report

import (
	"path/filepath"
	"strings"
)

// cargoSubcommand returns the Cargo subcommand of argv and the arguments
// after it up to "--", or "" when argv is not a cargo command.
func cargoSubcommand(argv []string) (sub string, args []string) {
	if len(argv) == 0 || filepath.Base(argv[0]) != "cargo" {
		return "", nil
	}
	rest := argv[1:]
	for i, a := range rest {
		if a == "--" {
			return "", nil
		}
		if strings.HasPrefix(a, "+") || strings.HasPrefix(a, "-") {
			continue
		}
		args = rest[i+1:]
		for j, b := range args {
			if b == "--" {
				args = args[:j]
				break
			}
		}
		return a, args
	}
	return "", nil
}

// BuildProfileOf returns the Cargo profile argv builds with: the NAME of
// --profile NAME, "release" for --release or -r, "bench" for cargo bench
// (which inherits release), "debug" for the other building subcommands, and
// "" when argv is not a Cargo build.
func BuildProfileOf(argv []string) string {
	sub, args := cargoSubcommand(argv)
	for i, a := range args {
		switch {
		case a == "--profile" && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, "--profile="):
			return strings.TrimPrefix(a, "--profile=")
		}
	}
	for _, a := range args {
		if a == "--release" || a == "-r" {
			return "release"
		}
	}
	switch sub {
	case "bench":
		return "bench"
	case "install":
		return "release"
	case "build", "b", "run", "r", "test", "t", "check", "c", "rustc":
		return "debug"
	}
	return ""
}

// FeaturesOf returns the features argv enables on the command line: each
// name given to --features or -F (comma or space separated), then
// "all-features" and "no-default-features" when those flags are present.
// It returns nil for a command that is not cargo.
func FeaturesOf(argv []string) []string {
	sub, args := cargoSubcommand(argv)
	if sub == "" {
		return nil
	}
	var names, flags []string
	add := func(list string) {
		names = append(names, strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' })...)
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "--features" || a == "-F") && i+1 < len(args):
			i++
			add(args[i])
		case strings.HasPrefix(a, "--features="):
			add(strings.TrimPrefix(a, "--features="))
		case strings.HasPrefix(a, "-F") && len(a) > 2:
			add(a[2:])
		case a == "--all-features":
			flags = append(flags, "all-features")
		case a == "--no-default-features":
			flags = append(flags, "no-default-features")
		}
	}
	return append(names, flags...)
}
