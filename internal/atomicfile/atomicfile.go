// Package atomicfile writes files that appear whole or not at all: the
// content goes to a temporary file beside the destination (".NAME.tmp-*",
// on the same file system), which is renamed over the destination only
// once it is complete. A crash leaves the old file, or none, and at worst
// a temporary file behind; never a torn one.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is a file being written beside its destination. Commit puts it in
// place; Abort, or any failure of Commit, removes it.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts writing path: a temporary file in path's directory with
// permissions perm (CreateTemp's are private; a bundle is meant to be
// shared).
func Create(path string, perm os.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// Commit closes the file and renames it over the destination. With sync,
// the content reaches the disk before the rename, and the rename itself
// after it (the directory is synced), so the file survives a power loss.
func (f *File) Commit(sync bool) (err error) {
	if f.done {
		return os.ErrClosed
	}
	f.done = true
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), f.path); err != nil {
		return err
	}
	if sync {
		return SyncDir(filepath.Dir(f.path))
	}
	return nil
}

// Abort closes and removes the temporary file; after Commit it does
// nothing.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	cerr := f.Close()
	if err := os.Remove(f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if errors.Is(cerr, os.ErrClosed) {
		return nil
	}
	return cerr
}

// Write writes path with what write produces, buffered, through a File.
// A path that exists and is not a regular file (/dev/null, /dev/stdout, a
// FIFO) is written to directly: renaming over it would replace it.
func Write(path string, perm os.FileMode, sync bool, write func(io.Writer) error) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 256<<10)
		err = write(bw)
		if err == nil {
			err = bw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	if err := write(bw); err != nil {
		f.Abort()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Abort()
		return err
	}
	return f.Commit(sync)
}

// WriteFile writes b to path through a File.
func WriteFile(path string, b []byte, perm os.FileMode, sync bool) error {
	return Write(path, perm, sync, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// SyncDir makes a rename in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// CommitNew is Commit that never replaces a file: it links the content to
// the first of name(0), name(1), ... that does not exist (link(2) fails
// rather than replace, so two writers racing for one name both keep their
// file) and returns the path it took. It gives up after tries names.
func (f *File) CommitNew(sync bool, tries int, name func(i int) string) (path string, err error) {
	if f.done {
		return "", os.ErrClosed
	}
	f.done = true
	defer os.Remove(f.Name())
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return "", err
		}
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	for i := range tries {
		path = name(i)
		err = os.Link(f.Name(), path)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if sync {
			return path, SyncDir(filepath.Dir(path))
		}
		return path, nil
	}
	return "", fmt.Errorf("%s and %d other names are taken", name(0), tries-1)
}
