package redact

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newTestRedactor(t testing.TB) *Redactor {
	t.Helper()
	r, err := New(userPatterns)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNewRejectsBadPatterns(t *testing.T) {
	tests := []struct {
		pattern string
		want    []string
	}{
		{`(`, []string{`"("`, "missing closing )"}},
		{`[a-`, []string{`"[a-"`, "missing closing ]"}},
		{`a*`, []string{`"a*"`, "empty string"}},
		{`x|`, []string{`"x|"`, "empty string"}},
	}
	for _, tt := range tests {
		_, err := New([]string{`ok-[0-9]+`, tt.pattern})
		if err == nil {
			t.Errorf("New(%q) succeeded, want an error", tt.pattern)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("New(%q) error spans lines: %q", tt.pattern, msg)
		}
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("New(%q) error %q does not contain %q", tt.pattern, msg, w)
			}
		}
	}
}

func TestStringHidesPlantedSecrets(t *testing.T) {
	r := newTestRedactor(t)
	for _, p := range plantedSecrets() {
		t.Run(p.kind, func(t *testing.T) {
			got := r.String(p.text)
			if strings.Contains(got, p.secret) {
				t.Errorf("String(%q) = %q: the secret survived", p.text, got)
			}
			if !strings.Contains(got, Placeholder) {
				t.Errorf("String(%q) = %q: no placeholder", p.text, got)
			}
		})
	}
}

