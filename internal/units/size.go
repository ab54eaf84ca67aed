// Package units parses and formats the quantities perfcap reads from
// flags and prints for people: byte sizes (one table of units for every
// parser), durations since a start, and the split of --log-limit.
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeForms lists what ParseSize accepts, for its errors.
const sizeForms = "a byte count like 1024, 512KiB, 4MiB or 2GiB (binary), 4MB (decimal), or 4M (binary, as du reads it); a fraction such as 1.5GiB is allowed"

// SizeUnit is a unit of bytes in its canonical spelling.
type SizeUnit struct {
	Name  string
	Bytes int64
}

// SizeUnits are the units every size perfcap reads may carry, matched
// without regard to case, largest first. KiB, MiB, GiB and TiB are binary
// and KB, MB, GB and TB decimal, as their standards say; the bare letters
// K, M, G and T are binary, as in du, ls and sort -S, where people most
// often meet them.
var SizeUnits = []SizeUnit{
	{"TiB", 1 << 40}, {"TB", 1e12}, {"GiB", 1 << 30}, {"GB", 1e9},
	{"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3}, {"B", 1},
	{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10},
}

// LookupSizeUnit finds the unit spelled s, in any case; "" is bytes.
func LookupSizeUnit(s string) (SizeUnit, bool) {
	if s == "" {
		return SizeUnit{"B", 1}, true
	}
	for _, u := range SizeUnits {
		if strings.EqualFold(u.Name, s) {
			return u, true
		}
	}
	return SizeUnit{}, false
}

// ParseSize parses a byte size given on the command line: a non-negative
// number, optionally with a fraction, and an optional unit, case
// insensitively and with optional space between ("1024", "512KiB", "4 MB",
// "1.5g"). See SizeUnits for what the units mean. A fractional result is
// rounded down to whole bytes.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num := t[:i]
	u, ok := LookupSizeUnit(strings.TrimSpace(t[i:]))
	mult := u.Bytes
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

// FormatBytes is FormatSize for a float, which may be out of the range of
// int64 (then written as a plain number of bytes).
func FormatBytes(v float64) string {
	if math.IsNaN(v) || math.Abs(v) >= math.MaxInt64 {
		return strconv.FormatFloat(v, 'f', -1, 64) + " B"
	}
	return FormatSize(int64(v))
}

// FormatBytes3 writes v with three significant digits in the largest
// binary unit under it ("312 MiB", "1.5 GiB"), bytes as a whole number:
// the report's tables, where widths should stay alike.
func FormatBytes3(v float64) string {
	names := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for math.Abs(v) >= 1024 && i < len(names)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", v)
	}
	return fmt.Sprintf("%.3g %s", v, names[i])
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
