// Package golden compares what a test produced with a file kept under
// testdata, and rewrites the file instead when the test runs with -update:
//
//	go test ./bundle/report -run Golden -update
//
// It is imported by tests only.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata with what the tests produce")

// Updating reports whether the test binary runs with -update, for a test
// that builds its golden file some other way.
func Updating() bool { return *update }

// Check compares got with the file at path, or writes got there under
// -update. A mismatch lists the differing lines with their numbers.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (- want, + got; go test -update rewrites it if the change is intended):\n%s", path, Diff(string(want), string(got)))
	}
}

// Diff lists the lines that differ between want and got, each with its
// number, up to 40 of them; "" when the texts are equal.
func Diff(want, got string) string {
	if want == got {
		return ""
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	if len(w) != len(g) {
		fmt.Fprintf(&b, "%d lines, want %d\n", len(g), len(w))
	}
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 40; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "%4d -%.300s\n     +%.300s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
