package flame

import (
	"os"
	"strings"
	"testing"
)

// TestScriptReaderSourceLines reads real `perf script -F +srcline` text:
// every record is taken, the frames of the program get their file and
// line, and perf's inlined frames (" (inlined)" after the source line, no
// DSO) are marked inlined.
func TestScriptReaderSourceLines(t *testing.T) {
	f, err := os.Open("testdata/script/srcline.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sr := NewScriptReader(f)
	samples, withLine, inlined := 0, 0, 0
	for sr.Scan() {
		samples++
		for _, fr := range sr.Sample().Frames {
			if fr.Line > 0 && strings.HasSuffix(fr.File, "inl.c") {
				withLine++
			}
			if fr.Kind == KindInlined && fr.Line > 0 {
				inlined++
			}
		}
	}
	if sr.Err() != nil || sr.Skipped() > 0 {
		t.Fatalf("err %v, %d records skipped: %v", sr.Err(), sr.Skipped(), sr.Warnings())
	}
	if samples < 100 || withLine < samples || inlined < samples/2 {
		t.Errorf("%d samples, %d frames at inl.c:LINE, %d inlined with a line: want every sample in inl.c, most inlined", samples, withLine, inlined)
	}
}

func TestParseSrcline(t *testing.T) {
	for _, tc := range []struct {
		line, file string
		n          uint32
		inlined    bool
		ok         bool
	}{
		{"  t.c:3", "t.c", 3, false, true},
		{"  /home/me/src/lib.rs:88", "/home/me/src/lib.rs", 88, false, true},
		{"  cpu-features.c:251 (inlined)", "cpu-features.c", 251, true, true},
		{"  :0", "", 0, false, true},
		{"  ??:0", "", 0, false, true},
		{"  [kernel.kallsyms][ffffffff815f153e]", "", 0, false, true},
		{"\t    1055 main+0x15 (/tmp/t)", "", 0, false, false},
		{"  1055 main+0x15 (/tmp/t)", "", 0, false, false},
		{"  not a source line", "", 0, false, false},
		{"   t.c:3", "", 0, false, false},
	} {
		file, n, inl, ok := parseSrcline([]byte(tc.line))
		if string(file) != tc.file || n != tc.n || inl != tc.inlined || ok != tc.ok {
			t.Errorf("parseSrcline(%q) = %q, %d, %v, %v; want %q, %d, %v, %v", tc.line, file, n, inl, ok, tc.file, tc.n, tc.inlined, tc.ok)
		}
	}
	if got := string(appendSrcline(nil, "/a\nb.rs", 7)); got != "  /a?b.rs:7\n" {
		t.Errorf("appendSrcline: %q", got)
	}
}
