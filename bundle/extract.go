package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Extract writes the files of the bundle at path under dir; see
// [Reader.Extract].
func Extract(path, dir string) (Manifest, error) { return Reader{}.Extract(path, dir) }

// Extract writes the files of the bundle at path, and its manifest, under
// dir, creating dir
// and subdirectories as needed, and returns the manifest. It never
// overwrites a file and never writes outside dir, even through a symbolic
// link already in dir. Every file is verified as in [Reader.Walk]; on any
// error Extract removes what it created and returns the error.
func (r Reader) Extract(path, dir string) (m Manifest, err error) {
	s, err := r.open(path, true)
	if err != nil {
		return Manifest{}, err
	}
	defer s.close()

	x := &extraction{bundle: path, dir: dir}
	if err := x.openDir(); err != nil {
		return Manifest{}, err
	}
	defer func() {
		if err != nil {
			x.undo()
		}
		x.root.Close()
	}()
	err = s.each(x.write, func(p *Error) error { return p })
	if err != nil {
		return Manifest{}, err
	}
	// The manifest goes last, as stored: only a complete, verified
	// extraction has one, and it lets `sha256sum` check the files later.
	err = x.write(File{Path: ManifestName}, bytes.NewReader(s.raw))
	if err != nil {
		return Manifest{}, err
	}
	return s.m, nil
}

// extraction is what one Extract created, so that a failure can undo it.
type extraction struct {
	bundle string
	dir    string
	// root confines every path to dir: os.Root refuses to follow a
	// symbolic link, or "..", out of it.
	root       *os.Root
	createdDir bool
	dirs       []string
	files      []string
}

func (x *extraction) openDir() error {
	if _, err := os.Lstat(x.dir); errors.Is(err, fs.ErrNotExist) {
		x.createdDir = true
	}
	if err := os.MkdirAll(x.dir, 0o755); err != nil {
		return fmt.Errorf("extracting %s: %w", x.bundle, err)
	}
	root, err := os.OpenRoot(x.dir)
	if err != nil {
		if x.createdDir {
			os.Remove(x.dir)
		}
		return fmt.Errorf("extracting %s: %w", x.bundle, err)
	}
	x.root = root
	return nil
}

func (x *extraction) write(f File, r io.Reader) (err error) {
	fail := func(err error) error {
		return &Error{Bundle: x.bundle, Entry: f.Path, Offset: -1, Err: err}
	}
	for _, d := range parents(f.Path) {
		err := x.root.Mkdir(filepath.FromSlash(d), 0o755)
		if err == nil {
			x.dirs = append(x.dirs, d)
		} else if !errors.Is(err, fs.ErrExist) {
			return fail(err)
		}
	}
	name := filepath.FromSlash(f.Path)
	// O_EXCL also refuses a symbolic link in the file's place.
	out, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fail(fmt.Errorf("%s already exists; extract into an empty directory: %w",
			filepath.Join(x.dir, name), fs.ErrExist))
	}
	if err != nil {
		return fail(err)
	}
	x.files = append(x.files, name)
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fail(cerr)
		}
	}()
	if _, err := io.Copy(out, r); err != nil {
		var bad *Error
		if errors.As(err, &bad) {
			return err
		}
		return fail(err)
	}
	return nil
}

// undo removes the files and directories the extraction created, newest
// first; a directory that something else has since filled stays.
func (x *extraction) undo() {
	for _, name := range slices.Backward(x.files) {
		x.root.Remove(name)
	}
	for _, d := range slices.Backward(x.dirs) {
		x.root.Remove(filepath.FromSlash(d))
	}
	if x.createdDir {
		os.Remove(x.dir)
	}
}
