package redact

import "strings"

// envNames are the variables a bundle keeps by exact name: those that
// change how a Rust, Go or C build is compiled, linked or run.
var envNames = map[string]bool{
	// Rust and Cargo come by prefix, see envPrefixes.
	// Go: the variables that change code generation, the runtime or the
	// toolchain, not the ones that locate files (GOPATH, GOROOT, GOCACHE,
	// GOMODCACHE) or name private hosts (GOPROXY, GOPRIVATE, GONOSUMDB,
	// GOAUTH): those say who and where, not how fast.
	"GOFLAGS": true, "GOGC": true, "GOMEMLIMIT": true, "GOMAXPROCS": true, "GODEBUG": true,
	"GOEXPERIMENT": true, "GOTOOLCHAIN": true, "GOTRACEBACK": true, "GOOS": true, "GOARCH": true,
	"GOAMD64": true, "GOARM": true, "GOARM64": true, "GO386": true, "GOMIPS": true, "GOMIPS64": true,
	"GOPPC64": true, "GORISCV64": true, "GOWASM": true,
	// C and C++ toolchains, as make, cmake and the cc crate read them.
	"CC": true, "CXX": true, "CPP": true, "AR": true, "AS": true, "LD": true, "NM": true, "RANLIB": true,
	"CFLAGS": true, "CXXFLAGS": true, "CPPFLAGS": true, "LDFLAGS": true, "ASFLAGS": true,
	"TARGET_CC": true, "TARGET_CXX": true, "TARGET_AR": true, "TARGET_CFLAGS": true, "TARGET_CXXFLAGS": true,
	"HOST_CC": true, "HOST_CXX": true, "HOST_CFLAGS": true, "HOST_CXXFLAGS": true,
	"MAKEFLAGS": true, "MFLAGS": true, "CMAKE_BUILD_PARALLEL_LEVEL": true, "CMAKE_BUILD_TYPE": true,
	// Thread pools.
	"RAYON_NUM_THREADS": true, "TOKIO_WORKER_THREADS": true, "OPENBLAS_NUM_THREADS": true,
	"MKL_NUM_THREADS": true, "NUM_JOBS": true,
	// Allocators and the loader. LD_PRELOAD is kept although its value is
	// a path: a preloaded allocator or profiler changes the very numbers the
	// bundle reports. LD_LIBRARY_PATH is not: like PATH it mostly lists
	// directories under the user's home.
	"GLIBC_TUNABLES": true, "_RJEM_MALLOC_CONF": true, "LD_PRELOAD": true, "LD_BIND_NOW": true,
	// Locale changes sorting, formatting and parsing speed.
	"LANG": true,
	// CI machines are noisy neighbours; a reader should know.
	"CI": true,
}

// envPrefixes keep every variable that starts with one of them.
var envPrefixes = []string{
	"RUST",   // RUSTFLAGS, RUSTDOCFLAGS, RUSTC_WRAPPER, RUST_LOG, RUST_BACKTRACE, RUSTUP_TOOLCHAIN...
	"CARGO_", // profiles, build and target settings, CARGO_ENCODED_RUSTFLAGS...
	"CGO_",   // CGO_ENABLED, CGO_CFLAGS...
	"CC_",    // cc crate per-target: CC_x86_64_unknown_linux_gnu
	"CXX_",
	"CFLAGS_",
	"CXXFLAGS_",
	"AR_",
	"OMP_",    // OpenMP: OMP_NUM_THREADS, OMP_PROC_BIND...
	"MALLOC_", // glibc MALLOC_ARENA_MAX, jemalloc MALLOC_CONF
	"MIMALLOC_",
	"LC_", // LC_ALL and the single categories
}

// envPathNames would pass the prefixes but only locate files under the
// user's home, which the bundle should not reveal.
var envPathNames = map[string]bool{
	"CARGO_HOME": true, "CARGO_TARGET_DIR": true, "CARGO_BUILD_TARGET_DIR": true,
	"CARGO_MANIFEST_DIR": true, "CARGO_MANIFEST_PATH": true, "CARGO_INSTALL_ROOT": true,
	"RUSTUP_HOME": true,
}

// allowedEnv reports whether a variable may enter a bundle. Left out on
// purpose: PATH, HOME, USER, PWD and the like (they reveal who the user is
// and where their files are; the toolchain is recorded by asking it for its
// version instead), TZ (locates the user and does not change performance),
// and everything not listed, since an unknown variable may hold anything.
func allowedEnv(name string) bool {
	if envNames[name] {
		return true
	}
	if envPathNames[name] {
		return false
	}
	for _, p := range envPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Env returns the build-relevant part of an environment ("NAME=value"
// entries, as os.Environ gives them) as a map: only allowlisted variables
// (see allowedEnv), the value of any with a secret name (CARGO_REGISTRY_TOKEN,
// CARGO_REGISTRIES_X_TOKEN) replaced by Placeholder, and the other values
// redacted by String. A later entry overrides an earlier one, as in
// os/exec. The values of every variable with a secret name, kept or not,
// are remembered and hidden wherever they appear later.
func (r *Redactor) Env(environ []string) map[string]string {
	m := make(map[string]string)
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if ok && isSecretName(name) && secretShaped(value) {
			// Remembered even when the variable is not kept: a secret
			// from the environment is hidden wherever the command prints
			// it (see Redactor).
			r.learn([]byte(value), []byte(Placeholder))
		}
		if !ok || !allowedEnv(name) {
			continue
		}
		if isSecretName(name) && value != "" {
			value = Placeholder
		} else {
			value = r.String(value)
		}
		m[name] = value
	}
	return m
}

// secretShaped reports whether an environment value looks like a
// credential rather than a path or a word (PWD has a secret-looking name):
// at least 16 bytes, no spaces, not a path, letters and digits both.
func secretShaped(v string) bool {
	return len(v) >= 16 && !strings.ContainsAny(v, " \t/") && hasLetterAndDigit([]byte(v))
}
