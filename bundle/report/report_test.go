package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/capture/bench"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/golden"
)

// fixture is a cargo bench run on a Linux x86_64 machine, with perf,
// Criterion results and every bundle file.
func fixture() *Data {
	dirty := false
	sha := strings.Repeat("ab", 32)
	files := []bundle.File{
		{Path: "summary.json", Size: 4096, SHA256: sha},
		{Path: "timeline.csv", Size: 20480, SHA256: sha},
		{Path: "env.json", Size: 3000, SHA256: sha},
		{Path: "stdout.log", Size: 1500, SHA256: sha},
		{Path: "perf/flame.svg", Size: 250000, SHA256: sha},
		{Path: "perf/folded.txt", Size: 90000, SHA256: sha},
		{Path: "perf/profile.pb.gz", Size: 40000, SHA256: sha},
		{Path: "perf/bench/fib_20/flame.svg", Size: 60000, SHA256: sha},
		{Path: "phases.csv", Size: 300, SHA256: sha},
	}
	var att []Attachment
	for _, f := range files {
		att = append(att, Attachment{Path: f.Path, Size: f.Size})
	}
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	return &Data{
		Manifest: bundle.Manifest{
			Format: bundle.Format, Version: bundle.Version, PerfcapVersion: "0.1.0",
			Created: t0, Command: []string{"cargo", "bench", "--bench", "fib", "--features", "jit,simd"},
			Cwd: "/home/dev/vm", Started: t0, Ended: t0.Add(12 * time.Second), Files: files,
		},
		Summary: format.Totals{
			WallSeconds: 12.5, UserSeconds: 11.2, SysSeconds: 0.8, CPUPercent: 96,
			PeakRSSBytes: 120 << 20, MaxProcessRSSBytes: 100 << 20, MaxProcessRSSPID: 42, MaxProcessRSSSource: "vmhwm",
			FirstOutputSeconds: 0.35, IntervalSeconds: 0.1, Samples: 125, ExpectedSamples: 125, OnSchedule: 124,
			LoadAverage: [3]float64{0.5, 0.4, 0.3}, OtherCPUPercent: 1.5, MinAvailableBytes: 20 << 30,
			Processes: 9, ProcessesStarted: 1501, ProcessesStartedSource: "perf", ProcessesStartedMin: 1501, ProcessesStartedMax: 1501, MaxProcesses: 3,
			Warnings: []string{"kernel symbols are hidden (kernel.kptr_restrict=1)"},
		},
		Perf: &format.Perf{
			PerfRecording: format.PerfRecording{Recorded: true, Event: "cpu-clock", Freq: 99, CallGraph: "dwarf,16384"},
			Samples:       1234,
			MedianDepth:   18,
			Hot: &flame.HotSpots{
				Weight: 1234,
				BySelf: []flame.HotFunction{
					{Name: "fib::fib", Self: 600, Total: 1100, SelfShare: 0.486, TotalShare: 0.891},
					{Name: "criterion::black_box", Self: 200, Total: 200, SelfShare: 0.162, TotalShare: 0.162},
					{Name: "clear_page_erms", Kind: "kernel", Self: 50, Total: 50, SelfShare: 0.041, TotalShare: 0.041},
				},
				ByTotal: []flame.HotFunction{
					{Name: "main", Self: 0, Total: 1200, SelfShare: 0, TotalShare: 0.972},
					{Name: "fib::fib", Self: 600, Total: 1100, SelfShare: 0.486, TotalShare: 0.891},
				},
			},
			Benchmarks: []format.PerfBenchmark{
				{Tool: "criterion", ID: "fib 20", Dir: "perf/bench/fib_20", Seconds: 5.02, Windows: 1, Samples: 497,
					Hot: &flame.HotSpots{Weight: 497, BySelf: []flame.HotFunction{{Name: "fib::fib", Self: 490, Total: 497, SelfShare: 0.986, TotalShare: 1}}}},
				{Tool: "criterion", ID: "fib/iter/1000", Seconds: 0.004, Windows: 1, Approximate: true},
			},
		},
		Facts: &facts.Facts{
			OS:             facts.OSFacts{Name: "Debian GNU/Linux 12 (bookworm)", ID: "debian", VersionID: "12", Kernel: "6.1.0-18-amd64", Arch: "x86_64", GOARCH: "amd64"},
			CPU:            facts.CPUFacts{Model: "AMD EPYC 7B13", LogicalCores: 8, PhysicalCores: 4, CurrentMHz: 2450, FrequencySource: "cpuinfo", Caches: []facts.CacheFacts{{Name: "L1d", Size: "32K"}, {Name: "L2", Size: "512K"}, {Name: "L3", Size: "32768K"}}},
			Memory:         facts.MemoryFacts{TotalBytes: 32 << 30, AvailableBytes: 28 << 30},
			Storage:        &facts.StorageFacts{Dir: "/home/dev/vm", MountPoint: "/", FSType: "ext4", Device: "nvme0n1", Kind: "nvme"},
			Virtualization: facts.VirtualizationFacts{Virtualization: "none"},
			Toolchain: facts.ToolchainFacts{
				Rustc: &facts.RustcFacts{Version: "rustc 1.95.0 (59807616e 2026-04-14)", Release: "1.95.0", Host: "x86_64-unknown-linux-gnu"},
				Cargo: "cargo 1.95.0 (f2d3ce0bd 2026-03-21)",
			},
			Git: &facts.GitFacts{Commit: "1b80380ca5751c7e6164befc91f73aa74c615b9a", Branch: "main", Dirty: &dirty},
			Cargo: &facts.CargoFacts{
				Manifest: "/home/dev/vm/Cargo.toml", WorkspaceRoot: "/home/dev/vm/Cargo.toml", Package: "vm", Version: "0.2.0",
				ActiveProfile: "bench",
				Profiles: map[string]map[string]facts.ProfileSetting{
					"release": {"opt-level": {Value: "3"}, "lto": {Value: "fat"}, "codegen-units": {Value: "1"}, "debug": {Value: "false"}},
					"bench":   {"opt-level": {Value: "3"}, "lto": {Value: "fat"}, "codegen-units": {Value: "1"}},
				},
			},
		},
		Benchmarks: []bench.Result{
			{Tool: "criterion", ID: "fib 20", Estimate: 26300, Low: 26100, High: 26500, Source: "stdout",
				Change: &bench.Change{Low: 0.05, Estimate: 0.067, High: 0.08, P: 0.001, Verdict: "regressed"}},
			{Tool: "criterion", ID: "fib/iter/1000", Estimate: 1.2e6, Low: 1.19e6, High: 1.21e6, Source: "stdout",
				Throughput: &bench.Throughput{Low: 820, Estimate: 833, High: 840, Unit: "Kelem/s"}},
		},
		Metrics:     []bench.Metric{{Name: "mips", Value: 412.5, Text: "MIPS: 412.5", Stream: "stdout", Line: 17}},
		Attachments: att,
		Bundle:      Archive{Name: "perfcap-20261129-100000.tar.zst", SHA256: strings.Repeat("0f", 32), Size: 512000},
	}
}

