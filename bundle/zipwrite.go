package bundle

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
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
	// Estimate is the size planned before writing; Writes is how many
	// times the zip was written (more than once when the estimate was
	// short and more files had to be dropped).
	Estimate int64
	Writes   int
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
// left out until it fits; the zip's manifest lists only what the zip
// holds and names the rest under "dropped". zipPath holds either nothing
// new or the complete zip: it is written to a temporary file beside it and
// renamed into place.
//
// The size is planned before writing: a first pass deflates every file to
// learn its exact compressed size, and the zip's layout adds a known number
// of bytes per member, so only the manifest's compressed size is
// estimated. The time is linear in the bundle's size and number of files.
func ExportZip(bundlePath, zipPath string, opts ZipOptions) (rep ZipReport, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("exporting %s to %s: %w", bundlePath, zipPath, err)
		}
	}()
	maxSize := cmp.Or(opts.MaxSize, DefaultZipMaxSize)
	// First pass: the compressed size of every file, exact because the
	// same compressor writes the zip.
	dfl := newDeflater()
	deflated := map[string]int64{}
	d, err := Reader{}.walk(bundlePath, nil, func(f File, r io.Reader) error {
		n, err := dfl.size(r)
		deflated[f.Path] = n
		return err
	})
	if err != nil {
		return ZipReport{}, err
	}
	p, err := planZip(d.m, deflated, dfl, maxSize)
	if err != nil {
		return ZipReport{}, err
	}
	for {
		rep, err = writeZip(bundlePath, zipPath, d, p.dropped, dfl, maxSize)
		rep.Estimate, rep.Writes = p.estimate, p.writes+1
		if !errors.Is(err, errOverCap) {
			return rep, err
		}
		// The manifest compressed worse than estimated: leave out enough
		// more to make up the difference, and write again.
		if !p.dropMore(rep.Size - maxSize) {
			return ZipReport{}, fmt.Errorf("%w: %d bytes with only the required files, cap %d", ErrZipTooLarge, rep.Size, maxSize)
		}
	}
}

// errOverCap is writeZip's signal that the zip came out too large.
var errOverCap = errors.New("zip over the size cap")

// The bytes archive/zip's Writer adds per member, besides the name and
// the deflated data, for a header with Modified set and deflate: the local
// header, its extended-timestamp extra field, the data descriptor and the
// central directory record with the same extra field. zip64 adds 8 bytes
// to the descriptor and a 28-byte extra field to the record; the end
// records are 22 bytes, 98 with zip64.
const (
	zipPerMember   = 30 + 9 + 16 + 46 + 9
	zip64PerMember = 8 + 28
	zipEnd         = 22
	zip64End       = 56 + 20
)

// zipPlan is which optional files an export leaves out.
type zipPlan struct {
	// optional are the files that may be dropped, largest deflated first,
	// and cost what each adds to the zip; the first ndropped are dropped.
	optional []File
	cost     []int64
	ndropped int
	dropped  map[string]bool
	// estimate is the size the zip was planned to have.
	estimate int64
	// writes counts the writes that came out over the cap.
	writes int
}

// planZip chooses the fewest largest optional files to leave out for the
// zip to fit maxSize. Every member's cost is exact; the manifest's is that
// of the manifest with nothing dropped, deflated, plus a margin for the
// "dropped" list it may gain (its entries move from one list to the other,
// so its size barely changes).
func planZip(m Manifest, deflated map[string]int64, dfl *deflater, maxSize int64) (*zipPlan, error) {
	p := &zipPlan{dropped: map[string]bool{}}
	zm, _ := zipManifest(m, nil)
	mz, err := dfl.sizeOf(func(w io.Writer) error { return writeManifest(w, zm) })
	if err != nil {
		return nil, err
	}
	total := zipPerMember + 2*int64(len(ManifestName)) + mz + mz/64 + 1024
	var data int64
	cost := func(f File) int64 { return zipPerMember + 2*int64(len(f.Path)) + deflated[f.Path] }
	for _, f := range m.Files {
		total += cost(f)
		data += f.Size
		if Optional(f.Path) {
			p.optional = append(p.optional, f)
		}
	}
	if total+zipEnd >= math.MaxUint32 || data >= math.MaxUint32 || len(m.Files)+1 >= math.MaxUint16 {
		total += zip64End
	}
	if total >= math.MaxUint32 || data >= math.MaxUint32 {
		total += int64(len(m.Files)+1) * zip64PerMember
	}
	total += zipEnd
	slices.SortStableFunc(p.optional, func(a, b File) int {
		return cmp.Or(cmp.Compare(deflated[b.Path], deflated[a.Path]), cmp.Compare(a.Path, b.Path))
	})
	// Costs in a slice beside the files, so that the map of deflated
	// sizes can go before the zip is written.
	p.cost = make([]int64, len(p.optional))
	for i, f := range p.optional {
		p.cost[i] = cost(f)
	}
	for i := range p.optional {
		if total <= maxSize {
			break
		}
		total -= p.cost[i]
		p.drop()
	}
	p.estimate = total
	return p, nil
}

