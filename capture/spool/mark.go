package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/perfcap/perfcap/internal/atomicfile"
	"golang.org/x/sys/unix"
)

// Mark makes an existing directory of a run in progress recoverable as a
// spool: it writes meta.json and holds the lock, so that if perfcap dies
// (SIGKILL, the OOM killer), `perfcap bundle DIR` can make a bundle of the
// CSV files already written there, and refuses while the run lives. The
// returned release removes meta.json and the lock file again, before the
// directory becomes a bundle. unlock only lets go of the lock, leaving the
// directory a spool for `perfcap bundle` (a run whose packing failed).
func Mark(dir string, m Meta) (release, unlock func() error, err error) {
	lockPath := filepath.Join(dir, LockFile)
	lock, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("marking %s recoverable: %w", dir, err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		return nil, nil, fmt.Errorf("%s is in use by another perfcap: %w", dir, err)
	}
	_, _ = lock.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	m.Version = Version
	b, err := json.MarshalIndent(m, "", "  ")
	if err == nil {
		// Not synced: the marker is for a perfcap that dies, not a
		// machine that does, and a run's start should not wait for a disk.
		err = atomicfile.WriteFile(filepath.Join(dir, MetaFile), append(b, '\n'), 0o600, false)
	}
	if err != nil {
		lock.Close()
		os.Remove(lockPath)
		return nil, nil, fmt.Errorf("marking %s recoverable: %w", dir, err)
	}
	release = func() error {
		err := os.Remove(filepath.Join(dir, MetaFile))
		if rerr := os.Remove(lockPath); err == nil {
			err = rerr
		}
		if cerr := lock.Close(); err == nil {
			err = cerr
		}
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrClosed) {
			err = nil
		}
		return err
	}
	unlock = func() error {
		if err := lock.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			return err
		}
		return nil
	}
	return release, unlock, nil
}
