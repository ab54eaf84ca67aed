package watch

import (
	"fmt"
	"path/filepath"

	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/capture/spool"
)

// ErrSpoolInUse means the spool is locked by a watch that is starting or
// still running: its bundle is not the recovery's to write.
type ErrSpoolInUse struct {
	Dir string
	// PID is the watch's, or -1 when the lock holds none yet.
	PID int
}

func (e *ErrSpoolInUse) Error() string {
	if e.PID < 0 {
		return fmt.Sprintf("%s is still locked by a watch that is starting or running; end that watch, then run `perfcap bundle %s` again", e.Dir, e.Dir)
	}
	return fmt.Sprintf("%s is still being written by a watch (pid %d): `kill -USR1 %d` writes a snapshot bundle, `kill -INT %d` ends the watch and writes its bundle", e.Dir, e.PID, e.PID, e.PID)
}

// Recover writes the bundle of a spool whose watch (or run) did not
// finish: to out, or where the watch would have written it; in lang, or
// the watch's. The spool is left in place.
func Recover(dir, out, lang string) (*Result, error) {
	m, err := spool.ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	if pid := spool.Owner(dir); pid != 0 {
		return nil, &ErrSpoolInUse{Dir: dir, PID: pid}
	}
	if out == "" {
		out = m.Bundle
	}
	if out == "" {
		out = filepath.Clean(dir) + ".tar.zst"
	}
	if lang == "" {
		lang = m.Lang
	}
	if lang != "en" {
		lang = "zh"
	}
	red, err := redact.New(m.Redact)
	if err != nil {
		return nil, fmt.Errorf("%s: the watch's --redact: %w", dir, err)
	}
	sb := &spoolBundle{dir: dir, out: out, meta: m, red: red, lang: lang, ended: "recovered"}
	sum, sha, size, err := sb.write()
	if err != nil {
		return nil, err
	}
	return &Result{Bundle: out, SHA256: sha, Size: size, Summary: sum, Ended: "recovered"}, nil
}
