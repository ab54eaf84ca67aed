package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// Reader reads bundles within its Limits. The zero Reader uses
// [DefaultLimits]; the package-level functions use the zero Reader.
type Reader struct {
	Limits Limits
}

// ReadManifest returns the manifest of the bundle at path, after checking
// it, without decompressing anything past it. It does not verify the files.
func ReadManifest(path string) (Manifest, error) { return Reader{}.ReadManifest(path) }

// Walk calls fn for every file of the bundle at path, in archive order; see
// [Reader.Walk].
func Walk(path string, fn func(f File, r io.Reader) error) error { return Reader{}.Walk(path, fn) }

// ReadFile returns the content of one listed file of the bundle at path;
// see [Reader.ReadFile].
func ReadFile(path, name string) ([]byte, error) { return Reader{}.ReadFile(path, name) }

// ReadManifest returns the manifest of the bundle at path, after checking
// it, without decompressing anything past it. It does not verify the files.
func (r Reader) ReadManifest(path string) (Manifest, error) {
	s, err := r.open(path, false)
	if err != nil {
		return Manifest{}, err
	}
	s.close()
	return s.m, nil
}

// Walk calls fn for every file of the bundle at path, in archive order,
// with a reader of its content, and stops at the first problem. Every
// member is checked before fn sees it (safe path, regular file, listed
// once, size as listed); its SHA-256 is checked after fn returns, reading
// whatever fn left, so fn must treat the data as unverified until Walk
// moves on: a mismatch ends Walk with [ErrChecksum]. Walk then checks that
// no listed file is missing and that the archive ends cleanly. An error fn
// returns ends Walk and is returned as is; errors reading the data that fn
// sees are [*Error].
func (r Reader) Walk(path string, fn func(f File, r io.Reader) error) error {
	_, err := r.walk(path, nil, fn)
	return err
}

// walk is Walk reusing the manifest prev decoded, if any, and returning
// the one it read, decoded.
func (r Reader) walk(path string, prev *decoded, fn func(f File, r io.Reader) error) (*decoded, error) {
	s, err := r.openDecoded(path, false, prev)
	if err != nil {
		return nil, err
	}
	defer s.close()
	return s.decoded, s.each(fn, func(p *Error) error { return p })
}

// ReadJSON returns the listed JSON file name of the bundle at path, as
// ReadFile does, once it is known to be cheap to decode: a file listed as
// larger than maxSize (or Limits.MaxReadSize, if smaller) is refused before
// anything is decompressed, and one that is not valid JSON, holds more
// than [MaxJSONValues] values or a string longer than [MaxJSONString] is
// refused before the caller decodes it.
func ReadJSON(path, name string, maxSize int64) ([]byte, error) {
	return Reader{}.ReadJSON(path, name, maxSize)
}

// ReadJSON is [ReadJSON] within r's Limits.
func (r Reader) ReadJSON(path, name string, maxSize int64) ([]byte, error) {
	_, files, err := r.ReadJSONFiles(path, map[string]int64{name: maxSize})
	return files[name], err
}

// ReadJSONFiles returns the manifest of the bundle at path and the JSON
// files named in maxSizes; see [Reader.ReadJSONFiles].
func ReadJSONFiles(path string, maxSizes map[string]int64) (Manifest, map[string][]byte, error) {
	return Reader{}.ReadJSONFiles(path, maxSizes)
}

// ReadJSONFiles returns the manifest of the bundle at path and the JSON
// files named in maxSizes, each checked as [Reader.ReadJSON] checks it
// against its size bound, in one pass over the archive that ends with the
// last of them.
func (r Reader) ReadJSONFiles(path string, maxSizes map[string]int64) (Manifest, map[string][]byte, error) {
	s, files, err := r.read(path, maxSizes)
	if err != nil {
		return Manifest{}, nil, err
	}
	for name, data := range files {
		if err := checkJSON(data, jsonBounds{values: MaxJSONValues, str: MaxJSONString}); err != nil {
			return Manifest{}, nil, jsonError(path, name, err)
		}
	}
	return s.m, files, nil
}

// ReadFile returns the content of the listed file name of the bundle at
// path, verified against the manifest. It reads the archive only up to that
// file. name may be ManifestName, for the manifest as stored. A file listed
// as larger than Limits.MaxReadSize is refused with [ErrTooLarge] before
// anything is decompressed; [Reader.Walk] streams files of any size.
func (r Reader) ReadFile(path, name string) ([]byte, error) {
	if name == ManifestName {
		s, err := r.open(path, true)
		if err != nil {
			return nil, err
		}
		s.close()
		return s.raw, nil
	}
	_, files, err := r.read(path, map[string]int64{name: 0})
	return files[name], err
}

