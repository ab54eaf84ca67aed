package alert

import (
	"math"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		spec   string
		metric string
		op     string
		th     float64
		norm   string
	}{
		{"rss>2GiB", "rss", ">", 2 << 30, "rss>2GiB"},
		{"  RSS >=  2 gib ", "rss", ">=", 2 << 30, "rss>=2GiB"},
		{"pss<512MiB", "pss", "<", 512 << 20, "pss<512MiB"},
		{"uss<=1.5GB", "uss", "<=", 1.5e9, "uss<=1.5GB"},
		{"rss>4096", "rss", ">", 4096, "rss>4096B"},
		{"rss>4096b", "rss", ">", 4096, "rss>4096B"},
		{"rss>1.50KiB", "rss", ">", 1536, "rss>1.5KiB"},
		{"rss>2tb", "rss", ">", 2e12, "rss>2TB"},
		{"rss>1TiB", "rss", ">", 1 << 40, "rss>1TiB"},
		{"rss>1kb", "rss", ">", 1000, "rss>1KB"},
		{"rss>3m", "rss", ">", 3 << 20, "rss>3M"},
		{"rss>.5GiB", "rss", ">", 1 << 29, "rss>0.5GiB"},
		{"rss>0", "rss", ">", 0, "rss>0B"},
		{"fds>1000", "fds", ">", 1000, "fds>1000"},
		{"threads >= 500", "threads", ">=", 500, "threads>=500"},
		{"processes<2", "processes", "<", 2, "processes<2"},
		{"cpu>150", "cpu", ">", 150, "cpu>150%"},
		{"cpu > 150 %", "cpu", ">", 150, "cpu>150%"},
		{"cpu>12.5%", "cpu", ">", 12.5, "cpu>12.5%"},
		{"growth>50MiB/h", "growth", ">", 50 << 20 / 3600.0, "growth>50MiB/h"},
		{"growth > 1 GiB / day", "growth", ">", (1 << 30) / 86400.0, "growth>1GiB/d"},
		{"growth>10MiB/min", "growth", ">", 10 << 20 / 60.0, "growth>10MiB/min"},
		{"growth>10MiB/m", "growth", ">", 10 << 20 / 60.0, "growth>10MiB/min"},
		{"growth>100KiB/s", "growth", ">", 100 << 10, "growth>100KiB/s"},
		{"growth>100KiB/SEC", "growth", ">", 100 << 10, "growth>100KiB/s"},
		{"growth>1.5GB/hour", "growth", ">", 1.5e9 / 3600, "growth>1.5GB/h"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			r, err := Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			want := Rule{Spec: tt.spec, Metric: tt.metric, Op: tt.op, Threshold: tt.th}
			if r != want {
				t.Errorf("Parse = %+v, want %+v", r, want)
			}
			if got := r.String(); got != tt.norm {
				t.Errorf("String() = %q, want %q", got, tt.norm)
			}
			back, err := Parse(r.String())
			if err != nil || back.Metric != r.Metric || back.Op != r.Op || back.Threshold != r.Threshold {
				t.Errorf("Parse(%q) = %+v, %v; want the same rule back", r.String(), back, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		spec, want string
	}{
		{"rss>2XB", `--alert "rss>2XB": unknown size unit "XB"; want B, KiB, MiB, GiB, TiB, KB, MB, GB or TB; try --alert 'rss>2GiB'`},
		{"", `--alert "": want METRIC OP VALUE, with METRIC one of rss, pss, uss, fds, threads, processes, cpu, growth; try --alert 'rss>2GiB'`},
		{"mem>2GiB", `--alert "mem>2GiB": unknown metric "mem"; want one of rss, pss, uss, fds, threads, processes, cpu, growth; try --alert 'rss>2GiB'`},
		{">2GiB", "want METRIC OP VALUE"},
		{"rss", `missing comparison after "rss"`},
		{"rss 2GiB", `missing comparison after "rss"`},
		{"rss=2GiB", `unknown comparison "="; want >, >=, < or <=`},
		{"rss==2GiB", `unknown comparison "=="`},
		{"rss=>2GiB", `unknown comparison "=>"`},
		{"rss!=2GiB", `unknown comparison "!="`},
		{"rss>>2GiB", `unknown comparison ">>"`},
		{"rss>", `missing value after "rss>"`},
		{"rss>-1GiB", `negative threshold "-1GiB"`},
		{"rss>NaN", `want a size like 512MiB or 2GiB, got "NaN"`},
		{"rss>Inf", `want a size like 512MiB or 2GiB, got "Inf"`},
		{"rss>1e9", `unknown size unit "e9"`},
		{"rss>0x10", `unknown size unit "x10"`},
		{"rss>1.2.3GiB", `unknown size unit ".3GiB"`},
		{"rss>.GiB", "want a size like"},
		{"rss>" + strings.Repeat("9", 400), "too large"},
		{"rss>" + strings.Repeat("9", 300) + "TiB", "too large"},
		{"fds>10.5", `want a whole number of fds, got "10.5"`},
		{"fds>10MiB", `want a whole number of fds`},
		{"threads>-1", "negative threshold"},
		{"cpu>150%%", "want percent of one core"},
		{"cpu>lots", "want percent of one core"},
		{"cpu>-5", "negative threshold"},
		{"growth>50MiB", `growth is a rate, SIZE per TIME like 50MiB/h or 1GiB/d; got "50MiB"; try --alert 'growth>50MiB/h'`},
		{"growth>50MiB/week", `unknown time unit "week"; want s, min, h or d`},
		{"growth>50MiB/", `unknown time unit ""`},
		{"growth>50XiB/h", `unknown size unit "XiB"`},
		{"growth>-1MiB/h", "negative threshold"},
		{"rss>2GiB\nfds>1", `unknown size unit "GiB\nfds>1"`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			r, err := Parse(tt.spec)
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", r)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) && !strings.Contains(msg, strings.ReplaceAll(tt.want, "\n", `\n`)) {
				t.Errorf("error %q\nwant one containing %q", msg, tt.want)
			}
			if strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "--alert ") || !strings.Contains(msg, "; try --alert '") {
				t.Errorf("error %q is not one line quoting the spec and giving an example", msg)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	const gib = 1 << 30
	v := Values{
		RSS: 2.1 * gib, PSS: 1.5 * gib, USS: 1 * gib, HavePSS: true,
		FDs: 1034, Threads: 12, Processes: 3, CPUPercent: 162.5,
		Growth: 60 << 20 / 3600.0, HaveGrowth: true,
	}
	tests := []struct {
		spec  string
		v     Values
		fired bool
		value float64
		desc  string
	}{
		{"rss>2GiB", v, true, 2.1 * gib, "rss 2.1 GiB > 2 GiB"},
		{"rss<2GiB", v, false, 2.1 * gib, "rss 2.1 GiB < 2 GiB"},
		{"rss>=2.1GiB", v, true, 2.1 * gib, "rss 2.1 GiB >= 2.1 GiB"},
		{"rss<=2.1GiB", v, true, 2.1 * gib, "rss 2.1 GiB <= 2.1 GiB"},
		{"pss>1GiB", v, true, 1.5 * gib, "pss 1.5 GiB > 1 GiB"},
		{"pss>1GiB", Values{PSS: 1.5 * gib}, false, 0, "pss 0 B > 1 GiB"},
		{"uss<2GiB", Values{}, false, 0, "uss 0 B < 2 GiB"},
		{"uss<2GiB", v, true, gib, "uss 1.0 GiB < 2 GiB"},
		{"fds>1000", v, true, 1034, "fds 1034 > 1000"},
		{"threads>=12", v, true, 12, "threads 12 >= 12"},
		{"processes<1", Values{}, true, 0, "processes 0 < 1"},
		{"cpu>150", v, true, 162.5, "cpu 162.5% > 150%"},
		{"growth>50MiB/h", v, true, 60 << 20 / 3600.0, "growth 60.0 MiB/h > 50 MiB/h"},
		{"growth>50MiB/h", Values{Growth: 1 << 30}, false, 0, "growth 0 B/h > 50 MiB/h"},
		{"growth<1KiB/s", Values{Growth: -2 << 20 / 3600.0, HaveGrowth: true}, true, -2 << 20 / 3600.0, "growth -2.0 MiB/h < 1 KiB/s"},
		{"rss>0", Values{RSS: math.NaN()}, false, math.NaN(), "rss NaN B > 0 B"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			r, err := Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			fired, value := r.Check(tt.v)
			if fired != tt.fired || value != tt.value && !(math.IsNaN(value) && math.IsNaN(tt.value)) {
				t.Errorf("Check = %v, %v; want %v, %v", fired, value, tt.fired, tt.value)
			}
			if got := r.Describe(value); got != tt.desc {
				t.Errorf("Describe(%v) = %q, want %q", value, got, tt.desc)
			}
		})
	}
}

// TestRuleInCode checks String and Describe of rules built without Parse,
// which choose units that write the threshold exactly.
func TestRuleInCode(t *testing.T) {
	tests := []struct {
		r          Rule
		str, thres string
	}{
		{Rule{Metric: "rss", Op: ">", Threshold: 2 << 30}, "rss>2GiB", "2 GiB"},
		{Rule{Metric: "rss", Op: ">", Threshold: 1.5e9}, "rss>1.5GB", "1.5 GB"},
		{Rule{Metric: "rss", Op: ">", Threshold: 1536}, "rss>1.5KiB", "1.5 KiB"},
		{Rule{Metric: "rss", Op: ">", Threshold: 1234567}, "rss>1234.567KB", "1234.567 KB"},
		{Rule{Metric: "rss", Op: ">", Threshold: 0.25}, "rss>0.25B", "0.25 B"},
		{Rule{Metric: "growth", Op: ">", Threshold: 50 << 20 / 3600.0}, "growth>50MiB/h", "50 MiB/h"},
		{Rule{Metric: "growth", Op: ">", Threshold: (1 << 30) / 86400.0}, "growth>1GiB/d", "1 GiB/d"},
		{Rule{Metric: "growth", Op: ">", Threshold: 100 << 10}, "growth>368.64MB/h", "368.64 MB/h"},
		{Rule{Metric: "cpu", Op: "<", Threshold: 5}, "cpu<5%", "5%"},
		{Rule{Metric: "fds", Op: ">=", Threshold: 64}, "fds>=64", "64"},
		{Rule{Spec: "rss>1GiB", Metric: "rss", Op: ">", Threshold: 2 << 30}, "rss>2GiB", "2 GiB"},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			if got := tt.r.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			if got := tt.r.threshold(); got != tt.thres {
				t.Errorf("threshold() = %q, want %q", got, tt.thres)
			}
			back, err := Parse(tt.r.String())
			if err != nil || back.Threshold != tt.r.Threshold {
				t.Errorf("Parse(%q) = %+v, %v; want threshold %v", tt.r.String(), back, err, tt.r.Threshold)
			}
		})
	}
}
