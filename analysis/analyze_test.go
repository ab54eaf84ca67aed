package analysis

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/perfcap/perfcap/format"
	"github.com/perfcap/perfcap/internal/golden"
)

// readProfile reads a profile of testdata (see testdata/README.md).
func readProfile(t testing.TB, name string) *profile.Profile {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// profiles are the real recordings of testdata, with the options a run
// of perfcap in their project gives.
var profiles = []struct {
	name string
	opts Options
}{
	{"alloc.pb.gz", Options{}},
	{"lock.pb.gz", Options{}},
	{"criterion-vm.pb.gz", Options{Packages: []string{"criterion_demo"}}},
	{"gobench.pb.gz", Options{Packages: []string{"example.com/gobench"}}},
}

// TestAnalyzeGolden compares the analysis of each recording with its
// golden JSON (go test ./analysis -run Golden -update rewrites them).
func TestAnalyzeGolden(t *testing.T) {
	for _, tc := range profiles {
		t.Run(tc.name, func(t *testing.T) {
			a := Analyze(readProfile(t, tc.name), tc.opts)
			got, err := json.MarshalIndent(a, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "golden", strings.TrimSuffix(tc.name, ".pb.gz")+".json"), append(got, '\n'))
		})
	}
}

// TestAnalyzeFacts checks what each recording is known to hold: a
// program that spends its time in malloc and free, one whose threads
// fight for a mutex, a Criterion benchmark whose interpreter loop is
// inlined into Criterion's Bencher::iter, and a Go benchmark.
func TestAnalyzeFacts(t *testing.T) {
	get := func(name string) *format.Analysis {
		for _, tc := range profiles {
			if tc.name == name {
				return Analyze(readProfile(t, name), tc.opts)
			}
		}
		t.Fatalf("no profile %s", name)
		return nil
	}
	checkBottleneck := func(a *format.Analysis, fn, file string, lo, hi uint32) {
		t.Helper()
		b := a.Bottleneck
		if b == nil {
			t.Fatalf("no bottleneck: %+v", a)
		}
		if b.Name != fn || !strings.HasSuffix(b.File, file) || b.Line < lo || b.Line > hi {
			t.Errorf("bottleneck %s at %s:%d, want %s in %s, lines %d to %d", b.Name, b.File, b.Line, fn, file, lo, hi)
		}
		if n := len(b.Path); n == 0 || b.Path[n-1].Name != fn || !b.Path[n-1].User {
			t.Errorf("call path %+v does not end in %s", b.Path, fn)
		}
		if b.PathShare <= 0 || b.PathShare > b.Share {
			t.Errorf("path share %v, bottleneck share %v", b.PathShare, b.Share)
		}
	}
	share := func(a *format.Analysis, cat string) float64 { return a.Category(cat).Share }

	alloc := get("alloc.pb.gz")
	if s := share(alloc, format.CategoryAlloc); s < 0.3 {
		t.Errorf("alloc: allocation share %.0f%%, want over 30%%: %+v", s*100, alloc.Category(format.CategoryAlloc))
	}
	// churn's loop, lines 13 to 21 of alloc.c, inlined into main.
	checkBottleneck(alloc, "churn", "analysis/testdata/src/alloc.c", 13, 21)

	lock := get("lock.pb.gz")
	if s := share(lock, format.CategoryLock); s < 0.3 {
		t.Errorf("lock: lock share %.0f%%, want over 30%%: %+v", s*100, lock.Category(format.CategoryLock))
	}
	if s := share(lock, format.CategorySyscall); s < 0.1 || !lock.KernelFrames {
		t.Errorf("lock: system call share %.0f%% (kernel frames %v): a contended mutex waits in futex", s*100, lock.KernelFrames)
	}
	checkBottleneck(lock, "worker", "analysis/testdata/src/lock.c", 16, 22)
	for _, f := range lock.UserFunctions {
		if strings.Contains(f.Name, "@plt") {
			t.Errorf("a PLT stub counts as the user's: %+v", f)
		}
	}

	vm := get("criterion-vm.pb.gz")
	// interpret spans lines 60 to 103 of lib.rs.
	checkBottleneck(vm, "criterion_demo::interpret", "criterion-demo/src/lib.rs", 60, 103)
	for _, f := range vm.UserFunctions {
		if strings.HasPrefix(f.Name, "criterion::") || strings.HasPrefix(f.Name, "std::") || strings.HasPrefix(f.Name, "core::") {
			t.Errorf("harness or standard library code counts as the user's: %+v", f)
		}
	}

	gob := get("gobench.pb.gz")
	checkBottleneck(gob, "example.com/gobench.interpret", "gobench/bench_test.go", 1, 60)
	if gob.Bottleneck.Share < 0.3 {
		t.Errorf("gobench: interpret has %.0f%%", gob.Bottleneck.Share*100)
	}
	if s := share(gob, format.CategoryAlloc); s <= 0 {
		t.Errorf("gobench: no allocation share; runtime.mallocgc is sampled")
	}
	for _, f := range gob.UserFunctions {
		if strings.HasPrefix(f.Name, "testing.") || strings.HasPrefix(f.Name, "runtime.") {
			t.Errorf("Go's testing or runtime counts as the user's: %+v", f)
		}
	}
}

