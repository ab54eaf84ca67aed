package bundle

import (
	"archive/zip"
	"cmp"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/perfcap/perfcap/internal/atomicfile"
)

// DefaultZipMaxSize is the size cap [ExportZip] uses when none is given:
// GitHub takes attachments of at most 25 MB and does not say whether it
// means 25·10⁶ or 25·2²⁰ bytes, so the cap is the smaller one.
const DefaultZipMaxSize = 25_000_000

// ErrZipTooLarge means that even without any optional file the zip would
// pass the size cap of [ExportZip].
var ErrZipTooLarge = errors.New("bundle: zip too large even without optional files")

// ZipOptions configure [ExportZip].
type ZipOptions struct {
	// MaxSize caps the size of the zip file in bytes; 0 means
	// DefaultZipMaxSize.
	MaxSize int64
}

// ZipReport describes the zip [ExportZip] wrote.
type ZipReport struct {
	Path string
	// Size and SHA256 are those of the zip file itself.
	Size   int64
	SHA256 string
	// Dropped are the optional files left out to fit MaxSize, in path
	// order; the zip's manifest lists them too.
	Dropped []File
}

// required are the files every exported zip keeps, because the report
// cannot be read without them.
var required = []string{
	ManifestName, "summary.json", "env.json", "report.md",
	"timeline.csv", "timeline.svg", "processes.csv",
}

// Optional reports whether [ExportZip] may leave the file at path out to
// fit the size cap: every file is optional except manifest.json,
// summary.json, env.json, report.md, timeline.csv, timeline.svg and
// processes.csv. Raw data (perf/perf.data, process_samples.csv, logs,
// perf/folded.txt) is optional.
func Optional(path string) bool { return !slices.Contains(required, path) }

// zipLevel is the deflate level of exported zips; the measuring pass and
// the writing pass must use the same one.
const zipLevel = flate.DefaultCompression

// ExportZip writes the bundle at bundlePath (tar.zst or zip, verified as it
// is read) as a zip at zipPath that GitHub accepts as an attachment: the
// same files, manifest.json first and the rest in path order, deflated,
// with every time set to the manifest's Created so that the same bundle
// always gives the same bytes. If the zip would pass opts.MaxSize, the
// optional files (see [Optional]) with the largest compressed size are
// left out one by one until it fits; the zip's manifest lists only what the
// zip holds and names the rest under "dropped". zipPath holds either
// nothing new or the complete zip: it is written to a temporary file
// beside it and renamed into place.
func ExportZip(bundlePath, zipPath string, opts ZipOptions) (rep ZipReport, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("exporting %s to %s: %w", bundlePath, zipPath, err)
		}
	}()
	maxSize := cmp.Or(opts.MaxSize, DefaultZipMaxSize)
	m, err := ReadManifest(bundlePath)
	if err != nil {
		return ZipReport{}, err
	}
	// First pass: the compressed size of every file, exact because the
	// same compressor writes the zip.
	deflated := make(map[string]int64, len(m.Files))
	err = Walk(bundlePath, func(f File, r io.Reader) error {
		var n countingWriter
		zw, err := flate.NewWriter(&n, zipLevel)
		if err != nil {
			return err
		}
		if _, err := io.Copy(zw, r); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		deflated[f.Path] = n.n
		return nil
	})
	if err != nil {
		return ZipReport{}, err
	}
	var optional []File
	for _, f := range m.Files {
		if Optional(f.Path) {
			optional = append(optional, f)
		}
	}
	slices.SortStableFunc(optional, func(a, b File) int {
		return cmp.Or(cmp.Compare(deflated[b.Path], deflated[a.Path]), cmp.Compare(a.Path, b.Path))
	})

	dropped := map[string]bool{}
	for _, f := range optional {
		if zipEstimate(m, deflated, dropped) <= maxSize {
			break
		}
		dropped[f.Path] = true
	}
	// The estimate may be off by a few bytes (the manifest's own size);
	// the written size decides, dropping one more file if need be.
	for {
		rep, err = writeZip(bundlePath, zipPath, m, dropped, maxSize)
		if !errors.Is(err, errOverCap) {
			return rep, err
		}
		i := slices.IndexFunc(optional, func(f File) bool { return !dropped[f.Path] })
		if i < 0 {
			return ZipReport{}, fmt.Errorf("%w: %d bytes with only the required files, cap %d", ErrZipTooLarge, rep.Size, maxSize)
		}
		dropped[optional[i].Path] = true
	}
}

