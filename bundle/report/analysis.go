package report

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/perfcap/perfcap/flame"
	"github.com/perfcap/perfcap/format"
)

// This file holds what the analysis sections (可能的原因, 性能瓶颈位置)
// show of summary.json's perf.analysis.

// Analysis returns what the profile says for the analysis sections; nil
// when perf did not record or the bundle predates it.
func (d *Data) Analysis() *format.Analysis {
	if d.Perf == nil {
		return nil
	}
	return d.Perf.Analysis
}

// Cause returns the analysis's category name ("allocation", "gc",
// "lock", "syscall"); nil without an analysis.
func (d *Data) Cause(name string) *format.Category {
	return d.Analysis().Category(name)
}

// Source returns file relative to the command's working directory when
// it lies under it, else as it is, with ":line" when line is known.
func (d *Data) Source(file string, line uint32) string {
	if cwd := d.Manifest.Cwd; cwd != "" {
		if rel, err := filepath.Rel(cwd, file); err == nil && filepath.IsAbs(file) && !strings.HasPrefix(rel, "..") {
			file = rel
		}
	}
	if line > 0 {
		return fmt.Sprintf("%s:%d", file, line)
	}
	return file
}

// HotAt returns where a hot function is, as Source gives it; "" when
// the debug information did not say.
func (d *Data) HotAt(f flame.HotFunction) string {
	if f.File == "" {
		return ""
	}
	return d.Source(f.File, f.Line)
}

// LineSpan returns the lines of the bottleneck's file that were sampled,
// "63–101", or "" when only one or none is known.
func (d *Data) LineSpan() string {
	a := d.Analysis()
	if a == nil || a.Bottleneck == nil || a.Bottleneck.FirstLine == 0 || a.Bottleneck.FirstLine == a.Bottleneck.LastLine {
		return ""
	}
	return fmt.Sprintf("%d–%d", a.Bottleneck.FirstLine, a.Bottleneck.LastLine)
}

// CallPath renders the bottleneck's call path as "`a` → `b` → … → `f`":
// from its outermost frame of user code (the frames above it are the
// program's start-up), at most n frames, the middle ones elided.
func (d *Data) CallPath(n int) string {
	a := d.Analysis()
	if a == nil || a.Bottleneck == nil || len(a.Bottleneck.Path) == 0 {
		return ""
	}
	path := a.Bottleneck.Path
	for i, f := range path {
		if f.User {
			path = path[i:]
			break
		}
	}
	names := make([]string, 0, min(len(path), n)+1)
	for i, f := range path {
		switch {
		case len(path) > n && i == 1:
			names = append(names, "…")
		case len(path) > n && i > 0 && i < len(path)-(n-1):
		default:
			names = append(names, inlineCode(truncate(100, f.Name)))
		}
	}
	return strings.Join(names, " → ")
}

// CauseFunctions lists the functions of a category with their shares:
// "`malloc` 47.1%, `free` 24.7%".
func (d *Data) CauseFunctions(c *format.Category) string {
	if c == nil {
		return ""
	}
	parts := make([]string, 0, len(c.Functions))
	for _, f := range c.Functions {
		parts = append(parts, fmt.Sprintf("%s %.1f%%", inlineCode(truncate(100, f.Name)), f.Share*100))
	}
	return strings.Join(parts, ", ")
}

// SysShare is the system CPU time's share of the tree's CPU time; 0 when
// no CPU time was measured.
func (d *Data) SysShare() float64 {
	if cpu := d.Summary.UserSeconds + d.Summary.SysSeconds; cpu > 0 {
		return d.Summary.SysSeconds / cpu
	}
	return 0
}

// OtherUserFunctions are the user's hot functions after the bottleneck.
func (d *Data) OtherUserFunctions() []format.UserFunction {
	a := d.Analysis()
	if a == nil || len(a.UserFunctions) < 2 {
		return nil
	}
	return a.UserFunctions[1:]
}