// TestUserCode covers the decisions one frame at a time.
func TestUserCode(t *testing.T) {
	u := newUserCode(Options{Packages: []string{"my_vm", "example.com/app"}, Excluded: []string{"/opt/go"}})
	for _, tc := range []struct {
		name, file, bin string
		lines           bool
		want            bool
	}{
		{"my_vm::run", "/home/me/vm/src/lib.rs", "/home/me/vm/target/release/vm", true, true},
		{"core::ptr::read", "/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/ptr/mod.rs", "/t/vm", true, false},
		{"criterion::Bencher::iter", "/home/me/.cargo/registry/src/index.crates.io-6f17d22bba15001f/criterion-0.5.1/src/bencher.rs", "/t/vm", true, false},
		{"serde::de::x", "/usr/share/cargo/registry/serde-1.0/src/de.rs", "/t/vm", true, false},
		{"runtime.mallocgc", "/opt/go/src/runtime/malloc.go", "/tmp/go-build1/b001/app.test", true, false},
		{"github.com/x/y.F", "/root/go/pkg/mod/github.com/x/y@v1.0.0/y.go", "/tmp/app.test", true, false},
		{"example.com/app.run", "", "/tmp/app.test", false, true},
		{"example.com/app/sub.run", "", "/tmp/app.test", false, true},
		{"example.com/application.run", "", "/tmp/app.test", false, false},
		{"my_vm::run", "", "/t/vm", true, true},
		{"_init", "", "/t/vm", true, false},
		{"malloc", "", "/usr/lib/x86_64-linux-gnu/libc.so.6", false, false},
		{"main", "/src/x.c", "/usr/bin/x", true, false},
		{"do_syscall_64", "", "[kernel.kallsyms]", false, false},
		{"jitted", "", "/tmp/perf-123.map", false, false},
	} {
		if got := u.isUser(tc.name, tc.file, tc.bin, tc.lines); got != tc.want {
			t.Errorf("isUser(%q, %q, %q) = %v, want %v", tc.name, tc.file, tc.bin, got, tc.want)
		}
	}
	// Without packages, a binary without debug information is the
	// user's, but not its PLT stubs.
	bare := newUserCode(Options{})
	if !bare.isUser("hot_loop", "", "/tmp/prog", false) || bare.isUser("malloc@plt", "", "/tmp/prog", false) {
		t.Errorf("a binary without debug information: its functions are the user's, its PLT stubs are not")
	}
}

