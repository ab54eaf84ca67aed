package capture

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeForms lists what ParseSize accepts, for its errors.
const sizeForms = "a byte count like 1024, 512KiB, 4MiB or 2GiB (binary), 4MB (decimal), or 4M (binary, as du reads it); a fraction such as 1.5GiB is allowed"

// sizeUnits maps a lower-case unit to its multiplier. KiB, MiB, GiB and TiB
// are binary and KB, MB, GB and TB decimal, as their standards say; the
// bare letters K, M, G and T are binary, as in du, ls and sort -S, where
// people most often meet them.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

// ParseSize parses a byte size given on the command line: a non-negative
// number, optionally with a fraction, and an optional unit, case
// insensitively and with optional space between ("1024", "512KiB", "4 MB",
// "1.5g"). See sizeUnits for what the units mean. A fractional result is
// rounded down to whole bytes.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("invalid size %q: want %s", s, sizeForms)
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n > math.MaxInt64/mult {
			return 0, fmt.Errorf("invalid size %q: too large", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: want %s", s, sizeForms)
	}
	n := f * float64(mult)
	if n >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return int64(n), nil
}

// FormatSize renders a byte count for people: "512 B", "1.0 KiB",
// "4.0 MiB", "1.5 GiB", with binary units and one decimal.
func FormatSize(n int64) string {
	if n < 0 {
		if n == math.MinInt64 {
			return "-8.0 EiB"
		}
		return "-" + FormatSize(-n)
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	for _, unit := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		v /= 1024
		// Round before choosing, so 1048575 bytes reads 1.0 MiB, not 1024.0 KiB.
		if math.Round(v*10)/10 < 1024 {
			return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
		}
	}
	return strconv.FormatFloat(v/1024, 'f', 1, 64) + " EiB"
}

// ParseLogLimit parses --log-limit, how much of each output stream a
// bundle keeps: "HEAD,TAIL" gives the bytes kept from the start and from
// the end ("1MiB,4MiB"); a single size N splits as head N/5 and tail the
// rest, so the default "5MiB" is 1 MiB + 4 MiB. "0" keeps nothing but the
// count of bytes cut, for runs whose output must not leave the machine.
func ParseLogLimit(s string) (head, tail int64, err error) {
	if h, t, ok := strings.Cut(s, ","); ok {
		if head, err = ParseSize(h); err != nil {
			return 0, 0, fmt.Errorf("head of %q: %w; want HEAD,TAIL or one total size", s, err)
		}
		if tail, err = ParseSize(t); err != nil {
			return 0, 0, fmt.Errorf("tail of %q: %w; want HEAD,TAIL or one total size", s, err)
		}
		return head, tail, nil
	}
	n, err := ParseSize(s)
	if err != nil {
		return 0, 0, fmt.Errorf("%w; or HEAD,TAIL such as 1MiB,4MiB", err)
	}
	return n / 5, n - n/5, nil
}