// realBundle is Data built from the JSON files of a real bundle: perfcap
// run on testdata/criterion-demo with `cargo bench` (manifest.json,
// summary.json and env.json kept in testdata/criterion-demo/; the rest of
// the bundle is too large to keep). Benchmarks are left out: their parser
// lives in capture/bench.
func realBundle(t *testing.T) *Data { return realBundleIn(t, "criterion-demo") }

// realBundleIn is Data built from the JSON files a real bundle kept in
// testdata/name: criterion-demo (above), criterion-analysis (the same
// benchmark recorded with the analysis: source lines, the user's
// bottleneck) and lock-analysis (analysis/testdata/src/lock.c: four
// threads on one mutex).
func realBundleIn(t *testing.T, name string) *Data {
	t.Helper()
	dir := filepath.Join("testdata", name)
	read := func(name string, v any) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	d := &Data{Facts: &facts.Facts{}}
	var sum format.Summary
	read("manifest.json", &d.Manifest)
	read("summary.json", &sum)
	read("env.json", d.Facts)
	d.Summary, d.Perf = sum.Totals, sum.Perf
	for _, f := range d.Manifest.Files {
		d.Attachments = append(d.Attachments, Attachment{Path: f.Path, Size: f.Size})
	}
	// As the report.md inside the bundle sees it: the bundle's name, but
	// not its size and hash, which the report says where to find.
	d.Bundle = Archive{Name: "perfcap-criterion-demo.tar.zst"}
	return d
}

