#!/usr/bin/env bash
# Per-run cost of the TPM signer against the software signer, measured in
# the same invocation on the same machine, with a swtpm this script starts:
#   software  runseal run --quiet -- /bin/true   (ECDSA key in a file)
#   tpm       the same, TPM signer: TPM2_ReadPublic when the signer opens,
#             then inside the ledger's write transaction TPM2_PCR_Extend,
#             TPM2_Quote and TPM2_PCR_Read (x2 for the 9 default PCRs)
# Both append durably to their ledger. A swtpm answers in microseconds; a
# discrete TPM takes 17-190 ms per ECC signature (see README.md), so on
# hardware the difference is dominated by the quote.
#
# Then the attestation alone, without the sandbox (bench/seal_bench.c, built
# here): opening the signer, and one seal + durable append, per signer.
#
#   bench/tpm_overhead.sh [ITERATIONS]     (default 50; needs build/)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
bin=${RUNSEAL_BIN:-build/executor/runseal}
[ -x "$bin" ] || { echo "build first: scripts/build" >&2; exit 1; }
command -v swtpm >/dev/null || { echo "needs swtpm (scripts/install-deps)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'scripts/swtpm stop "$tmp/tpm" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
export RUNSEAL_TCTI
RUNSEAL_TCTI=$(scripts/swtpm start "$tmp/tpm")
"$bin" --home "$tmp/sw" init >/dev/null
"$bin" --home "$tmp/tpm-home" init --signer tpm >/dev/null

# Mean wall time per run in microseconds for each home, the two signers
# alternating run by run (so that caches and machine load hit both alike),
# after 3 warm-ups each.
one() {
  local t0 t1
  t0=$(date +%s%N)
  "$bin" --home "$1" run --quiet -- /bin/true >/dev/null 2>&1
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000 ))
}
for _ in 1 2 3; do one "$tmp/sw" >/dev/null; one "$tmp/tpm-home" >/dev/null; done
sw=0
tpm=0
for ((i = 0; i < n; i++)); do
  sw=$(( sw + $(one "$tmp/sw") ))
  tpm=$(( tpm + $(one "$tmp/tpm-home") ))
done
sw=$(( sw / n ))
tpm=$(( tpm / n ))
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }'; }

printf 'runs per signer: %d  (kernel %s, %d cores, swtpm %s)\n' "$n" "$(uname -r)" "$(nproc)" \
  "$(swtpm --version 2>/dev/null | sed -n 's/.*version \([0-9.]*\).*/\1/p')"
printf '%-10s %10s\n' signer "us/run"
printf '%-10s %10d\n' software "$sw" tpm "$tpm"
printf 'tpm / software : %sx\n' "$(ratio "$tpm" "$sw")"
printf 'tpm cost per run (swtpm): %d us\n' $(( tpm - sw ))
# What a hardware TPM would add: the per-run difference measured here is
# the round trips to swtpm; a discrete TPM's ECC quote alone is 17-190 ms.
awk 'BEGIN { printf "with a discrete TPM (quote 17-190 ms): at most %.0f-%.0f TPM-quoted runs/s per TPM (quotes are serialised by the ledger lock and the TPM)\n", 1000/190, 1000/17 }'
# The attestation alone: signer open once, then seal + append, per signer.
build=$(dirname "$(dirname "$bin")")
if cmake --build "$build" --target seal_bench >/dev/null 2>&1; then
  s_sw=$("$build/bench/seal_bench" "$tmp/sw" $((n * 4)))
  s_tpm=$("$build/bench/seal_bench" "$tmp/tpm-home" $((n * 4)))
  field() { echo "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
  printf 'attestation alone (no sandbox): %-8s open %6s us, seal+append %6s us\n' \
    software "$(field "$s_sw" open_us)" "$(field "$s_sw" append_us)" \
    tpm "$(field "$s_tpm" open_us)" "$(field "$s_tpm" append_us)"
  printf 'seal+append tpm / software: %sx\n' \
    "$(ratio "$(field "$s_tpm" append_us)" "$(field "$s_sw" append_us)")"
fi
echo "ledger entries: software $("$bin" --home "$tmp/sw" log | wc -l), tpm $("$bin" --home "$tmp/tpm-home" log | wc -l)"
