package bundle

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// archive iterates over the members of a bundle in one container format.
// Two exist, tar.zst and zip (zipread.go); the interface keeps the checks
// of reader.go apart from the format. openArchive picks one by content.
type archive interface {
	// next returns the next member, or io.EOF after the last one once the
	// container has been checked to end cleanly. Other errors are *Error.
	next() (member, error)
	close()
}

// member is one archive entry as the container describes it, unchecked.
type member struct {
	name string
	// kind is "" for a regular file, else what the entry is instead.
	kind string
	size int64
	// offset locates the member for error messages.
	offset int64
	// r yields the member's data, exactly size bytes; its errors are *Error.
	r io.Reader
}

// tarZstd reads the tar.zst container.
type tarZstd struct {
	bundle string
	file   *os.File
	in     *fileReader
	dec    *zstd.Decoder
	stream *countingReader
	tr     *tar.Reader
	// cur is the name of the current member and seq counts members, so a
	// reader kept past its member fails instead of reading the next one.
	cur string
	seq int
}

func openTarZstd(path string, lim Limits) (*tarZstd, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening bundle: %w", err)
	}
	a := &tarZstd{bundle: path, file: f, in: &fileReader{f: f}}
	// One synchronous decoder: no goroutines reading ahead, so ReadManifest
	// decompresses no more than the first entry needs, and a window bound
	// that caps its memory whatever the frame header claims. The window of
	// a single-segment frame is its content size, which MaxMemory bounds,
	// hence both options.
	a.dec, err = zstd.NewReader(a.in,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(lim.DecoderMaxWindow),
		zstd.WithDecoderMaxMemory(lim.DecoderMaxWindow))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening bundle: %w", err)
	}
	a.stream = &countingReader{r: a.dec}
	a.tr = tar.NewReader(a.stream)
	return a, nil
}

func (a *tarZstd) close() {
	a.dec.Close()
	a.file.Close()
}

func (a *tarZstd) next() (member, error) {
	a.cur = ""
	hdr, err := a.tr.Next()
	if errors.Is(err, tar.ErrInsecurePath) {
		// Only with GODEBUG=tarinsecurepath=0; checkName refuses the name.
		err = nil
	}
	if err == io.EOF {
		return member{}, a.end()
	}
	if err != nil {
		return member{}, a.fail(err)
	}
	a.cur = hdr.Name
	a.seq++
	m := member{name: hdr.Name, size: hdr.Size, offset: a.stream.n}
	m.r = &memberReader{a: a, seq: a.seq, name: hdr.Name}
	switch hdr.Typeflag {
	case tar.TypeReg:
		for key := range hdr.PAXRecords {
			if strings.HasPrefix(key, "GNU.sparse.") {
				m.kind = "sparse file"
			}
		}
	case tar.TypeDir:
		m.kind = "directory"
	case tar.TypeSymlink:
		m.kind = fmt.Sprintf("symbolic link to %q", hdr.Linkname)
	case tar.TypeLink:
		m.kind = fmt.Sprintf("hard link to %q", hdr.Linkname)
	case tar.TypeChar:
		m.kind = "character device"
	case tar.TypeBlock:
		m.kind = "block device"
	case tar.TypeFifo:
		m.kind = "FIFO"
	case tar.TypeGNUSparse:
		m.kind = "sparse file"
	default:
		m.kind = fmt.Sprintf("tar entry of type %q", hdr.Typeflag)
	}
	return m, nil
}

// maxPadding bounds the zeros accepted after the tar trailer: tar tools
// pad archives to a whole record, 10240 bytes by default.
const maxPadding = 64 << 10

// end checks that nothing but padding follows the tar trailer and that the
// zstd stream ends there too; reading to its end also checks the frame's
// checksum.
func (a *tarZstd) end() error {
	buf := make([]byte, 4096)
	for padding := 0; ; {
		n, err := a.stream.Read(buf)
		padding += n
		if slices.ContainsFunc(buf[:n], func(b byte) bool { return b != 0 }) || padding > maxPadding {
			return a.fail(errors.New("data after the end of the tar archive"))
		}
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return a.fail(err)
		}
	}
}

// fail turns an error met while reading the container into an *Error that
// says where it happened and what kind of problem it is.
func (a *tarZstd) fail(err error) *Error {
	e := &Error{Bundle: a.bundle, Entry: a.cur, Offset: a.stream.n, Kind: ErrCorrupt, Err: err}
	switch {
	case a.in.err != nil:
		// The disk's fault, not the bundle's.
		e.Kind, e.Err = nil, fmt.Errorf("reading: %w", a.in.err)
	case errors.Is(err, zstd.ErrMagicMismatch) && a.stream.n == 0:
		e.Kind, e.Err = ErrNotBundle, fmt.Errorf("not zstd compressed: %w", err)
	case errors.Is(err, zstd.ErrWindowSizeExceeded), errors.Is(err, zstd.ErrDecoderSizeExceeded):
		e.Kind = ErrTooLarge
	case err == io.ErrUnexpectedEOF:
		e.Err = fmt.Errorf("truncated: %w", err)
	case errors.Is(err, tar.ErrHeader) && a.stream.n <= 512:
		e.Kind, e.Err = ErrNotBundle, fmt.Errorf("not a tar stream: %w", err)
	}
	return e
}

// memberReader reads the current tar entry and reports its errors as *Error.
type memberReader struct {
	a    *tarZstd
	seq  int
	name string
}

func (r *memberReader) Read(p []byte) (int, error) {
	if r.a.seq != r.seq {
		return 0, &Error{Bundle: r.a.bundle, Entry: r.name, Offset: -1,
			Err: errors.New("a member's reader was used after the walk moved on")}
	}
	n, err := r.a.tr.Read(p)
	if err != nil && err != io.EOF {
		return n, r.a.fail(err)
	}
	return n, err
}

// countingReader counts the decompressed bytes handed to the tar reader.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// fileReader remembers a read error of the bundle file itself, so that an
// I/O error is not mistaken for a corrupt bundle.
type fileReader struct {
	f   *os.File
	err error
}

func (r *fileReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
