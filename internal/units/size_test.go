package units

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1024", 1024},
		{"1024B", 1024},
		{"512KiB", 512 << 10},
		{"512kib", 512 << 10},
		{"1MiB", 1 << 20},
		{"4M", 4 << 20},
		{"4m", 4 << 20},
		{"4MB", 4_000_000},
		{"4 MB", 4_000_000},
		{" 2GiB ", 2 << 30},
		{"2G", 2 << 30},
		{"1KB", 1000},
		{"1K", 1024},
		{"1TiB", 1 << 40},
		{"1.5GiB", 3 << 29},
		{"0.5k", 512},
		{"1.0001B", 1},
		{"8388607TiB", 8388607 << 40},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSizeErrors(t *testing.T) {
	for _, in := range []string{"", " ", "MiB", "-1", "1.2.3", ".", "1e3", "5 parsecs", "1MiBs", "0x10", "9223372036854775808", "8388608TiB", "1e300GiB", "99999999999999999999.5"} {
		_, err := ParseSize(in)
		if err == nil {
			t.Errorf("ParseSize(%q) succeeded", in)
			continue
		}
		if !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseSize(%q) error %q does not name the input", in, err)
		}
	}
	_, err := ParseSize("5 parsecs")
	for _, form := range []string{"1024", "KiB", "MB", "4M"} {
		if !strings.Contains(err.Error(), form) {
			t.Errorf("error %q does not list %s", err, form)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{1<<20 - 1, "1.0 MiB"},
		{1 << 20, "1.0 MiB"},
		{4 << 20, "4.0 MiB"},
		{3 << 29, "1.5 GiB"},
		{1 << 50, "1.0 PiB"},
		{1 << 60, "1.0 EiB"},
		{-2048, "-2.0 KiB"},
		{-1 << 63, "-8.0 EiB"},
	}
	for _, tt := range tests {
		if got := FormatSize(tt.in); got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseLogLimitSizes(t *testing.T) {
	tests := []struct {
		in         string
		head, tail int64
	}{
		{"5MiB", 1 << 20, 4 << 20},
		{"1MiB,4MiB", 1 << 20, 4 << 20},
		{"0,4MiB", 0, 4 << 20},
		{"1KiB, 0", 1024, 0},
		{"0", 0, 0},
		{"10", 2, 8},
		{"7", 1, 6},
	}
	for _, tt := range tests {
		head, tail, err := ParseLogLimit(tt.in)
		if err != nil || head != tt.head || tail != tt.tail {
			t.Errorf("ParseLogLimit(%q) = %d, %d, %v; want %d, %d", tt.in, head, tail, err, tt.head, tt.tail)
		}
	}
	for _, in := range []string{"", "x", "1MiB,", ",1MiB", "1,2,3", "-1"} {
		if _, _, err := ParseLogLimit(in); err == nil {
			t.Errorf("ParseLogLimit(%q) succeeded", in)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "1024", "512KiB", "4M", "4MB", "1.5GiB", "8388607TiB", "-1", "1e3", " 2 g "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			if !strings.Contains(err.Error(), "invalid size") {
				t.Errorf("ParseSize(%q) error %q", s, err)
			}
			return
		}
		if n < 0 {
			t.Errorf("ParseSize(%q) = %d", s, n)
		}
		// Whole binary sizes survive FormatSize and back when exact.
		if n%1024 == 0 && n > 0 && n < 1<<50 {
			if back, err := ParseSize(strings.ReplaceAll(FormatSize(n), " ", "")); err != nil || back > n+n/10 || back < n-n/10 {
				t.Errorf("FormatSize(%d) = %q parses back as %d, %v", n, FormatSize(n), back, err)
			}
		}
	})
}
