#!/usr/bin/env bash
# record.sh re-records the profiles of this folder with perfcap, on this
# machine: the real perf, real programs (see README.md). Run it from the
# repository's root: analysis/testdata/record.sh
set -euo pipefail
repo=$(pwd)
out=$repo/analysis/testdata
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/perfcap" ./cmd/perfcap

# profile NAME DIR COMMAND...: runs COMMAND in DIR under perfcap, keeps
# the bundle's perf/profile.pb.gz as NAME.pb.gz.
profile() {
	local name=$1 dir=$2
	shift 2
	(cd "$dir" && "$tmp/perfcap" --quiet --force -o "$tmp/$name.tar.zst" "$@" >/dev/null)
	mkdir -p "$tmp/$name"
	"$tmp/perfcap" extract "$tmp/$name.tar.zst" "$tmp/$name" >/dev/null
	cp "$tmp/$name/perf/profile.pb.gz" "$out/$name.pb.gz"
}

cc -O2 -g -fno-omit-frame-pointer -o "$tmp/alloc" "$out/src/alloc.c"
cc -O2 -g -pthread -o "$tmp/lock" "$out/src/lock.c"
# alloc with frame pointers, perfcap's default for it: glibc has none, so
# most samples in malloc's internals lose their callers, as they do in
# real recordings (perf 6.1's dwarf unwinding here lost them too past a
# second of this program). lock with dwarf unwinding: full stacks.
profile alloc "$tmp" -- "$tmp/alloc" 20000000
profile lock "$tmp" --call-graph dwarf -- "$tmp/lock" 30000000 4

cp -r "$repo/testdata/criterion-demo" "$tmp/demo"
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${TMPDIR:-/tmp}/perfcap-test-criterion-demo-target} \
	CRITERION_HOME=$tmp/criterion \
	profile criterion-vm "$tmp/demo" -- cargo bench --bench vm -- --warm-up-time 1 --measurement-time 3 --noplot

cp -r "$repo/capture/bench/testdata/projects/gobench" "$tmp/gobench"
profile gobench "$tmp/gobench" -- go test -count 1 -run '^$' -bench Interpret -benchtime 1s
