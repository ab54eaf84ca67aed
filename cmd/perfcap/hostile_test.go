package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle/bundletest"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// maxReaderRSS is the promise: no bundle makes a reader of perfcap use
// more memory than this.
const maxReaderRSS = 200_000_000

// measureEnv, when set, makes the test binary run perfcap's Main on its
// arguments and write its peak resident memory (VmHWM) to the file the
// variable names. The figure must come from the process itself: the
// ru_maxrss that wait4 reports for a child started by os/exec includes
// the parent's own peak, inherited through vfork and exec.
const measureEnv = "PERFCAP_TEST_MEASURE_TO"

func init() {
	out := os.Getenv(measureEnv)
	if out == "" {
		return
	}
	code := Main(os.Args[1:], &iostreams.IOStreams{Out: io.Discard, ErrOut: os.Stderr})
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		os.Exit(255)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			os.WriteFile(out, []byte(strings.TrimSpace(v)), 0o644)
		}
	}
	os.Exit(code)
}

// runMeasured runs perfcap with args in a child process (the test binary
// in measureEnv mode) and returns its exit code, its stderr and its peak
// resident memory in bytes.
func runMeasured(t *testing.T, args ...string) (code int, stderr string, rss int64) {
	t.Helper()
	hwm := filepath.Join(t.TempDir(), "vmhwm")
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), measureEnv+"="+hwm)
	var errb strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("perfcap %s: %v", strings.Join(args, " "), err)
	}
	b, err := os.ReadFile(hwm)
	if err != nil {
		t.Fatalf("perfcap %s: no VmHWM (%v); stderr: %s", strings.Join(args, " "), err, errb.String())
	}
	kb, err := strconv.ParseInt(strings.TrimSuffix(string(b), " kB"), 10, 64)
	if err != nil {
		t.Fatalf("VmHWM %q: %v", b, err)
	}
	return cmd.ProcessState.ExitCode(), errb.String(), kb * 1024
}

// okSummary and okEnv are a summary.json and an env.json that decode.
var (
	okSummary = bundletest.Member{Name: "summary.json", Data: []byte(`{"wall_seconds": 1, "cpu_percent": 50, "warnings": ["a warning"]}` + "\n")}
	okEnv     = bundletest.Member{Name: "env.json", Data: []byte("{}\n")}
)

// hostileBundle is a crafted bundle and what each reader must make of it:
// "" for success, else a piece of the one-line error.
type hostileBundle struct {
	name  string
	build func(path string) error
	want  map[string]string
}

// tarZst and zipOf build a bundle of members listed as they are.
func tarZst(members ...bundletest.Member) func(string) error {
	return func(path string) error {
		return bundletest.WriteTarZst(path, bundletest.Manifest(bundletest.Listing(members...), nil), members...)
	}
}

func zipOf(members ...bundletest.Member) func(string) error {
	return func(path string) error {
		return bundletest.WriteZip(path, bundletest.Manifest(bundletest.Listing(members...), nil), members...)
	}
}

// rawTarZst writes a tar.zst whose manifest is given as is.
func rawTarZst(manifest []byte, members ...bundletest.Member) func(string) error {
	return func(path string) error { return bundletest.WriteTarZst(path, manifest, members...) }
}

func rawZip(manifest []byte, members ...bundletest.Member) func(string) error {
	return func(path string) error { return bundletest.WriteZip(path, manifest, members...) }
}

