package compare

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
)

// FuzzFoldedDiffReader: any input reads without panicking, every
// malformed line is one line naming its position, and what was read writes
// and reads back the same.
func FuzzFoldedDiffReader(f *testing.F) {
	f.Add([]byte("main;a 1 2\nmain;b 3 0\n"))
	f.Add([]byte("main;a 1\n\nx y z\nmain;c 01 2\r\n  1 2\n"))
	f.Add([]byte("a 4611686018427387904 0\na 4611686018427387905 0\n"))
	if runs, err := loadFuzzSeeds(); err == nil {
		var b bytes.Buffer
		if WriteFoldedDiff(&b, MergeStacks(runs[0].Stacks, runs[1].Stacks), false) == nil {
			f.Add(b.Bytes()[:min(b.Len(), 8<<10)])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		read := func(in []byte) []flame.DiffStack {
			r := NewFoldedDiffReader(bytes.NewReader(in), "fuzz.folded")
			var out []flame.DiffStack
			for r.Scan() {
				s := r.Stack()
				if len(s.Frames) == 0 || s.Base < 0 || s.New < 0 {
					t.Fatalf("bad stack %+v", s)
				}
				out = append(out, s)
			}
			if r.Err() != nil {
				t.Fatal(r.Err())
			}
			errs, n := r.SyntaxErrors()
			if len(errs) > n || len(errs) > maxSyntaxErrors {
				t.Fatalf("%d errors kept of %d", len(errs), n)
			}
			for _, e := range errs {
				if msg := e.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "fuzz.folded:") {
					t.Fatalf("error %q", msg)
				}
			}
			return out
		}
		first := read(data)
		var b bytes.Buffer
		if err := WriteFoldedDiff(&b, first, false); err != nil {
			t.Fatal(err)
		}
		again := read(b.Bytes())
		if !slices.EqualFunc(first, again, func(a, b flame.DiffStack) bool {
			return a.Base == b.Base && a.New == b.New && slices.Equal(a.Frames, b.Frames)
		}) {
			t.Fatalf("read %v, wrote and read %v", first, again)
		}
	})
}

// FuzzParseRule: any text parses or is refused in one line; a rule parsed
// is a known metric with a threshold from 0.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"time>5%", "rss>=10%", "wall > 3 %", "cpu>1e3%", "x<1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") && !strings.ContainsAny(s, "\n\r") {
				t.Fatalf("error on more than one line: %q", err)
			}
			return
		}
		if !(r.Threshold >= 0) || r.Threshold > 1e4 || (r.Metric != "time" && !slices.Contains(ResourceNames(), r.Metric)) {
			t.Fatalf("%q parsed as %+v", s, r)
		}
	})
}

// loadFuzzSeeds loads the recorded Go bundles, when the test runs from
// the package directory.
func loadFuzzSeeds() ([]*Run, error) {
	var runs []*Run
	for _, n := range []string{"go-before.tar.zst", "go-after.tar.zst"} {
		r, err := Load("testdata/bundles/" + n)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// FuzzDiffSummary compares a real run with a summary.json made of
// anything: New and every output must not panic, and the text outputs
// carry no control character but newlines (names and facts from a bundle
// are escaped).
func FuzzDiffSummary(f *testing.F) {
	raw, err := bundle.ReadFile("testdata/bundles/go-after.tar.zst", "summary.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte(`{"benchmarks":[{"tool":"go","id":"BenchmarkHash-2","values_ns":[1e308,-1,0]},{"tool":"go","id":"BenchmarkHash-2\u001b[31m"}]}`))
	f.Add([]byte(`{"wall_seconds":-1,"peak_rss_bytes":0,"benchmarks":[{"tool":"criterion","id":"a\nb","values_ns":[],"estimate_ns":0}]}`))
	base, err := Load("testdata/bundles/go-before.tar.zst")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := format.ReadSummary(bytes.NewReader(data))
		if err != nil {
			return
		}
		cur := &Run{Path: "fuzz\x1b.tar.zst", Summary: sum, Stacks: base.Stacks[:len(base.Stacks)/2]}
		d, err := New([]*Run{base, cur}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var text, md bytes.Buffer
		if err := WriteText(&text, d, TextOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := WriteMarkdown(&md, d); err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(d); err != nil {
			t.Fatal(err)
		}
		for _, out := range [][]byte{text.Bytes(), md.Bytes()} {
			if !utf8.Valid(out) {
				t.Fatalf("invalid UTF-8 in\n%s", out)
			}
			for _, c := range out {
				if c < 0x20 && c != '\n' || c == 0x7f {
					t.Fatalf("control character %#x in\n%s", c, out)
				}
			}
		}
		rule, _ := ParseRule("time>0%")
		d.Check([]Rule{rule})
	})
}
