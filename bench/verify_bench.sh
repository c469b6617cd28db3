#!/usr/bin/env bash
# Full-audit throughput of `runseal-verify ledger` against the machine's
# ECDSA P-256 verify limit, measured in the same invocation:
#
#   baseline   openssl speed -multi $(nproc) ecdsap256 (and ed25519): the
#              verifies per second all cores can do, measured right before
#              and after each ledger's audits (their mean is that row's limit)
#   software   ledgers of 10^4 and 10^5 software-signed entries, filled by
#              bench/verify_fill.c with records shaped like real runs:
#                batch 1     one checkpoint per entry, as `runseal run`
#                            writes: each entry costs one ECDSA and one
#                            Ed25519 verification
#                batch 1000  one checkpoint per 1000 entries (batched
#                            appends): essentially one ECDSA verify per entry
#   tpm        the same with a swtpm-quoted ledger (batch 1, the only way a
#              TPM signer appends), its AK enrolled with the EK certificate
#
# For each: entries/s, the ratio to the ECDSA limit, the ratio to the
# signature work the ledger needs (ECDSA + Ed25519 per checkpoint), and the
# peak RSS. Memory must not grow with the ledger: compare 10^4 with 10^5.
#
#   bench/verify_bench.sh [--sizes "10000 100000"] [--tpm-sizes "10000"] [--no-tpm]
#   (needs a build in build/ or $RUNSEAL_BUILD; swtpm for the TPM part)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="10000 100000"
tpm_sizes="10000"
tpm=1
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes=$2; shift ;;
    --tpm-sizes) tpm_sizes=$2; shift ;;
    --no-tpm) tpm=0 ;;
    *) echo "usage: bench/verify_bench.sh [--sizes LIST] [--tpm-sizes LIST] [--no-tpm]" >&2; exit 64 ;;
  esac
  shift
done
build=${RUNSEAL_BUILD:-build}
[ -x "$build/executor/runseal" ] || { echo "build first: scripts/build" >&2; exit 1; }
cmake --build "$build" --target verify_fill >/dev/null
rs=$build/executor/runseal
rsv=$build/verifier/runseal-verify
fill=$build/bench/verify_fill
cpus=$(nproc)
tmp=$(mktemp -d)
trap '[ -n "${tpmdir:-}" ] && scripts/swtpm stop "$tpmdir" >/dev/null 2>&1; rm -rf "$tmp"' EXIT

# openssl speed's verify/s column for one algorithm, all cores.
speed() {
  openssl speed -seconds 3 -multi "$cpus" "$1" 2>/dev/null | awk '/^ *(256|253) bits/ { v = $NF } END { print v + 0 }'
}
ec1=$(speed ecdsap256)
ed1=$(speed ed25519)

