package report

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/perfcap/perfcap/internal/units"
)

// frontMatter returns the value of key in the issue template's front
// matter (templates/frontmatter.yaml, copied from the template), unquoted.
func frontMatter(key string) string {
	b, err := templates.ReadFile("templates/frontmatter.yaml")
	if err != nil {
		panic(fmt.Sprintf("report: embedded front matter: %v", err))
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		return v
	}
	return ""
}

// Labels returns the labels the issue template gives its issues.
func Labels() []string {
	var labels []string
	for _, l := range strings.Split(frontMatter("labels"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	return labels
}

// Title suggests the title: the template's prefix, the command and
// the headline figures, such as
// "[PERF] cargo bench: fib 20 26.3 µs, peak RSS 120 MiB".
func Title(d *Data) string {
	prefix := frontMatter("title")
	if prefix != "" && !strings.HasSuffix(prefix, " ") {
		prefix += " "
	}
	cmd := shortCommand(d.Manifest.Command)
	var figs []string
	if len(d.Benchmarks) > 0 {
		b := d.Benchmarks[0]
		figs = append(figs, truncate(40, b.ID)+" "+formatNS(b.Estimate))
	} else if d.Summary.WallSeconds > 0 {
		figs = append(figs, "wall "+formatSeconds(d.Summary.WallSeconds))
	}
	if d.Summary.PeakRSSBytes > 0 {
		figs = append(figs, "peak RSS "+units.FormatBytes3(float64(d.Summary.PeakRSSBytes)))
	}
	if len(figs) == 0 {
		return prefix + cmd
	}
	return prefix + cmd + ": " + strings.Join(figs, ", ")
}

// shortCommand is the command for a title: cargo with its subcommand, or
// the program's name with its arguments, cut to 60 characters.
func shortCommand(argv []string) string {
	if sub, _ := cargoSubcommand(argv); sub != "" {
		return "cargo " + sub
	}
	if len(argv) == 0 {
		return "(no command)"
	}
	return truncate(60, ShellJoin(argv))
}

// descriptions say what the bundle's well-known files hold.
var descriptions = map[string][2]string{
	"summary.json":        {"运行汇总：时间、CPU、内存峰值、警告与热点", "run totals: time, CPU, peak memory, warnings and hot spots"},
	"timeline.csv":        {"每次采样的进程树 RSS、CPU 与进程数", "per-sample RSS, CPU and process count of the tree"},
	"env.json":            {"机器与工具链信息", "machine and toolchain facts"},
	"processes.csv":       {"进程树中每个进程的汇总", "one row per process of the tree"},
	"process_samples.csv": {"每次采样中每个进程的 RSS 与 CPU", "RSS and CPU of every process at every sample"},
	"stdout.log":          {"命令的标准输出", "the command's standard output"},
	"stderr.log":          {"命令的标准错误", "the command's standard error"},
	"report.md":           {"本报告", "this report"},
	"perf/flame.svg":      {"火焰图（可在浏览器中交互）", "flame graph (interactive in a browser)"},
	"perf/folded.txt":     {"折叠栈（flamegraph.pl / inferno 格式）", "folded stacks (flamegraph.pl / inferno format)"},
	"perf/profile.pb.gz":  {"pprof 格式的 CPU profile（go tool pprof）", "CPU profile in pprof format (go tool pprof)"},
	"perf/perf.data":      {"perf record 原始数据", "raw perf record data"},
	"perf/perf.log":       {"perf 自身的输出", "perf's own messages"},
	"phases.csv":          {"基准框架的各阶段（预热、测量、分析）及其起止时间", "the benchmark harness's phases (warm-up, measure, analysis) and their times"},
}

// dirDescriptions say what the files under a bundle directory hold.
var dirDescriptions = []struct {
	prefix string
	text   [2]string
}{
	{"bench/go/", [2]string{"Go 基准结果行（benchstat 可读的格式），每次运行一行", "Go benchmark result lines, one per run (benchstat reads them)"}},
	{"bench/hyperfine/", [2]string{"hyperfine 导出的结果文件", "a file hyperfine exported its results to"}},
	{"bench/criterion/", [2]string{"Criterion 写出的结果与样本", "Criterion's own result and sample file"}},
	{"perf/bench/", [2]string{"单个基准测量期间的火焰图、折叠栈或 pprof profile", "one benchmark's flame graph, folded stacks or pprof profile, from the samples of its measurement"}},
}

// Describe says what a bundle file holds, in lang; "" for files it does
// not know.
func Describe(path, lang string) string {
	d, ok := descriptions[path]
	for _, dd := range dirDescriptions {
		if !ok && strings.HasPrefix(path, dd.prefix) {
			d, ok = dd.text, true
		}
	}
	if !ok {
		return ""
	}
	if lang == "zh" {
		return d[0]
	}
	return d[1]
}
