package flame

import (
	"bytes"
	"strconv"
)

// Source lines: `perf script -F +srcline` prints, under a frame line, the
// frame's source position indented by two spaces,
//
//	\t            1055 main+0x15 (/tmp/t)
//	  /tmp/t.c:3
//
// with " (inlined)" after it for a frame of an inlined function (perf
// then prints no DSO on the frame line), "??:0" or ":0" when it has none,
// and "[kernel.kallsyms][ffffffff815f153e]" for kernel code. An
// InlineReader writes the same form, with full paths, under every frame
// whose position the binary's debug information gives; a ScriptReader
// reads it into Frame.File and Frame.Line.

// srclineIndent is how perf indents a source line.
const srclineIndent = "  "

// parseSrcline reports whether line is a source line and returns the
// position it holds; file is empty when it holds none. inlined reports
// perf's " (inlined)" mark.
func parseSrcline(line []byte) (file []byte, n uint32, inlined, ok bool) {
	rest, ok := bytes.CutPrefix(line, []byte(srclineIndent))
	if !ok || len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || hexToken(rest) {
		return nil, 0, false, false
	}
	rest, inlined = bytes.CutSuffix(rest, []byte(" (inlined)"))
	colon := bytes.LastIndexByte(rest, ':')
	if colon < 0 {
		// "[kernel.kallsyms][ffffffff815f153e]": no position.
		return nil, 0, inlined, rest[0] == '[' && rest[len(rest)-1] == ']'
	}
	digits := rest[colon+1:]
	if len(digits) == 1 && digits[0] == '?' {
		return nil, 0, inlined, true
	}
	v, err := strconv.ParseUint(string(digits), 10, 32)
	if err != nil {
		return nil, 0, false, false
	}
	file = rest[:colon]
	if v == 0 || len(file) == 0 || string(file) == "??" {
		return nil, 0, inlined, true
	}
	return file, uint32(v), inlined, true
}

// appendSrcline appends the source line of a frame at file:n, with its
// line end. Line ends in the file name become '?', so that the text keeps
// one line per source line.
func appendSrcline(b []byte, file string, n uint32) []byte {
	b = append(b, srclineIndent...)
	start := len(b)
	b = append(b, file...)
	for i := start; i < len(b); i++ {
		if b[i] == '\n' || b[i] == '\r' {
			b[i] = '?'
		}
	}
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(n), 10)
	return append(b, '\n')
}