func TestStringKeepsContext(t *testing.T) {
	r := newTestRedactor(t)
	tok := "gh" + "p_" + alnum("ctx", 36, "")
	jwt := "ey" + "JhbGciOiJIUzI1NiJ9." + "ey" + "JzdWIiOiIxIn0." + alnum("jwtctx", 43, "")
	tests := []struct{ in, want string }{
		{"push with " + tok + " ok", "push with [redacted] ok"},
		{"Authorization: Bearer " + tok, "Authorization: Bearer [redacted]"},
		{`curl -H "Authorization: token abc123def456" https://x`, `curl -H "Authorization: token [redacted]" https://x`},
		{"map[Authorization:[Bearer abc123def456] Accept:[*/*]]", "map[Authorization:[Bearer [redacted]] Accept:[*/*]]"},
		{"https://user:hunter2@example.com/repo.git", "https://user:[redacted]@example.com/repo.git"},
		{"ssh://git@github.com/acme/app.git", "ssh://git@github.com/acme/app.git"},
		{"https://oauth2:abc123@gitlab.com/a.git", "https://oauth2:[redacted]@gitlab.com/a.git"},
		{"config {Token:abc123 Port:80}", "config {Token:[redacted] Port:80}"},
		{"GITHUB_TOKEN=abc DEBUG=1 make", "GITHUB_TOKEN=[redacted] DEBUG=1 make"},
		{"FOO=x,password=hunter2 bar", "FOO=x,password=[redacted] bar"},
		{`token = "abc def"`, `token = "[redacted]"`},
		{"let key = map.get(&id);", "let key = map.get(&id);"},
		{"  key_lookup = 5", "  key_lookup = [redacted]"},
		{"x --password=hunter2 --token abc --secret-file=/etc/s.json", "x --password=[redacted] --token [redacted] --secret-file=/etc/s.json"},
		{"tool --auth --verbose", "tool --auth --verbose"},
		{`{"password": "a\"b", "user": "bob"}`, `{"password": "[redacted]", "user": "bob"}`},
		{"  api_key: abc123  ", "  api_key: [redacted]  "},
		{"- secret: abc", "- secret: [redacted]"},
		{"cookie: a=b; c=d", "cookie: [redacted]"},
		{"got " + jwt + ".", "got [redacted]."},
		{"GET /cb?access_token=abc&state=xyz", "GET /cb?access_token=[redacted]&state=xyz"},
		{"token=" + Placeholder, "token=" + Placeholder},
		{"internal ACME-123456789012 done", "internal [redacted] done"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestStringKeepsOrdinaryOutput(t *testing.T) {
	r := newTestRedactor(t)
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got := r.String(string(data))
		if got == string(data) {
			continue
		}
		in, out := strings.Split(string(data), "\n"), strings.Split(got, "\n")
		for i := range in {
			if i < len(out) && in[i] != out[i] {
				t.Errorf("%s:%d changed:\n  in  %q\n  out %q", f, i+1, in[i], out[i])
			}
		}
	}
}

func TestStringKeepsNonSecrets(t *testing.T) {
	r := newTestRedactor(t)
	for _, s := range []string{
		"commit 2a7c32287247e13680ba54b2bd5e6d1e1c5d9d5a",
		"id 3f2504e0-4f89-11d3-9a0c-0305e82c3301",
		"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"/home/alice/.cargo/registry/src/index.crates.io-6f17d22bba15001f/ring-0.17.8/build.rs:420:9",
		"Benchmarking auth/token: Warming up for 3.0000 s",
		"auth/token              time:   [6.6012 µs 6.6131 µs 6.6270 µs]",
		"--- PASS: TestSessionKeyRotation (0.01s)",
		"    session_test.go:42: rotated key 7 after 3 sessions",
		"test auth::tests::parses_header ... ok",
		"   Compiling session-types v0.3.1",
		"   Compiling sk-learn-bindings-for-rust v0.1.0",
		"--extern cookie=/t/release/deps/libcookie-9b0e5ac34f7d2f11.rlib",
		"CARGO_PKG_AUTHORS='Jane Doe <jane@example.com>'",
		"bearer authentication is not configured",
		"authorization failed, see the docs",
		"https://registry.npmjs.org:443/@scope/pkg",
		"git@github.com:acme/app.git",
		"BenchmarkSessionKey-8   5000000   245.3 ns/op",
		"-----BEGIN CERTIFICATE-----",
		"MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ",
		"the secret: nothing here",
		"x == key",
		"17 |     let key = map.get(&session_key);",
	} {
		if got := r.String(s); got != s {
			t.Errorf("String(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestStringPrivateKeyBlocks(t *testing.T) {
	r := newTestRedactor(t)
	for _, kind := range []string{"", "RSA", "EC", "OPENSSH", "ENCRYPTED"} {
		block, body := privateKey(kind)
		in := "before\n  " + strings.ReplaceAll(block, "\n", "\r\n") + "after ok\n"
		got := r.String(in)
		for _, b := range body {
			if strings.Contains(got, b) {
				t.Errorf("%s key: body line %q survived in %q", kind, b, got)
			}
		}
		for _, keep := range []string{"before\n", "after ok\n", "-----BEGIN ", "-----END "} {
			if !strings.Contains(got, keep) {
				t.Errorf("%s key: %q lost from %q", kind, keep, got)
			}
		}
		if strings.Count(got, "\n") != strings.Count(in, "\n") {
			t.Errorf("%s key: line count changed: %q", kind, got)
		}
	}

	// A key on one line, as JSON holds it.
	_, body := privateKey("RSA")
	oneLine := `{"private_key_id": "7", "pem": "-----BEGIN RSA PRIVATE KEY-----\n` + strings.Join(body, `\n`) + `\n-----END RSA PRIVATE KEY-----\n", "user": "bob"}`
	got := r.String(oneLine)
	if strings.Contains(got, body[0]) || !strings.Contains(got, `"user": "bob"`) {
		t.Errorf("one-line key: got %q", got)
	}

	// A BEGIN without END stops hiding after maxKeyLines lines.
	in := "-----BEGIN PRIVATE KEY-----\n" + strings.Repeat("x\n", maxKeyLines) + "visible\n"
	got = r.String(in)
	if !strings.HasSuffix(got, "\nvisible\n") || strings.Contains(got, "x\n") {
		t.Errorf("unterminated key: got ...%q", got[max(0, len(got)-40):])
	}
}

func TestStringLongLines(t *testing.T) {
	r := newTestRedactor(t)
	tok := "gh" + "p_" + alnum("long", 36, "")
	filler := strings.Repeat("abcdefgh ", maxLine/9+1)
	for _, off := range []int{0, 1, 20, 30, 40, 100, 1000} {
		in := filler[:maxLine-off] + tok + " tail\n"
		got := r.String(in)
		if strings.Contains(got, tok) {
			t.Errorf("token at %d bytes before the 64 KiB cut survived", off)
		}
	}
}

// A token glued to the text before it is redacted wherever a long line
// puts it, across the 64 KiB piece boundary too, by String and by the
// writer alike.
func TestTokenAtEveryOffsetOfALongLine(t *testing.T) {
	r, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Glued to the text around it (a GitHub token needs no word
	// boundary), or as a word of its own among long words.
	cases := []struct{ tok, before, after string }{
		{"ghp_" + strings.Repeat("aB3", 12), "x", "z"},
		{"ghp_" + strings.Repeat("aB3", 12), "xxxxxxxxxxxxxx ", " "},
		{"AKIA" + strings.Repeat("Q7", 8), "xxxxxxxxxxxxxx ", " "},
		{"xoxb-" + strings.Repeat("1234567890", 3) + "-abcDEF", "xxxxxxxxxxxxxx ", " "},
	}
	for _, c := range cases {
		tok := c.tok
		for off := maxLine - 64; off <= maxLine+8; off++ {
			before := strings.Repeat(c.before, off/len(c.before)+1)[:off-1] + c.before[len(c.before)-1:]
			line := before + tok + strings.Repeat(c.after, 300) + "\n"
			if got := r.String(line); strings.Contains(got, tok) {
				t.Fatalf("String leaks %s at offset %d", tok[:4], off)
			}
			var b bytes.Buffer
			w := r.NewWriter(&b)
			for i := 0; i < len(line); i += 4093 {
				_, _ = w.Write([]byte(line[i:min(i+4093, len(line))]))
			}
			_ = w.Close()
			if strings.Contains(b.String(), tok) || b.String() != r.String(line) {
				t.Fatalf("the writer leaks or differs from String for %s at offset %d", tok[:4], off)
			}
		}
	}
}
