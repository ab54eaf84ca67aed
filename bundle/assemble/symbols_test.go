package assemble

import (
	"strings"
	"testing"

	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
)

func TestSymbolCoverage(t *testing.T) {
	gone := "/nonexistent/go-build123/b001/gob.test"
	tests := []struct {
		name  string
		stats flame.FoldStats
		warn  []string // substrings of the warning; nil for none
	}{
		{"none unnamed", flame.FoldStats{Frames: 1000}, nil},
		{"10 % exactly", flame.FoldStats{Frames: 1000, Unsymbolized: 100, UnsymbolizedDSOs: map[string]int64{gone: 100}}, nil},
		{"a deleted binary", flame.FoldStats{Frames: 1000, Unsymbolized: 920, UnsymbolizedDSOs: map[string]int64{gone: 900, "[unknown]": 20}},
			[]string{"92% of the stack frames", `900 in "` + gone + `": the file is gone`, "20 in \"[unknown]\": addresses in no mapped file", "debug info", "force-frame-pointers", "kptr_restrict"}},
		{"hidden kernel symbols", flame.FoldStats{Frames: 100, Unsymbolized: 50, UnsymbolizedDSOs: map[string]int64{"[kernel.kallsyms]": 50}},
			[]string{"50%", "kernel symbols hidden"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps format.Perf
			w := symbolCoverage(&ps, &tt.stats)
			if ps.UnsymbolizedShare == nil || *ps.UnsymbolizedShare != tt.stats.UnsymbolizedShare() || ps.Frames != tt.stats.Frames {
				t.Errorf("summary fields %+v for %+v", ps, tt.stats)
			}
			if (w == "") != (tt.warn == nil) {
				t.Fatalf("warning %q, want one: %v", w, tt.warn != nil)
			}
			for _, s := range tt.warn {
				if !strings.Contains(w, s) {
					t.Errorf("warning %q lacks %q", w, s)
				}
			}
		})
	}
}
