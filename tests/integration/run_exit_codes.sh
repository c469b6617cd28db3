#!/usr/bin/env bash
# The timeout(1) exit conventions, and that a runseal failure appends nothing.
source "$(dirname "$0")/../lib/common.sh"

count() { rs log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))'; }
expect_status 0 rs init
echo '{"limits": {"wall_time_ms": 500}}' > "$T/fast.json"

start=$(date +%s%N)
expect_status 124 rs run --policy "$T/fast.json" -- sleep 30
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed" -lt 10000 ] || fail "timeout took ${elapsed} ms"; ok
expect_in "$T/err" "timed out"

# A survivor that left the session and ignores SIGTERM is killed with the rest.
start=$(date +%s%N)
expect_status 124 rs run --policy "$T/fast.json" -- sh -c 'setsid sh -c "trap \"\" TERM; sleep 30" & sleep 30'
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed" -lt 10000 ] || fail "timeout with survivor took ${elapsed} ms"; ok

expect_status 127 rs run -- /no/such/program
expect_status 127 rs run -- no-such-program-anywhere
printf '#!/bin/sh\necho hi\n' > "$T/script.sh"; chmod 0644 "$T/script.sh"
expect_status 126 rs run --in "$T/script.sh" -- /work/in/script.sh
expect_status 137 rs run -- sh -c 'kill -KILL $$'
expect_status 143 rs run -- sh -c 'kill -TERM $$'
expect_status 3 rs run -- sh -c 'exit 3'
n=$(count)
[ "$n" = 8 ] || fail "expected 8 entries, got $n"; ok

# runseal's own failures: 125, nothing appended.
expect_status 125 rs run --in "$T/missing.txt" -- true;   expect_in "$T/err" "missing.txt"
echo '{"limits": {"wall_time_ms": -1}}' > "$T/bad.json"
expect_status 125 rs run --policy "$T/bad.json" -- true;  expect_in "$T/err" "wall_time_ms"
echo '{"netwrok": "none"}' > "$T/typo.json"
expect_status 125 rs run --policy "$T/typo.json" -- true; expect_in "$T/err" "netwrok"
expect_status 125 rs run --policy "$T/nope.json" -- true
expect_status 125 rs run --bogus -- true
expect_status 125 rs run
[ "$(count)" = "$n" ] || fail "a failed run appended an entry"; ok

rs identity export -o "$T/trust.pem"
expect_status 0 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem"
done_ok
