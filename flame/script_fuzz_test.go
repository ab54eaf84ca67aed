package flame

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// FuzzScriptReader feeds ScriptReader arbitrary text, seeded from the
// recorded fixtures (their first records, to keep inputs small): it must
// never panic, every warning must be one "line N: ..." line within the
// input, and what it reads must fold and round-trip through the folded
// format.
func FuzzScriptReader(f *testing.F) {
	for _, path := range scriptFixtures(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 2048)])
	}
	f.Add([]byte("x 1 1.0: cpu-clock:\n\t400 main (/x)\n\n\tdeadbeef orphan (/x)\n"))
	f.Add([]byte("             thr 2/3 [000]  1.5:    10 cpu-clock:ppp:      55d0c0 spin+0x12 (/tmp/thr)\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewScriptReader(bytes.NewReader(in))
		folder := NewFolder(FoldOptions{Annotate: true, TID: true})
		for r.Scan() {
			folder.Add(r.Sample())
		}
		if err := r.Err(); err != nil {
			t.Fatalf("Err() = %v on an in-memory input", err)
		}
		lines := bytes.Count(in, []byte{'\n'}) + 1
		for _, w := range r.Warnings() {
			msg := w.Error()
			se, ok := w.(*SyntaxError)
			if !ok || se.Line < 1 || se.Line > lines || strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "line ") {
				t.Errorf("warning %q is not one line naming a line of the input", msg)
			}
		}
		stacks, err := folder.Stacks()
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := WriteFolded(&b, stacks); err != nil {
			t.Fatal(err)
		}
		back, err := ReadFolded(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatalf("ReadFolded of WriteFolded output: %v\n%s", err, b.Bytes())
		}
		if len(back) != len(stacks) {
			t.Errorf("round trip gave %d stacks, want %d", len(back), len(stacks))
		}
	})
}
