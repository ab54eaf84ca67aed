package redact

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/google/pprof/profile"
)

// maxProfile bounds a pprof profile RedactFile decodes: perfcap's own are
// a few MiB at most.
const maxProfile = 256 << 20

// RedactFile copies a file bound for a bundle from src to dst with its
// secrets hidden, by what the file is: a pprof profile (NAME.pb.gz) has
// every string of its table redacted — function names, file names, the
// paths of mapped binaries, comments and labels; perf.data and other
// binary files (a NUL byte in the first 8 KiB) are copied as they are
// (README: --keep-perf-data and binary --attach files are not redacted);
// everything else is text, redacted line by line as String does.
func (r *Redactor) RedactFile(name string, dst io.Writer, src io.Reader) error {
	base := path.Base(name)
	if strings.HasSuffix(base, ".pb.gz") {
		return r.redactProfile(dst, src)
	}
	br := bufio.NewReaderSize(src, 64<<10)
	head, _ := br.Peek(8 << 10)
	if base == "perf.data" || bytes.IndexByte(head, 0) >= 0 {
		_, err := io.Copy(dst, br)
		return err
	}
	w := r.NewWriter(dst)
	if _, err := io.Copy(w, br); err != nil {
		return err
	}
	return w.Close()
}

// redactProfile rewrites a pprof profile with its strings redacted. A file
// that does not parse as one is copied as it is when it holds no text a
// line rule would change, and refused otherwise.
func (r *Redactor) redactProfile(dst io.Writer, src io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(src, maxProfile+1))
	if err != nil {
		return err
	}
	if len(b) > maxProfile {
		return fmt.Errorf("profile larger than %d bytes", maxProfile)
	}
	p, err := profile.ParseData(b)
	if err != nil {
		return fmt.Errorf("not a pprof profile: %w", err)
	}
	changed := false
	str := func(s *string) {
		if c := r.String(*s); c != *s {
			*s, changed = c, true
		}
	}
	for _, f := range p.Function {
		str(&f.Name)
		str(&f.SystemName)
		str(&f.Filename)
	}
	for _, m := range p.Mapping {
		str(&m.File)
		str(&m.BuildID)
	}
	for i := range p.Comments {
		str(&p.Comments[i])
	}
	for _, s := range p.Sample {
		for k, vs := range s.Label {
			for i := range vs {
				str(&vs[i])
			}
			if c := r.String(k); c != k {
				s.Label[c], changed = vs, true
				delete(s.Label, k)
			}
		}
	}
	if !changed {
		_, err := dst.Write(b)
		return err
	}
	return p.Write(dst)
}
