package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/internal/golden"
)

func parseConsole(t testing.TB, input string) *ConsoleParser {
	t.Helper()
	p := NewConsoleParser("stdout")
	if _, err := p.Write([]byte(input)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConsoleParser(t *testing.T) {
	const pad = "                        "
	tests := []struct {
		name     string
		input    string
		want     []Result
		warnings int
	}{
		{
			name:  "time line",
			input: "fib 20                  time:   [26.029 us 26.251 us 26.505 us]\n",
			want:  []Result{{Tool: "criterion", ID: "fib 20", Low: 26029, Estimate: 26251, High: 26505, Interval: "ci", Source: "stdout"}},
		},
		{
			name: "units and micro signs",
			input: "a time: [1.5 ps 2 ns 3 \u00b5s]\n" +
				"b time: [1 \u03bcs 2 ms 3 s]\n",
			want: []Result{
				{Tool: "criterion", ID: "a", Low: 0.0015, Estimate: 2, High: 3000, Interval: "ci", Source: "stdout"},
				{Tool: "criterion", ID: "b", Low: 1000, Estimate: 2e6, High: 3e9, Interval: "ci", Source: "stdout"},
			},
		},
		{
			name: "long id on its own line, CRLF, progress and ANSI colours",
			input: "Benchmarking group/a_rather_long_function/1000\r\x1b[2KBenchmarking group/a_rather_long_function/1000: Analyzing\r\n" +
				"\x1b[32mgroup/a_rather_long_function/1000\x1b[0m\r\n" +
				pad + "time:   [\x1b[1m1.0000 ms\x1b[0m \x1b[1m2.0000 ms\x1b[0m 3.0000 ms]\r\n",
			want: []Result{{Tool: "criterion", ID: "group/a_rather_long_function/1000", Low: 1e6, Estimate: 2e6, High: 3e6, Interval: "ci", Source: "stdout"}},
		},
		{
			name: "change with U+2212, verdict and outliers",
			input: "fib 20                  time:   [26.029 us 26.251 us 26.505 us]\n" +
				pad + "change: [\u22122.2645% \u22120.4731% +1.3432%] (p = 0.63 > 0.05)\n" +
				pad + "No change in performance detected.\n" +
				"Found 4 outliers among 100 measurements (4.00%)\n" +
				"  1 (1.00%) low severe\n  1 (1.00%) low mild\n  1 (1.00%) high mild\n  1 (1.00%) high severe\n",
			want: []Result{{
				Tool: "criterion", ID: "fib 20", Low: 26029, Estimate: 26251, High: 26505, Interval: "ci", Source: "stdout",
				Change:   &Change{Low: -0.022645, Estimate: -0.004731, High: 0.013432, P: 0.63, Verdict: "no change"},
				Outliers: &Outliers{Found: 4, Among: 100, LowSevere: 1, LowMild: 1, HighMild: 1, HighSevere: 1},
			}},
		},
		{
			name: "throughput with 0.3 change block",
			input: "g/f/1                   time:   [10.000 ns 20.000 ns 40.000 ns]\n" +
				pad + "thrpt:  [1.0000 Melem/s 2.0000 Melem/s 4.0000 Melem/s]\n" +
				"                 change:\n" +
				pad + "time:   [-10.000% -5.0000% +1.0000%] (p = 0.00 < 0.05)\n" +
				pad + "thrpt:  [-0.9901% +5.2632% +11.111%]\n" +
				pad + "Performance has improved.\n",
			want: []Result{{
				Tool: "criterion", ID: "g/f/1", Low: 10, Estimate: 20, High: 40, Interval: "ci", Source: "stdout",
				Throughput: &Throughput{Low: 1e6, Estimate: 2e6, High: 4e6, Unit: "elem/s"},
				Change:     &Change{Low: -0.1, Estimate: -0.05, High: 0.01, P: 0, Verdict: "improved"},
			}},
		},
		{
			name:  "byte throughput",
			input: "b time: [1 ns 1 ns 1 ns]\n" + pad + "thrpt:  [1.0000 KiB/s 1.0000 MiB/s 1.0000 GB/s]\n",
			want: []Result{{Tool: "criterion", ID: "b", Low: 1, Estimate: 1, High: 1, Interval: "ci", Source: "stdout",
				Throughput: &Throughput{Low: 1024, Estimate: 1 << 20, High: 1e9, Unit: "B/s"}}},
		},
		{
			name: "libtest",
			input: "running 2 tests\n" +
				"test bench_fib   ... bench:       1,234.50 ns/iter (+/- 56)\n" +
				"test bench_copy  ... bench:          10 ns/iter (+/- 1) = 123 MB/s\n" +
				"test result: ok. 0 passed; 0 failed; 0 ignored; 2 measured\n",
			want: []Result{
				{Tool: "libtest", ID: "bench_fib", Low: 1178.5, Estimate: 1234.5, High: 1290.5, Interval: "deviation", Source: "stdout"},
				{Tool: "libtest", ID: "bench_copy", Low: 9, Estimate: 10, High: 11, Interval: "deviation", Source: "stdout",
					Throughput: &Throughput{Low: 123, Estimate: 123, High: 123, Unit: "MB/s"}},
			},
		},
		{
			name:     "bad lines warn",
			input:    "x time: [1 xs 2 ns 3 ns]\n" + pad + "time:   [1 ns 2 ns 3 ns]\ntest a ... bench: lots\n" + pad + "change: [1% 2%]\n",
			warnings: 4,
		},
		{
			name:  "verdict and outliers without a benchmark are ignored",
			input: "Performance has regressed.\n  2 (2.00%) high mild\n",
		},
		{
			name:  "last line without newline",
			input: "fib 20                  time:   [1 ns 2 ns 3 ns]",
			want:  []Result{{Tool: "criterion", ID: "fib 20", Low: 1, Estimate: 2, High: 3, Interval: "ci", Source: "stdout"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseConsole(t, tt.input)
			if got := p.Results(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("results:\n got %s\nwant %s", jsonString(got), jsonString(tt.want))
			}
			if w := p.Warnings(); len(w) != tt.warnings {
				t.Errorf("warnings: got %d, want %d: %q", len(w), tt.warnings, w)
			}
			// Byte-at-a-time writes must give the same results.
			q := NewConsoleParser("stdout")
			for i := range len(tt.input) {
				q.Write([]byte{tt.input[i]})
			}
			q.Close()
			if !reflect.DeepEqual(q.Results(), p.Results()) {
				t.Errorf("byte-at-a-time results differ: %s", jsonString(q.Results()))
			}
		})
	}
}

func TestConsoleParserLongLine(t *testing.T) {
	p := NewConsoleParser("stdout")
	p.Write([]byte("x" + strings.Repeat("y", MaxLineLen)))
	p.Write([]byte("z time: [1 ns 2 ns 3 ns]\nfib time: [1 ns 2 ns 3 ns]\n"))
	p.Close()
	if got := len(p.Results()); got != 1 {
		t.Errorf("got %d results, want 1 (the long line dropped)", got)
	}
	if w := p.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "stdout:1: ") {
		t.Errorf("warnings: %q, want one at stdout:1", w)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestConsoleGolden parses output recorded from real `cargo bench` runs
// (testdata/{criterion-0.3,libtest}/*/stdout.txt; "tty" ones through a
// pseudo-terminal, with colours and '\r' progress) and compares with
// results.golden.json. Other tools' outputs are in TestNoParserWarnsAboutAnotherTool.
func TestConsoleGolden(t *testing.T) {
	criterion, err1 := filepath.Glob("testdata/criterion-0.3/*/stdout.txt")
	libtest, err2 := filepath.Glob("testdata/libtest/*/stdout.txt")
	inputs := append(criterion, libtest...)
	if err1 != nil || err2 != nil || len(criterion) == 0 || len(libtest) == 0 {
		t.Fatalf("no recorded outputs: %v %v", err1, err2)
	}
	for _, in := range inputs {
		t.Run(filepath.Dir(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			p := parseConsole(t, string(data))
			got, err := json.MarshalIndent(struct {
				Results  []Result
				Warnings []string
			}{p.Results(), p.Warnings()}, "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			goldenPath := filepath.Join(filepath.Dir(in), "results.golden.json")
			golden.Check(t, goldenPath, got)
		})
	}
}
