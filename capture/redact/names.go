package redact

import (
	"bytes"
	"strings"
)

// isSecretName reports whether a variable, flag, key or header name sounds
// like it holds a secret: it contains TOKEN, SECRET, PASSW(ORD), PASSPHRASE,
// KEY, CREDENTIAL, COOKIE, SESSION or AUTH (but not AUTHOR, AUTHORS,
// AUTHORITY), or one of its segments is PASS, PWD, PW or PAT, case
// insensitively. Leading dashes and quotes are ignored, so "--api-key" and
// "\"token\"" are names too.
func isSecretName(name string) bool {
	return isSecretNameBytes([]byte(name))
}

// isSecretNameBytes is isSecretName without allocating for names of up to
// 64 bytes, for the free-text path where most names are not secret.
func isSecretNameBytes(name []byte) bool {
	name = bytes.Trim(name, "-\"'")
	var buf [64]byte
	n := buf[:0]
	if len(name) > len(buf) {
		n = make([]byte, 0, len(name))
	}
	for _, c := range name {
		n = append(n, tables.lower[c])
	}
	for _, w := range secretWords {
		if bytes.Contains(n, []byte(w)) {
			return true
		}
	}
	for rest := n; ; {
		i := bytes.Index(rest, []byte("auth"))
		if i < 0 {
			break
		}
		rest = rest[i+len("auth"):]
		// "author" is the only common word that starts with auth and is not
		// about authentication; authorization and authorisation are.
		if !bytes.HasPrefix(rest, []byte("or")) || bytes.HasPrefix(rest, []byte("oriz")) || bytes.HasPrefix(rest, []byte("oris")) {
			return true
		}
	}
	for i := 0; i < len(n); {
		j := i
		for j < len(n) && isAlnum(rune(n[j])) {
			j++
		}
		switch string(n[i:j]) {
		case "pass", "pwd", "pw", "pat":
			return true
		}
		i = j + 1
	}
	return false
}

func isAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// headerNames are handled by headerRule, which keeps the auth scheme
// visible; the name rule leaves "Name: value" forms of them alone.
var headerNames = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
	"x-api-key": true, "api-key": true, "apikey": true, "x-auth-token": true, "private-token": true,
	"job-token": true, "deploy-token": true, "x-amz-security-token": true, "x-goog-api-key": true,
}

// nameBytes are the bytes of a name in free text: GITHUB_TOKEN, --api-key,
// registry.token.
var nameBytes = func() (t [256]bool) {
	for c := range 256 {
		t[c] = isWordByte(byte(c)) || c == '-' || c == '.'
	}
	return t
}()

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// redactNames hides the values of secret names in free text:
//
//	NAME=value  NAME="v a l"  name = "value"  "name": "value"  'name': value
//	Name:value (Go's %+v; not a URL's user)
//	name: value  name = value (starting a line: YAML, INI, .env)
//	--name value  -name value
//
// A bare value runs to the next space, quote, backtick or '&' (query
// strings). Spaces around '=' count only before a quoted value or when the
// name starts its line, so source code that compiler errors quote
// (17 |     let key = map.get(k);) stays readable.
func redactNames(s []byte) []byte {
	var out []byte
	last := 0 // s[:last] is already in out
	for i := 0; i < len(s); {
		if !nameBytes[s[i]] {
			i++
			continue
		}
		start := i
		for i < len(s) && nameBytes[s[i]] {
			i++
		}
		if !hasSeparator(s, start, i) || !isSecretNameBytes(s[start:i]) {
			continue
		}
		vs, ve, ok := valueAfter(s, start, i)
		if !ok || bytes.Equal(s[vs:ve], placeholder) {
			continue
		}
		out = append(out, s[last:vs]...)
		out = append(out, Placeholder...)
		last, i = ve, ve
	}
	if out == nil {
		return s
	}
	return append(out, s[last:]...)
}

// hasSeparator is a quick test that the name s[start:end] is followed by
// '=' or ':' (maybe after a closing quote and spaces) or is a flag, the
// only forms valueAfter accepts.
func hasSeparator(s []byte, start, end int) bool {
	if s[start] == '-' {
		return true
	}
	if end < len(s) && (s[end] == '"' || s[end] == '\'') {
		end++
	}
	for end < len(s) && isSpace(s[end]) {
		end++
	}
	return end < len(s) && (s[end] == '=' || s[end] == ':')
}

