package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// sizeUnits are the byte units parseSize knows, longest suffix first so that
// "KiB" is not read as "Ki" and "B".
var sizeUnits = []struct {
	suffix string
	bytes  int64
}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// parseSize reads a byte count: a whole number with an optional binary unit,
// like 4096, 4096B, 512KiB, 100MiB or 1GiB.
func parseSize(s string) (int64, error) {
	num, mult := s, int64(1)
	for _, u := range sizeUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = n, u.bytes
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("bad size %q: want whole bytes with an optional unit, like 4096, 512KiB, 100MiB or 1GiB", s)
	}
	return n * mult, nil
}

// parseDuration reads a non-negative Go duration (1.5s, 300ms) or a bare
// number of seconds (10, 0.5).
func parseDuration(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < math.MaxInt64/float64(time.Second) {
		return time.Duration(f * float64(time.Second)), nil
	}
	return 0, fmt.Errorf("bad duration %q: want e.g. 1.5s, 300ms or a number of seconds", s)
}
