// Package facts describes the machine and the toolchain a command ran on:
// the OS, CPU, memory, storage and virtualization read from /proc and /sys,
// the git state of the working directory, the Go or Rust toolchain, and
// Cargo's workspace and profiles from Cargo.toml and .cargo/config.toml.
//
// The pipeline: Collect runs short, time-bounded probes (each section in
// its own goroutine, commands through the caller's Run so a running
// capture neither measures nor reaps them) and returns a Facts value, the
// content of a bundle's env.json. Read parses an env.json back; WriteText
// prints the facts for `perfcap env`. A fact that cannot be read is named
// in Facts.Unknown with the reason, never guessed.
package facts
