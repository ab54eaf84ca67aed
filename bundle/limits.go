package bundle

// Limits bound the work and memory a reader spends on one bundle, so that a
// hostile bundle (a decompression bomb, millions of entries) is refused
// with [ErrTooLarge] instead of filling the disk or the memory. A zero field
// takes its value from [DefaultLimits].
type Limits struct {
	// MaxEntrySize bounds the size of one member.
	MaxEntrySize int64
	// MaxTotalSize bounds the sum of the sizes of all members.
	MaxTotalSize int64
	// MaxEntries bounds the number of members besides the manifest.
	MaxEntries int
	// MaxManifestSize bounds manifest.json, which is read into memory.
	MaxManifestSize int64
	// DecoderMaxMemory bounds the zstd window, hence the decoder's memory.
	DecoderMaxMemory uint64
}

// DefaultLimits are generous for real runs (hours of samples, large perf
// profiles) and still keep a hostile bundle from exhausting the machine.
var DefaultLimits = Limits{
	MaxEntrySize:     2 << 30,
	MaxTotalSize:     8 << 30,
	MaxEntries:       100_000,
	MaxManifestSize:  64 << 20,
	DecoderMaxMemory: 256 << 20,
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
	if l.DecoderMaxMemory == 0 {
		l.DecoderMaxMemory = DefaultLimits.DecoderMaxMemory
	}
	return l
}
