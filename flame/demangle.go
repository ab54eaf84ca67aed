package flame

import (
	"strings"
	"unicode/utf8"
)

// demangleAny returns the Rust symbol name sym demangled as perf shows it
// ("criterion::bencher::Bencher<M>::iter", "<i64>::wrapping_add"), or sym
// itself when it is neither a legacy nor a v0 Rust symbol (Go and C names
// need no demangling; C++ names are left as they are).
func demangleAny(sym string) string {
	if d, ok := demangleRust(sym); ok {
		return d
	}
	if d, ok := demangleRustV0(sym); ok {
		return d
	}
	return sym
}

// demangleRust demangles a symbol of Rust's legacy mangling:
// "_ZN" then length-prefixed path components, the last a hash
// ("h0123456789abcdef"), then "E" and an optional ".suffix" (LLVM's
// ".llvm.123"). The hash and suffix are dropped, as rustc-demangle's
// alternate form and perf do; "$LT$"-style escapes and ".." are decoded.
// ok is false for anything else, C++ symbols included.
func demangleRust(sym string) (string, bool) {
	rest, ok := strings.CutPrefix(sym, "_ZN")
	if !ok {
		return "", false
	}
	var parts []string
	for rest != "" && rest[0] != 'E' {
		n, i := 0, 0
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			n = n*10 + int(rest[i]-'0')
			if n > len(rest) {
				return "", false
			}
		}
		if i == 0 || n == 0 || i+n > len(rest) {
			return "", false
		}
		parts = append(parts, rest[i:i+n])
		rest = rest[i+n:]
	}
	if rest == "" || (len(rest) > 1 && rest[1] != '.') {
		return "", false
	}
	if len(parts) < 2 || !isRustHash(parts[len(parts)-1]) {
		return "", false
	}
	var b strings.Builder
	for i, p := range parts[:len(parts)-1] {
		if i > 0 {
			b.WriteString("::")
		}
		if !decodeRustComponent(&b, p) {
			return "", false
		}
	}
	return b.String(), true
}

// isRustHash reports "h" followed by 16 hexadecimal digits.
func isRustHash(s string) bool {
	if len(s) != 17 || s[0] != 'h' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if _, ok := hexDigit(s[i]); !ok {
			return false
		}
	}
	return true
}

// rustEscapes are the "$..$" escapes of legacy mangling.
var rustEscapes = map[string]string{
	"SP": "@", "BP": "*", "RF": "&", "LT": "<", "GT": ">", "LP": "(", "RP": ")", "C": ",",
}

// decodeRustComponent writes one decoded path component to b.
func decodeRustComponent(b *strings.Builder, c string) bool {
	if strings.HasPrefix(c, "_$") {
		c = c[1:]
	}
	for c != "" {
		switch {
		case c[0] == '$':
			end := strings.IndexByte(c[1:], '$')
			if end < 0 {
				return false
			}
			esc := c[1 : end+1]
			c = c[end+2:]
			if s, ok := rustEscapes[esc]; ok {
				b.WriteString(s)
				continue
			}
			hex, ok := strings.CutPrefix(esc, "u")
			if !ok || hex == "" || len(hex) > 6 {
				return false
			}
			var r rune
			for i := 0; i < len(hex); i++ {
				d, ok := hexDigit(hex[i])
				if !ok {
					return false
				}
				r = r<<4 | rune(d)
			}
			if !utf8.ValidRune(r) {
				return false
			}
			b.WriteRune(r)
		case strings.HasPrefix(c, ".."):
			b.WriteString("::")
			c = c[2:]
		default:
			b.WriteByte(c[0])
			c = c[1:]
		}
	}
	return true
}