func renderString(t *testing.T, d *Data, lang string) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, d, lang); err != nil {
		t.Fatalf("Render(%s): %v", lang, err)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		data func(*testing.T) *Data
	}{
		{"report", func(*testing.T) *Data { return fixture() }},
		{"criterion-demo", realBundle},
		{"criterion-analysis", func(t *testing.T) *Data { return realBundleIn(t, "criterion-analysis") }},
		{"lock-analysis", func(t *testing.T) *Data { return realBundleIn(t, "lock-analysis") }},
	} {
		for _, lang := range Langs {
			t.Run(tt.name+"."+lang, func(t *testing.T) {
				golden.Check(t, filepath.Join("testdata", tt.name+"."+lang+".md"), []byte(renderString(t, tt.data(t), lang)))
			})
		}
	}
}

// structure returns the Markdown headings outside code fences and the
// number of checkboxes of a document.
func structure(doc string) (headings []string, boxes int) {
	fenced := false
	for _, line := range strings.Split(doc, "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		if strings.HasPrefix(line, "#") {
			headings = append(headings, line)
		}
		if strings.HasPrefix(trim, "- [ ] ") || strings.HasPrefix(trim, "- [x] ") {
			boxes++
		}
	}
	return headings, boxes
}

// issueTemplate returns the template body without its front matter: the
// copy in testdata, after checking it still matches shared/ when that is
// beside the clone.
func issueTemplate(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "perf-issue-template.zh.md"))
	if err != nil {
		t.Fatal(err)
	}
	const shared = "../../../shared/perf-issue-template.zh.md"
	if s, err := os.ReadFile(shared); err == nil && !bytes.Equal(s, b) {
		t.Errorf("testdata/perf-issue-template.zh.md differs from %s: copy it again and update the templates", shared)
	}
	_, body, ok := strings.Cut(strings.TrimPrefix(string(b), "---\n"), "\n---\n")
	if !ok {
		t.Fatal("template has no front matter")
	}
	return body
}

func TestHeadingsFollowTemplate(t *testing.T) {
	wantH, wantBoxes := structure(issueTemplate(t))
	gotH, gotBoxes := structure(renderString(t, fixture(), "zh"))
	if strings.Join(gotH, "\n") != strings.Join(wantH, "\n") {
		t.Errorf("zh headings differ from the template's:\n%s", golden.Diff(strings.Join(wantH, "\n"), strings.Join(gotH, "\n")))
	}
	if gotBoxes != wantBoxes {
		t.Errorf("zh report has %d checkboxes, template %d", gotBoxes, wantBoxes)
	}
}

func TestEnglishSameStructure(t *testing.T) {
	for _, d := range []*Data{fixture(), {}} {
		zhH, zhBoxes := structure(renderString(t, d, "zh"))
		enH, enBoxes := structure(renderString(t, d, "en"))
		if len(zhH) != len(enH) || zhBoxes != enBoxes {
			t.Fatalf("zh: %d headings, %d checkboxes; en: %d headings, %d checkboxes", len(zhH), zhBoxes, len(enH), enBoxes)
		}
		for i := range zhH {
			lz, le := len(zhH[i])-len(strings.TrimLeft(zhH[i], "#")), len(enH[i])-len(strings.TrimLeft(enH[i], "#"))
			if lz != le {
				t.Errorf("heading %d: zh %q level %d, en %q level %d", i, zhH[i], lz, enH[i], le)
			}
		}
		zc, ec := strings.Count(renderString(t, d, "zh"), "[x]"), strings.Count(renderString(t, d, "en"), "[x]")
		if zc != ec {
			t.Errorf("zh ticks %d boxes, en %d", zc, ec)
		}
	}
}