// errOverCap is writeZip's signal that the zip came out too large.
var errOverCap = errors.New("zip over the size cap")

// zipEstimate is an upper bound on the size of the zip without the dropped
// files: the deflated data plus, per member, both headers, the extended
// time field and the data descriptor (zip64 included), plus the manifest
// counted uncompressed, with room for its JSON, and the end records.
func zipEstimate(m Manifest, deflated map[string]int64, dropped map[string]bool) int64 {
	const perMember = 30 + 46 + 2*9 + 24 + 2*20
	manifest := int64(1024)
	size := int64(22 + 56 + 20)
	for _, f := range m.Files {
		if dropped[f.Path] {
			manifest += 200 + int64(len(f.Path))
			continue
		}
		manifest += 200 + int64(len(f.Path))
		size += perMember + 2*int64(len(f.Path)) + deflated[f.Path]
	}
	return size + perMember + manifest
}

// zipManifest is the manifest of the zip: m with the dropped files moved
// from Files to Dropped.
func zipManifest(m Manifest, dropped map[string]bool) ([]byte, []File, error) {
	var kept, gone []File
	for _, f := range m.Files {
		if dropped[f.Path] {
			gone = append(gone, f)
		} else {
			kept = append(kept, f)
		}
	}
	m.Files = kept
	m.Dropped = append(slices.Clip(m.Dropped), gone...)
	slices.SortFunc(m.Dropped, func(a, b File) int { return cmp.Compare(a.Path, b.Path) })
	if m.Files == nil {
		m.Files = []File{}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	return append(data, '\n'), gone, nil
}

// writeZip writes the zip to a temporary file beside zipPath and renames it
// into place, unless it passes maxSize: then it returns errOverCap and a
// report of the size it reached.
func writeZip(bundlePath, zipPath string, m Manifest, dropped map[string]bool, maxSize int64) (rep ZipReport, err error) {
	manifest, gone, err := zipManifest(m, dropped)
	if err != nil {
		return ZipReport{}, err
	}
	tmp, err := atomicfile.Create(zipPath, 0o644)
	if err != nil {
		return ZipReport{}, err
	}
	defer func() {
		if err != nil {
			tmp.Abort()
		}
	}()
	h := sha256.New()
	out := &countingWriter{w: io.MultiWriter(tmp, h)}
	if err := packZip(out, bundlePath, m, manifest, dropped); err != nil {
		return ZipReport{}, err
	}
	rep = ZipReport{Path: zipPath, Size: out.n, SHA256: hex.EncodeToString(h.Sum(nil)), Dropped: gone}
	if out.n > maxSize {
		return rep, errOverCap
	}
	if err := tmp.Commit(true); err != nil {
		return ZipReport{}, err
	}
	return rep, nil
}

// packZip writes the zip stream: the manifest, then every kept
// file in path order, deflated, as the bundle's reader verifies it.
func packZip(out io.Writer, bundlePath string, m Manifest, manifest []byte, dropped map[string]bool) (err error) {
	zw := zip.NewWriter(out)
	defer closeInto(zw, &err)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, zipLevel)
	})
	header := func(name string, method uint16) *zip.FileHeader {
		h := &zip.FileHeader{Name: name, Method: method, Modified: m.Created.UTC()}
		h.SetMode(0o644)
		return h
	}
	w, err := zw.CreateHeader(header(ManifestName, zip.Deflate))
	if err != nil {
		return err
	}
	if _, err := w.Write(manifest); err != nil {
		return err
	}
	// The bundle's members come in path order, the order its writer uses.
	return Walk(bundlePath, func(f File, r io.Reader) error {
		if dropped[f.Path] {
			return nil
		}
		w, err := zw.CreateHeader(header(f.Path, zip.Deflate))
		if err != nil {
			return err
		}
		_, err = io.Copy(w, r)
		return err
	})
}

// countingWriter counts the bytes written through it to w, which may be
// nil to only count.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.w == nil {
		c.n += int64(len(p))
		return len(p), nil
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
