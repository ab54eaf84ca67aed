package redact

import (
	"maps"
	"testing"
)

func TestEnv(t *testing.T) {
	r := newTestRedactor(t)
	tok := "gh" + "p_" + alnum("env", 36, "")
	environ := []string{
		"PATH=/home/alice/.cargo/bin:/usr/bin",
		"HOME=/home/alice",
		"USER=alice",
		"TZ=Europe/Paris",
		"LD_LIBRARY_PATH=/home/alice/lib",
		"GITHUB_TOKEN=" + tok,
		"AWS_SECRET_ACCESS_KEY=abc",
		"GOPATH=/home/alice/go",
		"GOPROXY=https://proxy.golang.org",
		"GOOGLE_CLOUD_PROJECT=acme-prod",
		"CARGO_HOME=/home/alice/.cargo",
		"CARGO_TARGET_DIR=/home/alice/target",
		"RUSTFLAGS=-C target-cpu=native",
		"RUSTDOCFLAGS=--cfg docsrs",
		"RUST_LOG=info",
		"RUST_BACKTRACE=1",
		"RUSTUP_TOOLCHAIN=nightly-2024-06-01",
		"CARGO_PROFILE_RELEASE_LTO=fat",
		"CARGO_REGISTRY_TOKEN=cio123",
		"CARGO_REGISTRIES_ACME_TOKEN=cio456",
		"CARGO_REGISTRIES_ACME_INDEX=sparse+https://bob:pw@crates.acme.dev/index/",
		"CARGO_HTTP_PROXY=http://proxy:3128",
		"GOFLAGS=-trimpath",
		"GOGC=200",
		"GOMAXPROCS=4",
		"GOAMD64=v3",
		"GODEBUG=gctrace=1",
		"CGO_ENABLED=0",
		"CC=clang",
		"CFLAGS=-O2 -march=native",
		"LDFLAGS=-fuse-ld=mold",
		"MAKEFLAGS=-j8",
		"LANG=en_US.UTF-8",
		"LC_ALL=C",
		"OMP_NUM_THREADS=8",
		"MALLOC_ARENA_MAX=2",
		"LD_PRELOAD=/usr/lib/libjemalloc.so.2",
		"CI=true",
		"RUST_LOG=debug",
		"no equals sign",
	}
	want := map[string]string{
		"RUSTFLAGS":                   "-C target-cpu=native",
		"RUSTDOCFLAGS":                "--cfg docsrs",
		"RUST_LOG":                    "debug",
		"RUST_BACKTRACE":              "1",
		"RUSTUP_TOOLCHAIN":            "nightly-2024-06-01",
		"CARGO_PROFILE_RELEASE_LTO":   "fat",
		"CARGO_REGISTRY_TOKEN":        Placeholder,
		"CARGO_REGISTRIES_ACME_TOKEN": Placeholder,
		"CARGO_REGISTRIES_ACME_INDEX": "sparse+https://bob:[redacted]@crates.acme.dev/index/",
		"CARGO_HTTP_PROXY":            "http://proxy:3128",
		"GOFLAGS":                     "-trimpath",
		"GOGC":                        "200",
		"GOMAXPROCS":                  "4",
		"GOAMD64":                     "v3",
		"GODEBUG":                     "gctrace=1",
		"CGO_ENABLED":                 "0",
		"CC":                          "clang",
		"CFLAGS":                      "-O2 -march=native",
		"LDFLAGS":                     "-fuse-ld=mold",
		"MAKEFLAGS":                   "-j8",
		"LANG":                        "en_US.UTF-8",
		"LC_ALL":                      "C",
		"OMP_NUM_THREADS":             "8",
		"MALLOC_ARENA_MAX":            "2",
		"LD_PRELOAD":                  "/usr/lib/libjemalloc.so.2",
		"CI":                          "true",
	}
	if got := r.Env(environ); !maps.Equal(got, want) {
		for k, v := range got {
			if want[k] != v {
				t.Errorf("Env[%s] = %q, want %q", k, v, want[k])
			}
		}
		for k := range want {
			if _, ok := got[k]; !ok {
				t.Errorf("Env lacks %s", k)
			}
		}
	}
}

func TestEnvHidesPlantedSecrets(t *testing.T) {
	r := newTestRedactor(t)
	for _, p := range plantedSecrets() {
		for _, kv := range []string{"RUSTFLAGS=" + p.text, "CARGO_BUILD_RUSTC_WRAPPER=" + p.text, "CARGO_NET_TOKEN_X=" + p.secret} {
			for name, v := range r.Env([]string{kv}) {
				if v == "" || len(p.secret) > 0 && contains(v, p.secret) {
					t.Errorf("%s: Env(%q)[%s] = %q", p.kind, kv, name, v)
				}
			}
		}
	}
}

func contains(s, sub string) bool { return len(sub) > 0 && len(s) >= len(sub) && indexOf(s, sub) >= 0 }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
