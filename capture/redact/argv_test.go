package redact

import (
	"slices"
	"strings"
	"testing"
)

func TestArgv(t *testing.T) {
	r := newTestRedactor(t)
	tok := "gh" + "p_" + alnum("argv", 36, "")
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"plain cargo", []string{"cargo", "bench", "-p", "mycrate", "--bench", "auth", "--", "--save-baseline", "main"},
			[]string{"cargo", "bench", "-p", "mycrate", "--bench", "auth", "--", "--save-baseline", "main"}},
		{"password equals", []string{"tool", "--password=hunter2"}, []string{"tool", "--password=[redacted]"}},
		{"token space", []string{"cargo", "publish", "--token", "cio123abc"}, []string{"cargo", "publish", "--token", "[redacted]"}},
		{"api-key", []string{"tool", "--api-key=xyz", "--api-key", "xyz"}, []string{"tool", "--api-key=[redacted]", "--api-key", "[redacted]"}},
		{"go single dash", []string{"srv", "-secret", "xyz", "-auth-token=abc"}, []string{"srv", "-secret", "[redacted]", "-auth-token=[redacted]"}},
		{"secret then flag", []string{"tool", "--auth", "--release"}, []string{"tool", "--auth", "--release"}},
		{"empty attached", []string{"tool", "--token="}, []string{"tool", "--token="}},
		{"plain -p stays", []string{"mysql", "-p", "db"}, []string{"mysql", "-p", "db"}},
		{"env words", []string{"env", "GITHUB_TOKEN=abc def", "RUSTFLAGS=-Ctarget-cpu=native", "cargo", "bench"},
			[]string{"env", "GITHUB_TOKEN=[redacted]", "RUSTFLAGS=-Ctarget-cpu=native", "cargo", "bench"}},
		{"curl header", []string{"curl", "-H", "Authorization: Bearer abc", "-H", "X-Upload-Token: abc", "-H", "Accept: */*", "https://x"},
			[]string{"curl", "-H", "Authorization: Bearer [redacted]", "-H", "X-Upload-Token: [redacted]", "-H", "Accept: */*", "https://x"}},
		{"curl header equals", []string{"curl", "--header=Cookie: a=b"}, []string{"curl", "--header=Cookie: [redacted]"}},
		{"curl user", []string{"/usr/bin/curl", "-u", "bob:pw", "--user=bob:pw", "-ubob:pw", "https://x"},
			[]string{"/usr/bin/curl", "-u", "bob:[redacted]", "--user=bob:[redacted]", "-ubob:[redacted]", "https://x"}},
		{"-u without curl", []string{"git", "add", "-u", "a:b"}, []string{"git", "add", "-u", "a:b"}},
		{"url", []string{"git", "clone", "https://bob:pw@host/r.git"}, []string{"git", "clone", "https://bob:[redacted]@host/r.git"}},
		{"token anywhere", []string{"gh", "auth", "login", "--with", tok}, []string{"gh", "auth", "login", "--with", "[redacted]"}},
		{"shell string", []string{"sh", "-c", "curl --token abc https://x"}, []string{"sh", "-c", "curl --token [redacted] https://x"}},
		{"negative number", []string{"nice", "-10", "cargo"}, []string{"nice", "-10", "cargo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			got := r.Argv(in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Argv(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("Argv modified its argument")
			}
		})
	}
}

func TestArgvHidesPlantedSecrets(t *testing.T) {
	r := newTestRedactor(t)
	for _, p := range plantedSecrets() {
		for _, argv := range [][]string{
			{"sh", "-c", p.text},
			{"tool", "--token", p.secret},
			{"tool", "--client-secret=" + p.secret},
			{"env", "NPM_TOKEN=" + p.secret, "npm", "publish"},
		} {
			got := strings.Join(r.Argv(argv), "\x00")
			if strings.Contains(got, p.secret) {
				t.Errorf("%s: Argv(%q) = %q: the secret survived", p.kind, argv, got)
			}
		}
	}
}
