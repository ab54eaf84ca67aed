package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new content"), 0o644, true); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(b) != "new content" || fi.Mode().Perm() != 0o644 {
		t.Errorf("got %q mode %v", b, fi.Mode())
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
}

func TestFailedWriteKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, 0o644, false, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("destination now %q", b)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
}

func TestAbortAndCommitOnce(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "x"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(false); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	if names := entries(t, dir); len(names) != 0 {
		t.Errorf("left behind: %v", names)
	}
	g, _ := Create(filepath.Join(dir, "y"), 0o644)
	if err := g.Commit(false); err != nil {
		t.Fatal(err)
	}
	if err := g.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if names := entries(t, dir); len(names) != 1 || names[0] != "y" {
		t.Errorf("entries %v, want [y]", names)
	}
}

func TestCreateInMissingDir(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such"), 0o644); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
}

func TestCommitNewNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	name := func(i int) string {
		if i == 0 {
			return filepath.Join(dir, "b.tar.zst")
		}
		return filepath.Join(dir, fmt.Sprintf("b-%d.tar.zst", i+1))
	}
	var got []string
	for i := range 3 {
		f, err := Create(name(0), 0o644)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "bundle %d", i)
		p, err := f.CommitNew(true, 10, name)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, filepath.Base(p))
	}
	if want := []string{"b.tar.zst", "b-2.tar.zst", "b-3.tar.zst"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("paths %v, want %v", got, want)
	}
	for i, n := range got {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		if string(b) != fmt.Sprintf("bundle %d", i) {
			t.Errorf("%s holds %q", n, b)
		}
	}
	if names := entries(t, dir); len(names) != 3 {
		t.Errorf("left behind: %v", names)
	}
	f, _ := Create(name(0), 0o644)
	if _, err := f.CommitNew(false, 3, name); err == nil {
		t.Error("CommitNew with every name taken succeeded")
	}
	if names := entries(t, dir); len(names) != 3 {
		t.Errorf("left behind after a failed CommitNew: %v", names)
	}
}

// Writing to a device writes through it; it is never replaced.
func TestWriteToADevice(t *testing.T) {
	if err := WriteFile(os.DevNull, []byte("gone"), 0o644, false); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(os.DevNull)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device: %v %v", os.DevNull, fi.Mode(), err)
	}
}
