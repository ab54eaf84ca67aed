package analysis

import (
	"slices"
	"strings"

	"github.com/perfcap/perfcap/format"
)

// This file holds the function-name patterns of each category. A name
// is matched as perf and the debug information give it (Rust and C++
// demangled), after dropping what compilers and linkers add to C names:
// glibc's "__GI_" alias prefix, "@plt", "@@GLIBC_2.2.5", and GCC's clone
// suffixes (".constprop.0", ".isra.0", ".part.0", ".cold").

// matcher is one category's patterns.
type matcher struct {
	name string
	// exact names; prefixes of names; Rust paths (see pathAt); parts,
	// matched anywhere.
	exact    map[string]bool
	prefixes []string
	paths    []string
	parts    []string
	// methods, when set, are a path and the method names under it that
	// are in the category: Rust's RawVec grows and frees, but its
	// accessors do not allocate.
	methods []string
	// libraries are base names of shared libraries wholly in the
	// category ("libjemalloc" matches libjemalloc.so.2).
	libraries []string
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// categories are the matchers, in the order of format.Analysis's
// Categories.
var categories = []matcher{
	{
		name: format.CategoryAlloc,
		exact: set("malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc",
			"memalign", "valloc", "pvalloc", "cfree", "malloc_usable_size",
			"__libc_malloc", "__libc_free", "__libc_calloc", "__libc_realloc", "__libc_memalign",
			"_int_malloc", "_int_realloc", "_int_memalign", "sysmalloc", "systrim", "unlink_chunk",
			"__rust_alloc", "__rust_dealloc", "__rust_realloc", "__rust_alloc_zeroed",
			"__rdl_alloc", "__rdl_dealloc", "__rdl_realloc", "__rdl_alloc_zeroed",
			"__rg_alloc", "__rg_dealloc", "__rg_realloc", "__rg_alloc_zeroed",
			"runtime.newobject", "runtime.newarray", "runtime.makeslice", "runtime.makeslicecopy",
			"runtime.growslice", "runtime.makemap", "runtime.makemap_small", "runtime.makechan",
			"runtime.rawbyteslice", "runtime.rawstring", "runtime.rawruneslice", "runtime.nextFreeFast",
			"runtime.convT", "runtime.convTnoptr", "runtime.convTstring", "runtime.convTslice",
			"runtime.convT16", "runtime.convT32", "runtime.convT64"),
		prefixes: []string{"_int_free", "tcache_", "malloc_", "operator new", "operator delete",
			"runtime.mallocgc", "runtime.(*mcache).", "runtime.(*mcentral).", "runtime.(*mheap).alloc",
			"je_", "_rjem_", "mi_", "_mi_", "tc_", "tcmalloc::"},
		paths: []string{"alloc::alloc::", "alloc::raw_vec::finish_grow", "tikv_jemallocator::", "jemallocator::",
			"mimalloc::", "core::alloc::global::GlobalAlloc>::"},
		methods: []string{"alloc::raw_vec::", "grow", "reserve", "try_reserve", "allocate", "try_allocate",
			"with_capacity", "shrink", "deallocate", "drop"},
		libraries: []string{"libjemalloc", "libmimalloc", "libtcmalloc"},
	},
	{
		name: format.CategoryGC,
		prefixes: []string{"runtime.gcBgMarkWorker", "runtime.gcDrain", "runtime.scanobject", "runtime.scanblock",
			"runtime.scanstack", "runtime.scanframeworker", "runtime.greyobject", "runtime.markroot",
			"runtime.gcAssistAlloc", "runtime.gcMark", "runtime.gcStart", "runtime.gcSweep", "runtime.bgsweep",
			"runtime.bgscavenge", "runtime.sweepone", "runtime.(*mspan).sweep", "runtime.(*gcWork).",
			"runtime.findObject", "runtime.wbBufFlush", "runtime.gcWriteBarrier", "runtime.(*sweepLocked).sweep",
			"GC_"},
		libraries: []string{"libgc"},
	},
	{
		name: format.CategoryLock,
		exact: set("pthread_mutex_lock", "pthread_mutex_unlock", "pthread_mutex_trylock", "pthread_mutex_timedlock",
			"pthread_mutex_clocklock", "__pthread_mutex_lock", "__pthread_mutex_unlock", "__pthread_mutex_unlock_usercnt",
			"__pthread_mutex_lock_full", "__pthread_mutex_trylock", "__pthread_mutex_cond_lock",
			"runtime.lock", "runtime.lock2", "runtime.lockWithRank", "runtime.unlock", "runtime.unlock2",
			"runtime.unlockWithRank"),
		prefixes: []string{"pthread_rwlock_", "__pthread_rwlock_", "pthread_spin_", "pthread_cond_", "__pthread_cond_",
			"__lll_lock", "__lll_unlock", "lll_lock", "std::mutex::", "std::__1::mutex::", "std::shared_mutex::",
			"runtime.semacquire", "runtime.semrelease", "runtime.(*mutex).", "runtime.futex", "runtime.(*rwmutex).",
			"sync.(*Mutex).", "sync.(*RWMutex).", "internal/sync.(*Mutex).", "sync.runtime_Semacquire",
			"sync.runtime_Semrelease", "sync.runtime_SemacquireMutex", "sync.runtime_SemacquireRWMutex"},
		paths: []string{"std::sync::mutex::", "std::sync::rwlock::", "std::sync::condvar::", "std::sync::poison::mutex::",
			"std::sync::poison::rwlock::", "std::sync::poison::condvar::", "std::sync::reentrant_lock::",
			"std::sys::sync::mutex::", "std::sys::sync::rwlock::", "std::sys::sync::condvar::", "std::sys::locks::",
			"std::sys::unix::locks::", "std::sys::pal::unix::locks::", "parking_lot::", "parking_lot_core::",
			"lock_api::", "spin::mutex::", "spin::rwlock::"},
		parts: []string{"futex"},
	},
	{
		name: format.CategorySyscall,
		exact: set("entry_SYSCALL_64", "entry_SYSCALL_64_after_hwframe", "entry_SYSCALL_64_safe_stack",
			"do_syscall_64", "x64_sys_call", "entry_SYSENTER_compat", "entry_SYSCALL_compat",
			"do_fast_syscall_32", "do_int80_syscall_32", "el0_svc", "el0_svc_common", "do_el0_svc",
			"invoke_syscall", "syscall"),
		prefixes: []string{"__x64_sys_", "__ia32_sys_", "__arm64_sys_", "__se_sys_", "__do_sys_",
			"syscall.Syscall", "syscall.RawSyscall", "syscall.syscall", "syscall.rawSyscall",
			"syscall.rawVforkSyscall", "internal/runtime/syscall.Syscall", "runtime/internal/syscall.Syscall",
			"golang.org/x/sys/unix.Syscall", "golang.org/x/sys/unix.RawSyscall"},
	},
}

// categoriesOf returns the categories (bits by index in categories) of
// function name in binary bin.
func categoriesOf(name, bin string) uint8 {
	name = tidyCName(name)
	lib := bin[strings.LastIndexByte(bin, '/')+1:]
	var bits uint8
	for i := range categories {
		if categories[i].matches(name, lib) {
			bits |= 1 << i
		}
	}
	return bits
}

func (m *matcher) matches(name, lib string) bool {
	if m.exact[name] {
		return true
	}
	if base, _, ok := strings.Cut(lib, ".so"); ok && slices.Contains(m.libraries, base) {
		return true
	}
	if len(m.methods) > 0 && pathAt(name, m.methods[0]) {
		method := strings.TrimSuffix(name, "::{{closure}}")
		method = method[strings.LastIndex(method, "::")+2:]
		for _, p := range m.methods[1:] {
			if strings.HasPrefix(method, p) {
				return true
			}
		}
	}
	for _, p := range m.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	for _, p := range m.parts {
		if strings.Contains(name, p) {
			return true
		}
	}
	for _, p := range m.paths {
		if pathAt(name, p) {
			return true
		}
	}
	return false
}

// pathAt reports whether name is a function under the Rust path p: the
// name starts with it (after the '<' and '&' of a qualified path), or the
// trait of a qualified path does ("<T as core::alloc::global::GlobalAlloc>::alloc").
// A path inside generic arguments ("Vec<T,alloc::alloc::Global>::push")
// does not count.
func pathAt(name, p string) bool {
	if strings.HasPrefix(strings.TrimLeft(name, "<&"), p) {
		return true
	}
	depth := 0
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '<':
			depth++
		case '>':
			depth--
		case ' ':
			if depth == 1 && strings.HasPrefix(name[i:], " as ") && strings.HasPrefix(name[i+4:], p) {
				return true
			}
		}
	}
	return false
}

// tidyCName drops what compilers and linkers add to a C function's name.
func tidyCName(name string) string {
	if strings.Contains(name, "::") || strings.ContainsAny(name, "(<") {
		return name
	}
	name, _, _ = strings.Cut(name, "@")
	for _, clone := range []string{".constprop.", ".isra.", ".part.", ".cold", ".lto_priv."} {
		if i := strings.Index(name, clone); i > 0 {
			name = name[:i]
		}
	}
	return strings.TrimPrefix(name, "__GI_")
}
