#!/usr/bin/env bash
# Cost of the rootfs measurement (the manifest digest of every file the
# program can see, executor/manifest.h), cold and cached:
#   cold    an empty measurement cache: every file is read and hashed
#   cached  the cache of the previous measurement: every entry is stat()ed,
#           nothing is read
# for the host's rootfs (the default: /usr, /bin, /lib*, a few /etc files),
# and for a --rootfs DIR when given. With --drop-caches (root) the kernel's
# page cache is dropped before the cold measurement, so that it reads the
# disk; without it the files may already be in memory.
#
#   bench/rootfs_measure.sh [--drop-caches] [ITERATIONS] [ROOTFS]
#   (default 10; needs `make sandbox_bench` in build/)
set -euo pipefail
cd "$(dirname "$0")/.."
drop=0
if [ "${1:-}" = "--drop-caches" ]; then drop=1; shift; fi
n=${1:-10}
rootfs=${2:-}
build=${RUNSEAL_BUILD:-build}
tool=$build/bench/sandbox_bench
[ -x "$tool" ] || { echo "build first: cmake --build $build --target sandbox_bench" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$drop" = 1 ]; then
  sync
  echo 3 > /proc/sys/vm/drop_caches
fi
out=$("$tool" measure "$n" "$tmp/cache" ${rootfs:+"$rootfs"})
read -r _ cold _ _ <<<"$(grep '^cold ' <<<"$out")"
read -r _ entries _ bytes <<<"$(grep '^entries ' <<<"$out")"
read -r _ mean median min <<<"$(grep '^cached ' <<<"$out")"
printf 'rootfs %s: %d entries, %d MiB of file contents (kernel %s, %d cores, load %s)\n' \
  "${rootfs:-host}" "$entries" $(( bytes >> 20 )) "$(uname -r)" "$(nproc)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'cold   %10.1f ms%s\n' "$(awk -v x="$cold" 'BEGIN { print x / 1000 }')" \
  "$([ "$drop" = 1 ] && echo '  (page cache dropped)' || echo '  (page cache as found)')"
printf 'cached %10.1f ms mean, %.1f median, %.1f min  (%d runs)\n' \
  "$(awk -v x="$mean" 'BEGIN { print x / 1000 }')" "$(awk -v x="$median" 'BEGIN { print x / 1000 }')" \
  "$(awk -v x="$min" 'BEGIN { print x / 1000 }')" "$n"
printf 'cache file: %d KiB\n' $(( $(stat -c %s "$tmp"/cache/rootfs-*.v1) >> 10 ))
