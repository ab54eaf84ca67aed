package report

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/units"
)

// Funcs returns the functions every report template can call, with
// "unknown" spelled in lang ("zh" or "en"):
//
//	check B       "[x]" when B is true, else "[ ]"
//	unknown       未知 or unknown, for what was not measured
//	bytes N       a size in IEC units: "120 MiB"
//	seconds S     a duration given in seconds: "850 ms", "2.31 s", "3m05s"
//	ns N          a time given in nanoseconds: "26.3 µs"
//	share F       a fraction as a percentage: 0.123 → "12.3%"
//	percent P     a percentage: 123.4 → "123.4%"
//	mhz F         a frequency given in MHz: "2.60 GHz"
//	num F         a number with at most 4 significant digits: "1.235e+06", "26.3"
//	trunc N S     S cut to N characters, with "…" when cut
//	shell ARGV    the argument list as one shell-quoted command line
//	code S        S as inline Markdown code, whatever backticks it holds
//	cell S        S made safe for a Markdown table cell: "|" escaped, one line
//	join L SEP    strings.Join
//	add A B, sub A B   integer arithmetic
//	verdict V     a memory-growth verdict in the report's language
//	mibh R        a rate in bytes per second as "+1.5 MiB/h"
//	statistic B   what a benchmark's estimate is: "median of 5 runs", "mean of 10 runs", "one run" or ""
//	spread B      a benchmark's interval, labelled: "95% CI [1 µs, 2 µs]", "± 1 ms (σ); range …", or "—"
//	plural N ONE MANY   "1 sample", "2 samples" (N and the word)
//	minCPUWall    MinWallForCPUPercent, the shortest run given a CPU percentage
//	pct C         a change given as a fraction or *float64: "+12.3%", unknown for nil
//	slower C      a change of time in words: "12.3% slower" / "慢了 12.3%", "faster", "unchanged"
//	higher C      a change of size in words: "12.3% higher" / "高了 12.3%", "lower", "unchanged"
//	pp F          a change of share (a fraction) in percentage points: "+14.7 pp"
//	hottest B     a format.PerfBenchmark's hottest function by self share, nil without samples
func Funcs(lang string) template.FuncMap {
	unknown := "unknown"
	if lang == "zh" {
		unknown = "未知"
	}
	return template.FuncMap{
		"check": func(b bool) string {
			if b {
				return "[x]"
			}
			return "[ ]"
		},
		"unknown": func() string { return unknown },
		// verdict names a memory-growth verdict in the report's language.
		"verdict": func(v string) string {
			if zh, ok := map[string]string{"growing": "增长", "flat": "平稳", "inconclusive": "无法判定"}[v]; ok && lang == "zh" {
				return zh + "（" + v + "）"
			}
			return v
		},
		"bytes":   func(v any) string { return units.FormatBytes3(toFloat(v)) },
		"seconds": func(v any) string { return formatSeconds(toFloat(v)) },
		"ns":      func(v any) string { return formatNS(toFloat(v)) },
		"share":   func(v any) string { return fmt.Sprintf("%.1f%%", toFloat(v)*100) },
		"percent": func(v any) string { return fmt.Sprintf("%.1f%%", toFloat(v)) },
		"mhz": func(v any) string {
			f := toFloat(v)
			if f >= 1000 {
				return fmt.Sprintf("%.2f GHz", f/1000)
			}
			return fmt.Sprintf("%.0f MHz", f)
		},
		"num": func(v any) string { return formatNum(toFloat(v)) },
		// mibh formats a rate in bytes per second as MiB per hour.
		"mibh":  func(v any) string { return fmt.Sprintf("%+.3g MiB/h", toFloat(v)*3600/(1<<20)) },
		"trunc": truncate,
		"shell": ShellJoin,
		"code":  inlineCode,
		"cell": func(s string) string {
			return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
		},
		"join": strings.Join,
		"add":  func(a, b int) int { return a + b },
		"sub":  func(a, b int) int { return a - b },

		"statistic": func(r bench.Result) string { return benchStatistic(r, lang) },
		"spread":    func(r bench.Result) string { return benchSpread(r, lang) },
		"plural":    plural,
		// minCPUWall is MinWallForCPUPercent, for the sentences that say
		// why a CPU percentage is missing.
		"minCPUWall": func() float64 { return MinWallForCPUPercent },
		"pct": func(v any) string {
			f, ok := changeOf(v)
			if !ok {
				return unknown
			}
			return fmt.Sprintf("%+.1f%%", 100*f)
		},
		"pp": func(v any) string {
			f := math.Round(1000*toFloat(v)) / 10
			if f == 0 {
				return "0.0 pp"
			}
			return fmt.Sprintf("%+.1f pp", f)
		},
		"slower":  func(v any) string { return changeWords(v, lang, unknown, "slower", "faster", "慢了", "快了") },
		"higher":  func(v any) string { return changeWords(v, lang, unknown, "higher", "lower", "高了", "低了") },
		"hottest": hottest,
	}
}

