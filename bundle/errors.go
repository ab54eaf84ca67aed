package bundle

import (
	"errors"
	"fmt"
	"strings"

	"github.com/perfcap/perfcap/internal/termsafe"
)

// Sentinel errors returned, wrapped in an [*Error], by the readers. Each
// names a kind of refusal; check them with errors.Is.
var (
	// ErrNotBundle means the file is not a perfcap bundle at all: not zstd,
	// not tar, no manifest first, or a manifest of another format.
	ErrNotBundle = errors.New("bundle: not a perfcap bundle")
	// ErrVersion means the bundle's format version is one this perfcap does
	// not read, usually because a newer perfcap wrote it.
	ErrVersion = errors.New("bundle: unsupported format version")
	// ErrCorrupt means the compressed or tar stream is damaged or truncated.
	ErrCorrupt = errors.New("bundle: corrupt archive")
	// ErrUnsafe means an entry that must never be written to disk: a path
	// that is absolute, escapes the bundle or is not clean, or a member that
	// is not a regular file (link, device, FIFO, directory, sparse file).
	ErrUnsafe = errors.New("bundle: unsafe entry")
	// ErrUnlisted means an archive member the manifest does not list.
	ErrUnlisted = errors.New("bundle: entry not in manifest")
	// ErrDuplicate means a path that occurs twice, in the archive or in the
	// manifest.
	ErrDuplicate = errors.New("bundle: duplicate entry")
	// ErrMissing means a file the manifest lists but the archive lacks.
	ErrMissing = errors.New("bundle: missing entry")
	// ErrSize means a member whose size differs from the manifest's.
	ErrSize = errors.New("bundle: size mismatch")
	// ErrChecksum means a member whose SHA-256 differs from the manifest's.
	ErrChecksum = errors.New("bundle: checksum mismatch")
	// ErrTooLarge means the bundle exceeds one of the reader's [Limits].
	ErrTooLarge = errors.New("bundle: too large")
)

// Error is one problem with one bundle. Its message is a single line:
//
//	run.tar.zst: entry "../x" at offset 1536: unsafe entry: path escapes the bundle
type Error struct {
	// Bundle is the path of the bundle as the caller gave it.
	Bundle string
	// Entry is the archive path concerned, "" when the problem is with the
	// archive as a whole.
	Entry string
	// Offset is the position in the decompressed tar stream where the
	// problem was found (for an entry, where its data starts), or -1 when
	// it has none, like a file listed in the manifest.
	Offset int64
	// Kind is the sentinel the problem matches, nil for an error that is not
	// the bundle's fault (a full disk, an existing file).
	Kind error
	// Err says what exactly, and wraps the underlying cause if any.
	Err error
}

// Error returns the one-line message: bundle, entry, offset, kind, detail.
func (e *Error) Error() string { return oneLine(e.Bundle) + ": " + e.where() }

// where is the message without the bundle's name.
func (e *Error) where() string {
	var b strings.Builder
	if e.Entry != "" {
		fmt.Fprintf(&b, "entry %q", e.Entry)
	}
	if e.Offset >= 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "at offset %d", e.Offset)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Kind != nil {
		b.WriteString(strings.TrimPrefix(e.Kind.Error(), "bundle: "))
		if e.Err != nil {
			b.WriteString(": ")
		}
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return oneLine(b.String())
}

// Unwrap returns the sentinel and the cause, so errors.Is matches both.
func (e *Error) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Kind, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// VerifyError lists every problem [Verify] found in a bundle whose archive
// could be read to the end. errors.Is matches it against the sentinel of
// any of its problems.
type VerifyError struct {
	// Bundle is the path of the bundle as the caller gave it.
	Bundle string
	// Problems are in the order found: members in archive order, then
	// missing files in manifest order.
	Problems []*Error
}

// maxListed bounds how many problems VerifyError's message spells out.
const maxListed = 3

// Error returns the one-line message, spelling out the first problems.
func (e *VerifyError) Error() string {
	var b strings.Builder
	b.WriteString(oneLine(e.Bundle))
	if len(e.Problems) == 1 {
		b.WriteString(": ")
	} else {
		fmt.Fprintf(&b, ": %d problems: ", len(e.Problems))
	}
	for i, p := range e.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.where())
	}
	return b.String()
}

// Unwrap returns the problems.
func (e *VerifyError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// oneLine escapes line breaks and every other control character, so that
// a message stays on one line and cannot drive the terminal whatever a
// hostile bundle or an underlying library puts in it.
func oneLine(s string) string { return termsafe.Escape(s) }
