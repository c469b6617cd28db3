#!/usr/bin/env bash
# Cost of one attested run, as ratios against baselines measured in the
# same invocation, the variants alternating run by run (so that caches and
# machine load hit all of them alike):
#   bare        /bin/true
#   bwrap       bwrap --unshare-all --die-with-parent --ro-bind / / /bin/true
#   runseal     runseal run --quiet -- /bin/true   (default policy: sandbox,
#               host rootfs manifest validated against its cache, record,
#               signature, durable ledger append; software signer)
#   unmeasured  the same with "measure_rootfs": false (the record then says
#               the rootfs was not measured)
# and, when bench/sandbox_bench is built (make sandbox_bench), the sandbox
# alone: exec_run() without record, signature or ledger.
#
#   bench/run_overhead.sh [ITERATIONS]     (default 100; needs build/)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
build=${RUNSEAL_BUILD:-build}
bin=${RUNSEAL_BIN:-$build/executor/runseal}
[ -x "$bin" ] || { echo "build first: scripts/build" >&2; exit 1; }
command -v bwrap >/dev/null || { echo "needs bwrap (scripts/install-deps)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export RUNSEAL_HOME="$tmp/home"
"$bin" init >/dev/null
echo '{"measure_rootfs": false}' > "$tmp/unmeasured.json"

variants=(bare bwrap runseal unmeasured)
cmd_bare=(/bin/true)
cmd_bwrap=(bwrap --unshare-all --die-with-parent --ro-bind / / /bin/true)
cmd_runseal=("$bin" run --quiet -- /bin/true)
cmd_unmeasured=("$bin" run --quiet --policy "$tmp/unmeasured.json" -- /bin/true)
declare -A total
for v in "${variants[@]}"; do total[$v]=0; done

# Warm-ups: the first runseal run may measure the rootfs cold (bench/rootfs_measure.sh).
for v in "${variants[@]}"; do
  declare -n c="cmd_$v"
  for _ in 1 2 3; do "${c[@]}" >/dev/null 2>&1; done
done
for ((i = 0; i < n; i++)); do
  for v in "${variants[@]}"; do
    declare -n c="cmd_$v"
    s=${EPOCHREALTIME/./}
    "${c[@]}" >/dev/null 2>&1
    e=${EPOCHREALTIME/./}
    total[$v]=$(( total[$v] + e - s ))
  done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }'; }

printf 'runs per variant: %d, alternating  (kernel %s, %d cores, load %s)\n' "$n" "$(uname -r)" \
  "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %10s %8s\n' variant "us/run" "x bwrap"
for v in "${variants[@]}"; do
  us=$(( total[$v] / n ))
  printf '%-11s %10d %8s\n' "$v" "$us" "$(ratio "$us" $(( total[bwrap] / n )))"
done
if [ -x "$build/bench/sandbox_bench" ]; then
  read -r _ mean median min < <("$build/bench/sandbox_bench" run "$n" "$tmp/unmeasured.json")
  printf '%-11s %10d %8s   (exec_run alone, unmeasured; median %d, min %d)\n' sandbox "$mean" \
    "$(ratio "$mean" $(( total[bwrap] / n )))" "$median" "$min"
fi
entries=$("$bin" log | wc -l)
printf 'ledger entries written: %d; ledger bytes per entry: %d\n' "$entries" \
  $(( $(stat -c %s "$RUNSEAL_HOME/ledger.db") / (entries > 0 ? entries : 1) ))
