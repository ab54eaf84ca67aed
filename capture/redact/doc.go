// Package redact keeps secrets out of a perfcap bundle.
//
// A bundle is meant to be attached to a public issue, so everything perfcap
// records from the user's machine passes through a Redactor first:
//
//   - Env keeps only an allowlist of build-relevant variables and hides the
//     value of any whose name sounds secret (CARGO_REGISTRY_TOKEN).
//   - Argv hides the values of secret-looking flags (--token x,
//     --password=x), of NAME=value words with a secret name, and of curl's
//     -u and -H credentials, keeping the flag itself visible.
//   - String and NewWriter redact free text line by line: token-shaped
//     values (GitHub, GitLab, AWS, Slack, npm, PyPI, OpenAI, Anthropic,
//     Google, Stripe, Hugging Face, JWTs), Authorization and Cookie headers,
//     URL passwords, secret-named assignments, and private key blocks, which
//     span lines.
//
// Text is cut into lines at '\n' and '\r'. A cheap scan for trigger
// substrings decides which rules a line needs, so ordinary build output costs
// one pass over its bytes. Lines longer than 64 KiB are redacted in pieces,
// identically by String and by the writer, so a log redacts the same however
// it was chunked.
package redact