func TestPackageOf(t *testing.T) {
	for name, want := range map[string]string{
		"criterion::bencher::Bencher<M>::iter":                                             "criterion",
		"<criterion::routine::Function<M,F,T> as criterion::routine::Routine<M,T>>::bench": "criterion",
		"&mut test::bench::Bencher":                                                        "test",
		"testing.(*B).runN":                                                                "testing",
		"example.com/gobench.interpret":                                                    "example.com/gobench",
		"example.com/gobench.(*vm).run.func1":                                              "example.com/gobench",
		"main":                                                                             "",
	} {
		if got := packageOf(name); got != want {
			t.Errorf("packageOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestCategories(t *testing.T) {
	names := map[string]string{
		"malloc":                   format.CategoryAlloc,
		"cfree@GLIBC_2.2.5":        format.CategoryAlloc,
		"unlink_chunk.constprop.0": format.CategoryAlloc,
		"__rust_alloc":             format.CategoryAlloc,
		"alloc::raw_vec::finish_grow<alloc::alloc::Global>":                        format.CategoryAlloc,
		"alloc::raw_vec::RawVec<T,A>::grow_one":                                    format.CategoryAlloc,
		"<alloc::alloc::Global as core::alloc::Allocator>::allocate":               format.CategoryAlloc,
		"<mimalloc::MiMalloc as core::alloc::global::GlobalAlloc>::alloc":          format.CategoryAlloc,
		"runtime.mallocgcSmallScanNoHeader":                                        format.CategoryAlloc,
		"runtime.gcBgMarkWorker":                                                   format.CategoryGC,
		"__GI___pthread_mutex_unlock_usercnt":                                      format.CategoryLock,
		"pthread_mutex_lock@@GLIBC_2.2.5":                                          format.CategoryLock,
		"<std::sync::poison::mutex::MutexGuard<T> as core::ops::drop::Drop>::drop": format.CategoryLock,
		"parking_lot::raw_mutex::RawMutex::lock_slow":                              format.CategoryLock,
		"sync.(*Mutex).lockSlow":                                                   format.CategoryLock,
		"futex_wait":                                                               format.CategoryLock,
		"entry_SYSCALL_64_after_hwframe":                                           format.CategorySyscall,
		"__x64_sys_read":                                                           format.CategorySyscall,
		"syscall.Syscall6":                                                         format.CategorySyscall,
	}
	for name, want := range names {
		bits := categoriesOf(name, "/x")
		found := false
		for i, m := range categories {
			if bits&(1<<i) != 0 && m.name == want {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: categories %b, want %s", name, bits, want)
		}
	}
	for _, name := range []string{
		"alloc::raw_vec::RawVec<T,A>::ptr", "alloc::vec::Vec<T,alloc::alloc::Global>::push", "myalloc::alloc::thing",
		"__popcountdi2", "interpret", "free_list_walk", "core::ptr::drop_in_place<alloc::vec::Vec<u8>>",
	} {
		lib := "/x"
		if name == "__popcountdi2" {
			lib = "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"
		}
		if bits := categoriesOf(name, lib); bits != 0 {
			t.Errorf("%s (%s): categories %b, want none", name, lib, bits)
		}
	}
	if bits := categoriesOf("arena_malloc_hard", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"); bits != 1 {
		t.Errorf("a function of libjemalloc: categories %b, want allocation", bits)
	}
}

// FuzzAnalyze analyses arbitrary profiles: nothing may panic, and every
// share stays within 0 and 1.
func FuzzAnalyze(f *testing.F) {
	for _, tc := range profiles {
		b, err := os.ReadFile(filepath.Join("testdata", tc.name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := profile.ParseData(b)
		if err != nil {
			return
		}
		a := Analyze(p, Options{Packages: []string{"criterion_demo"}})
		for _, c := range a.Categories {
			if c.Share < 0 || c.Share > 1 {
				t.Errorf("%s share %v", c.Name, c.Share)
			}
		}
		if a.UserShare+a.HarnessShare > 1.000001 {
			t.Errorf("user %v + harness %v > 1", a.UserShare, a.HarnessShare)
		}
	})
}
