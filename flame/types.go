package flame

// Kind says what kind of code a frame is, for colouring and for the
// annotations of the folded format.
type Kind uint8

// Frame kinds. The folded format marks Kernel frames with a "_[k]" suffix,
// Inlined with "_[i]" and JIT with "_[j]", the annotations of
// stackcollapse-perf.pl --all (which marks as inlined only the later
// frames of an "a->b" chain, not perf's "(inlined)" frames); User and
// Library frames carry no suffix.
const (
	KindUser    Kind = iota // the program's own code
	KindLibrary             // shared libraries (libc, libstd...)
	KindKernel              // the kernel and its modules
	KindInlined             // a frame perf resolved as inlined into its caller
	KindJIT                 // code from a perf-PID.map (JIT compilers)
)

// Frame is one entry of a sampled stack.
type Frame struct {
	// Addr is the instruction address perf printed.
	Addr uint64
	// Symbol is the function name with the "+0x..." offset stripped, or
	// "[unknown]" when perf could not resolve it.
	Symbol string
	// DSO is the mapping the address falls in as perf names it:
	// "/usr/lib/x86_64-linux-gnu/libc.so.6", "[kernel.kallsyms]",
	// "/tmp/perf-123.map", or "[unknown]".
	DSO  string
	Kind Kind
	// File and Line are the frame's source position, when the text gave
	// one (a source line under the frame: see parseSrcline); "" and 0
	// otherwise.
	File string
	Line uint32
}

// Sample is one perf record: a stack taken in one thread at one time.
type Sample struct {
	Comm   string
	PID    int
	TID    int
	Time   float64 // seconds, as perf prints it
	Event  string  // e.g. "cpu-clock", "cycles"
	Period uint64  // the event's period for this sample (ns for cpu-clock)
	// Frames are innermost first, as perf script prints them.
	Frames []Frame
}

// Stack is one distinct call stack and its weight.
type Stack struct {
	// Frames are outermost first: the process name (comm, optionally with
	// "-PID" or "-PID/TID"), then callers, then the sampled function, with
	// kind annotations as in the folded format.
	Frames []string
	// Count is the number of samples (or the summed period, when folding
	// by period) with this stack.
	Count int64
}
