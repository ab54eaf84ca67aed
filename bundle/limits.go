package bundle

// Limits bound the work and memory a reader spends on one bundle, so that a
// hostile bundle (a decompression bomb, millions of entries, a manifest of
// millions of empty objects, a zstd frame that asks for a huge window) is
// refused with [ErrTooLarge] instead of filling the disk or the memory. A
// zero field takes its value from [DefaultLimits].
//
// With the defaults every reader of this package — ReadManifest, ReadFile,
// ReadJSON, Walk, Verify, Extract, ExportZip, for tar.zst and zip alike —
// stays under about 200 MB of memory whatever the bundle: members are
// streamed and hashed as they are read, never held, and what is held
// (the manifest, a file ReadFile returns) is bounded before it is
// decompressed.
type Limits struct {
	// MaxEntrySize bounds the size of one member. It is also the largest
	// file Extract writes.
	MaxEntrySize int64
	// MaxTotalSize bounds the sum of the sizes of all members.
	MaxTotalSize int64
	// MaxEntries bounds the number of members besides the manifest, the
	// files the manifest lists and drops, and the words of its command.
	MaxEntries int
	// MaxManifestSize bounds manifest.json, which is read into memory.
	MaxManifestSize int64
	// MaxReadSize bounds a file ReadFile or ReadJSON returns in memory;
	// larger ones are refused from their listed size, before anything is
	// decompressed. Walk and Extract stream files of any size.
	MaxReadSize int64
	// DecoderMaxWindow bounds the zstd window, hence the decoder's memory.
	DecoderMaxWindow uint64
}

// DefaultLimits are generous for real runs (hours of samples, large perf
// profiles) and still keep a hostile bundle from exhausting the machine.
// Writers use a 2 MiB zstd window, and the zstd tool at most 8 MiB unless
// told --long or --ultra, so 16 MiB reads every bundle perfcap or a
// recompression with default settings makes.
var DefaultLimits = Limits{
	MaxEntrySize:     2 << 30,
	MaxTotalSize:     8 << 30,
	MaxEntries:       100_000,
	MaxManifestSize:  32 << 20,
	MaxReadSize:      16 << 20,
	DecoderMaxWindow: 16 << 20,
}

// orDefault fills the zero fields of l from DefaultLimits.
func (l Limits) orDefault() Limits {
	if l.MaxEntrySize <= 0 {
		l.MaxEntrySize = DefaultLimits.MaxEntrySize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultLimits.MaxTotalSize
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultLimits.MaxEntries
	}
	if l.MaxManifestSize <= 0 {
		l.MaxManifestSize = DefaultLimits.MaxManifestSize
	}
	if l.MaxReadSize <= 0 {
		l.MaxReadSize = DefaultLimits.MaxReadSize
	}
	if l.DecoderMaxWindow == 0 {
		l.DecoderMaxWindow = DefaultLimits.DecoderMaxWindow
	}
	return l
}
