package bundle

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"
)

// Format and Version identify a perfcap bundle; readers refuse others.
const (
	Format  = "perfcap-bundle"
	Version = 1
)

// ManifestName is the archive path of the manifest, always the first entry.
const ManifestName = "manifest.json"

// Manifest describes a bundle: the run it holds and every other file in it.
type Manifest struct {
	Format         string    `json:"format"`
	Version        int       `json:"version"`
	PerfcapVersion string    `json:"perfcap_version"`
	Created        time.Time `json:"created"`
	// Command is the recorded argv, already redacted.
	Command     []string  `json:"command"`
	Cwd         string    `json:"cwd"`
	Started     time.Time `json:"started"`
	Ended       time.Time `json:"ended"`
	Exit        Exit      `json:"exit"`
	Interrupted bool      `json:"interrupted"`
	Files       []File    `json:"files"`
	// Dropped lists the files of the original bundle that a size-capped
	// export ([ExportZip]) left out, as they were listed; they are not in
	// the archive. Readers that predate the field ignore it, so it needs
	// no new version.
	Dropped []File `json:"dropped,omitempty"`
}

// Exit is how the command ended: Code is the exit status perfcap itself
// returns (128+N for a signal), Signal the signal's name when one killed it.
type Exit struct {
	Code   int    `json:"code"`
	Signal string `json:"signal,omitempty"`
}

// File is one archive member other than the manifest.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// File returns the listed file with the given path.
func (m *Manifest) File(path string) (File, bool) {
	for _, f := range m.Files {
		if f.Path == path {
			return f, true
		}
	}
	return File{}, false
}

// decodeManifest parses and checks the manifest of a bundle. The format and
// version are read first, so that a bundle of another version is reported
// as such even when the rest of its manifest no longer fits this struct.
func decodeManifest(data []byte, lim Limits) (Manifest, *Error) {
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Manifest{}, &Error{Entry: ManifestName, Offset: -1, Kind: ErrNotBundle, Err: err}
	}
	// A Manifest's arrays (command, files, dropped) are what decoding
	// allocates per value: bound them before decoding, so that 32 MiB of
	// "{}," is refused instead of becoming a gigabyte of Files. Its
	// strings are words of a command line, paths and names, none longer
	// than Linux allows a command-line word (MAX_ARG_STRLEN).
	if err := checkJSON(data, jsonBounds{array: lim.MaxEntries, str: maxManifestString}); err != nil {
		return Manifest{}, jsonError("", ManifestName, err)
	}
	if head.Format != Format {
		return Manifest{}, &Error{Entry: ManifestName, Offset: -1, Kind: ErrNotBundle,
			Err: fmt.Errorf("format is %q, want %q", head.Format, Format)}
	}
	if head.Version != Version {
		err := fmt.Errorf("format version %d is not valid", head.Version)
		if head.Version > Version {
			err = fmt.Errorf("format version %d is newer than this perfcap reads (%d); upgrade perfcap to read it", head.Version, Version)
		}
		return Manifest{}, &Error{Entry: ManifestName, Offset: -1, Kind: ErrVersion, Err: err}
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return Manifest{}, &Error{Entry: ManifestName, Offset: -1, Kind: ErrNotBundle, Err: err}
	}
	return m, m.check(lim)
}

// maxManifestString bounds a string of the manifest: MAX_ARG_STRLEN, the
// longest word of a Linux command line, and far past PATH_MAX.
const maxManifestString = 128 << 10

// maxCommand bounds the command's words together: Linux refuses to start
// a command whose arguments and environment pass 6 MiB (3/4 of the
// largest stack limit it honours for this).
const maxCommand = 6 << 20

// check refuses a file list that no archive could satisfy safely: bad or
// repeated paths, a path that is both a file and a directory, malformed
// sizes or hashes, or more than lim allows; and a command longer than any
// Linux runs.
func (m *Manifest) check(lim Limits) *Error {
	var words int
	for _, w := range m.Command {
		words += len(w)
	}
	if words > maxCommand {
		return &Error{Entry: ManifestName, Offset: -1, Kind: ErrTooLarge,
			Err: fmt.Errorf("a command of %d bytes, more than Linux runs (%d)", words, maxCommand)}
	}
	if len(m.Files) > lim.MaxEntries {
		return &Error{Entry: ManifestName, Offset: -1, Kind: ErrTooLarge,
			Err: fmt.Errorf("%d files listed, limit %d", len(m.Files), lim.MaxEntries)}
	}
	listed := make(map[string]bool, len(m.Files))
	var total int64
	for _, f := range m.Files {
		fail := func(kind error, format string, args ...any) *Error {
			return &Error{Entry: f.Path, Offset: -1, Kind: kind, Err: fmt.Errorf("in "+ManifestName+": "+format, args...)}
		}
		if err := checkName(f.Path); err != nil {
			return fail(ErrUnsafe, "%w", err)
		}
		if f.Path == ManifestName {
			return fail(ErrDuplicate, "the manifest lists itself")
		}
		if listed[f.Path] {
			return fail(ErrDuplicate, "listed twice")
		}
		listed[f.Path] = true
		if f.Size < 0 {
			return fail(ErrNotBundle, "negative size %d", f.Size)
		}
		if !isSHA256(f.SHA256) {
			return fail(ErrNotBundle, "sha256 %q is not 64 lowercase hex digits", f.SHA256)
		}
		if f.Size > lim.MaxEntrySize {
			return fail(ErrTooLarge, "size %d, limit %d", f.Size, lim.MaxEntrySize)
		}
		total += f.Size
		if total > lim.MaxTotalSize {
			return fail(ErrTooLarge, "total size passes the limit of %d", lim.MaxTotalSize)
		}
	}
	for _, f := range m.Dropped {
		fail := func(kind error, format string, args ...any) *Error {
			return &Error{Entry: f.Path, Offset: -1, Kind: kind, Err: fmt.Errorf("in "+ManifestName+" dropped: "+format, args...)}
		}
		switch {
		case len(m.Dropped) > lim.MaxEntries:
			return fail(ErrTooLarge, "%d files listed, limit %d", len(m.Dropped), lim.MaxEntries)
		case checkName(f.Path) != nil:
			return fail(ErrUnsafe, "%w", checkName(f.Path))
		case f.Path == ManifestName || listed[f.Path]:
			return fail(ErrDuplicate, "listed twice")
		case f.Size < 0:
			return fail(ErrNotBundle, "negative size %d", f.Size)
		case !isSHA256(f.SHA256):
			return fail(ErrNotBundle, "sha256 %q is not 64 lowercase hex digits", f.SHA256)
		}
		listed[f.Path] = true
	}
	for _, f := range m.Files {
		for _, dir := range parents(f.Path) {
			if listed[dir] {
				return &Error{Entry: dir, Offset: -1, Kind: ErrUnsafe,
					Err: fmt.Errorf("in %s: both a file and the directory of %q", ManifestName, f.Path)}
			}
		}
	}
	return nil
}

func isSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