// drop leaves out the next optional file.
func (p *zipPlan) drop() {
	p.dropped[p.optional[p.ndropped].Path] = true
	p.ndropped++
}

// dropMore leaves out the next optional files until they free at least
// over bytes, and reports whether there were any left to drop.
func (p *zipPlan) dropMore(over int64) bool {
	p.writes++
	if p.ndropped == len(p.optional) {
		return false
	}
	for freed := int64(0); freed < over && p.ndropped < len(p.optional); {
		freed += p.cost[p.ndropped]
		p.drop()
	}
	return true
}

// zipManifest is the manifest of the zip: m with the dropped files moved
// from Files to Dropped, and the files moved.
func zipManifest(m Manifest, dropped map[string]bool) (Manifest, []File) {
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
	return m, gone
}

// writeManifest writes m as json.MarshalIndent(m, "", "  ") and a
// newline would, byte for byte, but one file at a time: the manifest of
// 100,000 files is 14 MB of JSON, which MarshalIndent builds in memory
// four times over while it grows its buffers.
func writeManifest(w io.Writer, m Manifest) error {
	files, dropped := m.Files, m.Dropped
	m.Files, m.Dropped = []File{}, nil
	head, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	// The lists are the last fields: head ends with "files": [] and }.
	const tail = "[]\n}"
	if !bytes.HasSuffix(head, []byte(tail)) {
		return errors.New("manifest.json: files are not its last field")
	}
	bw := bufio.NewWriter(w)
	bw.Write(head[:len(head)-len(tail)])
	list := func(files []File) error {
		if len(files) == 0 {
			bw.WriteString("[]")
			return nil
		}
		bw.WriteString("[")
		for i, f := range files {
			b, err := json.MarshalIndent(f, "    ", "  ")
			if err != nil {
				return err
			}
			if i > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n    ")
			bw.Write(b)
		}
		bw.WriteString("\n  ]")
		return nil
	}
	if err := list(files); err != nil {
		return err
	}
	if len(dropped) > 0 {
		bw.WriteString(",\n  \"dropped\": ")
		if err := list(dropped); err != nil {
			return err
		}
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// writeZip writes the zip to a temporary file beside zipPath and renames it
// into place, unless it passes maxSize: then it returns errOverCap and a
// report of the size it reached.
func writeZip(bundlePath, zipPath string, d *decoded, dropped map[string]bool, dfl *deflater, maxSize int64) (rep ZipReport, err error) {
	manifest, gone := zipManifest(d.m, dropped)
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
	if err := packZip(out, bundlePath, d, manifest, dropped, dfl); err != nil {
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
// file in path order, deflated, as the bundle's reader verifies it. The
// bundle's manifest d was decoded by the first pass.
func packZip(out io.Writer, bundlePath string, d *decoded, manifest Manifest, dropped map[string]bool, dfl *deflater) (err error) {
	zw := zip.NewWriter(out)
	defer closeInto(zw, &err)
	// Members are written one after the other, so one compressor serves.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		dfl.fw.Reset(w)
		return dfl.fw, nil
	})
	header := func(name string, method uint16) *zip.FileHeader {
		h := &zip.FileHeader{Name: name, Method: method, Modified: d.m.Created.UTC()}
		h.SetMode(0o644)
		return h
	}
	w, err := zw.CreateHeader(header(ManifestName, zip.Deflate))
	if err != nil {
		return err
	}
	if err := writeManifest(w, manifest); err != nil {
		return err
	}
	// The bundle's members come in path order, the order its writer uses.
	_, err = Reader{}.walk(bundlePath, d, func(f File, r io.Reader) error {
		if dropped[f.Path] {
			return nil
		}
		w, err := zw.CreateHeader(header(f.Path, zip.Deflate))
		if err != nil {
			return err
		}
		_, err = io.CopyBuffer(w, r, dfl.buf)
		return err
	})
	return err
}

// deflater is the one deflate compressor of an export, reset for every
// file: a new compressor per file costs 0.4 ms (mostly allocating and
// clearing its hash tables), which 100,000 files turned into a minute per
// pass; a reset costs about 17 µs.
type deflater struct {
	fw *flate.Writer
	// buf is the copy buffer: io.Copy would allocate 32 KiB per file.
	buf []byte
}

func newDeflater() *deflater {
	fw, err := flate.NewWriter(io.Discard, zipLevel)
	if err != nil {
		panic(err) // zipLevel is a valid level
	}
	return &deflater{fw: fw, buf: make([]byte, 32<<10)}
}

// size returns the deflated size of what r holds.
func (d *deflater) size(r io.Reader) (int64, error) {
	return d.sizeOf(func(w io.Writer) error {
		_, err := io.CopyBuffer(w, r, d.buf)
		return err
	})
}

// sizeOf returns the deflated size of what write writes.
func (d *deflater) sizeOf(write func(io.Writer) error) (int64, error) {
	var n countingWriter
	d.fw.Reset(&n)
	if err := write(d.fw); err != nil {
		return 0, err
	}
	if err := d.fw.Close(); err != nil {
		return 0, err
	}
	return n.n, nil
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
