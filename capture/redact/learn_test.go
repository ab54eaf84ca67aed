package redact

import (
	"bytes"
	"strings"
	"testing"
)

// TestLearn checks the learn step on its own: what a rule hid in one line
// is remembered and hidden wherever it appears later, without its rule's
// context (bare, inside another word's line, cut to a 15-byte process
// name), while short values and lines the rules left alone teach nothing.
func TestLearn(t *testing.T) {
	tests := []struct {
		name      string
		in, out   string
		remembers []string // hidden when they appear later
		forgets   []string // left alone later
	}{
		{
			name:      "one secret mid-line",
			in:        "export API_TOKEN=hunter2hunter2 && run",
			out:       "export API_TOKEN=[redacted] && run",
			remembers: []string{"hunter2hunter2", "hunter2hunter2"[:14]},
		},
		{
			name:      "two secrets, the second at the end",
			in:        "--password s3cr3t-one --token abcdefghijklmnopqrstuvwxyz",
			out:       "--password [redacted] --token [redacted]",
			remembers: []string{"s3cr3t-one", "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmno"},
		},
		{
			name:    "too short to remember",
			in:      "PIN=1234567",
			out:     "PIN=[redacted]",
			forgets: []string{"1234567"},
		},
		{
			name:    "nothing hidden",
			in:      "plain line with swordfish-long-word",
			out:     "plain line with swordfish-long-word",
			forgets: []string{"swordfish-long-word"},
		},
		{
			name:    "out does not follow in: nothing guessed",
			in:      "TOKEN=abcdefgh12345678",
			out:     "SOMETHING ELSE [redacted]",
			forgets: []string{"abcdefgh12345678"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(nil)
			if err != nil {
				t.Fatal(err)
			}
			r.learn([]byte(tt.in), []byte(tt.out))
			for _, s := range tt.remembers {
				for _, line := range []string{s, "later: " + s + " again", "comm " + s[:min(len(s), commLen)]} {
					if got := r.String(line); strings.Contains(got, s[:min(len(s), commLen)]) {
						t.Errorf("%q learned from %q comes through later: %q → %q", s, tt.in, line, got)
					}
				}
			}
			for _, s := range tt.forgets {
				if got := r.String("later: " + s); got != "later: "+s {
					t.Errorf("%q was learned from %q: %q", s, tt.in, got)
				}
			}
		})
	}
}

// TestLearnBounded checks that the learned secrets stay at most maxKnown,
// longest first, whatever a run throws at the redactor.
func TestLearnBounded(t *testing.T) {
	r, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 * maxKnown {
		secret := strings.Repeat(string(rune('a'+i%26)), 8+i%40) + "-" + strings.Repeat("x", i%7)
		r.learn([]byte("key="+secret), []byte("key="+Placeholder))
	}
	if len(r.known) > maxKnown {
		t.Fatalf("%d secrets remembered, at most %d", len(r.known), maxKnown)
	}
	for i := 1; i < len(r.known); i++ {
		if len(r.known[i]) > len(r.known[i-1]) {
			t.Fatalf("known secrets not longest first at %d: %q after %q", i, r.known[i], r.known[i-1])
		}
	}
	if bytes.Contains([]byte(r.String("key="+string(r.known[0]))), r.known[0]) {
		t.Errorf("a remembered secret is not hidden")
	}
}
