package assemble

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
)

// maxUnsymbolizedShare is the share of frames without a name past which a
// flamegraph is too blind to read, and the run says how to fix it.
const maxUnsymbolizedShare = 0.10

// symbolCoverage fills ps with the frames the fold counted, and returns a
// warning with the fix when too many of them have no function name;
// empty when the names are good enough.
func symbolCoverage(ps *format.Perf, st *flame.FoldStats) string {
	share := st.UnsymbolizedShare()
	ps.Frames, ps.UnsymbolizedFrames, ps.UnsymbolizedShare = st.Frames, st.Unsymbolized, &share
	if share <= maxUnsymbolizedShare {
		return ""
	}
	type dsoCount struct {
		dso string
		n   int64
	}
	var worst []dsoCount
	for dso, n := range st.UnsymbolizedDSOs {
		worst = append(worst, dsoCount{dso, n})
	}
	slices.SortFunc(worst, func(a, b dsoCount) int { return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.dso, b.dso)) })
	var where []string
	for _, w := range worst[:min(len(worst), 3)] {
		where = append(where, fmt.Sprintf("%d in %s%s", w.n, quoteDSO(w.dso), why(w.dso)))
	}
	return fmt.Sprintf("%.0f%% of the stack frames have no function name (%s); fix: build with debug info and keep the symbols "+
		"(Rust: debug = true in [profile.release] or [profile.bench]; C/C++: -g; no strip), unwind code without frame pointers "+
		"with --call-graph dwarf or rebuild it with them (RUSTFLAGS=\"-C force-frame-pointers=yes\", -fno-omit-frame-pointer), "+
		"and let perf read the binaries and kernel symbols (run as their owner; sudo sysctl kernel.kptr_restrict=0)",
		share*100, strings.Join(where, ", "))
}

// quoteDSO names a DSO for a message.
func quoteDSO(dso string) string {
	if dso == "" {
		return "other files"
	}
	return fmt.Sprintf("%q", dso)
}

// why says what a DSO's unnamed frames most likely mean.
func why(dso string) string {
	switch {
	case dso == "[unknown]":
		return ": addresses in no mapped file, a sign of unwinding without frame pointers"
	case dso == "[kernel.kallsyms]":
		return ": kernel symbols hidden"
	case strings.HasPrefix(dso, "/"):
		if _, err := os.Stat(dso); err != nil {
			return ": the file is gone"
		}
		return ""
	}
	return ""
}
