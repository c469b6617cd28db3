#!/usr/bin/env bash
# runseal-verify on a swtpm-quoted ledger: compliance rules that need a TPM
# (root_of_trust tpm-enrolled, pcr_values) pass and fail for their own
# reason; --since continues the PCR replay from the checkpoint's last quote
# (seeded), and still catches an extend without a ledger entry after it.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/tpm.sh"

rs init --signer tpm >/dev/null
enroll "$T/trust.pem" --ek-ca "$EK_CA"
for i in 1 2 3; do rs run --quiet -- sh -c "echo $i" >/dev/null; done
rs checkpoint > "$T/cp.txt"
for i in 4 5 6; do rs run --quiet -- sh -c "echo $i" >/dev/null; done

# Rules that only a TPM-quoted run can pass.
zero=$(printf '%064d' 0)
printf '{"rules": {"root_of_trust": "tpm-enrolled", "pcr_values": {"0": "%s"}}}' "$zero" > "$T/tpm-rules.json"
expect_status 0 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem" --policy "$T/tpm-rules.json"
expect_in "$T/out" "ok    rule root_of_trust"
expect_in "$T/out" "ok    rule pcr_values"
printf '{"rules": {"pcr_values": {"0": "%s"}}}' "$(printf '1%.0s' $(seq 64))" > "$T/pcr-bad.json"
expect_status 2 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem" --policy "$T/pcr-bad.json"
expect_in "$T/out" "FAIL  rule pcr_values"
expect_in "$T/out" "PCR 0 = $zero"
rs export 1 -o "$T/e1.bundle" 2>/dev/null
expect_status 0 rsv bundle "$T/e1.bundle" --trust "$T/trust.pem" --policy "$T/tpm-rules.json"

# --since: only entries 3-5, the replay seeded by entry 2's quote.
expect_status 0 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem" --since "$T/cp.txt" --json
python3 - "$T/out" <<'PY' || fail "--since on a TPM ledger: $(cat "$T/out")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["since"] == {"size": 3, "entries_checked": 3}, j["since"]
assert j["signers"]["tpm"] == 3 and j["signers"]["tpm_replays_seeded"] == 1, j["signers"]
assert {c["check"]: c["verdict"] for c in j["checks"]}["tpm"] == "pass", j["checks"]
PY
ok

# An extend without a ledger entry after the checkpoint: --since still sees it.
if command -v tpm2_pcrextend >/dev/null; then
  tpm2_pcrextend 23:sha256=$(printf 'orphan' | sha256sum | cut -d' ' -f1) >/dev/null
  rs run --quiet -- true >/dev/null
  expect_status 1 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem" --since "$T/cp.txt"
  expect_in "$T/out" "entry 6: PCR replay mismatch"
  expect_in "$T/out" "FAIL  TPM PCR replay"
  expect_status 1 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem"
  expect_in "$T/out" "entry 6: PCR replay mismatch"
fi
done_ok
