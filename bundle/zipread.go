package bundle

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
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
		return openZip(path, lim)
	}
	return openTarZstd(path, lim)
}

// Signatures and fixed lengths of the zip records (APPNOTE.TXT 4.3).
const (
	zipLocalSig    = 0x04034b50
	zipLocalLen    = 30
	zipCentralSig  = 0x02014b50
	zipCentralLen  = 46
	zipEndSig      = 0x06054b50
	zipEndLen      = 22
	zip64LocSig    = 0x07064b50
	zip64LocLen    = 20
	zip64EndSig    = 0x06064b50
	zip64EndLen    = 56
	zip64ExtraID   = 0x0001
	zipMaxComment  = 1<<16 - 1
	zipStore       = 0
	zipDeflate     = 8
	zipEncrypted   = 0x1
	zipCreatorUnix = 3
	zipCreatorMac  = 19
)

// zipArchive reads the zip container through its central directory, the
// same index unzip and GitHub's viewers use, one record at a time: memory
// does not grow with the number of members, whatever the end record
// claims. Members come in directory order; a member's local header is
// read only to find its data, and must name the same file.
type zipArchive struct {
	bundle string
	file   *os.File
	in     *fileReaderAt
	// records is the number of members the end record announces; the
	// directory is read from dir, which ends at dirEnd.
	records, read uint64
	dir           *bufio.Reader
	dirOffset     int64
	dirPos        int64
	dirEnd        int64
	// seq counts members so that a reader kept past its member fails;
	// cur is the current member's reader.
	seq int
	cur *zipMemberReader
	// fl is the one inflater, reset for every member.
	fl io.ReadCloser
}

// zipRecord is what a central directory record says about a member.
type zipRecord struct {
	name         string
	creator      uint8
	flags        uint16
	method       uint16
	crc          uint32
	csize, usize uint64
	external     uint32
	local        uint64
}

func openZip(path string, lim Limits) (*zipArchive, error) {
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
	if err := a.readEnd(fi.Size(), lim); err != nil {
		f.Close()
		return nil, err
	}
	return a, nil
}

// readEnd finds the end of central directory record (and the zip64 one
// when the first says so) and checks what they say against the file.
func (a *zipArchive) readEnd(size int64, lim Limits) error {
	tail := make([]byte, min(size, zipEndLen+zipMaxComment))
	if _, err := a.in.ReadAt(tail, size-int64(len(tail))); err != nil {
		return a.fail("", -1, fmt.Errorf("reading the end of central directory: %w", err))
	}
	// The last signature whose comment fits in the file, as unzip does.
	at := -1
	for i := len(tail) - zipEndLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(tail[i:]) == zipEndSig &&
			i+zipEndLen+int(binary.LittleEndian.Uint16(tail[i+20:])) <= len(tail) {
			at = i
			break
		}
	}
	if at < 0 {
		return a.fail("", -1, fmt.Errorf("truncated: no end of central directory record: %w", io.ErrUnexpectedEOF))
	}
	end := tail[at:]
	endStart := size - int64(len(tail)) + int64(at)
	le := binary.LittleEndian
	disk, dirDisk := le.Uint16(end[4:]), le.Uint16(end[6:])
	records, dirSize, dirOffset := uint64(le.Uint16(end[10:])), uint64(le.Uint32(end[12:])), uint64(le.Uint32(end[16:]))
	if records == 0xffff || dirSize == 0xffffffff || dirOffset == 0xffffffff {
		if start, ok, err := a.readEnd64(endStart, &records, &dirSize, &dirOffset); err != nil {
			return err
		} else if ok {
			endStart, disk, dirDisk = start, 0, 0
		}
	}
	switch {
	case disk != 0 || dirDisk != 0:
		return a.fail("", -1, errors.New("a zip split over several disks"))
	case dirOffset > uint64(endStart) || dirSize > uint64(endStart)-dirOffset:
		return a.fail("", -1, fmt.Errorf("central directory at %d, %d bytes, does not end before its end record at %d", dirOffset, dirSize, endStart))
	case records > uint64(lim.MaxEntries)+1:
		return &Error{Bundle: a.bundle, Offset: -1, Kind: ErrTooLarge,
			Err: fmt.Errorf("%d entries in the central directory, limit %d", records, lim.MaxEntries+1)}
	}
	a.records = records
	a.dirOffset, a.dirPos, a.dirEnd = int64(dirOffset), int64(dirOffset), int64(dirOffset+dirSize)
	a.dir = bufio.NewReaderSize(io.NewSectionReader(a.in, int64(dirOffset), int64(dirSize)), 64<<10)
	return nil
}

