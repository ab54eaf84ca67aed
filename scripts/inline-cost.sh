#!/usr/bin/env bash
# inline-cost.sh measures what resolving inlined functions costs perfcap
# flame, for the README's figures: the same perf.data read by default
# (inlined functions from the binaries' DWARF) and with --no-inline.
#
# Usage (from anywhere in the repository; needs go, cargo, perf and
# Debian's librust-criterion-dev unless perf.data files are given):
#
#   scripts/inline-cost.sh [PERF.DATA...]
#
#   RUNS               runs of each mode per recording (default 7)
#   MEASUREMENT_TIMES  Criterion --measurement-time of the recordings made
#                      when no perf.data is given (default "3 20": a small
#                      and a larger recording)
#   PERF_INLINE        set to 1 to also time perf script's own inline
#                      resolution (perf script without --no-inline), once
#                      per recording: it is slow
#
# Without arguments it builds perfcap and testdata/criterion-demo's vm
# benchmark (in $TMPDIR/perfcap-test-criterion-demo-target, shared with the
# tests), and records `cargo bench --bench vm` under perfcap, dwarf-unwound
# as perfcap records cargo, keeping perf.data. The recordings read the
# binaries where they were built, so they must still be there.
#
# Each recording is read RUNS times in each mode, interleaved (A B A B ...)
# so that the machine's noise falls on both alike, with
# `perfcap flame perf.data -o /dev/null --top 0`: perf script, the inline
# reader, folding, the SVG. Wall time and CPU time (user + system of
# perfcap and perf script) come from bash's `time`; the table gives the
# medians and the ratio of medians. Progress goes to stderr, the Markdown
# table to stdout.
set -euo pipefail
export LC_ALL=C

runs=${RUNS:-7}
times=${MEASUREMENT_TIMES:-"3 20"}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "inline-cost.sh: building perfcap" >&2
(cd "$repo" && go build -o "$tmp/perfcap" ./cmd/perfcap)
perfcap=$tmp/perfcap

datas=()
if [[ $# -gt 0 ]]; then
	for d in "$@"; do datas+=("$(realpath "$d")"); done
else
	export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${TMPDIR:-/tmp}/perfcap-test-criterion-demo-target}
	export CRITERION_HOME=$tmp/criterion
	cp -r "$repo/testdata/criterion-demo" "$tmp/demo"
	echo "inline-cost.sh: building the Criterion benchmark (about a minute the first time)" >&2
	(cd "$tmp/demo" && cargo bench --bench vm --no-run >&2 2>/dev/null)
	for mt in $times; do
		echo "inline-cost.sh: recording cargo bench --bench vm, --measurement-time $mt" >&2
		(cd "$tmp/demo" && "$perfcap" --quiet --keep-perf-data -o "$tmp/vm-$mt.tar.zst" -- \
			cargo bench --bench vm -- --warm-up-time 1 --measurement-time "$mt" --noplot >/dev/null)
		mkdir "$tmp/vm-$mt"
		"$perfcap" extract "$tmp/vm-$mt.tar.zst" "$tmp/vm-$mt" >/dev/null
		datas+=("$tmp/vm-$mt/perf/perf.data")
	done
fi

# timed CMD...: runs CMD, prints "wall cpu" in seconds.
timed() {
	local TIMEFORMAT='%R %U %S'
	local t
	t=$({ time "$@" >/dev/null 2>&1; } 2>&1)
	awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<<"$t"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

echo "_$(date -u +%Y-%m-%d), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(perf version), \`scripts/inline-cost.sh\`, $runs runs each, interleaved, medians_"
echo
echo "| recording | samples | perf.data | default (inline) wall / CPU | --no-inline wall / CPU | ratio wall / CPU | perf script's own inline |"
echo "|---|---|---|---|---|---|---|"
for d in "${datas[@]}"; do
	samples=$(perf script -i "$d" --no-inline -F event 2>/dev/null | wc -l)
	size=$(du -h "$d" | cut -f1)
	: >"$tmp/inl" && : >"$tmp/no"
	for ((i = 0; i < runs; i++)); do
		echo "inline-cost.sh: $(basename "$(dirname "$(dirname "$d")")") run $((i + 1))/$runs" >&2
		timed "$perfcap" flame "$d" -o /dev/null --top 0 >>"$tmp/inl"
		timed "$perfcap" flame "$d" --no-inline -o /dev/null --top 0 >>"$tmp/no"
	done
	iw=$(cut -d' ' -f1 "$tmp/inl" | median) ic=$(cut -d' ' -f2 "$tmp/inl" | median)
	nw=$(cut -d' ' -f1 "$tmp/no" | median) nc=$(cut -d' ' -f2 "$tmp/no" | median)
	perfinl="not timed (PERF_INLINE=1)"
	if [[ ${PERF_INLINE:-0} == 1 ]]; then
		read -r pw pc < <(timed perf script -i "$d")
		perfinl="$pw s / $pc s"
	fi
	printf '| %s | %s | %s | %s s / %s s | %s s / %s s | %s / %s | %s |\n' \
		"$(basename "$(dirname "$(dirname "$d")")")" "$samples" "$size" "$iw" "$ic" "$nw" "$nc" \
		"$(awk -v a="$iw" -v b="$nw" 'BEGIN {printf "%.2f", a/b}')" \
		"$(awk -v a="$ic" -v b="$nc" 'BEGIN {printf "%.2f", a/b}')" "$perfinl"
done
