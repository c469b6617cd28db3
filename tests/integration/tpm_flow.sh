#!/usr/bin/env bash
# The TPM signer end to end, against a swtpm this test starts: init with
# the TPM, identity export, enrollment by credential activation (and its
# refusals), runs (also concurrent ones), verification, a TPM restart (a
# new PCR epoch), an EK without certificate, an unreachable TPM, and an
# extend without a ledger entry (the documented limit).
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/tpm.sh"

# ---- init: the home keeps its TPM signer --------------------------------
expect_status 0 rs init --signer tpm;   expect_in "$T/out" "(signer: tpm)"
[ "$(stat -c %a "$RUNSEAL_HOME/keys/tpm.json")" = 600 ] || fail "tpm.json mode"; ok
[ "$(stat -c %a "$RUNSEAL_HOME/keys/tpm-ak.auth")" = 600 ] || fail "auth mode"; ok
[ ! -e "$RUNSEAL_HOME/keys/signer.key" ] || fail "a TPM home has a software key"; ok
expect_in "$RUNSEAL_HOME/keys/tpm.json" '"pcr_selection": "sha256:0,1,2,3,4,5,6,7,23"'
expect_in "$RUNSEAL_HOME/keys/tpm.json" '"ak_handle": "0x81008100"'
expect_status 0 rs init;                expect_in "$T/out" "already initialised"
expect_in "$T/out" "(signer: tpm)"
expect_status 78 rs init --signer software; expect_in "$T/err" "already has a tpm signer"
expect_status 64 rs --home "$T/h-bad" init --tcti "$RUNSEAL_TCTI"   # TPM options need --signer tpm
expect_status 64 rs --home "$T/h-bad" init --signer tpm --app-pcr 24

# ---- identity ----------------------------------------------------------------
expect_status 0 rs identity export -o "$T/id.pem"
expect_in "$T/id.pem" "BEGIN RUNSEAL TPM AK PUBLIC"
expect_in "$T/id.pem" "BEGIN RUNSEAL TPM EK PUBLIC"
expect_in "$T/id.pem" "BEGIN CERTIFICATE"            # swtpm_localca made one
expect_in "$T/id.pem" "Application-PCR: 23"
# The identity is not a trust anchor by itself.
expect_status 65 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/id.pem"
expect_in "$T/err" "enroll its AK first"

# ---- enrollment refusals ---------------------------------------------------------
expect_status 64 rsv enroll "$T/id.pem" --challenge "$T/c.pem" --state "$T/s.pem"
expect_in "$T/err" "--ek-ca"
# An EK certificate from another CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other-ca \
  -days 2 -keyout "$T/other.key" -out "$T/other-ca.pem" 2>/dev/null
expect_status 1 rsv enroll "$T/id.pem" --ek-ca "$T/other-ca.pem" --challenge "$T/c.pem" --state "$T/s.pem"
expect_in "$T/err" "does not chain to a CA in $T/other-ca.pem"
[ ! -e "$T/c.pem" ] || fail "a challenge was written for an unverified EK"; ok
# The verifier expects other PCRs than the machine quotes.
expect_status 1 rsv enroll "$T/id.pem" --ek-ca "$EK_CA" --pcrs sha256:0-7,16 --challenge "$T/c.pem" --state "$T/s.pem"
expect_in "$T/err" "the machine quotes sha256:0,1,2,3,4,5,6,7,23"
# An identity whose AK name was edited.
sed '0,/^Name: 000b/s/^Name: 000b./Name: 000bf/' "$T/id.pem" > "$T/id-bad.pem"
cmp -s "$T/id.pem" "$T/id-bad.pem" && sed -i '0,/^Name: 000bf/s/^Name: 000bf/Name: 000be/' "$T/id-bad.pem"
expect_status 65 rsv enroll "$T/id-bad.pem" --ek-ca "$EK_CA" --challenge "$T/c.pem" --state "$T/s.pem"
expect_in "$T/err" "Name does not match"

# ---- enrollment: challenge, activation, response ------------------------------------
expect_status 0 rsv enroll "$T/id.pem" --ek-ca "$EK_CA" --challenge "$T/c.pem" --state "$T/s.pem"
expect_in "$T/out" "EK certificate chain verified"
[ "$(stat -c %a "$T/s.pem")" = 600 ] || fail "state mode"; ok
expect_status 0 rs identity activate "$T/c.pem" -o "$T/r.pem"
# A response that is not the secret: nothing is enrolled.
python3 - "$T/r.pem" "$T/r-bad.pem" <<'PY'
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
i = next(k for k, l in enumerate(lines) if l == "") + 1      # first data line after the headers
raw = bytearray(base64.b64decode(lines[i]))
raw[0] ^= 1
lines[i] = base64.b64encode(bytes(raw)).decode()
open(sys.argv[2], "w").write("\n".join(lines))
PY
expect_status 1 rsv enroll --response "$T/r-bad.pem" --state "$T/s.pem" --trust "$T/trust.pem"
expect_in "$T/err" "does not hold the challenge's secret"
[ ! -e "$T/trust.pem" ] || fail "a wrong response enrolled the AK"; ok
expect_status 0 rsv enroll --response "$T/r.pem" --state "$T/s.pem" --trust "$T/trust.pem"
expect_in "$T/out" "enrolled AK"
expect_in "$T/trust.pem" "EK-Certificate: verified"
[ ! -e "$T/s.pem" ] || fail "the state outlived its response"; ok
expect_status 66 rsv enroll --response "$T/r.pem" --state "$T/s.pem" --trust "$T/trust.pem"
# A challenge made for another AK is refused by the machine.
sed 's/^AK-Name: 000b./AK-Name: 000b0/' "$T/c.pem" > "$T/c-other.pem"
cmp -s "$T/c.pem" "$T/c-other.pem" || {
  expect_status 1 rs identity activate "$T/c-other.pem" -o "$T/r2.pem"
  expect_in "$T/err" "the challenge is for AK"
}