// read returns the listed files named in maxSizes (name → the largest
// size accepted, 0 for Limits.MaxReadSize), verified, reading the archive
// up to the last of them. A file listed as larger than its bound is
// refused from the manifest, before anything is decompressed.
func (r Reader) read(path string, maxSizes map[string]int64) (*scan, map[string][]byte, error) {
	s, err := r.open(path, false)
	if err != nil {
		return nil, nil, err
	}
	defer s.close()
	for name, max := range maxSizes {
		f, ok := s.m.File(name)
		if !ok {
			return nil, nil, &Error{Bundle: path, Entry: name, Offset: -1, Kind: ErrMissing,
				Err: fmt.Errorf("not listed in %s", ManifestName)}
		}
		if max <= 0 || max > s.lim.MaxReadSize {
			max = s.lim.MaxReadSize
		}
		if f.Size > max {
			return nil, nil, &Error{Bundle: path, Entry: name, Offset: -1, Kind: ErrTooLarge,
				Err: fmt.Errorf("%d bytes, more than the %d read into memory", f.Size, max)}
		}
	}
	files := make(map[string][]byte, len(maxSizes))
	err = s.each(func(f File, r io.Reader) error {
		if _, ok := maxSizes[f.Path]; !ok {
			return nil
		}
		// admit has checked the member's size against the listing, and
		// the member's reader stops at that size.
		data := make([]byte, f.Size)
		if _, err := io.ReadFull(r, data); err != nil {
			return err
		}
		files[f.Path] = data
		if len(files) == len(maxSizes) {
			return errStop
		}
		return nil
	}, func(p *Error) error {
		if _, wanted := maxSizes[p.Entry]; errors.Is(p, ErrMissing) && !wanted {
			return nil
		}
		return p
	})
	if err != nil {
		return nil, nil, err
	}
	return s, files, nil
}

// errStop, returned by an each callback, ends the walk without an error
// once the current member is verified.
var errStop = errors.New("stop")

// scan is one pass over one bundle, its manifest already read.
type scan struct {
	path string
	lim  Limits
	ar   archive
	m    Manifest
	// raw is manifest.json as stored.
	raw []byte
	// index maps a listed path to its place in m.Files; seen marks those
	// met in the archive.
	index   map[string]int
	seen    []bool
	entries int
	total   int64
	// decoded is the manifest decoded, given by the caller to reuse or
	// set by readManifest.
	decoded *decoded
}

// open opens the bundle at path and reads and checks its first member,
// the manifest. keepRaw keeps the manifest as stored in scan.raw; else it
// is let go once decoded, as it may be 32 MiB.
func (r Reader) open(path string, keepRaw bool) (*scan, error) {
	return r.openDecoded(path, keepRaw, nil)
}

// openDecoded is open reusing the manifest of an earlier pass, if the
// bundle still holds the same one.
func (r Reader) openDecoded(path string, keepRaw bool, prev *decoded) (*scan, error) {
	lim := r.Limits.orDefault()
	ar, err := openArchive(path, lim)
	if err != nil {
		return nil, err
	}
	s := &scan{path: path, lim: lim, ar: ar, decoded: prev}
	if err := s.readManifest(); err != nil {
		ar.close()
		return nil, err
	}
	if !keepRaw {
		s.raw = nil
	}
	return s, nil
}

func (s *scan) close() { s.ar.close() }

