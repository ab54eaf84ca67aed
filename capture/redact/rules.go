package redact

import (
	"bytes"
	"regexp"
)

// rule finds and replaces one kind of secret in a line. Go's regexp has
// no fast path for patterns that start with \b or an alternation, so a rule
// does not search: it tries its anchored pattern only where one of its
// start literals is, which the trigger scan has already said the line holds.
type rule struct {
	bit      uint32
	starts   []string       // lower-case literals a match starts with, in any case
	first    [256]bool      // the bytes, in both cases, that starts begin with
	boundary bool           // a match must not follow a letter, digit or '_'
	re       *regexp.Regexp // anchored at the start with \A
	// repl appends the replacement of the match m (indexes into s).
	repl func(dst, s []byte, m []int) []byte
}

func newRule(bit uint32, starts []string, boundary bool, pattern string, repl func(dst, s []byte, m []int) []byte) *rule {
	if repl == nil {
		repl = hideMatch
	}
	r := &rule{bit: bit, starts: starts, boundary: boundary, re: regexp.MustCompile(`\A(?:` + pattern + `)`), repl: repl}
	for _, lit := range starts {
		r.first[lit[0]] = true
		r.first[bytes.ToUpper([]byte{lit[0]})[0]] = true
	}
	return r
}

func hideMatch(dst, _ []byte, _ []int) []byte { return append(dst, Placeholder...) }

// apply returns s with the rule's matches replaced, or s itself if none.
func (r *rule) apply(s []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(s); i++ {
		if r.boundary && i > 0 && isWordByte(s[i-1]) || !r.startsAt(s[i:]) {
			continue
		}
		m := r.re.FindSubmatchIndex(s[i:])
		if m == nil {
			continue
		}
		for j := range m {
			if m[j] >= 0 {
				m[j] += i
			}
		}
		out = append(out, s[last:i]...)
		out = r.repl(out, s, m)
		last = m[1]
		i = m[1] - 1
	}
	if out == nil {
		return s
	}
	return append(out, s[last:]...)
}

