package bundle

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
)

// zipMagic opens a zip local file header; a bundle whose first bytes are
// these is read as zip, whatever its name.
var zipMagic = []byte("PK\x03\x04")

// openArchive opens the bundle at path in the container its first bytes
// announce: zip, or else tar.zst.
func openArchive(path string, lim Limits) (archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening bundle: %w", err)
	}
	head := make([]byte, len(zipMagic))
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("opening bundle: %w", err)
	}
	if bytes.Equal(head[:n], zipMagic) {
		return openZip(path)
	}
	return openTarZstd(path, lim)
}

// zipArchive reads the zip container through its central directory, the
// same index unzip and GitHub's viewers use. Members come in directory
// order; the local headers are used only to find the data.
type zipArchive struct {
	bundle string
	file   *os.File
	in     *fileReaderAt
	zr     *zip.Reader
	i      int
	// rc is the open member, closed when the walk moves on; seq counts
	// members so that a reader kept past its member fails.
	rc  io.ReadCloser
	seq int
	cur *zipMemberReader
}

func openZip(path string) (*zipArchive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening bundle: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening bundle: %w", err)
	}
	a := &zipArchive{bundle: path, file: f, in: &fileReaderAt{f: f}}
	zr, err := zip.NewReader(a.in, fi.Size())
	if errors.Is(err, zip.ErrInsecurePath) && zr != nil {
		// Only with GODEBUG=zipinsecurepath=0; checkName refuses the name.
		err = nil
	}
	if err != nil {
		f.Close()
		return nil, a.fail("", -1, fmt.Errorf("reading the central directory: %w", err))
	}
	a.zr = zr
	return a, nil
}

func (a *zipArchive) close() {
	a.closeMember()
	a.file.Close()
}

func (a *zipArchive) closeMember() {
	if a.rc != nil {
		a.rc.Close()
		a.rc = nil
	}
}

func (a *zipArchive) next() (member, error) {
	// A member read to its declared size but not to its end (the
	// manifest) still has its CRC-32 and length checked before moving on.
	if r := a.cur; r != nil && r.left == 0 && !r.done {
		if _, err := r.Read(nil); err != io.EOF {
			return member{}, err
		}
	}
	a.cur = nil
	a.closeMember()
	if a.i == len(a.zr.File) {
		return member{}, io.EOF
	}
	f := a.zr.File[a.i]
	a.i++
	a.seq++
	off, err := f.DataOffset()
	if err != nil {
		return member{}, a.fail(f.Name, -1, fmt.Errorf("reading the local header: %w", err))
	}
	size := int64(math.MaxInt64)
	if f.UncompressedSize64 < math.MaxInt64 {
		size = int64(f.UncompressedSize64)
	}
	m := member{name: f.Name, size: size, offset: off}
	switch mode := f.Mode(); {
	case mode&fs.ModeSymlink != 0:
		m.kind = "symbolic link"
	case mode.IsDir():
		m.kind = "directory"
	case !mode.IsRegular():
		m.kind = fmt.Sprintf("zip entry of mode %v", mode)
	}
	if f.Flags&0x1 != 0 {
		return member{}, a.fail(f.Name, off, errors.New("encrypted entry"))
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return member{}, a.fail(f.Name, off, fmt.Errorf("unsupported compression method %d", f.Method))
	}
	a.cur = &zipMemberReader{a: a, f: f, seq: a.seq, offset: off, left: size}
	m.r = a.cur
	return m, nil
}

// fail turns an error met while reading the container into an *Error.
func (a *zipArchive) fail(entry string, offset int64, err error) *Error {
	e := &Error{Bundle: a.bundle, Entry: entry, Offset: offset, Kind: ErrCorrupt, Err: err}
	var corrupt flate.CorruptInputError
	switch {
	case a.in.err != nil:
		e.Kind, e.Err = nil, fmt.Errorf("reading: %w", a.in.err)
	case errors.Is(err, zip.ErrChecksum):
		e.Kind = ErrChecksum
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		e.Err = fmt.Errorf("truncated: %w", err)
	case errors.As(err, &corrupt), errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm):
	}
	return e
}

// zipMemberReader reads one member's data, never more than the size its
// header declares (which admit has already bounded): the count is its own,
// not the header's word, and the CRC-32 is checked at the end by
// archive/zip.
type zipMemberReader struct {
	a      *zipArchive
	f      *zip.File
	seq    int
	offset int64
	left   int64
	opened bool
	// done is set once the end of the data has been checked.
	done bool
}

func (r *zipMemberReader) Read(p []byte) (int, error) {
	if r.a.seq != r.seq {
		return 0, &Error{Bundle: r.a.bundle, Entry: r.f.Name, Offset: -1,
			Err: errors.New("a member's reader was used after the walk moved on")}
	}
	if !r.opened {
		rc, err := r.f.Open()
		if err != nil {
			return 0, r.a.fail(r.f.Name, r.offset, err)
		}
		r.a.rc, r.opened = rc, true
	}
	if r.left == 0 {
		// Read on to the end so that archive/zip checks the CRC-32 and
		// that no data follows the declared size.
		var one [1]byte
		n, err := io.ReadFull(r.a.rc, one[:])
		if n > 0 || errors.Is(err, zip.ErrFormat) {
			// archive/zip reports data past the declared size as ErrFormat.
			return 0, r.a.fail(r.f.Name, r.offset, fmt.Errorf("data goes on past the declared size %d", r.f.UncompressedSize64))
		}
		if err == io.EOF {
			r.done = true
			return 0, io.EOF
		}
		return 0, r.a.fail(r.f.Name, r.offset, err)
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.a.rc.Read(p)
	r.left -= int64(n)
	if err == io.EOF {
		if r.left > 0 {
			return n, r.a.fail(r.f.Name, r.offset, io.ErrUnexpectedEOF)
		}
		// The last Read, with left 0, sees EOF again and ends cleanly.
		err = nil
	}
	if err != nil {
		return n, r.a.fail(r.f.Name, r.offset, err)
	}
	return n, nil
}

// fileReaderAt remembers a read error of the bundle file itself, so that
// an I/O error is not mistaken for a corrupt bundle.
type fileReaderAt struct {
	f   *os.File
	err error
}

func (r *fileReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.f.ReadAt(p, off)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