// ticked reports whether the checkbox line containing label is ticked,
// failing when there is no such line.
func ticked(t *testing.T, doc, label string) bool {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s*- \[([ x])\] .*` + regexp.QuoteMeta(label))
	m := re.FindStringSubmatch(doc)
	if m == nil {
		t.Fatalf("no checkbox %q", label)
	}
	return m[1] == "x"
}

func TestCheckboxes(t *testing.T) {
	growth := func(d *Data) { d.MemoryGrowth = &Growth{Detected: true, BytesPerSecond: 1 << 20} }
	noGrowth := func(d *Data) { d.MemoryGrowth = &Growth{Detected: false} }
	build := func(d *Data) { d.Manifest.Command = []string{"cargo", "build"} }
	release := func(d *Data) { d.Manifest.Command = []string{"cargo", "run", "--release"} }
	arm := func(d *Data) {
		d.Facts.OS.Arch = "aarch64"
		d.Facts.Toolchain.Rustc.Host = "aarch64-apple-darwin"
	}
	noFacts := func(d *Data) { d.Facts = nil }
	perfFailed := func(d *Data) {
		d.Perf = &format.Perf{PerfRecording: format.PerfRecording{Reason: "perf is not installed", Fix: "apt-get install linux-perf"}}
	}
	noPerf := func(d *Data) {
		d.Perf = nil
		d.Manifest.Files = d.Manifest.Files[:4]
		d.Benchmarks = nil
	}
	tests := []struct {
		name  string
		edit  func(*Data)
		label string
		want  bool
	}{
		{"linux", nil, "Linux (发行版: Debian", true},
		{"not macOS", nil, "macOS", false},
		{"macOS from rustc host", arm, "macOS", true},
		{"no facts no linux", noFacts, "Linux", false},
		{"bench is release", nil, "Release", true},
		{"bench not debug", nil, "Debug", false},
		{"opt-level known", nil, "Release with优化: `opt-level = 3`", true},
		{"build is debug", build, "Debug", true},
		{"build not release", build, "Release", false},
		{"--release", release, "Release", true},
		{"growth not analysed", nil, "内存增长", false},
		{"growth not found", noGrowth, "内存增长", false},
		{"growth found", growth, "内存增长", true},
		{"regression from criterion", nil, "性能回归", true},
		{"scalability never guessed", nil, "扩展性问题", false},
		{"perf", nil, "**perf**", true},
		{"flamegraph", nil, "**Flamegraph**", true},
		{"valgrind", nil, "Valgrind", false},
		{"no perf", noPerf, "**perf**", false},
		{"perf failed", perfFailed, "**perf**", false},
		{"no flame", noPerf, "火焰图图片", false},
		{"no benchmarks", noPerf, "已提供benchmark或profiling数据", false},
		{"medium run", nil, "中期", true},
		{"short run not", nil, "短期", false},
		{"environment", nil, "已提供详细的环境信息", true},
		{"environment unknown", noFacts, "已提供详细的环境信息", false},
		{"causes never", nil, "已分析可能的原因", false},
		{"priority never", nil, "P0", false},
		{"contribution never", nil, "我愿意帮助优化性能", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := fixture()
			if tt.edit != nil {
				tt.edit(d)
			}
			if got := ticked(t, renderString(t, d, "zh"), tt.label); got != tt.want {
				t.Errorf("%q ticked = %v, want %v", tt.label, got, tt.want)
			}
		})
	}
}

func TestUnknownIsSaid(t *testing.T) {
	for lang, word := range map[string]string{"zh": "型号: 未知", "en": "Model: unknown"} {
		got := renderString(t, &Data{}, lang)
		if !strings.Contains(got, word) {
			t.Errorf("%s report of empty Data lacks %q", lang, word)
		}
		if strings.Contains(got, "[x] Linux") || strings.Contains(got, "<no value>") {
			t.Errorf("%s report of empty Data claims what was not measured:\n%s", lang, got)
		}
	}
}

func TestFitsGitHubLimit(t *testing.T) {
	d := fixture()
	long := strings.Repeat("very_long::generic<Function, Name>::", 30)
	for i := range 20000 {
		d.Benchmarks = append(d.Benchmarks, bench.Result{Tool: "criterion", ID: fmt.Sprintf("group/%d/%s", i, long), Estimate: float64(i)})
		d.Metrics = append(d.Metrics, bench.Metric{Name: fmt.Sprint("m", i), Value: 1, Text: long, Stream: "stdout", Line: i})
		d.Summary.Warnings = append(d.Summary.Warnings, long)
		d.Attachments = append(d.Attachments, Attachment{Path: fmt.Sprintf("bench/criterion/%d/estimates.json", i), Size: 1})
		d.Manifest.Files = append(d.Manifest.Files, bundle.File{Path: fmt.Sprintf("bench/criterion/%d/estimates.json", i)})
		hf := flame.HotFunction{Name: fmt.Sprint(long, i), Self: 1, Total: 1}
		d.Perf.Hot.BySelf = append(d.Perf.Hot.BySelf, hf)
		d.Perf.Hot.ByTotal = append(d.Perf.Hot.ByTotal, hf)
	}
	d.Manifest.Command = append(d.Manifest.Command, strings.Repeat("x", 100000))
	for _, lang := range Langs {
		got := renderString(t, d, lang)
		if n := bodyLen(got); n > MaxBody {
			t.Errorf("%s report is %d characters, limit %d", lang, n, MaxBody)
		}
		wantMore := map[string]string{"zh": "行，见 bench/criterion/", "en": "more rows in bench/criterion/"}[lang]
		if !strings.Contains(got, wantMore) {
			t.Errorf("%s report does not point to the rest of the benchmarks (%q)", lang, wantMore)
		}
		if h, _ := structure(got); len(h) < 40 {
			t.Errorf("%s report lost its structure: %d headings", lang, len(h))
		}
	}
	// A user's template printing something unbounded is cut as a last resort.
	var b bytes.Buffer
	if err := RenderTemplate(&b, d, "{{range .Benchmarks}}{{.ID}}\n{{end}}"); err != nil {
		t.Fatal(err)
	}
	if n := bodyLen(b.String()); n > MaxBody {
		t.Errorf("user template output is %d characters, limit %d", n, MaxBody)
	}
}

func TestRenderTemplate(t *testing.T) {
	var b bytes.Buffer
	if err := RenderTemplate(&b, fixture(), "{{check .Release}} {{.BuildProfile}} {{join .Features \",\"}} {{bytes .Summary.PeakRSSBytes}}"); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "[x] bench jit,simd 120 MiB"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, text := range []string{"line one\n{{.NoSuchField}}\n", "ok\n\n{{if}}\n"} {
		err := RenderTemplate(&b, fixture(), text)
		if err == nil || !regexp.MustCompile(`report:[23]`).MatchString(err.Error()) {
			t.Errorf("RenderTemplate(%q) = %v, want an error naming the line", text, err)
		}
	}
	if err := Render(&b, fixture(), "fr"); err == nil {
		t.Error("Render(fr) succeeded")
	}
}

func TestBuildProfileAndFeatures(t *testing.T) {
	tests := []struct {
		argv     string
		profile  string
		features []string
	}{
		{"cargo bench", "bench", nil},
		{"cargo +nightly bench --bench fib -- --save-baseline main", "bench", nil},
		{"cargo build", "debug", nil},
		{"cargo test --release", "release", nil},
		{"cargo run -r --features a,b -F c", "release", []string{"a", "b", "c"}},
		{"cargo build --profile=perf --all-features", "perf", []string{"all-features"}},
		{"cargo bench --profile prof --no-default-features --features=x", "prof", []string{"x", "no-default-features"}},
		{"cargo run -- --release --features z", "debug", nil},
		{"./target/release/vm --release", "", nil},
	}
	for _, tt := range tests {
		argv := strings.Fields(tt.argv)
		if got := BuildProfileOf(argv); got != tt.profile {
			t.Errorf("BuildProfileOf(%s) = %q, want %q", tt.argv, got, tt.profile)
		}
		if got := FeaturesOf(argv); strings.Join(got, ",") != strings.Join(tt.features, ",") {
			t.Errorf("FeaturesOf(%s) = %q, want %q", tt.argv, got, tt.features)
		}
	}
}

func TestTitleAndLabels(t *testing.T) {
	if got, want := Title(fixture()), "[PERF] cargo bench: fib 20 26.3 µs, peak RSS 120 MiB"; got != want {
		t.Errorf("Title = %q, want %q", got, want)
	}
	d := fixture()
	d.Benchmarks = nil
	d.Manifest.Command = []string{"./vm", "run", "x.elf"}
	if got, want := Title(d), "[PERF] ./vm run x.elf: wall 12.5 s, peak RSS 120 MiB"; got != want {
		t.Errorf("Title = %q, want %q", got, want)
	}
	if got := Labels(); strings.Join(got, ",") != "performance" {
		t.Errorf("Labels = %q", got)
	}
}

func TestPerfFailureExplained(t *testing.T) {
	d := fixture()
	d.Perf = &format.Perf{PerfRecording: format.PerfRecording{Reason: "perf is not installed", Fix: "apt-get install linux-perf"}}
	got := renderString(t, d, "en")
	for _, want := range []string{"# perf recorded nothing: perf is not installed", "# fix: apt-get install linux-perf", "no profiling data"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestFrontMatterMatchesTemplate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "perf-issue-template.zh.md"))
	if err != nil {
		t.Fatal(err)
	}
	fm, err := templates.ReadFile("templates/frontmatter.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, fm) {
		t.Errorf("templates/frontmatter.yaml is not the front matter of testdata/perf-issue-template.zh.md: copy it again")
	}
}

// A process count is labelled: exact where perf counted the forks,
// otherwise as seen in samples, with the bounds when they were measured.
func TestProcessCountsAreLabelled(t *testing.T) {
	for _, tc := range []struct {
		name   string
		totals format.Totals
		want   map[string]string
	}{
		{"perf", format.Totals{Processes: 9, ProcessesStarted: 1501, ProcessesStartedSource: "perf", ProcessesStartedMin: 1501, ProcessesStartedMax: 1501, MaxProcesses: 3}, map[string]string{
			"en": "- processes: 1501 started (counted from the kernel's fork events that perf recorded), 9 seen in samples taken every 100 ms; at most 3 at once\n",
			"zh": "- 进程：共启动 1501 个（由 perf 记录的内核 fork 事件计数），每 100 ms 一次的采样中见到 9 个；同时最多 3 个\n",
		}},
		{"bounds", format.Totals{Processes: 9, ProcessesStartedMin: 11, ProcessesStartedMax: 1546, MaxProcesses: 2}, map[string]string{
			"en": "- processes: 9 seen in samples taken every 100 ms (a sampled count: processes that started and ended between two samples are not in it); 11 to 1546 started (at least those known to have run, at most every task the machine created meanwhile); at most 2 at once\n",
			"zh": "- 进程：每 100 ms 一次的采样中见到 9 个（采样计数：两次采样之间启动又结束的进程不在其中）；实际启动 11 至 1546 个（下界：确知运行过的进程；上界：期间整台机器创建的任务数）；同时最多 2 个\n",
		}},
		{"sampled only", format.Totals{Processes: 1, MaxProcesses: 1}, map[string]string{
			"en": "- processes: 1 seen in samples taken every 100 ms (a sampled count: processes that started and ended between two samples are not in it); at most 1 at once\n",
			"zh": "- 进程：每 100 ms 一次的采样中见到 1 个（采样计数：两次采样之间启动又结束的进程不在其中）；同时最多 1 个\n",
		}},
	} {
		for _, lang := range Langs {
			d := fixture()
			tc.totals.IntervalSeconds = 0.1
			d.Summary = tc.totals
			if got := renderString(t, d, lang); !strings.Contains(got, tc.want[lang]) {
				t.Errorf("%s, %s: the report lacks %q", tc.name, lang, tc.want[lang])
			}
		}
	}
}

// TestOwnArchive checks that filling a bundle's own size and hash into the
// report rendered inside it gives the report rendered with them known, in
// both languages, and that a report without the sentence is left alone.
func TestOwnArchive(t *testing.T) {
	a := Archive{Name: "diff.tar.zst", Size: 86321, SHA256: strings.Repeat("ab", 32)}
	for _, lang := range Langs {
		inside, known := fixture(), fixture()
		inside.Bundle, known.Bundle = Archive{Name: a.Name}, a
		got, in := OwnArchive([]byte(renderString(t, inside, lang)), a)
		if want := renderString(t, known, lang); in != lang || string(got) != want {
			t.Errorf("%s: found in %q, differs from the report rendered with the archive known:\n%s", lang, in, golden.Diff(want, string(got)))
		}
	}
	other := []byte("# a report of someone's own template\n")
	if got, in := OwnArchive(other, a); in != "" || !bytes.Equal(got, other) {
		t.Errorf("OwnArchive changed a report without the sentence: %q %q", in, got)
	}
}
