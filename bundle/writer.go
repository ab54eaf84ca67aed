package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/perfcap/perfcap/internal/atomicfile"
)

// Writer builds one bundle. Files are staged on disk as the run produces
// them, so memory stays bounded however long the run; Close packs them.
// A Writer is not safe for concurrent use.
type Writer struct {
	path  string
	dir   string
	opts  WriterOptions
	added map[string]bool
	// tmp is the archive being written by Close, "" outside it.
	tmp    string
	closed bool
	// redacted holds the staged files already passed through the
	// Redactor (by Redact), which Close does not pass again.
	redacted map[string]bool
	// sum and size hash and count the archive as Close writes it;
	// written holds the result once Close succeeded.
	sum     hash.Hash
	size    int64
	written struct {
		sha256 string
		size   int64
	}
}

// Archive returns the SHA-256 (lower-case hex) and size of the archive
// Close wrote, so nobody has to read it back to name it.
func (w *Writer) Archive() (sha256Hex string, size int64) {
	return w.written.sha256, w.written.size
}

// Redactor is the one redaction step every byte of a bundle passes: Close
// runs each staged file through RedactFile (rewriting it when it changes)
// and every name and manifest string through String, before anything is
// hashed or packed. A Writer cannot be made without one.
type Redactor interface {
	// RedactFile copies the staged file name from src to dst with its
	// secrets hidden.
	RedactFile(name string, dst io.Writer, src io.Reader) error
	// String hides the secrets of a piece of text.
	String(s string) string
}

// WriterOptions change how a Writer writes.
type WriterOptions struct {
	// Redactor is required: see Redactor.
	Redactor Redactor
	// Force lets Close replace a file at the bundle's path. Without it,
	// Close never replaces a file: it takes the first free name of
	// FreeName's series and Path says which.
	Force bool
	// Skip names staged files Close leaves out of the archive (a spool's
	// own files living in the staging directory); nil packs everything.
	Skip func(name string) bool
	// Dir, when set, is an existing staging directory to pack (the staged
	// files of a run whose packing failed); by default a new one is made.
	// A Dir given here is the caller's: Close and Abort leave it in place.
	Dir string
}

// ErrNoRedactor is returned for a Writer asked for without a Redactor.
var ErrNoRedactor = errors.New("bundle: a bundle writer needs a redactor")

// NewWriter starts a bundle that Close will write to path, every file
// passed through red. The files are staged in a new directory beside
// path, so that the final rename stays on one file system.
func NewWriter(path string, red Redactor) (*Writer, error) {
	return NewWriterWith(path, WriterOptions{Redactor: red})
}

// NewWriterWith is NewWriter with options.
func NewWriterWith(path string, opts WriterOptions) (*Writer, error) {
	if opts.Redactor == nil {
		return nil, ErrNoRedactor
	}
	if opts.Dir != "" {
		return &Writer{path: path, dir: opts.Dir, opts: opts, added: make(map[string]bool)}, nil
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	spool, err := os.MkdirTemp(dir, "."+base+".spool-*")
	if err != nil {
		return nil, fmt.Errorf("creating bundle %s: %w", path, err)
	}
	return &Writer{path: path, dir: spool, opts: opts, added: make(map[string]bool)}, nil
}

// Path returns where the bundle is, or will be, written: after Close, the
// free name it took when the asked-for one was taken.
func (w *Writer) Path() string { return w.path }

// FreeName is the i-th name tried for a bundle asked to be written at
// path: path itself, then NAME-2.tar.zst, NAME-3.tar.zst, ...
func FreeName(path string, i int) string {
	if i == 0 {
		return path
	}
	stem := Stem(path)
	return fmt.Sprintf("%s-%d%s", stem, i+1, path[len(stem):])
}

// Dir returns the staging directory. A tool may write files into it
// directly (perf record -o); Close packs every regular file under it.
func (w *Writer) Dir() string { return w.dir }

// Create stages a new file name (a clean, relative, slash-separated path)
// and returns it for the caller to write and close before Close.
func (w *Writer) Create(name string) (*os.File, error) {
	if err := w.claim(name); err != nil {
		return nil, err
	}
	p := filepath.Join(w.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("adding %q to bundle: %w", name, err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("adding %q to bundle: %w", name, err)
	}
	return f, nil
}

// claim checks that name may be added and records it.
func (w *Writer) claim(name string) error {
	var err error
	switch {
	case w.closed:
		err = errors.New("bundle already closed")
	case name == ManifestName:
		err = fmt.Errorf("%w: %s is written by Close", ErrDuplicate, ManifestName)
	case w.added[name]:
		err = fmt.Errorf("%w: already added", ErrDuplicate)
	default:
		if cerr := checkName(name); cerr != nil {
			err = fmt.Errorf("%w: %w", ErrUnsafe, cerr)
		}
	}
	if err != nil {
		return fmt.Errorf("adding %q to bundle: %w", name, err)
	}
	w.added[name] = true
	return nil
}

// AddBytes stages a file holding data.
func (w *Writer) AddBytes(name string, data []byte) (err error) {
	f, err := w.Create(name)
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("adding %q to bundle: %w", name, err)
	}
	return nil
}

// AddJSON stages a file holding v as indented JSON and a newline.
func (w *Writer) AddJSON(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("adding %q to bundle: %w", name, err)
	}
	return w.AddBytes(name, append(data, '\n'))
}

