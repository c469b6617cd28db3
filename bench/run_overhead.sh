#!/usr/bin/env bash
# Cost of one attested run, as ratios against baselines measured in the
# same invocation:
#   bare      /bin/true
#   bwrap     bwrap --unshare-all --die-with-parent --ro-bind / / /bin/true
#   runseal   runseal run --quiet -- /bin/true   (sandbox + record + signature
#             + durable ledger append, software signer)
#
#   bench/run_overhead.sh [ITERATIONS]     (default 100; needs build/)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
bin=${RUNSEAL_BIN:-build/executor/runseal}
[ -x "$bin" ] || { echo "build first: scripts/build" >&2; exit 1; }
command -v bwrap >/dev/null || { echo "needs bwrap (scripts/install-deps)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export RUNSEAL_HOME="$tmp/home"
"$bin" init >/dev/null

# time_it NAME CMD...: mean wall time per run in microseconds, after 3 warm-ups.
time_it() {
  local name=$1; shift
  for _ in 1 2 3; do "$@" >/dev/null 2>&1; done
  local start end
  start=$(date +%s%N)
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1; done
  end=$(date +%s%N)
  echo $(( (end - start) / n / 1000 ))
}

bare=$(time_it bare /bin/true)
bw=$(time_it bwrap bwrap --unshare-all --die-with-parent --ro-bind / / /bin/true)
rsl=$(time_it runseal "$bin" run --quiet -- /bin/true)
entries=$("$bin" log | wc -l)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }'; }

printf 'runs per variant: %d  (kernel %s, %d cores)\n' "$n" "$(uname -r)" "$(nproc)"
printf '%-10s %10s\n' variant "us/run"
printf '%-10s %10d\n' bare "$bare" bwrap "$bw" runseal "$rsl"
printf 'runseal / bwrap : %sx\n' "$(ratio "$rsl" "$bw")"
printf 'runseal / bare  : %sx\n' "$(ratio "$rsl" "$bare")"
printf 'ledger entries written: %d; ledger bytes per entry: %d\n' "$entries" \
  $(( $(stat -c %s "$RUNSEAL_HOME/ledger.db") / (entries > 0 ? entries : 1) ))
