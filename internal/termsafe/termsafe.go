// Package termsafe makes text that came from outside perfcap — a bundle
// from another machine, a command's output, a path — safe to print on a
// terminal: every rune that is not graphic (control characters such as ESC,
// which start the sequences that clear the screen or set the window title,
// C1 controls, bidirectional overrides, invalid UTF-8) is written as a Go
// escape (\x1b, \u202e, \xff), while printable UTF-8 such as Chinese stays
// as it is.
//
// Text quotes a single value when it needs escaping, so that an escaped
// value is never mistaken for a plain one; Escape escapes without quotes,
// for messages; Document keeps newlines and tabs, for multi-line text such
// as a rendered report; JSON escapes inside the strings of a JSON document
// so that it stays valid JSON with the same meaning.
package termsafe

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Safe reports whether s prints as itself: valid UTF-8 made only of
// graphic runes (letters, marks, numbers, punctuation, symbols, spaces).
func Safe(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || !unicode.IsGraphic(r) {
			return false
		}
		i += n
	}
	return true
}

// Text returns s unchanged when it is [Safe], else s as a double-quoted Go
// string literal (strconv.QuoteToGraphic): "\x1b]0;owned\a" instead of a
// new window title.
func Text(s string) string {
	if Safe(s) {
		return s
	}
	return strconv.QuoteToGraphic(s)
}

// Escape returns s with every rune that is not graphic written as a Go
// escape sequence and each byte of invalid UTF-8 as \xNN. Graphic runes,
// quotes and backslashes are left alone: the result is for reading, not
// for unquoting.
func Escape(s string) string {
	if Safe(s) {
		return s
	}
	return string(appendEscaped(nil, []byte(s), false))
}

// Document returns text as Escape would, except that newlines and tabs
// are kept, so that a multi-line document keeps its layout.
func Document(text []byte) []byte {
	if Safe(string(text)) {
		return text
	}
	return appendEscaped(make([]byte, 0, len(text)), text, true)
}

// appendEscaped appends text to b, escaping what is not graphic; with
// layout, '\n' and '\t' pass through.
func appendEscaped(b, text []byte, layout bool) []byte {
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRune(text[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, `\x`...)
			b = appendHex(b, uint32(text[i]), 2)
		case layout && (r == '\n' || r == '\t'):
			b = append(b, byte(r))
		case r < utf8.RuneSelf && r >= 0x20 && r != 0x7f, r >= utf8.RuneSelf && unicode.IsGraphic(r):
			b = append(b, text[i:i+n]...)
		default:
			// The rune as a quoted character, without its quotes: \x1b,
			// \n, \u202e.
			q := strconv.QuoteRuneToGraphic(r)
			b = append(b, q[1:len(q)-1]...)
		}
		i += n
	}
	return b
}

// JSON returns the JSON document doc with every rune that is not graphic
// and not JSON whitespace written as a \uXXXX escape, and invalid UTF-8 as
// \ufffd (what a JSON decoder reads it as anyway). In valid JSON such runes
// can only occur inside strings, where the escape means the same rune, so
// a valid document stays valid and decodes to the same values.
func JSON(doc []byte) []byte {
	if Safe(string(doc)) {
		return doc
	}
	b := make([]byte, 0, len(doc))
	for i := 0; i < len(doc); {
		r, n := utf8.DecodeRune(doc[i:])
		switch {
		case r == ' ' || r == '\n' || r == '\t' || r == '\r':
			b = append(b, byte(r))
		case r == utf8.RuneError && n == 1:
			b = append(b, `\ufffd`...)
		case r < utf8.RuneSelf && r >= 0x20 && r != 0x7f, r >= utf8.RuneSelf && unicode.IsGraphic(r):
			b = append(b, doc[i:i+n]...)
		case r > 0xffff:
			r1, r2 := utf16Pair(r)
			b = appendHex(append(b, `\u`...), uint32(r1), 4)
			b = appendHex(append(b, `\u`...), uint32(r2), 4)
		default:
			b = appendHex(append(b, `\u`...), uint32(r), 4)
		}
		i += n
	}
	return b
}

// utf16Pair is the surrogate pair of a rune above U+FFFF.
func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

func appendHex(b []byte, v uint32, digits int) []byte {
	const hex = "0123456789abcdef"
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		b = append(b, hex[v>>uint(shift)&0xf])
	}
	return b
}
