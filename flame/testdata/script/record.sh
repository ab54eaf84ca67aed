#!/bin/sh
# Re-records the perf script fixtures of this folder with the real perf, from
# the programs in src/. Needs gcc, g++, go, perf, and perf_event_paranoid <= 1
# (or root). The recorded text names the build folder and the PIDs, so the
# goldens in ../fold change with every run: update them with
#   go test ./flame -run FoldGolden -update-fold
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cp -r "$here/src/." .
gcc -O2 -g -fno-omit-frame-pointer -o fp fp.c
gcc -O2 -g -fno-omit-frame-pointer -pthread -o thr thr.c
gcc -O2 -g -fno-omit-frame-pointer -o sys sys.c
gcc -O2 -g -o inl inl.c
gcc -O2 -g -fno-omit-frame-pointer -o jit jit.c
g++ -O2 -g -fno-omit-frame-pointer -o cxx cxx.cc
(cd gop && go build -o ../gobin .)

rec() { perf record -q -F 999 "$@" >/dev/null 2>&1; }
rec -g -o fp.data ./fp
rec -g --sample-cpu -o thr.data ./thr
rec -g -o sys.data ./sys
rec --call-graph dwarf,16384 -o inl.data ./inl
rec -g -o jit.data ./jit
rec -g -o cxx.data ./cxx
rec -g -o go.data ./gobin
rec -o nog.data ./thr
rec -o dd.data -- dd if=/dev/zero of=/dev/null bs=64k count=100000

perf script -i fp.data >"$here/fp.txt"
perf script -i thr.data -F comm,pid,tid,cpu,time,event,period,ip,sym,dso >"$here/threads-fields.txt"
perf script -i sys.data >"$here/kernel.txt"
perf script -i inl.data >"$here/dwarf-inline.txt"
perf script -i inl.data -F +srcline >"$here/srcline.txt"
perf script -i jit.data >"$here/jit.txt"
perf script -i cxx.data >"$here/cxx.txt"
perf script -i go.data >"$here/go.txt"
perf script -i nog.data >"$here/no-callchain.txt"
perf script -i dd.data -F comm,tid,time,event,period >"$here/no-ip-dd.txt"
# jit.c leaves its symbol map behind for perf script; remove only that one.
rm -f "$(grep -o -m1 '/tmp/perf-[0-9]*\.map' "$here/jit.txt")"
