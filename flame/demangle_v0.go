package flame

import (
	"strconv"
	"strings"
)

// demangleRustV0 demangles a symbol of Rust's v0 mangling ("_R..."), which
// the Rust standard library is built with, into the form perf and
// rustc-demangle's alternate format print: "<i64>::wrapping_add",
// "std::rt::lang_start_internal::{closure#0}", "<core::cmp::Ordering as
// core::cmp::PartialEq>::eq". ok is false for anything else, or a
// symbol it cannot read (punycode identifiers among them).
func demangleRustV0(sym string) (string, bool) {
	rest, ok := strings.CutPrefix(sym, "_R")
	if !ok || rest == "" || rest[0] < 'A' || rest[0] > 'Z' {
		return "", false
	}
	p := &v0Printer{s: rest}
	p.path(true)
	if p.bad {
		return "", false
	}
	// The instantiating crate, not printed; then an optional suffix
	// (".llvm.123").
	if p.pos < len(p.s) && p.s[p.pos] >= 'A' && p.s[p.pos] <= 'Z' {
		p.quiet++
		p.path(false)
		p.quiet--
	}
	if p.bad || (p.pos < len(p.s) && p.s[p.pos] != '.' && p.s[p.pos] != '$') {
		return "", false
	}
	return p.out.String(), true
}

// Bounds on a v0 symbol's nesting and demangled length: backreferences
// can make the output grow exponentially in the input.
const (
	v0MaxDepth  = 500
	v0MaxOutput = 8 << 10
)

// v0Printer parses and prints in one pass, as rustc-demangle does; a
// backreference prints again the part of the symbol it points to.
type v0Printer struct {
	s     string
	pos   int
	out   strings.Builder
	bad   bool
	depth int
	quiet int // > 0 while parsing without printing
	bound int // lifetimes bound by enclosing binders
}

func (p *v0Printer) print(s string) {
	if p.quiet > 0 || p.bad {
		return
	}
	if p.out.Len()+len(s) > v0MaxOutput {
		p.bad = true
		return
	}
	p.out.WriteString(s)
}

func (p *v0Printer) peek() byte {
	if p.bad || p.pos >= len(p.s) {
		return 0
	}
	return p.s[p.pos]
}

func (p *v0Printer) next() byte {
	c := p.peek()
	if c == 0 {
		p.bad = true
		return 0
	}
	p.pos++
	return c
}

func (p *v0Printer) eat(c byte) bool {
	if p.peek() == c {
		p.pos++
		return true
	}
	return false
}

func (p *v0Printer) push() bool {
	p.depth++
	if p.depth > v0MaxDepth {
		p.bad = true
	}
	return !p.bad
}

func (p *v0Printer) pop() { p.depth-- }

// base62 reads "_" (0) or base-62 digits and "_" (their value plus one).
func (p *v0Printer) base62() uint64 {
	if p.eat('_') {
		return 0
	}
	var v uint64
	for !p.eat('_') {
		c := p.next()
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'z':
			d = uint64(c-'a') + 10
		case c >= 'A' && c <= 'Z':
			d = uint64(c-'A') + 36
		default:
			p.bad = true
			return 0
		}
		if v > (^uint64(0)-d)/62 {
			p.bad = true
			return 0
		}
		v = v*62 + d
	}
	if v == ^uint64(0) {
		p.bad = true
		return 0
	}
	return v + 1
}

// optBase62 reads tag and a base-62 number plus one, or 0 without tag.
func (p *v0Printer) optBase62(tag byte) uint64 {
	if !p.eat(tag) {
		return 0
	}
	v := p.base62()
	if v == ^uint64(0) {
		p.bad = true
		return 0
	}
	return v + 1
}

// ident reads an identifier: a decimal length, an optional "_", the bytes.
func (p *v0Printer) ident() string {
	if p.eat('u') {
		p.bad = true // punycode
		return ""
	}
	start := p.pos
	if p.peek() != '0' {
		for c := p.peek(); c >= '0' && c <= '9'; c = p.peek() {
			p.pos++
		}
	} else {
		p.pos++ // a length of 0 takes no more digits
	}
	n, err := strconv.Atoi(p.s[start:p.pos])
	if err != nil || p.pos == start {
		p.bad = true
		return ""
	}
	p.eat('_')
	if n > len(p.s)-p.pos {
		p.bad = true
		return ""
	}
	id := p.s[p.pos : p.pos+n]
	p.pos += n
	return id
}

