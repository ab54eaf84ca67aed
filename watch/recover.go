package watch

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/assemble"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/capture/spool"
	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
)

// ErrSpoolInUse means the spool is locked by a watch that is starting or
// still running: its bundle is not the recovery's to write.
type ErrSpoolInUse struct {
	Dir string
	// Run is set for a run's staging directory.
	Run bool
	// PID is the watch's, or -1 when the lock holds none yet.
	PID int
}

func (e *ErrSpoolInUse) Error() string {
	if e.Run && e.PID > 0 {
		return fmt.Sprintf("%s is still being written by a perfcap run (pid %d): it writes the bundle when its command ends; `kill -INT %d` stops the command", e.Dir, e.PID, e.PID)
	}
	if e.PID < 0 {
		return fmt.Sprintf("%s is still locked by a watch that is starting or running; end that watch, then run `perfcap bundle %s` again", e.Dir, e.Dir)
	}
	return fmt.Sprintf("%s is still being written by a watch (pid %d): `kill -USR1 %d` writes a snapshot bundle, `kill -INT %d` ends the watch and writes its bundle", e.Dir, e.PID, e.PID, e.PID)
}

// RecoverOptions say where and how Recover writes.
type RecoverOptions struct {
	// Out is the bundle's path (default: where the watch or run would
	// have written it); Lang report.md's language (default: theirs).
	Out, Lang string
	// Force replaces a file at Out; without it the bundle takes the next
	// free name.
	Force bool
}

// Recover writes the bundle of a spool whose watch or run did not finish.
// The spool is left in place. A run's staging directory whose files were
// all staged (packing failed, or perfcap was killed while packing) is
// packed as it is; otherwise the bundle is made from the rows and logs
// flushed so far.
func Recover(dir string, opts RecoverOptions) (*Result, error) {
	m, err := spool.ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	if pid := spool.Owner(dir); pid != 0 {
		return nil, &ErrSpoolInUse{Dir: dir, PID: pid, Run: m.Kind == "run"}
	}
	out := cmp.Or(opts.Out, m.Bundle, filepath.Clean(dir)+".tar.zst")
	lang := cmp.Or(opts.Lang, m.Lang)
	if lang != "en" {
		lang = "zh"
	}
	red, err := redact.New(m.Redact)
	if err != nil {
		return nil, fmt.Errorf("%s: the watch's --redact: %w", dir, err)
	}
	if m.Kind == "run" {
		if res, err := packStaged(dir, out, opts.Force, red); !errors.Is(err, os.ErrNotExist) {
			return res, err
		}
	}
	sb := &spoolBundle{dir: dir, out: out, force: opts.Force, meta: m, red: red, lang: lang, ended: "recovered"}
	if m.Kind == "run" {
		sb.add = func(w *bundle.Writer, sum *format.Summary) { recoverPerf(dir, m, w, sum) }
	}
	sum, sha, size, err := sb.write()
	if err != nil {
		return nil, err
	}
	return &Result{Bundle: sb.written, Asked: out, SHA256: sha, Size: size, Summary: sum, Ended: "recovered"}, nil
}

// maxPendingManifest bounds the pending manifest read from a staging
// directory.
const maxPendingManifest = 16 << 20

// packStaged packs a run's staging directory whose every file was staged
// before packing began, under the manifest the run had made. It returns an
// error wrapping os.ErrNotExist when the run did not get that far.
func packStaged(dir, out string, force bool, red *redact.Redactor) (*Result, error) {
	f, err := os.Open(filepath.Join(dir, spool.PendingManifestFile))
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxPendingManifest+1))
	f.Close()
	if err != nil {
		return nil, err
	}
	var m bundle.Manifest
	if len(b) > maxPendingManifest {
		return nil, fmt.Errorf("%s: %s is larger than %d bytes", dir, spool.PendingManifestFile, maxPendingManifest)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", dir, spool.PendingManifestFile, err)
	}
	sf, err := os.Open(filepath.Join(dir, format.SummaryFile))
	if err != nil {
		return nil, fmt.Errorf("%s: the run's files are not all staged: %w", dir, err)
	}
	sum, err := format.ReadSummary(sf)
	sf.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	w, err := bundle.NewWriterWith(out, bundle.WriterOptions{Dir: dir, Skip: spool.IsPrivate, Force: force, Redactor: red})
	if err != nil {
		return nil, err
	}
	if err := w.Close(m); err != nil {
		return nil, err
	}
	sha, size := w.Archive()
	return &Result{Bundle: w.Path(), Asked: out, SHA256: sha, Size: size, Summary: sum, Ended: "recovered"}, nil
}

// recoverPerf folds the texts of the chunks of a recording that a killed
// run had read by then, when it recorded in chunks, into perf/.
func recoverPerf(dir string, m spool.Meta, w *bundle.Writer, sum *format.Summary) {
	chunks := filepath.Join(dir, format.PerfChunksDir)
	rec, err := format.ReadPerfChunksRecording(chunks)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("no CPU stacks: %v", err))
		return
	}
	paths, err := format.PerfChunks(chunks)
	if err == nil && len(paths) == 0 {
		err = errors.New("perfcap was killed before perf script had read a chunk of the recording")
	}
	if err != nil {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("no CPU stacks: %v", err))
		return
	}
	perf := &format.Summary{}
	assemble.Perf(context.Background(), w, assemble.PerfInput{
		Recording: rec.Recording, ChunkDir: chunks,
		Title: "perfcap -- " + strings.Join(m.Command, " "),
		Read:  flame.PerfDataOptions{Fold: flame.FoldOptions{Annotate: true}, NoInline: rec.NoInline},
	}, perf)
	sum.Perf = perf.Perf
	sum.Warnings = append(sum.Warnings, fmt.Sprintf(
		"the CPU stacks cover the %d chunks of the recording perf script had read when perfcap was killed, not the end of the run", len(paths)))
	sum.Warnings = append(sum.Warnings, perf.Warnings...)
}
