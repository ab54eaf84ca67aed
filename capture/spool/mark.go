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
// directory becomes a bundle.
func Mark(dir string, m Meta) (release func() error, err error) {
	lockPath := filepath.Join(dir, LockFile)
	lock, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("marking %s recoverable: %w", dir, err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("%s is in use by another perfcap: %w", dir, err)
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
		return nil, fmt.Errorf("marking %s recoverable: %w", dir, err)
	}
	return func() error {
		err := os.Remove(filepath.Join(dir, MetaFile))
		if rerr := os.Remove(lockPath); err == nil {
			err = rerr
		}
		if cerr := lock.Close(); err == nil {
			err = cerr
		}
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
		return err
	}, nil
}