func (s *scan) readManifest() error {
	e, err := s.ar.next()
	if err == io.EOF {
		return &Error{Bundle: s.path, Offset: -1, Kind: ErrNotBundle, Err: errors.New("empty archive, no " + ManifestName)}
	}
	if err != nil {
		return err
	}
	fail := func(kind error, format string, args ...any) error {
		return &Error{Bundle: s.path, Entry: e.name, Offset: e.offset, Kind: kind, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case e.name != ManifestName:
		return fail(ErrNotBundle, "first entry is not %s", ManifestName)
	case e.kind != "":
		return fail(ErrNotBundle, "%s, not a regular file", e.kind)
	case e.size > s.lim.MaxManifestSize:
		return fail(ErrTooLarge, "size %d, limit %d", e.size, s.lim.MaxManifestSize)
	}
	s.raw = make([]byte, e.size)
	if _, err := io.ReadFull(e.r, s.raw); err != nil {
		return err
	}
	sum := sha256.Sum256(s.raw)
	if d := s.decoded; d != nil && d.sum == sum && d.lim == s.lim {
		s.m, s.index = d.m, d.index
	} else {
		m, perr := decodeManifest(s.raw, s.lim)
		if perr != nil {
			perr.Bundle = s.path
			return perr
		}
		s.m = m
		s.index = make(map[string]int, len(m.Files))
		for i, f := range m.Files {
			s.index[f.Path] = i
		}
		s.decoded = &decoded{sum: sum, lim: s.lim, m: s.m, index: s.index}
	}
	s.seen = make([]bool, len(s.m.Files))
	return nil
}

// decoded is a manifest as one pass decoded and indexed it, for a later
// pass over the same bundle to reuse when the manifest it reads is byte
// for byte the same: a manifest of 100,000 files costs 20 MB and half a
// second to decode.
type decoded struct {
	sum   [sha256.Size]byte
	lim   Limits
	m     Manifest
	index map[string]int
}

// each reads the members after the manifest. Each listed, safe one goes to
// fn (which may be nil) and is then hashed; every problem with a member
// goes to problem, which ends the pass by returning an error or lets it go
// on past the member by returning nil. A damaged archive or a limit
// passed always ends the pass.
func (s *scan) each(fn func(File, io.Reader) error, problem func(*Error) error) error {
	for {
		e, err := s.ar.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if p := s.admit(e); p != nil {
			if errors.Is(p, ErrTooLarge) {
				return p
			}
			if err := problem(p); err != nil {
				return err
			}
			continue
		}
		stop, err := s.read(e, fn, problem)
		if stop || err != nil {
			return err
		}
	}
	for i, f := range s.m.Files {
		if !s.seen[i] {
			p := &Error{Bundle: s.path, Entry: f.Path, Offset: -1, Kind: ErrMissing,
				Err: fmt.Errorf("listed in %s but not in the archive", ManifestName)}
			if err := problem(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// admit returns why member e may not be read as a listed file, or nil.
func (s *scan) admit(e member) *Error {
	fail := func(kind error, format string, args ...any) *Error {
		return &Error{Bundle: s.path, Entry: e.name, Offset: e.offset, Kind: kind, Err: fmt.Errorf(format, args...)}
	}
	s.entries++
	if s.entries > s.lim.MaxEntries {
		return fail(ErrTooLarge, "more than %d entries", s.lim.MaxEntries)
	}
	if e.size > s.lim.MaxEntrySize {
		return fail(ErrTooLarge, "size %d, limit %d", e.size, s.lim.MaxEntrySize)
	}
	s.total += e.size
	if s.total > s.lim.MaxTotalSize {
		return fail(ErrTooLarge, "total size passes the limit of %d", s.lim.MaxTotalSize)
	}
	if e.kind != "" {
		return fail(ErrUnsafe, "%s, not a regular file", e.kind)
	}
	if err := checkName(e.name); err != nil {
		return fail(ErrUnsafe, "%w", err)
	}
	if e.name == ManifestName {
		return fail(ErrDuplicate, "a second %s", ManifestName)
	}
	i, ok := s.index[e.name]
	if !ok {
		return fail(ErrUnlisted, "not listed in %s", ManifestName)
	}
	if s.seen[i] {
		return fail(ErrDuplicate, "occurs twice in the archive")
	}
	s.seen[i] = true
	if f := s.m.Files[i]; e.size != f.Size {
		return fail(ErrSize, "%d bytes, %s says %d", e.size, ManifestName, f.Size)
	}
	return nil
}

// read hands a listed member to fn, then reads the rest of it and checks
// its SHA-256. stop reports that fn asked to end the pass.
func (s *scan) read(e member, fn func(File, io.Reader) error, problem func(*Error) error) (stop bool, err error) {
	f := s.m.Files[s.index[e.name]]
	h := sha256.New()
	r := io.TeeReader(e.r, h)
	if fn != nil {
		if err := fn(f, r); err == errStop {
			stop = true
		} else if err != nil {
			return false, err
		}
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return false, err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
		p := &Error{Bundle: s.path, Entry: e.name, Offset: e.offset, Kind: ErrChecksum,
			Err: fmt.Errorf("sha256 %s, %s says %s", sum, ManifestName, f.SHA256)}
		return false, problem(p)
	}
	return stop, nil
}
