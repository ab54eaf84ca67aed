package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// releaseVersion may be set by a release build with
// -ldflags "-X main.releaseVersion=v1.2.3"; it replaces the module
// version go build stamps.
var releaseVersion string

// version says which perfcap this is, for --version and the manifests
// (perfcap_version): the module version and the VCS revision go build
// stamps into the binary, and the Go version, such as
// "v0.0.0-20261129104546-85947f9abcde+dirty (git 85947f9abcde…, modified) go1.26.8".
var version = buildVersion(releaseVersion, debug.ReadBuildInfo)

// buildVersion formats the version from the build information. Without
// VCS information (go build -buildvcs=false, go run, a test binary) it
// says the revision is unknown rather than guess.
func buildVersion(release string, read func() (*debug.BuildInfo, bool)) string {
	mod, rev, modified, vcs := "(devel)", "", false, ""
	goVersion := runtime.Version()
	if info, ok := read(); ok {
		if info.Main.Version != "" {
			mod = info.Main.Version
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs":
				vcs = s.Value
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if release != "" {
		mod = release
	}
	var b strings.Builder
	b.WriteString(mod)
	switch {
	case rev == "":
		b.WriteString(" (VCS revision unknown)")
	default:
		if vcs == "" {
			vcs = "revision"
		}
		b.WriteString(" (" + vcs + " " + rev)
		if modified {
			b.WriteString(", modified")
		}
		b.WriteString(")")
	}
	b.WriteString(" " + goVersion)
	return b.String()
}