# audit NAME HOME TRUST: best of 3 full audits, with the ECDSA and Ed25519
# limits measured right before and after them (the machine's load moves).
results=()
audit() {
  local name=$1 home=$2 trust=$3 best=0 rss=0 n t m line e1 e2 d1 d2
  n=$("$rsv" ledger --home "$home" --trust "$trust" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])')
  e1=$(speed ecdsap256)
  d1=$(speed ed25519)
  for _ in 1 2 3; do
    line=$( { /usr/bin/time -f "%e %M" "$rsv" ledger --home "$home" --trust "$trust" -q; } 2>&1 | tail -1)
    t=${line% *}
    m=${line#* }
    if awk -v t="$t" -v b="$best" 'BEGIN { exit !(b == 0 || t < b) }'; then best=$t; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  cps=$(sqlite3 "$home/ledger.db" 'SELECT count(*) FROM checkpoints' 2>/dev/null ||
        python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM checkpoints').fetchone()[0])" "$home/ledger.db")
  e2=$(speed ecdsap256)
  d2=$(speed ed25519)
  results+=("$name $n $cps $best $rss $(awk -v a="$e1" -v b="$e2" 'BEGIN { printf "%.0f", (a + b) / 2 }') $(awk -v a="$d1" -v b="$d2" 'BEGIN { printf "%.0f", (a + b) / 2 }')")
}

printf 'verify_bench: %s cores (%s), kernel %s, %s\n' "$cpus" \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(uname -r)" "$(openssl version)"

"$rs" --home "$tmp/sw" init >/dev/null
"$rs" --home "$tmp/sw" identity export -o "$tmp/sw.trust" 2>/dev/null
for size in $sizes; do
  for batch in 1 1000; do
    home=$tmp/sw-$size-$batch
    mkdir -p "$home"
    cp -r "$tmp/sw/keys" "$home/keys"
    cp "$tmp/sw/ledger.db" "$home/ledger.db"
    t0=$(date +%s%N)
    "$fill" "$home" "$size" "$batch"
    t1=$(date +%s%N)
    printf '  filled software %-7s batch %-4s in %5.1f s\n' "$size" "$batch" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')"
    audit "software/batch$batch" "$home" "$tmp/sw.trust"
    rm -f "$home/ledger.db-wal" "$home/ledger.db-shm"
  done
done

if [ "$tpm" = 1 ] && command -v swtpm >/dev/null; then
  tpmdir=$tmp/tpm
  export RUNSEAL_TCTI
  RUNSEAL_TCTI=$(scripts/swtpm start "$tpmdir")
  export TPM2TOOLS_TCTI=$RUNSEAL_TCTI
  "$rs" --home "$tmp/tpmhome" init --signer tpm >/dev/null
  "$rs" --home "$tmp/tpmhome" identity export -o "$tmp/identity.pem" 2>/dev/null
  "$rsv" enroll "$tmp/identity.pem" --ek-ca "$tpmdir/ek-ca.pem" --challenge "$tmp/ch.pem" --state "$tmp/st.pem" >/dev/null
  "$rs" --home "$tmp/tpmhome" identity activate "$tmp/ch.pem" -o "$tmp/resp.pem" 2>/dev/null
  "$rsv" enroll --response "$tmp/resp.pem" --state "$tmp/st.pem" --trust "$tmp/tpm.trust" >/dev/null
  done_n=0
  for size in $tpm_sizes; do
    t0=$(date +%s%N)
    "$fill" "$tmp/tpmhome" $((size - done_n)) 1
    t1=$(date +%s%N)
    done_n=$size
    printf '  filled tpm      %-7s batch 1    in %5.1f s\n' "$size" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')"
    audit "tpm/batch1" "$tmp/tpmhome" "$tmp/tpm.trust"
  done
elif [ "$tpm" = 1 ]; then
  echo "  (no swtpm: TPM part skipped; scripts/install-deps)"
fi

ec2=$(speed ecdsap256)
ed2=$(speed ed25519)
ec=$(awk -v a="$ec1" -v b="$ec2" 'BEGIN { printf "%.0f", (a + b) / 2 }')
ed=$(awk -v a="$ed1" -v b="$ed2" 'BEGIN { printf "%.0f", (a + b) / 2 }')
printf 'overall baseline (openssl speed -multi %s, start and end): ecdsap256 %s verify/s (%s, %s), ed25519 %s verify/s (%s, %s)\n' \
  "$cpus" "$ec" "$ec1" "$ec2" "$ed" "$ed1" "$ed2"
printf '%-18s %8s %8s %8s %10s %9s %9s %9s %9s\n' ledger entries checkpts seconds entries/s "ecdsa/s" "/ecdsa" "/needed" "peak RSS"
for r in "${results[@]}"; do
  set -- $r
  awk -v name="$1" -v n="$2" -v cps="$3" -v t="$4" -v rss="$5" -v ec="$6" -v ed="$7" 'BEGIN {
    rate = n / t
    # The signature work this ledger needs at the machine limit: one
    # ECDSA verify per entry and one Ed25519 verify per checkpoint.
    need = n / ec + cps / ed
    printf "%-18s %8d %8d %8.2f %10.0f %9.0f %8.2fx %8.2fx %7.1f MB\n", name, n, cps, t, rate, ec, rate / ec, need / t, rss / 1024
  }'
done
echo "ecdsa/s: openssl speed -multi $cpus ecdsap256 right before and after that row's audits (mean)"
echo "/ecdsa: entries/s over that limit; /needed: the time the ledger's signature work (ECDSA per entry, Ed25519 per checkpoint) takes at the openssl limits over the audit's time (1.00 = at the limit)"