# ---- runs, also concurrent ones (the TPM's order is the ledger's) ------------------
for i in 1 2 3; do expect_status 0 rs run --quiet -- sh -c "echo run $i"; done
expect_status 0 rs run --json -- true
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["signer"]=="tpm", o' "$T/out"; ok
pids=()
for i in 1 2 3 4; do rs run --quiet -- sh -c "echo c$i" >/dev/null 2>&1 & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent run failed"; done; ok
expect_status 0 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem"
expect_in "$T/out" "verified: 8 entries"
expect_in "$T/out" "8 TPM-quoted (8: TPM quote; AK enrolled by credential activation; EK certificate chain verified"
expect_in "$T/out" "across 1 TPM epoch"

# ---- a TPM restart starts a new PCR epoch ----------------------------------------
tpm_restart
for i in 1 2; do expect_status 0 rs run --quiet -- true; done
expect_status 0 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem" --json
python3 - "$T/out" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
s = o["signers"]
assert o["verified"] and o["entries"] == 10, o
assert s["tpm"] == 10 and s["tpm_ek_certified"] == 10 and s["tpm_epochs"] == 2, o
assert [(r["first"], r["last"]) for r in s["roots_of_trust"]] == [(0, 9)], o
assert "EK certificate chain verified" in s["roots_of_trust"][0]["root_of_trust"], o
PY
ok

# ---- an EK without certificate: only when the verifier says so, and every report says it
sed '/BEGIN CERTIFICATE/,/END CERTIFICATE/d' "$T/id.pem" > "$T/id-nocert.pem"
expect_status 1 rsv enroll "$T/id-nocert.pem" --ek-ca "$EK_CA" --challenge "$T/c.pem" --state "$T/s.pem"
expect_in "$T/err" "no EK certificate"
expect_status 0 rsv enroll "$T/id-nocert.pem" --allow-no-ek-cert --challenge "$T/c.pem" --state "$T/s.pem"
expect_in "$T/out" "WITHOUT certificate"
expect_status 0 rs identity activate "$T/c.pem" -o "$T/r.pem"
expect_status 0 rsv enroll --response "$T/r.pem" --state "$T/s.pem" --trust "$T/trust-nocert.pem"
expect_in "$T/trust-nocert.pem" "EK-Certificate: none"
expect_status 0 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust-nocert.pem"
expect_in "$T/out" "entries 0-9: TPM quote; AK enrolled by credential activation; EK WITHOUT certificate"

# ---- the TPM is required: no TPM, no run, ledger unchanged ---------------------------
before=$(sha256sum < "$RUNSEAL_HOME/ledger.db")
RUNSEAL_TCTI="swtpm:path=$T/no-such-socket" expect_status 125 rs run -- true
expect_in "$T/err" "cannot reach the TPM"
[ "$before" = "$(sha256sum < "$RUNSEAL_HOME/ledger.db")" ] || fail "a failed run changed the ledger"; ok

# ---- the documented limit: an extend without a ledger entry ----------------------------
# A run whose commit fails after the TPM extended and quoted (a disk error,
# injected with libfiu where installed and the build is not under ASan, whose
# interceptors do not mix with libfiu's preload; else an extend by another
# program):
# nothing is appended, runseal says what it leaves behind, and the next entry
# of the epoch fails the PCR replay with a reason that names both causes.
if command -v fiu-run >/dev/null && ! ldd "$RUNSEAL_BIN" | grep libasan >/dev/null; then
  expect_status 125 fiu-run -x -c "enable name=posix/io/sync/fdatasync,failinfo=5" \
    "$RUNSEAL_BIN" run --quiet -- true
  expect_in "$T/err" "nothing was recorded"
  expect_in "$T/err" "the TPM's application PCR was already extended"
elif command -v tpm2_pcrextend >/dev/null; then
  tpm2_pcrextend 23:sha256=$(printf 'orphan' | sha256sum | cut -d' ' -f1) >/dev/null
else
  done_ok
  exit 0
fi
expect_status 0 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem"   # nothing appended
expect_status 0 rs run --quiet -- true
expect_status 1 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem"
expect_in "$T/out" "entry 10: PCR replay mismatch"
expect_in "$T/out" "extended without a ledger entry"
# The auditor, having explained it (runseal's error, the machine's logs),
# accepts that gap and no other; every report then says so.
expect_status 1 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem" --accept-pcr-gap 9
expect_status 0 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem" --accept-pcr-gap 10
expect_in "$T/out" "with 1 replay gap YOU accepted"
expect_status 0 rs run --quiet -- true                 # the replay goes on from there
expect_status 0 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem" --accept-pcr-gap 10 --json
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["signers"]["tpm_pcr_gaps_accepted"]==1 and o["entries"]==12, o' "$T/out"; ok
expect_status 64 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem" --accept-pcr-gap x
done_ok
