package format

// Analysis is what a CPU profile says for the report's analysis sections
// (summary.json's perf.analysis): where the user's own code spends the
// samples, and the share of the samples in allocation, lock and system
// call functions. Every share is a fraction (0 to 1) of Samples. The
// package analysis computes it from a pprof profile, of a whole run or of
// one benchmark.
type Analysis struct {
	// Samples is the number of perf samples analysed.
	Samples int64 `json:"samples"`
	// UserCode says how frames were told to be the user's code.
	UserCode UserCodeRule `json:"user_code"`
	// UserShare is the share of the samples charged to a function of the
	// user's code (see UserFunction.Share); HarnessShare the share whose
	// innermost user frame called into a benchmark harness (Criterion,
	// libtest, Go's testing...), which is charged to no user function.
	UserShare    float64 `json:"user_share"`
	HarnessShare float64 `json:"harness_share"`
	// Bottleneck is the user's function with the largest Share, with its
	// hottest call path; nil when no sample has user code.
	Bottleneck *Bottleneck `json:"bottleneck,omitempty"`
	// UserFunctions are the user's functions with the largest Share,
	// largest first, the bottleneck among them.
	UserFunctions []UserFunction `json:"user_functions,omitempty"`
	// Categories are the allocation, garbage collection, lock and system
	// call shares, in that order, each counted inclusively: a sample
	// counts once in a category when any frame of its stack is in it, so
	// categories overlap (a contended lock enters the kernel).
	Categories []Category `json:"categories"`
	// KernelFrames is set when the stacks hold kernel frames; without
	// them the system call share counts only the user-space system call
	// wrappers it knows.
	KernelFrames bool `json:"kernel_frames"`
}

// UserCodeRule records how user code was decided, so that a reader can
// tell why a function counts as the user's.
type UserCodeRule struct {
	// Packages are the user's crate and package names (from the Cargo
	// package, the Go module): a frame without a source file is the
	// user's when its function is in one of them.
	Packages []string `json:"packages,omitempty"`
	// Excluded are the source trees whose files are not the user's: the
	// toolchains' and dependencies' (built-in patterns and the
	// directories found for this run).
	Excluded []string `json:"excluded"`
	// Harness are the benchmark harnesses whose frames are not charged to
	// the user's code.
	Harness []string `json:"harness"`
}

// UserFunction is one function of the user's code and where its samples
// fall.
type UserFunction struct {
	Name string `json:"name"`
	// File is its source file from the debug information; empty without
	// one.
	File string `json:"file,omitempty"`
	// Line is the line with the most samples; FirstLine and LastLine the
	// lowest and highest line sampled in File (0 when unknown).
	Line      uint32 `json:"line,omitempty"`
	FirstLine uint32 `json:"first_line,omitempty"`
	LastLine  uint32 `json:"last_line,omitempty"`
	// Samples and Share are the samples whose innermost frame of user
	// code is this function: its own code, and the code of libraries and
	// the runtime it calls (not other user functions, not a harness).
	Samples int64   `json:"samples"`
	Share   float64 `json:"share"`
	// SelfShare is the share of the samples taken in its own code (it is
	// the leaf frame); TotalShare those with it anywhere on the stack.
	SelfShare  float64 `json:"self_share"`
	TotalShare float64 `json:"total_share"`
}

// Bottleneck is the user's hottest function and the call path that leads
// to it most often.
type Bottleneck struct {
	UserFunction
	// Path is that call path, outermost first, ending with the function;
	// PathShare the share of the samples charged to the function through
	// exactly this path.
	Path      []PathFrame `json:"path"`
	PathShare float64     `json:"path_share"`
}

// PathFrame is one function of a call path.
type PathFrame struct {
	Name string `json:"name"`
	// File and Line are where in the function the path goes on (the call
	// of the next frame), when the debug information says.
	File string `json:"file,omitempty"`
	Line uint32 `json:"line,omitempty"`
	// User marks a frame of the user's code.
	User bool `json:"user,omitempty"`
}

// Category names.
const (
	CategoryAlloc   = "allocation"
	CategoryGC      = "gc"
	CategoryLock    = "lock"
	CategorySyscall = "syscall"
)

// Category is the share of the samples in one kind of function.
type Category struct {
	// Name is one of the Category constants.
	Name string `json:"name"`
	// Samples and Share count the samples with a frame of the category.
	Samples int64   `json:"samples"`
	Share   float64 `json:"share"`
	// Functions are the functions of the category with the largest
	// inclusive shares, largest first.
	Functions []FunctionShare `json:"functions,omitempty"`
}

// FunctionShare is a function's inclusive share of the samples.
type FunctionShare struct {
	Name    string  `json:"name"`
	Samples int64   `json:"samples"`
	Share   float64 `json:"share"`
}

// Category returns the category named name; nil when a has none.
func (a *Analysis) Category(name string) *Category {
	if a == nil {
		return nil
	}
	for i := range a.Categories {
		if a.Categories[i].Name == name {
			return &a.Categories[i]
		}
	}
	return nil
}