// hottest is a benchmark profile's function with the largest self share;
// nil without samples.
func hottest(b format.PerfBenchmark) *flame.HotFunction {
	if b.Hot == nil || len(b.Hot.BySelf) == 0 {
		return nil
	}
	return &b.Hot.BySelf[0]
}

// changeOf reads a change given as a float64 or a *float64; false for nil.
func changeOf(v any) (float64, bool) {
	switch c := v.(type) {
	case *float64:
		if c == nil {
			return 0, false
		}
		return *c, true
	case float64:
		return c, true
	}
	return 0, false
}

// changeWords says a change in words: "12.3% slower", "慢了 12.3%".
func changeWords(v any, lang, unknown, up, down, upZh, downZh string) string {
	f, ok := changeOf(v)
	switch {
	case !ok:
		return unknown
	case math.Round(1000*f) == 0:
		return pick(lang == "zh", "unchanged", "持平")
	case lang == "zh" && f > 0:
		return fmt.Sprintf("%s %.1f%%", upZh, 100*f)
	case lang == "zh":
		return fmt.Sprintf("%s %.1f%%", downZh, -100*f)
	case f > 0:
		return fmt.Sprintf("%.1f%% %s", 100*f, up)
	}
	return fmt.Sprintf("%.1f%% %s", -100*f, down)
}

// toFloat converts any Go number, or a non-nil pointer to one, to float64;
// other values give NaN.
func toFloat(v any) float64 {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	}
	return math.NaN()
}

func formatNum(f float64) string {
	return fmt.Sprintf("%.4g", f)
}

func formatSeconds(s float64) string {
	switch {
	case s < 0 || math.IsNaN(s):
		return "?"
	case s < 1:
		return formatNS(s * 1e9)
	case s < 60:
		return fmt.Sprintf("%.3g s", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", int(s)/60, int(s)%60)
	}
	return fmt.Sprintf("%dh%02dm%02ds", int(s)/3600, int(s)/60%60, int(s)%60)
}

func formatNS(ns float64) string {
	switch a := math.Abs(ns); {
	case math.IsNaN(ns):
		return "?"
	case a < 1e3:
		return fmt.Sprintf("%.3g ns", ns)
	case a < 1e6:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	case a < 1e9:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	}
	return fmt.Sprintf("%.3g s", ns/1e9)
}

func truncate(n int, s string) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// ShellJoin quotes each argument that a POSIX shell would split or expand.
func ShellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
		}) < 0 {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// inlineCode wraps s in enough backticks that none inside closes it.
func inlineCode(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// plural is Plural for templates: n of any integer type.
func plural(n any, one, many string) string { return Plural(int64(toFloat(n)), one, many) }

// Plural writes a count with its noun, singular for one: "1 sample",
// "3 samples". Every count perfcap prints in words goes through it.
func Plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
