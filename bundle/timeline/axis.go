package timeline

import (
	"math"
	"strconv"

	"github.com/perfcap/perfcap/internal/units"
)

// tick is one labelled mark on an axis.
type tick struct {
	v     float64
	label string
}

// niceStep is the smallest of 1, 2, 5 times a power of ten that cuts span
// into at most n steps.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// decimals is how many decimals label multiples of step exactly.
func decimals(step float64) int {
	return max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
}

// maxTicks bounds an axis's ticks, whatever values a hostile file holds.
const maxTicks = 12

// linearTicks are the multiples of step from 0 to top, labelled with suffix.
func linearTicks(top, step float64, suffix string) []tick {
	d := decimals(step)
	var ts []tick
	for i := range maxTicks {
		v := float64(i) * step
		if v > top*(1+1e-9) {
			break
		}
		ts = append(ts, tick{v, strconv.FormatFloat(v, 'f', d, 64) + suffix})
	}
	return ts
}

// percentAxis returns the top of the CPU axis, max(100, peak) rounded up
// to a nice step, and its ticks.
func percentAxis(peak float64) (float64, []tick) {
	top := max(100, peak)
	step := niceStep(top, 5)
	top = math.Ceil(top/step-1e-9) * step
	return top, linearTicks(top, step, "%")
}

// byteUnits are the binary units, largest first.
var byteUnits = []struct {
	size float64
	name string
}{{1 << 40, "TiB"}, {1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}, {1, "B"}}

// byteUnit is the largest binary unit no larger than v (bytes below 1 KiB).
func byteUnit(v float64) (float64, string) {
	for _, u := range byteUnits {
		if v >= u.size {
			return u.size, u.name
		}
	}
	return 1, "B"
}

// formatBytes writes v in its binary unit with one decimal: "312.8 MiB".
func formatBytes(v float64) string { return units.FormatBytes(v) }

// bytesAxis returns the top of the RSS axis and its ticks: nice steps of
// the unit of the peak, so a 313 MiB peak gets 0, 100, 200, 300, 400 MiB.
func bytesAxis(peak float64) (float64, []tick) {
	size, name := byteUnit(peak)
	v := peak / size
	if v == 0 {
		v = 1
	}
	step := niceStep(v, 5)
	top := math.Ceil(v/step-1e-9) * step
	ts := linearTicks(top, step, " "+name)
	for i := range ts {
		ts[i].v *= size
	}
	ts[0].label = "0"
	return top * size, ts
}

// timeSteps are the time tick steps past two minutes, in seconds, with
// the unit their labels use.
var timeSteps = []struct {
	step, unit float64
	name       string
}{
	{60, 60, "min"}, {120, 60, "min"}, {300, 60, "min"}, {600, 60, "min"},
	{900, 60, "min"}, {1800, 60, "min"},
	{3600, 3600, "h"}, {7200, 3600, "h"}, {3 * 3600, 3600, "h"},
	{6 * 3600, 3600, "h"}, {12 * 3600, 3600, "h"},
	{86400, 86400, "d"}, {2 * 86400, 86400, "d"}, {7 * 86400, 86400, "d"},
	{14 * 86400, 86400, "d"}, {28 * 86400, 86400, "d"},
}

// timeTicks cuts [0, end] seconds into about six steps: decimal seconds up
// to two minutes, then whole minutes, hours or days.
func timeTicks(end float64) []tick {
	if end <= 120 {
		return linearTicks(end, niceStep(end, 6), " s")
	}
	s := timeSteps[len(timeSteps)-1]
	s.step = niceStep(end/86400, 6) * 86400
	for _, c := range timeSteps {
		if end/c.step <= 6 {
			s = c
			break
		}
	}
	ts := linearTicks(end, s.step, "")
	for i := range ts {
		ts[i].label = strconv.FormatFloat(ts[i].v/s.unit, 'f', 0, 64) + " " + s.name
		if s.name == "min" && ts[i].v >= 3600 {
			ts[i].label = formatSeconds(ts[i].v)
		}
	}
	ts[0].label = "0"
	return ts
}

// formatSeconds writes a time since the start for a label: "3.2 s",
// "12 min 5 s", "3 h 12 min", "2 d 5 h".
func formatSeconds(t float64) string {
	if t < 59.95 {
		return strconv.FormatFloat(t, 'f', 1, 64) + " s"
	}
	s := int64(math.Round(t))
	switch {
	case s < 3600:
		return strconv.FormatInt(s/60, 10) + " min " + strconv.FormatInt(s%60, 10) + " s"
	case s < 86400 && s%3600 < 60:
		return strconv.FormatInt(s/3600, 10) + " h"
	case s < 86400:
		return strconv.FormatInt(s/3600, 10) + " h " + strconv.FormatInt(s%3600/60, 10) + " min"
	}
	return strconv.FormatInt(s/86400, 10) + " d " + strconv.FormatInt(s%86400/3600, 10) + " h"
}
