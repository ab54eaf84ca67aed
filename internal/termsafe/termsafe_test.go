package termsafe

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"cargo bench --bench fib", "cargo bench --bench fib"},
		{"/home/李雷/项目", "/home/李雷/项目"},
		{`C:\path "quoted"`, `C:\path "quoted"`},
		{"\x1b[2J\x1b[H", `"\x1b[2J\x1b[H"`},
		{"\x1b]0;owned\a", `"\x1b]0;owned\a"`},
		{"ok\nexit: code 0", `"ok\nexit: code 0"`},
		{"evil\u202egpj.exe", `"evil\u202egpj.exe"`},
		{"\u009b31m", `"\u009b31m"`},
		{"bad \xff byte", `"bad \xff byte"`},
		{"tab\there", `"tab\there"`},
		{"del\x7f", `"del\x7f"`},
		{"", ""},
	} {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestEscapeAndDocument(t *testing.T) {
	in := "line 1\tok\n\x1b[31mred\x1b[0m 中文 \u202e\xfe\n"
	if got, want := Escape(in), `line 1\tok\n\x1b[31mred\x1b[0m 中文 \u202e\xfe\n`; got != want {
		t.Errorf("Escape = %s, want %s", got, want)
	}
	if got, want := string(Document([]byte(in))), "line 1\tok\n\\x1b[31mred\\x1b[0m 中文 \\u202e\\xfe\n"; got != want {
		t.Errorf("Document = %q, want %q", got, want)
	}
}

func TestJSON(t *testing.T) {
	v := map[string]string{"cmd": "a\u0085b\x7fc\u202ed𝄞e\U000E0001", "plain": "中文"}
	doc, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out := JSON(doc)
	if !Safe(string(bytes.ReplaceAll(out, []byte("\n"), nil))) {
		t.Errorf("JSON left unsafe runes: %q", out)
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("JSON output is not JSON: %v: %s", err, out)
	}
	if back["cmd"] != v["cmd"] || back["plain"] != v["plain"] {
		t.Errorf("JSON changed the values: %q, want %q", back, v)
	}
}

// unsafe reports whether s holds a rune a terminal could act on.
func unsafe(s string, layout bool) bool {
	for _, r := range s {
		if layout && (r == '\n' || r == '\t') {
			continue
		}
		if r == utf8.RuneError || !unicode.IsGraphic(r) {
			return true
		}
	}
	return false
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[2J", "中文\n", "\xff\xfe", "a\u202eb", "\U0010ffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Text(s)
		if unsafe(q, false) {
			t.Errorf("Text(%q) = %q keeps an unsafe rune", s, q)
		}
		if q != s {
			back, err := strconv.Unquote(q)
			if err != nil || back != s {
				t.Errorf("Text(%q) = %s does not unquote to the input (%q, %v)", s, q, back, err)
			}
		}
		if e := Escape(s); unsafe(e, false) {
			t.Errorf("Escape(%q) = %q keeps an unsafe rune", s, e)
		}
		if d := string(Document([]byte(s))); unsafe(d, true) {
			t.Errorf("Document(%q) = %q keeps an unsafe rune", s, d)
		}
		doc, _ := json.Marshal(map[string]string{"s": s})
		out := JSON(doc)
		var back map[string]string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("JSON(%s) = %s is not JSON: %v", doc, out, err)
		}
		var want map[string]string
		json.Unmarshal(doc, &want)
		if back["s"] != want["s"] {
			t.Errorf("JSON changed %q to %q", want["s"], back["s"])
		}
		if unsafe(string(out), false) {
			t.Errorf("JSON(%s) = %q keeps an unsafe rune", doc, out)
		}
	})
}
