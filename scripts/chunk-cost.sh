#!/usr/bin/env bash
# chunk-cost.sh measures a long dwarf recording in chunks (perfcap's
# default) against the same recording in one perf.data (--keep-perf-data),
# for the README's figures: the perf output on disk at once, what reading
# the chunks during the run takes from the command, and the delay between
# the command's end and the bundle.
#
# Usage (from anywhere in the repository; needs go, perf and python3):
#
#   scripts/chunk-cost.sh
#
#   RUNS      runs of each mode, interleaved ABBA (default 4)
#   CPU       CPU seconds the command burns (default 240)
#   THREADS   its threads (default 2: every core of a 2-core machine busy,
#             the worst case, where the chunks' reading competes with it)
#   MAX_SIZE  --perf-max-size of the recordings in chunks (default 64M)
#
# The command is `workload burncpu CPU --threads THREADS`: a fixed amount
# of work, so CPU taken from it shows as a longer wall time. It is recorded
# with --call-graph dwarf,16384 at 99 Hz, as perfcap records cargo. One
# perf.data is given --perf-max-size 64G so that it holds the whole run.
# The perf output on disk is polled every 0.2 s (the files under the run's
# .NAME.perf-* folder) besides perfcap's own count (summary.json's
# perf.chunks.disk_high_water_bytes). The delay is from the command's end
# (the manifest's "ended") to the bundle's modification time. Progress
# goes to stderr, the Markdown table to stdout.
set -euo pipefail
export LC_ALL=C

runs=${RUNS:-4}
cpu=${CPU:-240}
threads=${THREADS:-2}
max=${MAX_SIZE:-64M}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "chunk-cost.sh: building perfcap and the workload" >&2
(cd "$repo" && go build -o "$tmp/perfcap" ./cmd/perfcap && go build -o "$tmp/workload" ./internal/workload)

# poll GLOB STOP: the largest total size of the files under the folders
# matching GLOB, every 0.2 s until the file STOP exists.
poll() {
	local high=0 n
	while [[ ! -e $2 ]]; do
		# shellcheck disable=SC2086 # the glob is meant to expand
		n=$({ find $1 -type f -printf '%s\n' 2>/dev/null || true; } | awk '{s += $1} END {print s + 0}')
		if ((n > high)); then high=$n; fi
		sleep 0.2
	done
	echo "$high"
}

# one MODE RUN: records the command once and prints "wall cpu samples
# polled counted runcpu cpu delay" (seconds, bytes).
one() {
	local mode=$1 i=$2 name out flags polled
	name=$mode-$i
	out=$tmp/$name.tar.zst
	if [[ $mode == chunks ]]; then
		flags=(--perf-max-size "$max")
	else
		flags=(--keep-perf-data --perf-max-size 64G)
	fi
	poll "$tmp/.$name.tar.zst.perf-*" "$tmp/$name.stop" >"$tmp/$name.polled" &
	"$tmp/perfcap" --quiet --call-graph dwarf,16384 "${flags[@]}" -o "$out" -- \
		"$tmp/workload" burncpu "$cpu" --threads "$threads" >/dev/null
	touch "$tmp/$name.stop"
	wait
	polled=$(cat "$tmp/$name.polled")
	"$tmp/perfcap" inspect --json "$out" | python3 -c '
import json, sys, datetime
d = json.load(sys.stdin)
s, m, p = d["summary"], d["manifest"], d["summary"].get("perf") or {}
c = p.get("chunks") or {}
ended = m["ended"].rstrip("Z")
ended = datetime.datetime.fromisoformat(ended[:26]).replace(tzinfo=datetime.timezone.utc).timestamp()
print("%.2f %.2f %d %s %d %.2f %.2f %.2f" % (s["wall_seconds"], s["user_seconds"] + s["sys_seconds"], p.get("samples", 0),
      sys.argv[1], c.get("disk_high_water_bytes", 0), c.get("run_cpu_seconds", 0), c.get("cpu_seconds", 0),
      float(sys.argv[2]) - ended))
' "$polled" "$(stat -c %.9Y "$out")"
	rm -f "$out"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

for i in $(seq "$runs"); do
	# ABBA: a machine whose load drifts weighs on both modes alike.
	order="chunks whole"
	((i % 2)) || order="whole chunks"
	for mode in $order; do
		echo "chunk-cost.sh: run $i of $runs, $mode" >&2
		one "$mode" "$i" >>"$tmp/$mode.txt"
		tail -1 "$tmp/$mode.txt" >&2
	done
done

col() { awk -v c="$2" '{print $c}' "$tmp/$1.txt" | median; }
mib() { awk '{printf "%.0f MiB", $1 / 1048576}'; }

echo "_$(date -u +%Y-%m-%d), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(perf version), \`scripts/chunk-cost.sh\` (RUNS=$runs CPU=$cpu THREADS=$threads MAX_SIZE=$max), medians_"
echo
echo "| recording | command wall | command CPU | samples | perf output on disk at once (polled / perfcap's count) | reading CPU during the run / in all | command's end → bundle |"
echo "|---|---|---|---|---|---|---|"
for mode in chunks whole; do
	if [[ $mode == chunks ]]; then label="in chunks, --perf-max-size $max"; else label="one perf.data (--keep-perf-data)"; fi
	counted="—"
	reading="— / (perf script after the run)"
	if [[ $mode == chunks ]]; then
		counted=$(col chunks 5 | mib)
		reading="$(col chunks 6) s / $(col chunks 7) s"
	fi
	echo "| $label | $(col "$mode" 1) s | $(col "$mode" 2) s | $(col "$mode" 3 | awk '{printf "%.0f", $1}') | $(col "$mode" 4 | mib) / $counted | $reading | $(col "$mode" 8) s |"
done