// manifestOfPaths is a manifest just under size bytes listing members
// and as many files of long paths as fit, which the archive lacks.
func manifestOfPaths(size int, members ...bundletest.Member) []byte {
	const n = 99_000
	long := strings.Repeat("p", 4000)
	build := func(pathLen int) []byte {
		files := bundletest.Listing(members...)
		for i := range n {
			files = append(files, bundletest.File{Path: fmt.Sprintf("attach/%06d-%s", i, long[:pathLen]), Size: 1, SHA256: strings.Repeat("0", 64)})
		}
		return bundletest.Manifest(files, nil)
	}
	m := build(100)
	return build(100 + (size-len(m))/n - 1)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// jsonOfSize is a JSON value of about n bytes: an array of n/3 empty
// objects, what decoding allocates most for.
func jsonOfSize(n int) []byte {
	return []byte("[" + strings.Repeat("{},", n/3-1) + "{}]")
}

// TestHostileBundlesCostLittle runs every reader command on crafted
// bundles — gigabytes of zeros, windows and manifests too large, JSON that
// decodes into gigabytes — as a child process, and checks that none uses
// more than 200 MB, whatever the outcome, and that each outcome is the
// expected one. The figures are logged (go test -v).
func TestHostileBundlesCostLittle(t *testing.T) {
	if testing.Short() {
		t.Skip("reads several gigabytes of crafted zeros")
	}
	zero := bundletest.Member{Name: "attach/zero.bin", Zeros: 2 << 30}
	zeroSummary := bundletest.Member{Name: "summary.json", Zeros: 2 << 30}
	all := func(want string) map[string]string {
		return map[string]string{"inspect": want, "report": want, "verify": want, "export": want}
	}
	bigManifest := bundletest.Manifest(nil, map[string]any{"command": make([]string, 7_500_000)})                             // 57 MB
	arrayManifest := bundletest.Manifest(nil, map[string]any{"files": make([]struct{}, 5_000_000)})                           // 25 MB
	longCwd := bundletest.Manifest(bundletest.Listing(okEnv, okSummary), map[string]any{"cwd": strings.Repeat("/a", 15<<20)}) // 30 MB
	// The largest manifests a reader accepts: 32 MiB of long paths, and
	// a command as long as Linux runs (47 words of 128 KiB).
	longPaths := manifestOfPaths(32<<20, okEnv, okSummary)
	words := make([]string, 47)
	for i := range words {
		words[i] = strings.Repeat("w", 128<<10)
	}
	longCommand := bundletest.Manifest(bundletest.Listing(okEnv, okSummary), map[string]any{"command": words})
	warnings := make([]string, 15)
	for i := range warnings {
		warnings[i] = "\x1b[2J" + strings.Repeat("w", 1<<20-64)
	}
	longWarnings := bundletest.Member{Name: "summary.json", Data: must(json.Marshal(map[string]any{"warnings": warnings}))}
	valuesSummary := bundletest.Member{Name: "summary.json", Data: append(append([]byte(`{"benchmarks":`), jsonOfSize(16<<20-64)...), '}')}
	mapsEnv := bundletest.Member{Name: "env.json", Data: []byte(`{"rust":{"cargo":{"profiles":{` + strings.Repeat(`"p":{"k":{}},`, 300_000) + `"q":{}}}}}`)}
	// Every cap reached at once: a 32 MiB manifest of long paths, a
	// summary of 15 MiB of warnings and an env.json of 4 MiB of strings.
	bigEnv := bundletest.Member{Name: "env.json", Data: must(json.Marshal(map[string]any{"os": map[string]any{"name": strings.Repeat("n", 1<<20-64)},
		"rust": map[string]any{"rustc": strings.Repeat("r", 1<<20-64), "cargo": strings.Repeat("c", 1<<20-64)}, "git": map[string]any{"branch": strings.Repeat("b", 1<<20-64)}}))}
	allCaps := manifestOfPaths(32<<20, bigEnv, longWarnings)
	tiny := []bundletest.Member{okEnv, okSummary}
	for i := range 99_998 {
		tiny = append(tiny, bundletest.Member{Name: fmt.Sprintf("attach/f%06d", i), Data: fmt.Appendf(nil, "tiny %d\n", i)})
	}
	window := bundletest.ZstdFrame(18<<3, bundletest.TarStream(bundletest.Manifest(bundletest.Listing(okEnv, okSummary), nil), okEnv, okSummary), 0)
	cases := []hostileBundle{
		{"100k-files.tar.zst", tarZst(tiny...), all("")},
		{"100k-files.zip", zipOf(tiny...), all("")},
		{"2GiB-entry.tar.zst", tarZst(zero, okEnv, okSummary), map[string]string{"inspect": "", "report": "", "verify": "", "export": "", "extract": ""}},
		{"2GiB-entry.zip", zipOf(zero, okEnv, okSummary), map[string]string{"inspect": "", "report": "", "verify": "", "export": ""}},
		{"2GiB-summary.tar.zst", tarZst(okEnv, zeroSummary), map[string]string{"inspect": "too large", "report": "too large", "verify": ""}},
		{"2GiB-summary.zip", zipOf(okEnv, zeroSummary), map[string]string{"inspect": "too large", "report": "too large", "verify": ""}},
		{"window-256MiB.tar.zst", func(p string) error { return os.WriteFile(p, window, 0o644) }, all("too large")},
		{"manifest-57MB.tar.zst", rawTarZst(bigManifest), all("too large")},
		{"manifest-57MB.zip", rawZip(bigManifest), all("too large")},
		{"manifest-5M-files.tar.zst", rawTarZst(arrayManifest), all("too large")},
		{"manifest-5M-files.zip", rawZip(arrayManifest), all("too large")},
		{"manifest-30MB-cwd.tar.zst", rawTarZst(longCwd, okEnv, okSummary), all("too large")},
		{"manifest-32MiB-paths.tar.zst", rawTarZst(longPaths, okEnv, okSummary), map[string]string{"inspect": "", "report": "", "verify": "missing", "export": "missing"}},
		{"manifest-32MiB-paths.zip", rawZip(longPaths, okEnv, okSummary), map[string]string{"inspect": "", "report": "", "verify": "missing", "export": "missing"}},
		{"manifest-6MiB-command.tar.zst", rawTarZst(longCommand, okEnv, okSummary), all("")},
		{"summary-15MiB-warnings.tar.zst", tarZst(okEnv, longWarnings), all("")},
		{"every-cap.tar.zst", rawTarZst(allCaps, bigEnv, longWarnings), map[string]string{"inspect": "", "report": "", "verify": "missing"}},
		{"summary-5M-values.tar.zst", tarZst(okEnv, valuesSummary), map[string]string{"inspect": "too large", "report": "too large", "verify": ""}},
		{"env-600k-values.zip", zipOf(mapsEnv, okSummary), map[string]string{"inspect": "", "report": "too large", "verify": ""}},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			if err := c.build(path); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(path)
			fi, _ := os.Stat(path)
			var figures []string
			for _, op := range []string{"inspect", "report", "verify", "export", "extract"} {
				want, ok := c.want[op]
				if !ok {
					continue
				}
				args := []string{op, path}
				switch op {
				case "export":
					args = []string{op, "--github", path, "-o", filepath.Join(dir, "out.zip")}
				case "extract":
					args = append(args, filepath.Join(dir, "out"))
				}
				code, stderr, rss := runMeasured(t, args...)
				os.RemoveAll(filepath.Join(dir, "out"))
				os.Remove(filepath.Join(dir, "out.zip"))
				figures = append(figures, fmt.Sprintf("%s %.0f MB", op, float64(rss)/1e6))
				if rss > maxReaderRSS {
					t.Errorf("perfcap %s: peak RSS %d bytes, promised at most %d", op, rss, maxReaderRSS)
				}
				// verify prints one line per problem, the others one line.
				oneLine := op == "verify" || !strings.Contains(strings.TrimSpace(stderr), "\n")
				switch {
				case want == "" && code != 0:
					t.Errorf("perfcap %s: exit %d, want 0: %.300s", op, code, stderr)
				case want != "" && (code == 0 || !strings.Contains(stderr, want)):
					t.Errorf("perfcap %s: exit %d, %.300q; want an error saying %q", op, code, stderr, want)
				case want != "" && !oneLine:
					t.Errorf("perfcap %s: the error is not one line: %.300q", op, stderr)
				}
			}
			t.Logf("%s (%d bytes): peak RSS %s", c.name, fi.Size(), strings.Join(figures, ", "))
		})
	}
}
