package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlameRefusesWhatIsNoProfile: random bytes, prose or a CSV are not
// a profile: one line saying what the input is not, exit 125, and no
// flamegraph, folded stacks or pprof file written.
func TestFlameRefusesWhatIsNoProfile(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for name, data := range map[string][]byte{
		"random-1.bin":  random(1),
		"random-4k.bin": random(4096),
		"random-1m.bin": random(1 << 20),
		"notes.txt":     []byte("Some notes about the run.\nIt was slow: 3 s.\n"),
		"timeline.csv":  []byte("t_seconds,tree_cpu_percent\n0.1,5\n0.2,7\n"),
		"summary.json":  []byte("{\n  \"wall_seconds\": 1\n}\n"),
		"latin1.folded": []byte("caf\xe9;main 3\n"),
		"control.txt":   []byte("main;work 3\n\x1b[2Jmain;idle 1\n"),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, name)
			if err := os.WriteFile(in, data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"flame", in},
				{"flame", in, "-o", filepath.Join(dir, "out.svg"), "--folded", filepath.Join(dir, "out.folded")},
			} {
				code, out, stderr := cli(args...)
				if code != exitError || out != "" {
					t.Errorf("%v: exit %d, stdout %q; want %d and nothing on stdout", args, code, out, exitError)
				}
				msg := strings.TrimSuffix(stderr, "\n")
				if strings.Contains(msg, "\n") || !strings.Contains(msg, "not a profile") || !strings.Contains(msg, "not perf.data") || !strings.Contains(msg, "nor folded stacks") {
					t.Errorf("%v: want one line saying what the input is not, got %q", args, stderr)
				}
			}
			if got := listFiles(t, dir); len(got) != 1 {
				t.Errorf("flame wrote %q next to its input", got)
			}
		})
	}
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