// AddFile stages a copy of the file src.
func (w *Writer) AddFile(name, src string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("adding %q to bundle: %w", name, err)
	}
	defer in.Close()
	f, err := w.Create(name)
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	if _, err := io.Copy(f, in); err != nil {
		return fmt.Errorf("adding %q to bundle: %w", name, err)
	}
	return nil
}

// Close packs the staged files into the bundle. It fills m.Format,
// m.Version and m.Files (and m.Created when zero), writes the archive to a
// temporary file beside the bundle, syncs it and renames it into place, so
// that the bundle path holds either nothing or a complete bundle. On
// success the staging directory is removed. On error the temporary file is
// removed but the staged files are kept: the caller may fix the cause and
// call Close again, or Abort.
func (w *Writer) Close(m Manifest) (err error) {
	if w.closed {
		return fmt.Errorf("closing bundle %s: already closed", w.path)
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("closing bundle %s: %w", w.path, err)
		}
	}()
	if err := w.redactStaged(); err != nil {
		return err
	}
	files, err := w.staged()
	if err != nil {
		return err
	}
	m = w.RedactManifest(m)
	if m.Created.IsZero() {
		m.Created = time.Now().UTC()
	}
	m.Format, m.Version, m.Files = Format, Version, files
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	manifest = append(manifest, '\n')

	tmp, err := atomicfile.Create(w.path, 0o644)
	if err != nil {
		return err
	}
	w.tmp = tmp.Name()
	defer func() {
		if err != nil {
			tmp.Abort()
		}
		w.tmp = ""
	}()
	if err := w.pack(tmp, m, manifest); err != nil {
		return err
	}
	if w.opts.Force {
		err = tmp.Commit(true)
	} else {
		var path string
		path, err = tmp.CommitNew(true, 1000, func(i int) string { return FreeName(w.path, i) })
		if err == nil {
			w.path = path
		}
	}
	if err != nil {
		return err
	}
	w.closed = true
	w.written.sha256, w.written.size = hex.EncodeToString(w.sum.Sum(nil)), w.size
	if w.opts.Dir != "" {
		return nil
	}
	return os.RemoveAll(w.dir)
}

// Staged lists the files Close would pack if called now, sorted by path,
// with their sizes but not their hashes: what a file written before Close
// (report.md) can say the bundle holds.
func (w *Writer) Staged() ([]File, error) { return w.walk(false) }

// NextPath is the path Close would take if called now: the asked-for path
// with Force, else the first free name of FreeName's series. Another
// process may take that name before Close does; Path says which was taken.
func (w *Writer) NextPath() string {
	if w.closed || w.opts.Force {
		return w.path
	}
	for i := range 1000 {
		if _, err := os.Lstat(FreeName(w.path, i)); errors.Is(err, fs.ErrNotExist) {
			return FreeName(w.path, i)
		}
	}
	return w.path
}

