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

# time_it HOME: mean wall time per run in microseconds, after 3 warm-ups.
time_it() {
  local home=$1 start end
  for _ in 1 2 3; do "$bin" --home "$home" run --quiet -- /bin/true >/dev/null 2>&1; done
  start=$(date +%s%N)
  for ((i = 0; i < n; i++)); do "$bin" --home "$home" run --quiet -- /bin/true >/dev/null 2>&1; done
  end=$(date +%s%N)
  echo $(( (end - start) / n / 1000 ))
}

sw=$(time_it "$tmp/sw")
tpm=$(time_it "$tmp/tpm-home")
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
echo "ledger entries: software $("$bin" --home "$tmp/sw" log | wc -l), tpm $("$bin" --home "$tmp/tpm-home" log | wc -l)"
