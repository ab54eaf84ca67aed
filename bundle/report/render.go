package report

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/template"
	"unicode/utf16"

	"github.com/perfcap/perfcap/facts"
)

//go:embed templates/zh.md.tmpl templates/en.md.tmpl templates/frontmatter.yaml
var templates embed.FS

// ErrLang is returned by Render for a language it has no template for.
var ErrLang = errors.New("report: no template for this language")

// Langs are the languages Render knows, the default first.
var Langs = []string{"zh", "en"}

// Render writes the report of d in lang ("zh", the default when empty, or
// "en"), following the project's performance issue template heading by
// heading. The body fits in MaxBody characters: long lists are cut, with a
// pointer to the bundle's file that holds them all.
func Render(w io.Writer, d *Data, lang string) error {
	if lang == "" {
		lang = Langs[0]
	}
	name := "templates/" + lang + ".md.tmpl"
	text, err := templates.ReadFile(name)
	if err != nil {
		return fmt.Errorf("%w: %q (known: %s)", ErrLang, lang, strings.Join(Langs, ", "))
	}
	return render(w, d, name, string(text), lang)
}

// RenderTemplate writes the report of d through a user's template text,
// which sees d as its dot and Funcs("en") as its functions. Errors name the
// template line ("template: report:12: ..."). The MaxBody limit is applied
// the same way as for Render.
func RenderTemplate(w io.Writer, d *Data, tmplText string) error {
	return render(w, d, "report", tmplText, "en")
}

func render(w io.Writer, d *Data, name, text, lang string) error {
	t, err := parse(name, text, lang)
	if err != nil {
		return err
	}
	v := prepare(d, lang)
	var buf bytes.Buffer
	for range 16 {
		buf.Reset()
		if err := t.Execute(&buf, v); err != nil {
			return fmt.Errorf("rendering report: %w", err)
		}
		if bodyLen(buf.String()) <= MaxBody {
			_, err := w.Write(buf.Bytes())
			return err
		}
		if !v.Caps.shrink() {
			break
		}
	}
	_, err = io.WriteString(w, cut(buf.String(), lang))
	return err
}

// parsed holds the templates parsed so far: a report is rendered two or
// three times until it states its own size, and parsing took half of that
// time. Executing a parsed template from several goroutines is safe.
var parsed struct {
	sync.Mutex
	m map[templateKey]*template.Template
}

type templateKey struct{ name, text, lang string }

// maxParsed bounds the cache: the built-in templates and a user's one or two.
const maxParsed = 8

// parse returns the template text parsed with Funcs(lang), from the cache
// when it was parsed before.
func parse(name, text, lang string) (*template.Template, error) {
	k := templateKey{name, text, lang}
	parsed.Lock()
	t := parsed.m[k]
	parsed.Unlock()
	if t != nil {
		return t, nil
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(Funcs(lang)).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parsing report template: %w", err)
	}
	parsed.Lock()
	defer parsed.Unlock()
	if parsed.m == nil || len(parsed.m) >= maxParsed {
		parsed.m = make(map[templateKey]*template.Template)
	}
	parsed.m[k] = t
	return t, nil
}

// prepare returns a copy of d as templates see it: caps set, the build
// profile and features derived from the command when missing, known
// attachments described, and an empty Facts instead of nil so that every
// fact reads as zero, that is unknown.
func prepare(d *Data, lang string) *Data {
	v := *d
	v.Caps = v.Caps.withDefaults()
	if v.BuildProfile == "" {
		v.BuildProfile = BuildProfileOf(v.Manifest.Command)
	}
	if v.Features == nil {
		v.Features = FeaturesOf(v.Manifest.Command)
	}
	if v.Facts == nil {
		v.Facts = &facts.Facts{}
	}
	v.Attachments = make([]Attachment, len(d.Attachments))
	for i, a := range d.Attachments {
		if a.Description == "" {
			a.Description = Describe(a.Path, lang)
		}
		v.Attachments[i] = a
	}
	return &v
}

// shrink lowers the caps for another attempt at fitting MaxBody; it
// returns false once they are as low as they go.
func (c *Caps) shrink() bool {
	changed := false
	half := func(v *int, least int) {
		if *v > least {
			*v = max(*v/2, least)
			changed = true
		}
	}
	half(&c.Benchmarks, 1)
	half(&c.Hot, 1)
	half(&c.Metrics, 1)
	half(&c.Warnings, 1)
	half(&c.Attachments, 1)
	half(&c.Text, 80)
	return changed
}

// bodyLen is the length of s as GitHub may count it: in UTF-16 code
// units, so an emoji outside the BMP counts twice. That is never less than
// the count in characters, so a body that fits either way fits.
func bodyLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// cut is the last resort for a body that stays too long with the smallest
// caps (a user's template printing something unbounded): it keeps whole
// lines up to the limit and says where the rest is.
func cut(s, lang string) string {
	note := "\n\n… (cut to fit GitHub's limit; the full report is report.md in the bundle)\n"
	if lang == "zh" {
		note = "\n\n…（为符合 GitHub 的长度限制已截断；完整报告见 bundle 中的 report.md）\n"
	}
	limit := MaxBody - bodyLen(note)
	n := 0
	for i, r := range s {
		if n += utf16.RuneLen(r); n > limit {
			s = s[:i]
			break
		}
	}
	if i := strings.LastIndexByte(s, '\n'); i > 0 {
		s = s[:i]
	}
	return s + note
}

// OwnArchive fills the bundle's own size and SHA-256, a, into a report
// rendered inside that bundle, where it could not hold them (a file cannot
// hold its own hash): the attachment sentence Render wrote for a bundle
// named a.Name is replaced by the one it writes when the size and hash are
// known, in whichever language md is in, which lang names. lang is ""
// when md holds no such sentence (a report from a user's template, or of
// another bundle) and md is returned as it is.
func OwnArchive(md []byte, a Archive) (filled []byte, lang string) {
	for _, lang := range Langs {
		name := "templates/" + lang + ".md.tmpl"
		text, err := templates.ReadFile(name)
		if err != nil {
			continue
		}
		t, err := parse(name, string(text), lang)
		if err != nil {
			continue
		}
		var without, with bytes.Buffer
		if t.ExecuteTemplate(&without, "attachment", &Data{Bundle: Archive{Name: a.Name}}) != nil ||
			t.ExecuteTemplate(&with, "attachment", &Data{Bundle: a}) != nil {
			continue
		}
		if i := bytes.Index(md, without.Bytes()); i >= 0 {
			return slices.Concat(md[:i], with.Bytes(), md[i+without.Len():]), lang
		}
	}
	return md, ""
}