// backref prints again what the backreference at p.pos points to.
func (p *v0Printer) backref(f func()) {
	at := p.pos - 1 // the 'B'
	target := p.base62()
	if p.bad || target >= uint64(at) {
		p.bad = true
		return
	}
	saved := p.pos
	p.pos = int(target)
	f()
	p.pos = saved
}

// sepList runs f for each element up to 'E', printing sep between them,
// and returns how many there were.
func (p *v0Printer) sepList(f func(), sep string) int {
	n := 0
	for !p.bad && !p.eat('E') {
		if n > 0 {
			p.print(sep)
		}
		f()
		n++
	}
	return n
}

func (p *v0Printer) path(inValue bool) {
	if !p.push() {
		return
	}
	defer p.pop()
	switch tag := p.next(); tag {
	case 'C':
		p.optBase62('s')
		p.print(p.ident())
	case 'N':
		ns := p.next()
		p.path(inValue)
		dis := p.optBase62('s')
		name := p.ident()
		switch {
		case ns >= 'A' && ns <= 'Z':
			p.print("::{")
			switch ns {
			case 'C':
				p.print("closure")
			case 'S':
				p.print("shim")
			default:
				p.print(string(ns))
			}
			if name != "" {
				p.print(":")
				p.print(name)
			}
			p.print("#")
			p.print(strconv.FormatUint(dis, 10))
			p.print("}")
		case ns >= 'a' && ns <= 'z':
			if name != "" {
				p.print("::")
				p.print(name)
			}
		default:
			p.bad = true
		}
	case 'M', 'X', 'Y':
		if tag != 'Y' {
			// The impl's own path is not printed.
			p.optBase62('s')
			p.quiet++
			p.path(false)
			p.quiet--
		}
		p.print("<")
		p.typ()
		if tag != 'M' {
			p.print(" as ")
			p.path(false)
		}
		p.print(">")
	case 'I':
		p.path(inValue)
		if inValue {
			p.print("::")
		}
		p.print("<")
		p.sepList(p.genericArg, ", ")
		p.print(">")
	case 'B':
		p.backref(func() { p.path(inValue) })
	default:
		p.bad = true
	}
}

func (p *v0Printer) genericArg() {
	switch {
	case p.eat('L'):
		p.lifetime(p.base62())
	case p.eat('K'):
		p.constant()
	default:
		p.typ()
	}
}

// v0BasicTypes are the one-letter types.
var v0BasicTypes = [26]string{
	'a' - 'a': "i8", 'b' - 'a': "bool", 'c' - 'a': "char", 'd' - 'a': "f64", 'e' - 'a': "str",
	'f' - 'a': "f32", 'h' - 'a': "u8", 'i' - 'a': "isize", 'j' - 'a': "usize", 'l' - 'a': "i32",
	'm' - 'a': "u32", 'n' - 'a': "i128", 'o' - 'a': "u128", 'p' - 'a': "_", 's' - 'a': "i16",
	't' - 'a': "u16", 'u' - 'a': "()", 'v' - 'a': "...", 'x' - 'a': "i64", 'y' - 'a': "u64",
	'z' - 'a': "!",
}

func basicType(c byte) string {
	if c >= 'a' && c <= 'z' {
		return v0BasicTypes[c-'a']
	}
	return ""
}

func (p *v0Printer) typ() {
	if !p.push() {
		return
	}
	defer p.pop()
	tag := p.next()
	if t := basicType(tag); t != "" {
		p.print(t)
		return
	}
	switch tag {
	case 'R', 'Q':
		p.print("&")
		if p.eat('L') {
			if lt := p.base62(); lt != 0 {
				p.lifetime(lt)
				p.print(" ")
			}
		}
		if tag == 'Q' {
			p.print("mut ")
		}
		p.typ()
	case 'P', 'O':
		p.print("*")
		if tag == 'P' {
			p.print("const ")
		} else {
			p.print("mut ")
		}
		p.typ()
	case 'A', 'S':
		p.print("[")
		p.typ()
		if tag == 'A' {
			p.print("; ")
			p.constant()
		}
		p.print("]")
	case 'T':
		p.print("(")
		if p.sepList(p.typ, ", ") == 1 {
			p.print(",")
		}
		p.print(")")
	case 'F':
		p.binder(p.fnSig)
	case 'D':
		p.print("dyn ")
		p.binder(func() { p.sepList(p.dynTrait, " + ") })
		if !p.eat('L') {
			p.bad = true
			return
		}
		if lt := p.base62(); lt != 0 {
			p.print(" + ")
			p.lifetime(lt)
		}
	case 'B':
		p.backref(p.typ)
	default:
		// A path: let it see its tag.
		p.pos--
		p.path(false)
	}
}

