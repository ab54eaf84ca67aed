package redact

// Trigger bits say which rules a line needs. A line whose scan sets no bit
// is copied through untouched, which is what makes ordinary output cheap.
const (
	bitName   uint32 = 1 << iota // a secret word: names and flags
	bitHeader                    // part of a credential header's name
	bitBearer                    // "bearer"
	bitKey                       // "-----begin": a private key block
	bitURL                       // "://"
	bitAt                        // "@"; URL userinfo needs both
	bitGitHub                    // ghp_ gho_ ghu_ ghs_ ghr_ github_pat_
	bitAWS                       // AKIA ASIA
	bitSlack                     // xox
	bitGitLab                    // glpat-
	bitNPM                       // npm_
	bitPyPI                      // pypi-
	bitSKDash                    // sk-: OpenAI, Anthropic
	bitStripe                    // sk_live_ sk_test_ rk_live_ rk_test_
	bitGoogle                    // AIza
	bitJWT                       // eyJ
	bitHF                        // hf_
)

// trigger is a lower-case literal whose presence, in any case, sets bits.
type trigger struct {
	lit  string
	bits uint32
}

// secretWords are the substrings that make a name secret (see isSecretName).
// They double as triggers, so the scan flags every line a name rule could
// change.
var secretWords = []string{"token", "secret", "passw", "passphrase", "key", "credential", "cookie", "session"}

var triggers = func() []trigger {
	t := []trigger{
		// "auth", "pass", "pw" and "pat" are checked more finely by isSecretName.
		{"auth", bitName}, {"pass", bitName}, {"pw", bitName}, {"pat", bitName},
		{"bearer", bitBearer},
		{"authoriz", bitHeader}, {"cookie", bitHeader}, {"apikey", bitHeader}, {"api-key", bitHeader}, {"-token", bitHeader},
		{"-----begin", bitKey},
		{"://", bitURL},
		{"@", bitAt},
		{"ghp_", bitGitHub}, {"gho_", bitGitHub}, {"ghu_", bitGitHub}, {"ghs_", bitGitHub}, {"ghr_", bitGitHub}, {"github_pat_", bitGitHub},
		{"akia", bitAWS}, {"asia", bitAWS},
		{"xox", bitSlack},
		{"glpat-", bitGitLab},
		{"npm_", bitNPM},
		{"pypi-", bitPyPI},
		{"sk-", bitSKDash},
		{"sk_live_", bitStripe}, {"sk_test_", bitStripe}, {"rk_live_", bitStripe}, {"rk_test_", bitStripe},
		{"aiza", bitGoogle},
		{"eyj", bitJWT},
		{"hf_", bitHF},
	}
	for _, w := range secretWords {
		t = append(t, trigger{w, bitName})
	}
	return t
}()

// scanTables hold the trigger search structures: lower folds ASCII case,
// pairs has a bit for every folded two-byte start of a trigger (a one-byte
// trigger sets all pairs it starts), and byFirst lists triggers by their
// first byte.
type scanTables struct {
	lower   [256]byte
	pairs   [1 << 16 / 64]uint64
	byFirst [256][]trigger
}

var tables = func() *scanTables {
	t := new(scanTables)
	for i := range t.lower {
		c := byte(i)
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		t.lower[i] = c
	}
	for _, tr := range triggers {
		first := tr.lit[0]
		t.byFirst[first] = append(t.byFirst[first], tr)
		if len(tr.lit) == 1 {
			for second := range 256 {
				t.setPair(first, byte(second))
			}
			continue
		}
		t.setPair(first, tr.lit[1])
	}
	return t
}()

func (t *scanTables) setPair(a, b byte) {
	p := uint16(a)<<8 | uint16(b)
	t.pairs[p>>6] |= 1 << (p & 63)
}

// scanLine returns the index of the first line terminator ('\n' or '\r') in
// b, or len(b) if there is none, and the trigger bits of b up to there.
func scanLine(b []byte) (end int, mask uint32) {
	t := tables
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\n' || c == '\r' {
			return i, mask
		}
		if t.maybe(b[i:]) {
			mask |= t.match(b[i:])
		}
	}
	return len(b), mask
}

// maybe reports whether a trigger may start at b[0], by its first two
// bytes alone.
func (t *scanTables) maybe(b []byte) bool {
	var next byte
	if len(b) > 1 {
		next = b[1]
	}
	p := uint16(t.lower[b[0]])<<8 | uint16(t.lower[next])
	return t.pairs[p>>6]&(1<<(p&63)) != 0
}

// match returns the bits of the triggers b starts with.
func (t *scanTables) match(b []byte) uint32 {
	var mask uint32
	for _, tr := range t.byFirst[t.lower[b[0]]] {
		if hasPrefixFold(b, tr.lit) {
			mask |= tr.bits
		}
	}
	return mask
}

// hasPrefixFold reports whether b starts with the lower-case ASCII lit,
// ignoring ASCII case.
func hasPrefixFold(b []byte, lit string) bool {
	if len(b) < len(lit) {
		return false
	}
	for i := 0; i < len(lit); i++ {
		if tables.lower[b[i]] != lit[i] {
			return false
		}
	}
	return true
}

// couldStart reports whether a trigger starts at b[0], or would if b went
// on: b is a trigger's beginning cut short.
func (t *scanTables) couldStart(b []byte) bool {
	for _, tr := range t.byFirst[t.lower[b[0]]] {
		n := min(len(b), len(tr.lit))
		if hasPrefixFold(b[:n], tr.lit[:n]) {
			return true
		}
	}
	return false
}
