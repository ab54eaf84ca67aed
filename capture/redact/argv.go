package redact

import (
	"path/filepath"
	"regexp"
	"strings"
)

// flagRe splits a command-line flag into its dashes and name, and its
// "=value" when attached. A name starts with a letter so that negative
// numbers are not flags.
var flagRe = regexp.MustCompile(`^(--?)([A-Za-z][A-Za-z0-9_.-]*)(=.*)?$`)

// envWordRe matches an environment assignment word (env NAME=value cmd,
// make NAME=value).
var envWordRe = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=(.+)$`)

// next says what the previous word of a command line asks of this one.
type next int

const (
	plain        next = iota
	secretValue       // the value of --token and the like
	headerValue       // the value of -H/--header
	userPassword      // the value of curl's -u/--user: user:password
)

// Argv returns a copy of a command line with its secrets replaced:
//
//   - the value of a flag with a secret name (see isSecretName), attached
//     (--password=x) or in the next word (--token x), unless that word is
//     itself a long flag. Single-letter flags are ambiguous (-p is a port,
//     a package or a password) and stay;
//   - NAME=value words with a secret NAME (env GITHUB_TOKEN=x cmd);
//   - the credentials of -H/--header values ("Authorization: Bearer x",
//     "X-Token: x") and, once a curl appears, the password of -u/--user;
//   - then, in every word, whatever String hides.
//
// The flags and names themselves stay visible: --token [redacted].
func (r *Redactor) Argv(argv []string) []string {
	out := make([]string, len(argv))
	want := plain
	curl := false
	for i, a := range argv {
		switch want {
		case secretValue:
			if !strings.HasPrefix(a, "--") {
				out[i], want = Placeholder, plain
				r.learn([]byte(a), []byte(Placeholder))
				continue
			}
		case headerValue:
			a = redactHeaderWord(a)
		case userPassword:
			a = redactUserPassword(a)
		}
		want = plain
		if filepath.Base(a) == "curl" {
			curl = true
		}
		a, want = redactArg(a, curl)
		out[i] = r.String(a)
		if out[i] != argv[i] {
			r.learn([]byte(argv[i]), []byte(out[i]))
		}
	}
	return out
}

// redactArg redacts one word by its own form and says what the next word
// is.
func redactArg(a string, curl bool) (string, next) {
	if m := flagRe.FindStringSubmatch(a); m != nil {
		dashes, name, eq := m[1], m[2], m[3]
		lower := strings.ToLower(name)
		value, attached := strings.CutPrefix(eq, "=")
		switch {
		case name == "H" && dashes == "-" || lower == "header" || lower == "proxy-header":
			if attached {
				return dashes + name + "=" + redactHeaderWord(value), plain
			}
			return a, headerValue
		case curl && (name == "u" && dashes == "-" || lower == "user" || lower == "proxy-user"):
			if attached {
				return dashes + name + "=" + redactUserPassword(value), plain
			}
			return a, userPassword
		case len(name) > 1 && isSecretName(name):
			if !attached {
				return a, secretValue
			}
			if value != "" {
				return dashes + name + "=" + Placeholder, plain
			}
		}
		return a, plain
	}
	if curl && strings.HasPrefix(a, "-u") && strings.Contains(a, ":") {
		return "-u" + redactUserPassword(a[2:]), plain
	}
	if m := envWordRe.FindStringSubmatch(a); m != nil && isSecretName(m[1]) {
		return m[1] + "=" + Placeholder, plain
	}
	return a, plain
}

// authSchemes are the words an Authorization value starts with; they stay
// visible.
var authSchemes = []string{"bearer", "basic", "token", "digest", "negotiate", "ntlm", "bot", "apikey"}

// redactHeaderWord hides the value of "Name: value" when Name is secret.
func redactHeaderWord(h string) string {
	name, value, ok := strings.Cut(h, ":")
	if !ok || !isSecretName(strings.TrimSpace(name)) || strings.TrimSpace(value) == "" {
		return h
	}
	value = strings.TrimLeft(value, " \t")
	keep := ""
	if scheme, _, ok := strings.Cut(value, " "); ok {
		for _, s := range authSchemes {
			if strings.EqualFold(scheme, s) {
				keep = scheme + " "
			}
		}
	}
	return name + ": " + keep + Placeholder
}

// redactUserPassword hides the password of curl's user:password.
func redactUserPassword(v string) string {
	user, password, ok := strings.Cut(v, ":")
	if !ok || password == "" {
		return v
	}
	return user + ":" + Placeholder
}
