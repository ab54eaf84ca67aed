// Package bundle writes, reads, verifies and extracts perfcap bundles.
//
// A bundle is one tar stream compressed with zstd. Its first entry is
// manifest.json (a [Manifest]): the run it records and, for every other
// entry, its path, size and SHA-256. The other entries follow in path order
// and are regular files only.
//
// Writing: a [Writer] stages files in a spool directory beside the final
// path while the run produces them, then Close hashes them, writes the
// archive to a temporary file and renames it into place, so the bundle path
// holds either nothing or a complete bundle.
//
// Exporting: [ExportZip] rewrites a bundle as a deflated zip, manifest.json
// first, for places that refuse .tar.zst (GitHub attachments), leaving out
// the largest optional files to fit a size cap and naming them in the
// manifest's Dropped list.
//
// Reading: bundles come from other machines and are treated as hostile.
// The readers take both containers and tell them apart by content: a zip
// starts with "PK\x03\x04" and is read through its central directory,
// anything else is read as tar.zst. In a zip, an [Error]'s Offset is where
// the member's data starts in the file itself.
// [ReadManifest] decompresses only up to the first entry; [Walk], [ReadFile],
// [Verify] and [Extract] stream the whole archive through the same checks
// (safe relative paths, regular files, listed once in the manifest, sizes
// and hashes as listed) under the bounds of [Limits]. Every refusal is a
// one-line [*Error] that names the bundle and the entry and matches one of
// the Err sentinels with errors.Is.
package bundle