func (p *v0Printer) fnSig() {
	unsafe := p.eat('U')
	abi := ""
	if p.eat('K') {
		if p.eat('C') {
			abi = "C"
		} else {
			abi = strings.ReplaceAll(p.ident(), "_", "-")
		}
	}
	if unsafe {
		p.print("unsafe ")
	}
	if abi != "" {
		p.print(`extern "` + abi + `" `)
	}
	p.print("fn(")
	p.sepList(p.typ, ", ")
	p.print(")")
	if !p.eat('u') {
		p.print(" -> ")
		p.typ()
	}
}

// binder prints the lifetimes a "G" binds ("for<'a> "), then f.
func (p *v0Printer) binder(f func()) {
	n := p.optBase62('G')
	if n > 0 {
		if n > v0MaxDepth {
			p.bad = true
			return
		}
		p.print("for<")
		for i := uint64(0); i < n; i++ {
			if i > 0 {
				p.print(", ")
			}
			p.bound++
			p.lifetime(1)
		}
		p.print("> ")
	}
	f()
	p.bound -= int(n)
}

func (p *v0Printer) lifetime(lt uint64) {
	if lt == 0 {
		p.print("'_")
		return
	}
	if lt > uint64(p.bound) {
		p.bad = true
		return
	}
	d := uint64(p.bound) - lt
	if d < 26 {
		p.print("'" + string(rune('a'+d)))
	} else {
		p.print("'_" + strconv.FormatUint(d, 10))
	}
}

func (p *v0Printer) dynTrait() {
	open := p.pathOpenGenerics()
	for p.eat('p') {
		if !open {
			p.print("<")
			open = true
		} else {
			p.print(", ")
		}
		p.print(p.ident())
		p.print(" = ")
		p.typ()
	}
	if open {
		p.print(">")
	}
}

// pathOpenGenerics prints a path, leaving its generic arguments' "<"
// open for associated type bindings; it says whether it did.
func (p *v0Printer) pathOpenGenerics() bool {
	if p.eat('B') {
		open := false
		p.backref(func() { open = p.pathOpenGenerics() })
		return open
	}
	if p.eat('I') {
		p.path(false)
		p.print("<")
		p.sepList(p.genericArg, ", ")
		return true
	}
	p.path(false)
	return false
}

func (p *v0Printer) constant() {
	if !p.push() {
		return
	}
	defer p.pop()
	switch tag := p.next(); tag {
	case 'p':
		p.print("_")
	case 'h', 't', 'm', 'y', 'o', 'j':
		p.print(p.hexValue())
	case 'a', 's', 'l', 'x', 'n', 'i':
		if p.eat('n') {
			p.print("-")
		}
		p.print(p.hexValue())
	case 'b':
		switch p.hexValue() {
		case "0":
			p.print("false")
		case "1":
			p.print("true")
		default:
			p.bad = true
		}
	case 'c':
		v, err := strconv.ParseUint(p.hexValue(), 10, 32)
		if err != nil {
			p.bad = true
			return
		}
		p.print(strconv.QuoteRune(rune(v)))
	case 'A':
		p.print("[")
		p.sepList(p.constant, ", ")
		p.print("]")
	case 'T':
		p.print("(")
		if p.sepList(p.constant, ", ") == 1 {
			p.print(",")
		}
		p.print(")")
	case 'R', 'Q':
		p.print("&")
		if tag == 'Q' {
			p.print("mut ")
		}
		p.constant()
	case 'B':
		p.backref(p.constant)
	default:
		// String literals and struct constants are rare in symbols.
		p.bad = true
	}
}

// hexValue reads hexadecimal digits up to "_" and returns them as a
// decimal number, or as 0x... past 64 bits.
func (p *v0Printer) hexValue() string {
	start := p.pos
	for !p.bad && !p.eat('_') {
		if _, ok := hexDigit(p.next()); !ok {
			p.bad = true
		}
	}
	if p.bad {
		return ""
	}
	h := strings.TrimLeft(p.s[start:p.pos-1], "0")
	if h == "" {
		return "0"
	}
	if v, err := strconv.ParseUint(h, 16, 64); err == nil {
		return strconv.FormatUint(v, 10)
	}
	return "0x" + h
}