func (r *rule) startsAt(b []byte) bool {
	if !r.first[b[0]] {
		return false
	}
	for _, lit := range r.starts {
		if hasPrefixFold(b, lit) {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// shapes are the tokens recognised by their form alone, wherever they
// appear. The lengths are the documented ones, or looser lower bounds where
// a vendor's format has changed over time.
var shapes = []*rule{
	newRule(bitGitHub, []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}, false, `gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}`, nil),
	newRule(bitAWS, []string{"akia", "asia"}, true, `(?:AKIA|ASIA)[A-Z0-9]{16}\b`, nil),
	newRule(bitSlack, []string{"xox"}, true, `xox[abeoprs]-[A-Za-z0-9-]{10,}`, nil),
	newRule(bitGitLab, []string{"glpat-"}, true, `glpat-[A-Za-z0-9_-]{20,}`, nil),
	newRule(bitNPM, []string{"npm_"}, true, `npm_[A-Za-z0-9]{36,}`, nil),
	newRule(bitPyPI, []string{"pypi-"}, true, `pypi-[A-Za-z0-9_-]{16,}`, nil),
	// OpenAI (sk-, sk-proj-) and Anthropic (sk-ant-) keys. Crate and file
	// names can start with "sk-" too; keys always mix letters and digits.
	newRule(bitSKDash, []string{"sk-"}, true, `sk-[A-Za-z0-9_-]{20,}`, func(dst, s []byte, m []int) []byte {
		if !hasLetterAndDigit(s[m[0]+len("sk-") : m[1]]) {
			return append(dst, s[m[0]:m[1]]...)
		}
		return append(dst, Placeholder...)
	}),
	newRule(bitStripe, []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"}, true, `[rs]k_(?:live|test)_[A-Za-z0-9]{16,}`, nil),
	newRule(bitGoogle, []string{"aiza"}, true, `AIza[A-Za-z0-9_-]{35}`, nil),
	newRule(bitJWT, []string{"eyj"}, true, `eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`, nil),
	newRule(bitHF, []string{"hf_"}, true, `hf_[A-Za-z0-9]{30,}`, nil),
}

func hasLetterAndDigit(b []byte) bool {
	var letter, digit bool
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			digit = true
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			letter = true
		}
	}
	return letter && digit
}

// headerRule hides the credentials of an HTTP header, in curl -v output,
// in an echoed command, as a JSON key, or as Go prints an http.Header
// (map[Authorization:[Bearer x]]). Group 2 is the auth scheme, kept
// visible; group 3 the credentials, up to a quote, a ']' or the end of the
// line.
var headerRule = newRule(bitHeader, []string{
	"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "apikey",
	"x-auth-token", "private-token", "job-token", "deploy-token", "x-amz-security-token", "x-goog-api-key",
}, true,
	`(?i)(?:(?:proxy-)?authorization|(?:set-)?cookie|x-api-key|api-key|apikey|x-auth-token|private-token|job-token|deploy-token|x-amz-security-token|x-goog-api-key)(["']?[ \t]*:[ \t]*\[?["']?)(?:(bearer|basic|token|digest|negotiate|ntlm|bot|apikey|aws4-hmac-sha256)[ \t]+)?([^"'\r\n\]]*)`,
	func(dst, s []byte, m []int) []byte {
		val := bytes.TrimSpace(s[m[6]:m[7]])
		// Already redacted: the value, or the '[' the pattern took for
		// Go's map printing, starts the placeholder.
		done := bytes.HasPrefix(bytes.TrimLeft(s[m[6]:], " \t"), placeholder) || bytes.HasPrefix(s[m[6]-1:], placeholder)
		if len(val) == 0 || done {
			return append(dst, s[m[0]:m[1]]...)
		}
		return append(append(dst, s[m[0]:m[6]]...), Placeholder...)
	})

// bearerRule hides "Bearer <token>" outside a header. A token must have
// eight characters and a digit, or twenty characters, so that English
// ("bearer authentication") is left alone.
var bearerRule = newRule(bitBearer, []string{"bearer"}, true, `(?i:bearer)[ \t]+([A-Za-z0-9._~+/-]+=*)`,
	func(dst, s []byte, m []int) []byte {
		tok := s[m[2]:m[3]]
		if len(tok) < 8 || len(tok) < 20 && !bytes.ContainsAny(tok, "0123456789") {
			return append(dst, s[m[0]:m[1]]...)
		}
		return append(append(dst, s[m[0]:m[2]]...), Placeholder...)
	})

// userinfoRe matches a URL's userinfo, from just after "://". Group 1 is
// the user, group 2 the password, which may hold an unescaped '@' (the last
// one before the host wins) but not '/', so "host:8080/@scope" is not read
// as userinfo.
var userinfoRe = regexp.MustCompile(`\A([^\s/?#@:"'<>]*)(?::([^\s/?#"'<>]*))?@`)

// minUserToken is the length from which a URL user without a password is
// taken for a token (https://<token>@host); shorter users (git@) stay.
const minUserToken = 20

// redactURLs hides the password of every scheme://user:password@ in s, and
// a user alone when it is token-long.
func redactURLs(s []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(s); {
		j := bytes.Index(s[i:], []byte("://"))
		if j < 0 {
			break
		}
		at := i + j + len("://")
		i = at
		if at-len("://") == 0 || !isWordByte(s[at-len("://")-1]) {
			continue // no scheme
		}
		m := userinfoRe.FindSubmatchIndex(s[at:])
		if m == nil {
			continue
		}
		user, password := s[at+m[2]:at+m[3]], []byte(nil)
		if m[4] >= 0 {
			password = s[at+m[4] : at+m[5]]
		}
		switch {
		case len(password) > 0 && !bytes.Equal(password, placeholder):
			out = append(out, s[last:at]...)
			out = append(append(append(out, user...), ':'), Placeholder...)
		case m[4] < 0 && len(user) >= minUserToken:
			out = append(append(out, s[last:at]...), Placeholder...)
		default:
			continue
		}
		out = append(out, '@')
		last = at + m[1]
		i = last
	}
	if out == nil {
		return s
	}
	return append(out, s[last:]...)
}

// Private key blocks: the body between the markers is hidden, the markers
// stay so a reader sees what was there. Certificates and public keys are not
// secret and stay whole.
var (
	keyBeginRe = regexp.MustCompile(`-----BEGIN[ A-Z0-9]*PRIVATE KEY[ A-Z]*-----`)
	keyEndRe   = regexp.MustCompile(`-----END[ A-Z0-9]*PRIVATE KEY[ A-Z]*-----`)
)

// maxKeyLines bounds a private key block whose END marker never comes (a
// truncated log, or a message quoting the BEGIN marker): after this many
// lines redaction of the block stops. The largest PEM keys (RSA 16384, PGP
// with subkeys) stay well under it.
const maxKeyLines = 512

func findKeyEnd(s []byte) []int {
	i := bytes.Index(s, []byte("-----END"))
	if i < 0 {
		return nil
	}
	loc := keyEndRe.FindIndex(s[i:])
	if loc == nil {
		return nil
	}
	return []int{i + loc[0], i + loc[1]}
}

// appendKeyBody appends the placeholder for a piece of key body, or the
// piece itself when it is blank, so blank lines and CRLF stay as they were.
func appendKeyBody(dst, body []byte) []byte {
	if len(bytes.TrimSpace(body)) == 0 {
		return append(dst, body...)
	}
	return append(dst, Placeholder...)
}
