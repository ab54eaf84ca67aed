package compare

import "github.com/perfcap/perfcap/internal/termsafe"

// oneLine returns text from a bundle (a benchmark name, a path, a fact)
// safe to print on a terminal and on one line: control characters,
// invalid UTF-8 and other runes that are not graphic escaped as Go escapes
// them, without quotes (termsafe.Escape).
func oneLine(s string) string { return termsafe.Escape(s) }
