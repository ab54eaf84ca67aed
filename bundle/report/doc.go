// Package report renders a bundle's report.md: a performance issue in the
// project's template (see testdata/perf-issue-template.zh.md), pre-filled
// from the evidence of one run and nothing else.
//
// The pipeline is: the caller builds a Data from the manifest, summary.json,
// facts, parsed benchmarks and hot spots; Render executes the embedded
// template of the chosen language (templates/zh.md.tmpl, en.md.tmpl), or
// RenderTemplate a user's own; if the body is longer than GitHub accepts for
// an issue, it is rendered again with fewer table rows until it fits. Fields
// only a person can fill keep the template's blanks, and what was not
// measured is said to be unknown.
package report
