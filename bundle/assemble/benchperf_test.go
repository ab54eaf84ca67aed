package assemble

import (
	"strings"
	"testing"
)

// TestBenchDir: benchmark ids become safe, unique directory names.
func TestBenchDir(t *testing.T) {
	used := map[string]bool{}
	for _, tc := range []struct{ id, want string }{
		{"interpret 10k", "interpret_10k"},
		{"parse json/nested arrays/depth/16", "parse_json_nested_arrays_depth_16"},
		{"BenchmarkParse/json/nested_arrays/depth=256-2", "BenchmarkParse_json_nested_arrays_depth_256-2"},
		{"interpret/10k", "interpret_10k-2"},
		{"Interpret 10K", "Interpret_10K-3"}, // a file system that ignores case
		{"../../etc/passwd", "etc_passwd"},
		{"..", "benchmark"},
		{"", "benchmark-2"},
		{"中文 基准", "benchmark-3"},
		{"tests::interpret_10k", "tests_interpret_10k"},
		{".hidden.", "hidden"},
		{strings.Repeat("a", 200), strings.Repeat("a", maxBenchDir)},
	} {
		if got := BenchDir(tc.id, used); got != tc.want {
			t.Errorf("BenchDir(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
}