// readEnd64 reads the zip64 end record that the locator before endStart
// points to, if there is one, into the counts; start is where it begins.
func (a *zipArchive) readEnd64(endStart int64, records, dirSize, dirOffset *uint64) (start int64, ok bool, err error) {
	if endStart < zip64LocLen {
		return 0, false, nil
	}
	loc := make([]byte, zip64LocLen)
	if _, err := a.in.ReadAt(loc, endStart-zip64LocLen); err != nil {
		return 0, false, a.fail("", -1, fmt.Errorf("reading the zip64 locator: %w", err))
	}
	le := binary.LittleEndian
	if le.Uint32(loc) != zip64LocSig {
		return 0, false, nil
	}
	at := le.Uint64(loc[8:])
	if le.Uint32(loc[4:]) != 0 || le.Uint32(loc[16:]) > 1 {
		return 0, false, a.fail("", -1, errors.New("a zip split over several disks"))
	}
	if at > uint64(endStart-zip64LocLen-zip64EndLen) {
		return 0, false, a.fail("", -1, fmt.Errorf("zip64 end record at %d, past its locator", at))
	}
	end := make([]byte, zip64EndLen)
	if _, err := a.in.ReadAt(end, int64(at)); err != nil {
		return 0, false, a.fail("", -1, fmt.Errorf("reading the zip64 end record: %w", err))
	}
	if le.Uint32(end) != zip64EndSig {
		return 0, false, a.fail("", -1, fmt.Errorf("no zip64 end record at %d", at))
	}
	if le.Uint32(end[16:]) != 0 || le.Uint32(end[20:]) != 0 {
		return 0, false, a.fail("", -1, errors.New("a zip split over several disks"))
	}
	*records, *dirSize, *dirOffset = le.Uint64(end[32:]), le.Uint64(end[40:]), le.Uint64(end[48:])
	return int64(at), true, nil
}

func (a *zipArchive) close() { a.file.Close() }

func (a *zipArchive) next() (member, error) {
	// A member read to its declared size but not to its end (the
	// manifest) still has its CRC-32 and length checked before moving on.
	if r := a.cur; r != nil && r.left == 0 && !r.done {
		if _, err := r.Read(nil); err != io.EOF {
			return member{}, err
		}
	}
	a.cur = nil
	if a.read == a.records {
		if a.dirPos != a.dirEnd {
			return member{}, a.fail("", -1, fmt.Errorf("%d bytes after the last of the %d central directory records", a.dirEnd-a.dirPos, a.records))
		}
		return member{}, io.EOF
	}
	rec, err := a.record()
	if err != nil {
		return member{}, err
	}
	a.read++
	a.seq++
	off, err := a.dataOffset(rec)
	if err != nil {
		return member{}, err
	}
	size := int64(min(rec.usize, 1<<63-1))
	m := member{name: rec.name, size: size, offset: off, kind: rec.kind()}
	switch {
	case rec.flags&zipEncrypted != 0:
		return member{}, a.fail(rec.name, off, errors.New("encrypted entry"))
	case rec.method != zipStore && rec.method != zipDeflate:
		return member{}, a.fail(rec.name, off, fmt.Errorf("unsupported compression method %d", rec.method))
	case rec.method == zipStore && rec.csize != rec.usize:
		return member{}, a.fail(rec.name, off, fmt.Errorf("stored entry of %d bytes holds %d", rec.usize, rec.csize))
	}
	a.cur = &zipMemberReader{a: a, rec: rec, seq: a.seq, offset: off, left: size}
	m.r = a.cur
	return m, nil
}

