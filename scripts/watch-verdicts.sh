#!/usr/bin/env bash
# watch-verdicts.sh runs perfcap watch in real time with its defaults (1 s
# samples, automatic warm-up and fit buckets: 5 min and 30 s for a 10-minute
# watch) on three real processes for MINUTES (default 10) and prints each
# verdict, for the README's figures:
#
#   a steady leak of 1 MiB a minute      (want: growing, ~60 MiB/h)
#   a 50 MiB GC sawtooth every 10 s      (want: flat)
#   an 80 MiB ramp over 4 min, then flat (want: flat; the warm-up covers it)
#
# Usage: scripts/watch-verdicts.sh   (builds perfcap and the workload; the
# three watches run at once, so it takes MINUTES minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/perfcap" ./cmd/perfcap
go build -o "$work/workload" ./internal/workload
secs=$((MINUTES * 60 + 60))
"$work/perfcap" watch -q --duration "${MINUTES}m" -o "$work/leak.tar.zst" -- "$work/workload" leak 17476 "${secs}s" &
"$work/perfcap" watch -q --duration "${MINUTES}m" -o "$work/saw.tar.zst" -- "$work/workload" sawtooth 50MiB 10s "${secs}s" &
"$work/perfcap" watch -q --duration "${MINUTES}m" -o "$work/plateau.tar.zst" -- "$work/workload" plateau 80MiB 4m hold "${secs}s" &
wait
for w in leak saw plateau; do
	printf '%-8s ' "$w"
	"$work/perfcap" inspect "$work/$w.tar.zst" | grep '^memory:'
done
