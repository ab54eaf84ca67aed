package redact

import (
	"strings"
)

// Fake secrets are assembled at run time so that no secret-shaped string
// sits in the source, where secret scanners would flag the repository.

// alnum returns n letters and digits, deterministic per seed.
func alnum(seed string, n int, alphabet string) string {
	if alphabet == "" {
		alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	}
	h := uint32(2166136261)
	for i := 0; i < len(seed); i++ {
		h = (h ^ uint32(seed[i])) * 16777619
	}
	var b strings.Builder
	for range n {
		h ^= h << 13
		h ^= h >> 17
		h ^= h << 5
		b.WriteByte(alphabet[h%uint32(len(alphabet))])
	}
	return b.String()
}

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// planted is one secret in the context it is usually found in. secret is
// the part that must not survive; text is the line that carries it.
type planted struct {
	kind   string
	secret string
	text   string
}

func plantedSecrets() []planted {
	var p []planted
	add := func(kind, secret, text string) {
		p = append(p, planted{kind, secret, strings.ReplaceAll(text, "<S>", secret)})
	}
	gh := "gh" + "p_" + alnum("ghp", 36, "")
	add("github classic", gh, "remote: using token <S> for push")
	add("github oauth", "gh"+"o_"+alnum("gho", 36, ""), "token=<S>")
	add("github app", "gh"+"s_"+alnum("ghs", 36, ""), "git clone https://x-access-token:<S>@github.com/acme/app.git")
	add("github fine-grained", "github"+"_pat_"+alnum("pat1", 22, "")+"_"+alnum("pat2", 59, ""), "export GH_PAT=<S>")
	add("github in text", "gh"+"u_"+alnum("ghu", 36, ""), "the value was <S>.")
	add("aws key id", "AK"+"IA"+alnum("aws", 16, upperAlnum), "aws_access_key_id = <S>")
	add("aws session id", "AS"+"IA"+alnum("asia", 16, upperAlnum), "using credentials <S> from the instance")
	add("aws secret", alnum("awssecret", 40, ""), "aws_secret_access_key=<S>")
	add("aws credentials file", alnum("awssecret2", 30, "")+"/"+alnum("awssecret3", 9, ""), "aws_secret_access_key = <S>")
	add("slack", "xo"+"xb-"+"1234567890-1234567890123-"+alnum("slack", 24, ""), "posting with <S>")
	add("gitlab", "gl"+"pat-"+alnum("glpat", 20, ""), "Private-Token: <S>")
	add("gitlab in url", "gl"+"pat-"+alnum("glpat2", 20, ""), "https://oauth2:<S>@gitlab.com/acme/app.git")
	add("npm", "np"+"m_"+alnum("npm", 36, ""), "//registry.npmjs.org/:_authToken=<S>")
	add("npm bare", "np"+"m_"+alnum("npm2", 36, ""), "npm token <S> created")
	add("pypi", "py"+"pi-AgEIcHlwaS5vcmc"+alnum("pypi", 60, ""), "password: <S>")
	add("pypi bare", "py"+"pi-AgEIcHlwaS5vcmc"+alnum("pypi2", 60, ""), "twine upload -p <S> dist/*")
	add("openai", "sk"+"-proj-"+alnum("openai", 48, ""), "OPENAI key is <S>")
	add("anthropic", "sk"+"-ant-api03-"+alnum("anthropic", 80, ""), "x-api-key: <S>")
	add("anthropic bare", "sk"+"-ant-api03-"+alnum("anthropic2", 80, ""), "key <S> in use")
	add("google", "AI"+"za"+alnum("google", 35, ""), "https://maps.googleapis.com/maps/api/js?libraries=places&key=<S>")
	add("google bare", "AI"+"za"+alnum("google2", 35, ""), "loaded <S>")
	add("stripe", "sk"+"_live_"+alnum("stripe", 24, ""), "charging with <S>")
	add("stripe restricted", "rk"+"_live_"+alnum("stripe2", 24, ""), "(<S>)")
	add("hugging face", "hf"+"_"+alnum("hf", 34, ""), "hub login <S>")
	jwt := "ey" + "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "ey" + "JzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFsaWNlIn0." + alnum("jwt", 43, "")
	add("jwt", jwt, "session cookie value <S> expired")
	add("bearer header", alnum("bearer", 32, ""), "> Authorization: Bearer <S>")
	add("bearer json", alnum("bearer2", 32, ""), `{"headers":{"authorization":"Bearer <S>","accept":"*/*"}}`)
	add("bearer go header", alnum("bearer3", 32, ""), "request headers map[Accept:[*/*] Authorization:[Bearer <S>]]")
	add("bearer free", alnum("bearer4", 32, ""), "sending bearer <S> upstream")
	add("basic auth header", alnum("basic", 24, ""), "Authorization: Basic <S>")
	add("cookie", alnum("cookie", 30, ""), "Cookie: session_id=<S>; theme=dark")
	add("url password", "hunter2-"+alnum("pw", 12, ""), "connecting to postgres://app:<S>@db.internal:5432/app")
	add("url password with at", "p@ss-"+alnum("pw2", 12, ""), "fetch https://bob:<S>@proxy.example.com:8080/")
	add("url token user", alnum("urltok", 40, "0123456789abcdef"), "remote: https://<S>@github.com/acme/app.git")
	add("env assignment", alnum("envpw", 16, ""), "DATABASE_PASSWORD=<S> ./migrate")
	add("quoted assignment", "two words "+alnum("q", 10, ""), `SECRET_KEY="<S>"`)
	add("toml", alnum("toml", 32, ""), `token = "<S>"`)
	add("yaml", alnum("yaml", 20, ""), "  password: <S>")
	add("json", alnum("json", 20, ""), `{"client_secret": "<S>", "id": 7}`)
	add("go struct", alnum("gostruct", 20, ""), "config: {User:bob Password:<S> Port:5432}")
	add("flag equals", alnum("flag", 20, ""), "running: tool --api-key=<S> --verbose")
	add("flag space", alnum("flag2", 20, ""), "running: tool --token <S> --verbose")
	add("query", alnum("query", 20, ""), "GET /callback?code=1&access_token=<S>&state=x")
	add("user pattern", "ACME-"+alnum("acme", 12, "0123456789"), "internal id <S>")
	return p
}

// userPatterns are the --redact patterns the tests use with plantedSecrets.
var userPatterns = []string{`ACME-[0-9]{12}`}

// privateKey returns a PEM private key block with a fake body.
func privateKey(kind string) (block string, body []string) {
	for i := range 5 {
		body = append(body, alnum(kind+string(rune('a'+i)), 64, ""))
	}
	label := "PRIVATE KEY"
	if kind != "" {
		label = kind + " PRIVATE KEY"
	}
	return "-----BEGIN " + label + "-----\n" + strings.Join(body, "\n") + "\n-----END " + label + "-----\n", body
}
