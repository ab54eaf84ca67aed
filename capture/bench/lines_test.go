package bench

import "testing"

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1,234.5", 1234.5, true},
		{"1_000", 1000, true},
		{"+1.3432", 1.3432, true},
		{"\u22122.5", -2.5, true},
		{"1e3", 1000, true},
		{"", 0, false},
		{"NaN", 0, false},
		{"inf", 0, false},
		{"0x10", 0, false},
		{"1.2.3", 0, false},
	}
	for _, tt := range tests {
		got, err := parseNumber(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseNumber(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestStripANSI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"\x1b[32mfib 20\x1b[39m", "fib 20"},
		{"\x1b[2K\x1b[1;31mx\x1b[0m", "x"},
		{"\x1b]0;title\x07after", "after"},
		{"\x1b]8;;http://x\x1b\\link", "link"},
		{"a\x1b(Bb", "ab"},
		{"trailing\x1b", "trailing"},
		{"\x1b[", ""},
	}
	for _, tt := range tests {
		if got := stripANSI(tt.in); got != tt.want {
			t.Errorf("stripANSI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
