package bench

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseGo(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		want     []Result
		warnings []string
	}{
		{
			name: "go test -bench -benchmem",
			input: "goos: linux\ngoarch: amd64\npkg: example.com/x\n" +
				"BenchmarkFib\n" +
				"BenchmarkFib-8   \t  1000000\t      1234 ns/op\t      16 B/op\t       1 allocs/op\n" +
				"BenchmarkCopy/n=10-8 200 50.5 ns/op 198.02 MB/s\n" +
				"PASS\nok  \texample.com/x\t1.234s\n",
			want: []Result{
				{Tool: "go", ID: "BenchmarkFib-8", Estimate: 1234, Low: 1234, High: 1234, Source: "out.txt",
					Extra: map[string]float64{"B/op": 16, "allocs/op": 1}},
				{Tool: "go", ID: "BenchmarkCopy/n=10-8", Estimate: 50.5, Low: 50.5, High: 50.5, Source: "out.txt",
					Extra: map[string]float64{"MB/s": 198.02}},
			},
		},
		{
			name:  "custom metric only",
			input: "BenchmarkX 10 3 widgets/op\n",
			want:  []Result{{Tool: "go", ID: "BenchmarkX", Source: "out.txt", Extra: map[string]float64{"widgets/op": 3}}},
		},
		{
			name:  "malformed lines",
			input: "Benchmarking is fun\nBenchmarkA 10 x ns/op\nBenchmarkB 10 5\n",
			warnings: []string{
				`out.txt:1: parsing iteration count: invalid syntax`,
				`out.txt:2: parsing measurement: invalid syntax`,
				`out.txt:3: missing units`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warns, err := ParseGo(strings.NewReader(tt.input), "out.txt")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %s\nwant %s", jsonString(got), jsonString(tt.want))
			}
			if len(warns) != len(tt.warnings) || (len(warns) > 0 && !reflect.DeepEqual(warns, tt.warnings)) {
				t.Errorf("warnings %q, want %q", warns, tt.warnings)
			}
		})
	}
}
