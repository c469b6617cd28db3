#!/usr/bin/env bash
# Bad input for the TPM (issue 8; the rest is bad_input.py): an invalid
# TCTI (unreachable socket, unknown TCTI, bad configuration) exits 69 naming
# the TCTI; swtpm stopped mid-run fails the run (125) and appends nothing;
# the readers need no TPM; the enrollment files, missing, malformed and of
# the wrong kind, each get their exit status. After each: the ledger is
# byte-for-byte what it was, and runseal-verify ledger passes.
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/tpm.sh"

rows() { sqlite3 "file:$RUNSEAL_HOME/ledger.db?mode=ro" \
  "SELECT hex(entry) FROM entries ORDER BY idx; SELECT count(*) FROM checkpoints;"; }
verified() { expect_status 0 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem"; }

# ---- an invalid TCTI: 69, the TCTI named, a later init still works ------------
for tcti in "swtpm:path=$T/no-such-socket" "no-such-tcti:x" "swtpm:port=notaport"; do
  expect_status 69 rs --home "$T/h-bad" init --signer tpm --tcti "$tcti"
  expect_in "$T/err" "cannot reach the TPM through TCTI '$tcti'"
done
expect_status 0 rs --home "$T/h-bad" init --signer tpm --tcti "$RUNSEAL_TCTI"

# ---- a TPM home, enrolled ------------------------------------------------------
rs init --signer tpm >/dev/null
enroll "$T/trust.pem" --ek-ca "$EK_CA"
for i in 1 2; do rs run --quiet -- true; done
verified

# Activation input: missing 66, malformed 65, another kind of file 65.
expect_status 66 rs identity activate "$T/none.pem" -o "$T/r.pem"
expect_in "$T/err" "none.pem"
head -c 3000 /dev/urandom > "$T/garbage"
expect_status 65 rs identity activate "$T/garbage" -o "$T/r.pem"
expect_in "$T/err" "garbage"
expect_status 65 rs identity activate "$T/trust.pem" -o "$T/r.pem"
expect_in "$T/err" "trust.pem"
# Enrollment files: a response or state that is not one.
rs identity export -o "$T/identity.pem" 2>/dev/null
rsv enroll "$T/identity.pem" --ek-ca "$EK_CA" --challenge "$T/c.pem" --state "$T/s.pem" >/dev/null
expect_status 66 rsv enroll --response "$T/none.pem" --state "$T/s.pem" --trust "$T/t2.pem"
expect_status 65 rsv enroll --response "$T/garbage" --state "$T/s.pem" --trust "$T/t2.pem"
expect_in "$T/err" "garbage"
expect_status 65 rsv enroll --response "$T/c.pem" --state "$T/s.pem" --trust "$T/t2.pem"
expect_status 65 rsv enroll --response "$T/s.pem" --state "$T/garbage" --trust "$T/t2.pem"
expect_status 66 rsv enroll "$T/identity.pem" --ek-ca "$T/none.pem" --challenge "$T/c2.pem" --state "$T/s2.pem"
expect_status 65 rsv enroll "$T/identity.pem" --ek-ca "$T/garbage" --challenge "$T/c2.pem" --state "$T/s2.pem"
[ ! -e "$T/t2.pem" ] || fail "a refused enrollment wrote a trust file"; ok
verified

# ---- swtpm stopped mid-run: 125, nothing appended -------------------------------
before=$(rows)
rs run -- sh -c 'echo started; sleep 3' >"$T/mid.out" 2>"$T/mid.err" &
pid=$!
for _ in $(seq 100); do grep -q started "$T/mid.out" 2>/dev/null && break; sleep 0.1; done
grep -q started "$T/mid.out" || fail "the run did not start"
"$RUNSEAL_SRC/scripts/swtpm" stop "$TPMDIR"
set +e; wait "$pid"; st=$?; set -e
[ "$st" = 125 ] || { cat "$T/mid.err"; fail "swtpm stopped mid-run: exit $st, expected 125"; }; ok
expect_in "$T/mid.err" "cannot reach the TPM"
expect_in "$T/mid.err" "nothing was recorded"
[ "$before" = "$(rows)" ] || fail "swtpm stopped mid-run: the ledger changed"; ok

# With the TPM gone: runs refuse at once, readers and the verifier do not need it.
expect_status 125 rs run -- true
expect_in "$T/err" "cannot reach the TPM"
expect_status 0 rs log
expect_status 0 rs checkpoint
expect_status 0 rs export 1 -o "$T/b.pb"
expect_status 0 rsv bundle "$T/b.pb" --trust "$T/trust.pem"
[ "$before" = "$(rows)" ] || fail "the ledger changed while the TPM was gone"; ok
verified

# ---- the TPM back (a power cycle: a new epoch): runs are recorded again ----------
"$RUNSEAL_SRC/scripts/swtpm" start "$TPMDIR" >/dev/null
expect_status 0 rs run --quiet -- true
[ "$(sqlite3 "$RUNSEAL_HOME/ledger.db" 'SELECT count(*) FROM entries')" = 3 ] || fail "entry count"; ok
verified
expect_in "$T/out" "2 TPM epochs"
done_ok
