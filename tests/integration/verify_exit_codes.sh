#!/usr/bin/env bash
# runseal-verify's exit statuses, each for its own reason: 0 verified,
# 1 not verified, 2 a compliance rule failed, 3 replay diverged (and 0 for a
# reproduced run), and the usage and input errors 64, 65, 66, 78.
source "$(dirname "$0")/../lib/common.sh"

rs init >/dev/null 2>&1
rs identity export -o "$T/trust.pem" 2>/dev/null
echo '{"keep_blobs": true}' > "$T/keep.json"
rs run --quiet --policy "$T/keep.json" -- sh -c 'echo same' >/dev/null
rs run --quiet --policy "$T/keep.json" -- sh -c 'date +%s%N' >/dev/null
rs export 0 -o "$T/same.bundle" 2>/dev/null
rs export 1 -o "$T/clock.bundle" 2>/dev/null
rs checkpoint > "$T/cp.txt"
echo '{"rules": {"exit_status": 0}}' > "$T/pass.json"
echo '{"rules": {"argv0": ["python3"]}}' > "$T/fail.json"
L=(ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem")

expect_status 0 rsv "${L[@]}"
expect_status 0 rsv "${L[@]}" --policy "$T/pass.json"
expect_status 2 rsv "${L[@]}" --policy "$T/fail.json"
expect_status 2 rsv bundle "$T/same.bundle" --trust "$T/trust.pem" --policy "$T/fail.json"
expect_status 0 rsv replay "$T/same.bundle" --trust "$T/trust.pem"
expect_status 3 rsv replay "$T/clock.bundle" --trust "$T/trust.pem"
expect_status 0 rsv "${L[@]}" --since "$T/cp.txt"
# 1: the evidence does not verify (another signer's trust file).
rs --home "$T/other" init >/dev/null 2>&1
rs --home "$T/other" identity export -o "$T/other.pem" 2>/dev/null
expect_status 1 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/other.pem"
expect_status 1 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/other.pem" --policy "$T/fail.json"
# 64: usage.
expect_status 64 rsv
expect_status 64 rsv audit
expect_status 64 rsv ledger --home "$RUNSEAL_HOME"
expect_status 64 rsv "${L[@]}" --bogus
expect_status 64 rsv "${L[@]}" --threads 0
expect_status 64 rsv "${L[@]}" --threads many
expect_status 64 rsv "${L[@]}" --checkpoint "$T/cp.txt" --since "$T/cp.txt"
expect_status 64 rsv "${L[@]}" --policy
expect_status 64 rsv "${L[@]}" --report ""
expect_status 64 rsv ledger "$RUNSEAL_HOME/ledger.db" --home "$RUNSEAL_HOME" --trust "$T/trust.pem"
expect_status 64 rsv bundle --trust "$T/trust.pem"
expect_status 64 rsv replay "$T/same.bundle"
# 65: malformed input.
echo "not a ledger" > "$T/junk.db"
expect_status 65 rsv ledger "$T/junk.db" --trust "$T/trust.pem"
echo '{"rules": {"exit_status": "zero"}}' > "$T/bad.json"
expect_status 65 rsv "${L[@]}" --policy "$T/bad.json";  expect_in "$T/err" "exit_status"
# 66: missing input.
expect_status 66 rsv ledger "$T/none.db" --trust "$T/trust.pem"
expect_status 66 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/none.pem"
expect_status 66 rsv "${L[@]}" --policy "$T/none.json"
expect_status 66 rsv "${L[@]}" --since "$T/none.txt"
expect_status 66 rsv bundle "$T/none.bundle" --trust "$T/trust.pem"
# 74: the HTML report cannot be written.
expect_status 74 rsv "${L[@]}" --report "$T/no/such/dir/r.html"
done_ok
