package bundle

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perfcap/perfcap/bundle/bundletest"
)

// writeFile writes data to a new file in a test directory.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReadFileBound: a file listed as larger than MaxReadSize is refused
// from the manifest, before anything after it is decompressed (here:
// nothing can be, the stream ends after the manifest).
func TestReadFileBound(t *testing.T) {
	big := []File{{Path: "summary.json", Size: 20 << 20, SHA256: strings.Repeat("0", 64)}}
	stream := tarStream(manifestEntry(v1(big)))
	path := writeFile(t, "b.tar.zst", compress(stream[:len(stream)-1024]))
	_, err := ReadFile(path, "summary.json")
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadFile of a 20 MiB file = %v, want %v", err, ErrTooLarge)
	}
	t.Log(err)
	if _, err := ReadJSON(path, "summary.json", 1<<30); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadJSON with a larger maxSize than MaxReadSize = %v, want %v", err, ErrTooLarge)
	}

	a := reg("a.json", `{"x": 1}`)
	path = writeFile(t, "a.tar.zst", tarZst(v1(listing(a)), a))
	if _, err := ReadJSON(path, "a.json", 7); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadJSON of 8 bytes with maxSize 7 = %v, want %v", err, ErrTooLarge)
	}
	if data, err := ReadJSON(path, "a.json", 8); err != nil || string(data) != `{"x": 1}` {
		t.Errorf("ReadJSON = %q, %v", data, err)
	}
}

// TestReadJSONValues: what decoding would allocate is bounded by the
// number of values, whatever the size.
func TestReadJSONValues(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		want      error
	}{
		{"at the bound", `{"benchmarks":[` + strings.Repeat("{},", MaxJSONValues-3) + `{}]}`, nil},
		{"past the bound", `{"benchmarks":[` + strings.Repeat("{},", MaxJSONValues-2) + `{}]}`, ErrTooLarge},
		{"nested maps", `{"profiles":{` + strings.Repeat(`"p":{"k":{}},`, MaxJSONValues/2) + `"q":{}}}`, ErrTooLarge},
		{"not JSON", `{"benchmarks": [`, ErrNotBundle},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := reg("summary.json", c.doc)
			path := writeFile(t, "b.tar.zst", tarZst(v1(listing(s)), s))
			_, err := ReadJSON(path, "summary.json", 16<<20)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("ReadJSON = %v, want %v", err, c.want)
			}
			if err != nil && (strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), path+`: entry "summary.json"`)) {
				t.Errorf("message not one line naming the bundle and the entry: %q", err)
			}
		})
	}
}

// TestManifestArrays: a manifest's arrays are bounded by MaxEntries
// before it is decoded.
func TestManifestArrays(t *testing.T) {
	n := DefaultLimits.MaxEntries + 1
	for name, override := range map[string]map[string]any{
		"command": {"command": make([]string, n)},
		"files":   {"files": make([]struct{}, n)},
		"dropped": {"dropped": make([]struct{}, n)},
	} {
		t.Run(name, func(t *testing.T) {
			stream := bundletest.TarStream(bundletest.Manifest(nil, override))
			path := writeFile(t, "b.tar.zst", compress(stream))
			_, err := ReadManifest(path)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "100001 elements in one JSON array, limit 100000") {
				t.Errorf("ReadManifest = %v, want %v for 100001 elements", err, ErrTooLarge)
			}
		})
	}
	stream := bundletest.TarStream(bundletest.Manifest(nil, map[string]any{"command": make([]string, n-1)}))
	if _, err := ReadManifest(writeFile(t, "ok.tar.zst", compress(stream))); err != nil {
		t.Errorf("a command of 100000 words: %v", err)
	}
}

// TestZstdWindow: a frame whose window passes DecoderMaxWindow is refused
// from its header; one at the bound decodes.
func TestZstdWindow(t *testing.T) {
	stream := bundletest.TarStream(bundletest.Manifest(nil, nil))
	// Window_Descriptor: exponent e gives 2^(10+e) bytes.
	at := writeFile(t, "16mib.tar.zst", bundletest.ZstdFrame(14<<3, stream, 0))
	if _, err := Verify(at); err != nil {
		t.Errorf("a 16 MiB window: %v", err)
	}
	past := writeFile(t, "32mib.tar.zst", bundletest.ZstdFrame(15<<3, stream, 0))
	if _, err := Verify(past); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a 32 MiB window: %v, want %v", err, ErrTooLarge)
	}
	if _, err := (Reader{Limits: Limits{DecoderMaxWindow: 64 << 20}}).Verify(past); err != nil {
		t.Errorf("a 32 MiB window with DecoderMaxWindow 64 MiB: %v", err)
	}
}

// TestManifestStrings: no string of a manifest is longer than a Linux
// command-line word, and the command no longer than Linux runs.
func TestManifestStrings(t *testing.T) {
	word := strings.Repeat("w", maxManifestString)
	for _, c := range []struct {
		name     string
		override map[string]any
		want     string
	}{
		{"cwd", map[string]any{"cwd": word + "w"}, "131073 bytes in one JSON string, limit 131072"},
		{"command", map[string]any{"command": slices.Repeat([]string{word}, 49)}, "a command of 6422528 bytes, more than Linux runs"},
		{"path", map[string]any{"files": []bundletest.File{{Path: word + "w", SHA256: strings.Repeat("0", 64)}}}, "131073 bytes in one JSON string"},
	} {
		stream := bundletest.TarStream(bundletest.Manifest(nil, c.override))
		_, err := ReadManifest(writeFile(t, "b.tar.zst", compress(stream)))
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: ReadManifest = %v, want %v saying %q", c.name, err, ErrTooLarge, c.want)
		}
	}
	stream := bundletest.TarStream(bundletest.Manifest(nil, map[string]any{"command": slices.Repeat([]string{word}, 48), "cwd": word}))
	if _, err := ReadManifest(writeFile(t, "ok.tar.zst", compress(stream))); err != nil {
		t.Errorf("a command of 48 words of 128 KiB: %v", err)
	}
}

// TestReadJSONFiles reads the manifest and several JSON files in one pass.
func TestReadJSONFiles(t *testing.T) {
	a, b, c := reg("a.json", `{"a": 1}`), reg("b.bin", "not JSON"), reg("c.json", `[1, 2]`)
	path := writeFile(t, "b.tar.zst", tarZst(v1(listing(a, b, c)), a, b, c))
	m, files, err := ReadJSONFiles(path, map[string]int64{"a.json": 100, "c.json": 0})
	if err != nil || len(m.Files) != 3 || string(files["a.json"]) != `{"a": 1}` || string(files["c.json"]) != `[1, 2]` || len(files) != 2 {
		t.Errorf("ReadJSONFiles = %d files listed, %q, %v", len(m.Files), files, err)
	}
	if _, _, err := ReadJSONFiles(path, map[string]int64{"a.json": 0, "z.json": 0}); !errors.Is(err, ErrMissing) {
		t.Errorf("ReadJSONFiles of an unlisted file: %v, want %v", err, ErrMissing)
	}
	if _, _, err := ReadJSONFiles(path, map[string]int64{"b.bin": 0}); !errors.Is(err, ErrNotBundle) {
		t.Errorf("ReadJSONFiles of a file that is not JSON: %v, want %v", err, ErrNotBundle)
	}
}