// record reads the next central directory record.
func (a *zipArchive) record() (zipRecord, error) {
	var hdr [zipCentralLen]byte
	where := fmt.Sprintf("central directory record %d of %d at %d", a.read+1, a.records, a.dirPos)
	if _, err := io.ReadFull(a.dir, hdr[:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return zipRecord{}, a.fail("", -1, fmt.Errorf("%s: %w", where, err))
	}
	le := binary.LittleEndian
	if le.Uint32(hdr[:]) != zipCentralSig {
		return zipRecord{}, a.fail("", -1, fmt.Errorf("%s: not a central directory header", where))
	}
	rec := zipRecord{
		creator:  hdr[5],
		flags:    le.Uint16(hdr[8:]),
		method:   le.Uint16(hdr[10:]),
		crc:      le.Uint32(hdr[16:]),
		csize:    uint64(le.Uint32(hdr[20:])),
		usize:    uint64(le.Uint32(hdr[24:])),
		external: le.Uint32(hdr[38:]),
		local:    uint64(le.Uint32(hdr[42:])),
	}
	nameLen, extraLen, commentLen := int(le.Uint16(hdr[28:])), int(le.Uint16(hdr[30:])), int(le.Uint16(hdr[32:]))
	vary := make([]byte, nameLen+extraLen)
	if _, err := io.ReadFull(a.dir, vary); err != nil {
		return zipRecord{}, a.fail("", -1, fmt.Errorf("%s: %w", where, io.ErrUnexpectedEOF))
	}
	if _, err := a.dir.Discard(commentLen); err != nil {
		return zipRecord{}, a.fail("", -1, fmt.Errorf("%s: %w", where, io.ErrUnexpectedEOF))
	}
	a.dirPos += int64(zipCentralLen + nameLen + extraLen + commentLen)
	rec.name = string(vary[:nameLen])
	if err := rec.zip64(vary[nameLen:]); err != nil {
		return zipRecord{}, a.fail(rec.name, -1, fmt.Errorf("%s: %w", where, err))
	}
	return rec, nil
}

// zip64 takes the sizes and offset that did not fit in 32 bits from the
// zip64 extra field, in the order APPNOTE gives.
func (rec *zipRecord) zip64(extra []byte) error {
	le := binary.LittleEndian
	for len(extra) >= 4 {
		id, n := le.Uint16(extra), int(le.Uint16(extra[2:]))
		if 4+n > len(extra) {
			return errors.New("extra field runs past its record")
		}
		field := extra[4 : 4+n]
		extra = extra[4+n:]
		if id != zip64ExtraID {
			continue
		}
		for _, v := range []*uint64{&rec.usize, &rec.csize, &rec.local} {
			if *v != 0xffffffff {
				continue
			}
			if len(field) < 8 {
				return errors.New("zip64 extra field too short")
			}
			*v, field = le.Uint64(field), field[8:]
		}
	}
	return nil
}

// kind is "" for a regular file, else what the member is instead: the
// Unix file type in the external attributes when a Unix tool wrote it,
// else the MS-DOS directory bit, or a name ending in a slash.
func (rec *zipRecord) kind() string {
	if rec.creator == zipCreatorUnix || rec.creator == zipCreatorMac {
		switch rec.external >> 16 & 0o170000 {
		case 0o100000:
			return ""
		case 0o040000:
			return "directory"
		case 0o120000:
			return "symbolic link"
		case 0o020000:
			return "character device"
		case 0o060000:
			return "block device"
		case 0o010000:
			return "FIFO"
		case 0o140000:
			return "socket"
		case 0:
		default:
			return fmt.Sprintf("zip entry of Unix file type %#o", rec.external>>16&0o170000)
		}
	}
	if rec.external&0x10 != 0 || len(rec.name) > 0 && rec.name[len(rec.name)-1] == '/' {
		return "directory"
	}
	return ""
}

// dataOffset reads the member's local header and returns where its data
// starts, after checking that the header names the same file and that the
// data lies before the central directory.
func (a *zipArchive) dataOffset(rec zipRecord) (int64, error) {
	var hdr [zipLocalLen]byte
	if rec.local > uint64(a.dirOffset) {
		return 0, a.fail(rec.name, -1, fmt.Errorf("local header at %d, past the central directory at %d", rec.local, a.dirOffset))
	}
	if _, err := a.in.ReadAt(hdr[:], int64(rec.local)); err != nil {
		return 0, a.fail(rec.name, -1, fmt.Errorf("reading the local header at %d: %w", rec.local, err))
	}
	le := binary.LittleEndian
	if le.Uint32(hdr[:]) != zipLocalSig {
		return 0, a.fail(rec.name, -1, fmt.Errorf("no local header at %d", rec.local))
	}
	nameLen, extraLen := int64(le.Uint16(hdr[26:])), int64(le.Uint16(hdr[28:]))
	name := make([]byte, nameLen)
	if _, err := a.in.ReadAt(name, int64(rec.local)+zipLocalLen); err != nil {
		return 0, a.fail(rec.name, -1, fmt.Errorf("reading the local header at %d: %w", rec.local, err))
	}
	if string(name) != rec.name {
		return 0, a.fail(rec.name, -1, fmt.Errorf("the local header at %d names %q", rec.local, name))
	}
	off := int64(rec.local) + zipLocalLen + nameLen + extraLen
	if off > a.dirOffset || rec.csize > uint64(a.dirOffset-off) {
		return 0, a.fail(rec.name, off, fmt.Errorf("%d bytes of data run into the central directory at %d", rec.csize, a.dirOffset))
	}
	return off, nil
}

// fail turns an error met while reading the container into an *Error.
func (a *zipArchive) fail(entry string, offset int64, err error) *Error {
	e := &Error{Bundle: a.bundle, Entry: entry, Offset: offset, Kind: ErrCorrupt, Err: err}
	if a.in.err != nil {
		e.Kind, e.Err = nil, fmt.Errorf("reading: %w", a.in.err)
	}
	return e
}

// zipMemberReader reads one member's data, never more than the size its
// record declares (which admit has already bounded): the count is its own,
// not the header's word. At the end it checks that the compressed data
// ends there too and that the CRC-32 matches.
type zipMemberReader struct {
	a      *zipArchive
	rec    zipRecord
	seq    int
	offset int64
	left   int64
	opened bool
	src    io.Reader
	crc    hash.Hash32
	// done is set once the end of the data has been checked.
	done bool
}

func (r *zipMemberReader) Read(p []byte) (int, error) {
	if r.a.seq != r.seq {
		return 0, &Error{Bundle: r.a.bundle, Entry: r.rec.name, Offset: -1,
			Err: errors.New("a member's reader was used after the walk moved on")}
	}
	if r.done {
		return 0, io.EOF
	}
	if !r.opened {
		r.open()
	}
	if r.left == 0 {
		return 0, r.end()
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.src.Read(p)
	r.left -= int64(n)
	r.crc.Write(p[:n])
	switch {
	case err == io.EOF && r.left > 0:
		return n, r.fail(fmt.Errorf("truncated: the data ends %d bytes short of the declared %d: %w", r.left, r.rec.usize, io.ErrUnexpectedEOF))
	case err == io.EOF:
		// The next Read, with left 0, checks the end.
		return n, nil
	case err == io.ErrUnexpectedEOF:
		return n, r.fail(fmt.Errorf("truncated: %w", err))
	case err != nil:
		return n, r.fail(err)
	}
	return n, nil
}

func (r *zipMemberReader) open() {
	r.opened = true
	r.crc = crc32.NewIEEE()
	data := io.NewSectionReader(r.a.in, r.offset, int64(r.rec.csize))
	if r.rec.method == zipStore {
		r.src = data
		return
	}
	if r.a.fl == nil {
		r.a.fl = flate.NewReader(data)
	} else {
		r.a.fl.(flate.Resetter).Reset(data, nil)
	}
	r.src = r.a.fl
}

// end checks, once the declared size has been read, that no data follows
// and that the CRC-32 matches.
func (r *zipMemberReader) end() error {
	var one [1]byte
	n, err := io.ReadFull(r.src, one[:])
	switch {
	case n > 0:
		return r.fail(fmt.Errorf("data goes on past the declared size %d", r.rec.usize))
	case err == io.ErrUnexpectedEOF:
		return r.fail(fmt.Errorf("truncated: %w", err))
	case err != io.EOF:
		return r.fail(err)
	}
	if sum := r.crc.Sum32(); sum != r.rec.crc {
		e := r.fail(fmt.Errorf("CRC-32 %08x, the central directory says %08x", sum, r.rec.crc))
		if e.Kind != nil {
			e.Kind = ErrChecksum
		}
		return e
	}
	r.done = true
	return io.EOF
}

func (r *zipMemberReader) fail(err error) *Error {
	return r.a.fail(r.rec.name, r.offset, err)
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
