#!/usr/bin/env bash
# overhead.sh measures perfcap's own cost, for the README's overhead figures.
#
# Usage (from anywhere in the repository; needs go unless PERFCAP is given):
#
#   scripts/overhead.sh [PERFCAP]
#
#   PERFCAP       a perfcap binary to measure; default: build ./cmd/perfcap
#   RUNS          runs of each mode (default 5)
#   IDLE_SECONDS  length of the idle command (default 5)
#   BURN_SECONDS  wall length of the CPU-bound command (default 10)
#
# perfcap runs with --no-perf: this measures perfcap's own sampling; perf
# record's cost is reported per run in summary.json (perf_record_cpu_seconds).
#
# Two comparisons, each mode run RUNS times, interleaved (A B C A B C ...) so
# that the machine's noise falls on every mode alike:
#
#  1. Idle command: `sleep 5` alone, then under perfcap at --interval 100ms and
#     10ms. The CPU time (user + system) of the whole tree is read with bash's
#     `time` keyword (getrusage of waited-for children, to the millisecond;
#     /usr/bin/time prints only hundredths). perfcap's cost is the run's CPU
#     minus the median CPU of `sleep` alone, over the run's wall time: the
#     share of one core perfcap keeps busy. Reported as the median over runs.
#  2. CPU-bound command: `workload burncpu` on every core (nproc threads,
#     BURN_SECONDS of wall time when it has the machine to itself), alone and
#     under perfcap at --interval 100ms. With every core busy, perfcap's CPU
#     comes out of the command's share: the worst case. Reported as the ratio
#     of median wall times, in percent.
#
# Progress goes to stderr; stdout gets only a Markdown table for the README,
# headed by the date, the machine (nproc, CPU) and the command that made it.
# It takes about RUNS × (3 × IDLE_SECONDS + 2 × BURN_SECONDS): 3 minutes by
# default. Everything it builds or writes lives in a temporary directory
# removed on exit.
set -euo pipefail
export LC_ALL=C

runs=${RUNS:-5}
idle=${IDLE_SECONDS:-5}
burn=${BURN_SECONDS:-10}
cores=$(nproc)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ $# -gt 0 ]]; then
	perfcap=$(realpath "$1")
	if [[ ! -x $perfcap ]]; then
		echo "overhead.sh: $1 is not an executable perfcap" >&2
		exit 2
	fi
else
	echo "overhead.sh: building perfcap" >&2
	(cd "$repo" && go build -o "$tmp/perfcap" ./cmd/perfcap)
	perfcap=$tmp/perfcap
fi
echo "overhead.sh: building workload" >&2
(cd "$repo" && go build -o "$tmp/workload" ./internal/workload)
workload=$tmp/workload

# measure FILE CMD... runs CMD with its output in a log and appends
# "CPU-seconds wall-seconds" to FILE; if CMD fails, shows the log and stops.
measure() {
	local file=$1 times
	shift
	if ! times=$( { TIMEFORMAT='%3U %3S %3R'; time "$@" >"$tmp/log" 2>&1; } 2>&1); then
		echo "overhead.sh: failed: $*" >&2
		cat "$tmp/log" >&2
		exit 1
	fi
	rm -f "$tmp/bundle.tar.zst"
	awk '{ printf "%.3f %.3f\n", $1 + $2, $3 }' <<<"$times" | tee -a "$file" >&2
}

# median reads numbers, one a line, and prints their median.
median() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) exit 1; if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f\n", m }'
}

# median_of N FILE prints the median of column N of FILE.
median_of() { cut -d' ' -f"$1" "$2" | median; }

# perfcap100 and perfcap10 are perfcap's command lines, up to the measured command.
perfcap100=("$perfcap" --quiet --no-perf --interval 100ms -o "$tmp/bundle.tar.zst" --)
perfcap10=("$perfcap" --quiet --no-perf --interval 10ms -o "$tmp/bundle.tar.zst" --)

for ((r = 1; r <= runs; r++)); do
	echo "overhead.sh: idle run $r/$runs (CPU-seconds wall-seconds): alone, 100ms, 10ms" >&2
	measure "$tmp/idle-alone" sleep "$idle"
	measure "$tmp/idle-100ms" "${perfcap100[@]}" sleep "$idle"
	measure "$tmp/idle-10ms" "${perfcap10[@]}" sleep "$idle"
done
burncmd=("$workload" burncpu "$((burn * cores))" --threads "$cores")
for ((r = 1; r <= runs; r++)); do
	echo "overhead.sh: CPU-bound run $r/$runs (CPU-seconds wall-seconds): alone, 100ms" >&2
	measure "$tmp/burn-alone" "${burncmd[@]}"
	measure "$tmp/burn-100ms" "${perfcap100[@]}" "${burncmd[@]}"
done

base=$(median_of 1 "$tmp/idle-alone")

# core_share FILE prints the median, over FILE's runs, of the CPU beyond
# sleep's own per second of wall time, in percent of one core.
core_share() {
	awk -v base="$base" '{ print ($1 - base) / $2 * 100 }' "$1" | median
}

burn_alone=$(median_of 2 "$tmp/burn-alone")
burn_perfcap=$(median_of 2 "$tmp/burn-100ms")
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
sleep_cmd="sleep $idle"
burn_cmd="workload burncpu $((burn * cores)) --threads $cores"
perfcap_cmd="perfcap --quiet --no-perf --interval"

cat <<EOF
perfcap overhead, $(date -u +%Y-%m-%d), nproc $cores${cpu_model:+, $cpu_model}, $(uname -sr);
median of $runs interleaved runs, made by \`RUNS=$runs IDLE_SECONDS=$idle BURN_SECONDS=$burn scripts/overhead.sh\`.

| Command | Median wall | perfcap's cost |
|---|---|---|
| \`$sleep_cmd\` | $(median_of 2 "$tmp/idle-alone") s | |
| \`$perfcap_cmd 100ms -o B -- $sleep_cmd\` | $(median_of 2 "$tmp/idle-100ms") s | $(printf '%.2f' "$(core_share "$tmp/idle-100ms")")% of one core |
| \`$perfcap_cmd 10ms -o B -- $sleep_cmd\` | $(median_of 2 "$tmp/idle-10ms") s | $(printf '%.2f' "$(core_share "$tmp/idle-10ms")")% of one core |
| \`$burn_cmd\` | $burn_alone s | |
| \`$perfcap_cmd 100ms -o B -- $burn_cmd\` | $burn_perfcap s | $(awk -v a="$burn_alone" -v b="$burn_perfcap" 'BEGIN { printf "%+.2f", (b / a - 1) * 100 }')% wall time |
EOF
