package redact

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRedact checks, for any text, that the writer gives exactly String's
// output however the text is chunked, and that a secret planted in the text
// on a line of its own never survives.
func FuzzRedact(f *testing.F) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for i, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data), uint64(i))
		// Also each line alone, so the fuzzer mutates short inputs too.
		for j, line := range strings.SplitAfter(string(data), "\n") {
			f.Add(line, uint64(j))
		}
	}
	for i, p := range plantedSecrets() {
		f.Add(p.text, uint64(i))
	}
	key, _ := privateKey("RSA")
	f.Add(key, uint64(0))

	r, err := New(userPatterns)
	if err != nil {
		f.Fatal(err)
	}
	secrets := plantedSecrets()
	f.Fuzz(func(t *testing.T, text string, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		want := r.String(text)
		got := writeChunked(t, r, text, rng, 1+rng.IntN(64))
		if got != want {
			t.Fatalf("writer and String differ at byte %d\nwriter %q\nString %q", firstDiff(got, want), got, want)
		}

		p := secrets[seed%uint64(len(secrets))]
		at := 0
		if len(text) > 0 {
			at = rng.IntN(len(text) + 1)
		}
		// The fuzzer learns the secrets from the comparisons and may put
		// them in text too, glued to other bytes where no rule can see
		// them; only the planted copy must go.
		withSecret := text[:at] + "\n" + p.text + "\n" + text[at:]
		if out := r.String(withSecret); strings.Count(out, p.secret) > strings.Count(text, p.secret) {
			t.Fatalf("%s: the secret survived in %q", p.kind, out)
		}
	})
}