// valueAfter finds the value that the name s[start:end] is given, by the
// forms redactNames lists, and returns its span.
func valueAfter(s []byte, start, end int) (vs, ve int, ok bool) {
	var quote byte
	if start > 0 && end < len(s) && (s[start-1] == '"' || s[start-1] == '\'') && s[end] == s[start-1] {
		quote = s[end]
	}
	j := end
	if quote != 0 {
		j++
	}
	k := j
	for k < len(s) && isSpace(s[k]) {
		k++
	}
	switch {
	case k < len(s) && s[k] == '=' && (k+1 == len(s) || s[k+1] != '='):
		v := k + 1
		if k == end && quote == 0 {
			if v < len(s) && isQuote(s[v]) {
				return quotedValue(s, v)
			}
			vs, ve := v, bareEnd(s, v, "")
			return vs, ve, ve > vs && !isArtifactPath(s[vs:ve])
		}
		for v < len(s) && isSpace(s[v]) {
			v++
		}
		if v < len(s) && isQuote(s[v]) {
			return quotedValue(s, v)
		}
		if quote == 0 && isYAMLKeyPrefix(s[:start]) {
			// An INI or .env line (aws_secret_access_key = x): the rest
			// of the line is the value.
			return restOfLine(s, v)
		}
		return 0, 0, false
	case k < len(s) && s[k] == ':':
		if headerNames[string(bytes.ToLower(s[start:end]))] {
			return 0, 0, false
		}
		v := k + 1
		switch {
		case quote != 0:
			for v < len(s) && isSpace(s[v]) {
				v++
			}
			if v < len(s) && isQuote(s[v]) {
				return quotedValue(s, v)
			}
			vs, ve := v, bareEnd(s, v, ",}]")
			return vs, ve, ve > vs
		case k == end && v < len(s) && s[v] != ':' && !isSpace(s[v]) && s[v] != '/' && bytes.IndexByte(s[start:end], '.') < 0 && !bytes.HasSuffix(s[:start], []byte("//")):
			if s[v] == '[' {
				if c := bytes.IndexByte(s[v:], ']'); c > 0 {
					return v + 1, v + c, c > 1
				}
			}
			vs, ve := v, bareEnd(s, v, ",}]")
			return vs, ve, ve > vs
		case (v == len(s) || isSpace(s[v])) && isYAMLKeyPrefix(s[:start]):
			return restOfLine(s, v)
		}
	case s[start] == '-' && k > end && k < len(s) && (start == 0 || isSpace(s[start-1]) || isQuote(s[start-1]) || s[start-1] == '('):
		if s[k] == '-' && k+1 < len(s) && s[k+1] == '-' {
			return 0, 0, false
		}
		if isQuote(s[k]) {
			return quotedValue(s, k)
		}
		vs, ve := k, bareEnd(s, k, "")
		return vs, ve, ve > vs
	}
	return 0, 0, false
}

// restOfLine returns the span of s[v:] without its leading and trailing
// blanks.
func restOfLine(s []byte, v int) (vs, ve int, ok bool) {
	for v < len(s) && isSpace(s[v]) {
		v++
	}
	ve = len(s)
	for ve > v && isSpace(s[ve-1]) {
		ve--
	}
	return v, ve, ve > v
}

func isQuote(c byte) bool { return c == '"' || c == '\'' || c == '`' }

// bareEnd returns where an unquoted value starting at s[v] ends: at a space,
// a quote, '&', or one of the bytes in stop.
func bareEnd(s []byte, v int, stop string) int {
	for v < len(s) {
		c := s[v]
		if isSpace(c) || isQuote(c) || c == '&' || strings.IndexByte(stop, c) >= 0 {
			break
		}
		v++
	}
	return v
}

// quotedValue returns the inside of the quoted string opening at s[q]; an
// unclosed quote runs to the end of the line. Backslash escapes are skipped
// so an escaped quote cannot end a value early.
func quotedValue(s []byte, q int) (vs, ve int, ok bool) {
	quote := s[q]
	for i := q + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case quote:
			return q + 1, i, i > q+1
		}
	}
	return q + 1, len(s), len(s) > q+1
}

// isYAMLKeyPrefix reports whether p, the text before a key, is only
// indentation, a list dash or a quote: the key starts its line.
func isYAMLKeyPrefix(p []byte) bool {
	p = bytes.TrimLeft(bytes.TrimRight(p, "\"'"), " \t")
	if rest, ok := bytes.CutPrefix(p, []byte("-")); ok {
		if len(rest) == 0 || !isSpace(rest[0]) {
			return false
		}
		p = bytes.TrimLeft(rest, " \t")
	}
	return len(p) == 0
}

// artifactExts end file names that cargo and rustc print after a name and
// '=' (--extern cookie=/…/libcookie-1a2b.rlib); such a path is not a secret.
var artifactExts = []string{".rlib", ".rmeta", ".so", ".dylib", ".dll", ".a", ".lib", ".o", ".d", ".rs", ".pem", ".crt", ".key", ".json", ".toml"}

func isArtifactPath(v []byte) bool {
	if bytes.IndexByte(v, '/') < 0 {
		return false
	}
	for _, ext := range artifactExts {
		if bytes.HasSuffix(v, []byte(ext)) {
			return true
		}
	}
	return false
}
