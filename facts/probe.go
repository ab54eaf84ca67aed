package facts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// probeOutputLimit bounds what one probe's output may cost; the facts need
// a few lines at most.
const probeOutputLimit = 64 << 10

// probeWaitDelay bounds how long a killed probe may keep its pipes open
// through a grandchild before Wait gives up on them.
const probeWaitDelay = 200 * time.Millisecond

// errProbeNotFound reports a probe command missing from PATH.
var errProbeNotFound = errors.New("not found on PATH")

// probe runs name with args in the working directory through the
// collector's runner, bounded by the probe timeout, and returns its
// standard output. It returns as soon as the timeout passes or ctx ends,
// even when the runner does not: the runner is left to finish on its own
// and its output is never read. A non-zero exit returns the output with
// an error naming the command and the first line of its standard error.
func (c *factsCollector) probe(ctx context.Context, extraEnv []string, name string, args ...string) (string, error) {
	cmdline := strings.Join(append([]string{name}, args...), " ")
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", cmdline, errProbeNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	if c.dirErr == nil {
		cmd.Dir = c.dir
	}
	if len(extraEnv) > 0 {
		cmd.Env = append(os.Environ(), extraEnv...)
	}
	stdout := &factsBuffer{limit: probeOutputLimit}
	stderr := &factsBuffer{limit: probeOutputLimit}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = probeWaitDelay

	done := make(chan error, 1)
	go func() { done <- c.run(cmd) }()
	select {
	case err := <-done:
		if ctx.Err() != nil {
			return "", fmt.Errorf("%s: %w", cmdline, ctx.Err())
		}
		if err != nil {
			if msg := factsFirstLine(stderr.String()); msg != "" {
				return stdout.String(), fmt.Errorf("%s: %w: %s", cmdline, err, msg)
			}
			return stdout.String(), fmt.Errorf("%s: %w", cmdline, err)
		}
		return stdout.String(), nil
	case <-ctx.Done():
		return "", fmt.Errorf("%s: %w", cmdline, ctx.Err())
	}
}

// factsBuffer keeps the first limit bytes written to it and discards the
// rest without failing the writer.
type factsBuffer struct {
	buf   bytes.Buffer
	limit int
}

// Write keeps what fits and reports all of p written.
func (b *factsBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// String returns what was kept.
func (b *factsBuffer) String() string { return b.buf.String() }

// factsReadFile reads a small /proc or /sys file below root and trims it.
func factsReadFile(root, path string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}

// factsFirstLine returns the first non-empty line of s, trimmed and capped so
// that it fits in a report.
func factsFirstLine(s string) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			return factsTruncate(line, 200)
		}
	}
	return ""
}

// factsOneLine folds a message onto one line.
func factsOneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// factsTruncate shortens s to at most n runes, marking the cut.
func factsTruncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
