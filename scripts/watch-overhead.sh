#!/usr/bin/env bash
# watch-overhead.sh measures what `perfcap watch` costs while it watches, for
# the README's watch figures.
#
# Usage (from anywhere in the repository; needs go unless PERFCAP is given):
#
#   scripts/watch-overhead.sh [PERFCAP]
#
#   PERFCAP   a perfcap binary to measure; default: build ./cmd/perfcap
#   RUNS      watches per setting (default 3)
#   SECONDS_  length of each watch (default 60)
#
# Each run watches an idle `sleep` with --pid at --interval 1s (the default),
# and 1s with --pss, for SECONDS_ seconds. perfcap's CPU is the user+system
# time bash's `time` reports for it (watch start-up and the bundle included);
# its share of one core is that over the wall time, and its peak RSS is
# /usr/bin/time's "Maximum resident set size". Medians over RUNS, settings
# interleaved.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SECS=${SECONDS_:-60}
work=$(mktemp -d)
trap 'kill $sleeper 2>/dev/null || true; rm -rf "$work"' EXIT
perfcap=${1:-}
if [[ -z $perfcap ]]; then
	go build -o "$work/perfcap" ./cmd/perfcap
	perfcap=$work/perfcap
fi
sleep 100000 &
sleeper=$!

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

declare -A cpu rss
for run in $(seq "$RUNS"); do
	for mode in plain pss; do
		flags=()
		[[ $mode == pss ]] && flags=(--pss)
		out=$work/$mode-$run.tar.zst
		TIMEFORMAT='%U %S %R'
		t=$( { time /usr/bin/time -f 'maxrss %M' -o "$work/rss" "$perfcap" watch -q --no-facts "${flags[@]}" \
			--pid "$sleeper" --duration "${SECS}s" -o "$out" >/dev/null 2>&1; } 2>&1 )
		read -r u s r <<<"$t"
		cpu[$mode]+="$(awk -v u="$u" -v s="$s" -v r="$r" 'BEGIN {printf "%.4f", (u+s)/r*100}') "
		rss[$mode]+="$(awk '/maxrss/ {printf "%.1f", $2/1024}' "$work/rss") "
	done
done
for mode in plain pss; do
	c=$(tr ' ' '\n' <<<"${cpu[$mode]}" | grep . | median)
	m=$(tr ' ' '\n' <<<"${rss[$mode]}" | grep . | median)
	printf '%-6s watch --interval 1s, %ss: perfcap %.3f%% of one core, peak RSS %s MiB (median of %d; runs: %s)\n' \
		"$mode" "$SECS" "$c" "$m" "$RUNS" "${cpu[$mode]}"
done