// redactStaged passes every staged file, and its name, through the
// Redactor: a file whose content changes is rewritten in place, one whose
// name changes is renamed.
func (w *Writer) redactStaged() error {
	red := w.opts.Redactor
	var names []string
	err := filepath.WalkDir(w.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(w.dir, p)
		if err != nil {
			return err
		}
		if name := filepath.ToSlash(rel); (w.opts.Skip == nil || !w.opts.Skip(name)) && !w.redacted[name] {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if w.redacted == nil {
		w.redacted = make(map[string]bool)
	}
	for _, name := range names {
		if err := w.redactFile(name); err != nil {
			return fmt.Errorf("redacting %s: %w", name, err)
		}
		clean := red.String(name)
		if clean == name {
			w.redacted[name] = true
			continue
		}
		if err := checkName(clean); err != nil {
			clean = strings.NewReplacer("[", "_", "]", "_").Replace(clean)
		}
		to := filepath.Join(w.dir, filepath.FromSlash(clean))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(w.dir, filepath.FromSlash(name)), to); err != nil {
			return fmt.Errorf("redacting the name %s: %w", name, err)
		}
		w.redacted[filepath.ToSlash(clean)] = true
	}
	return nil
}

// Redact passes the files staged so far, and their names, through the
// Redactor now, as Close would; Close does not pass them again. A file
// that describes the others as they will be packed (report.md, with their
// sizes) is written after Redact, and staged with AddRedacted.
func (w *Writer) Redact() error {
	if err := w.redactStaged(); err != nil {
		return fmt.Errorf("redacting bundle %s: %w", w.path, err)
	}
	return nil
}

// RedactBytes returns data as Close would pack it as the staged file
// name.
func (w *Writer) RedactBytes(name string, data []byte) ([]byte, error) {
	var b bytes.Buffer
	if err := w.opts.Redactor.RedactFile(name, &b, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("redacting %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// AddRedacted stages a file holding data passed through the Redactor
// (RedactBytes), which Close then leaves as it is.
func (w *Writer) AddRedacted(name string, data []byte) error {
	clean, err := w.RedactBytes(name, data)
	if err != nil {
		return err
	}
	if err := w.AddBytes(name, clean); err != nil {
		return err
	}
	if w.redacted == nil {
		w.redacted = make(map[string]bool)
	}
	w.redacted[name] = true
	return nil
}

// RedactManifest returns m with its text (the command, the directory)
// passed through the Redactor, as Close writes it into manifest.json.
func (w *Writer) RedactManifest(m Manifest) Manifest {
	red := w.opts.Redactor
	m.Command = slices.Clone(m.Command)
	for i := range m.Command {
		m.Command[i] = red.String(m.Command[i])
	}
	m.Cwd = red.String(m.Cwd)
	return m
}

// redactFile rewrites one staged file through the Redactor when that
// changes it. A first pass only compares, so a file the Redactor leaves
// alone (most of them) costs no disk space: a run staged on a full disk
// can still be packed elsewhere.
func (w *Writer) redactFile(name string) error {
	p := filepath.Join(w.dir, filepath.FromSlash(name))
	in, err := os.Open(p)
	if err != nil {
		return err
	}
	cmp := &changeWatcher{orig: in}
	err = w.opts.Redactor.RedactFile(name, cmp.compare(io.Discard), cmp)
	in.Close()
	if err != nil || !cmp.changed() {
		return err
	}
	in, err = os.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := atomicfile.Create(p, 0o644)
	if err != nil {
		return err
	}
	defer out.Abort()
	bw := bufio.NewWriterSize(out, 256<<10)
	if err := w.opts.Redactor.RedactFile(name, bw, in); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return out.Commit(false)
}

// staged lists and hashes every file under the staging directory, sorted
// by path. Hashing reads each file back once; the archive reads it again.
func (w *Writer) staged() ([]File, error) { return w.walk(true) }

// walk lists the files to pack, hashing them when hash is set.
func (w *Writer) walk(hash bool) ([]File, error) {
	var files []File
	err := filepath.WalkDir(w.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(w.dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if w.opts.Skip != nil && w.opts.Skip(name) {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("staged %q: %w: not a regular file", name, ErrUnsafe)
		}
		if err := checkName(name); err != nil {
			return fmt.Errorf("staged %q: %w: %w", name, ErrUnsafe, err)
		}
		if !hash {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			files = append(files, File{Path: name, Size: fi.Size()})
			return nil
		}
		size, sum, err := hashFile(p)
		if err != nil {
			return err
		}
		files = append(files, File{Path: name, Size: size, SHA256: sum})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if files == nil {
		files = []File{} // "files": [] rather than null
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// pack writes the archive to f and closes f, closing the tar writer, then
// the zstd encoder, then syncing and closing the file, keeping the first
// error.
func (w *Writer) pack(f io.Writer, m Manifest, manifest []byte) (err error) {
	// SpeedDefault (zstd level 3) compresses CSV timelines well at several
	// hundred MB/s; one encoder goroutine keeps perfcap from competing with
	// the command it measured for CPU.
	w.sum, w.size = sha256.New(), 0
	zw, err := zstd.NewWriter(io.MultiWriter(f, w.sum, (*counter)(&w.size)), zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true), zstd.WithWindowSize(2<<20))
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	defer func() {
		if cerr := tw.Close(); err == nil {
			err = cerr
		}
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
	}()
	mtime := m.Created.Truncate(time.Second)
	header := func(name string, size int64) *tar.Header {
		return &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     name,
			Size:     size,
			Mode:     0o644,
			ModTime:  mtime,
			Format:   tar.FormatPAX,
		}
	}
	if err := tw.WriteHeader(header(ManifestName, int64(len(manifest)))); err != nil {
		return err
	}
	if _, err := tw.Write(manifest); err != nil {
		return err
	}
	for _, file := range m.Files {
		if err := w.packFile(tw, header(file.Path, file.Size), file); err != nil {
			return err
		}
	}
	return nil
}

// packFile copies one staged file into the archive and checks that it did
// not change since staged hashed it.
func (w *Writer) packFile(tw *tar.Writer, hdr *tar.Header, file File) error {
	in, err := os.Open(filepath.Join(w.dir, filepath.FromSlash(file.Path)))
	if err != nil {
		return err
	}
	defer in.Close()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(tw, h), in, file.Size); err != nil {
		return fmt.Errorf("packing %q: %w", file.Path, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != file.SHA256 {
		return fmt.Errorf("packing %q: changed while the bundle was written", file.Path)
	}
	return nil
}

// Abort removes the staged files and any partial archive; the bundle path
// is left untouched.
func (w *Writer) Abort() error {
	w.closed = true
	var errs []error
	if w.tmp != "" {
		if err := os.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if w.opts.Dir == "" {
		if err := os.RemoveAll(w.dir); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("aborting bundle %s: %w", w.path, err)
	}
	return nil
}

func hashFile(p string) (size int64, sum string, err error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	size, err = io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return size, hex.EncodeToString(h.Sum(nil)), nil
}

// closeInto closes c and keeps its error in *err unless *err holds one.
func closeInto(c io.Closer, err *error) {
	if cerr := c.Close(); *err == nil {
		*err = cerr
	}
}

// counter counts the bytes written through it.
type counter int64

func (c *counter) Write(p []byte) (int, error) {
	*c += counter(len(p))
	return len(p), nil
}

// changeWatcher tells whether a redactor changed a file: it hashes what
// the redactor reads and what it writes.
type changeWatcher struct {
	orig      io.Reader
	in, out   hash.Hash
	nin, nout int64
}

func (c *changeWatcher) Read(p []byte) (int, error) {
	if c.in == nil {
		c.in = sha256.New()
	}
	n, err := c.orig.Read(p)
	c.in.Write(p[:n])
	c.nin += int64(n)
	return n, err
}

// compare returns w, counting and hashing what goes to it.
func (c *changeWatcher) compare(w io.Writer) io.Writer {
	c.out = sha256.New()
	return io.MultiWriter(w, c.out, (*counter)(&c.nout))
}

func (c *changeWatcher) changed() bool {
	if c.in == nil {
		c.in = sha256.New()
	}
	return c.nin != c.nout || !bytes.Equal(c.in.Sum(nil), c.out.Sum(nil))
}
