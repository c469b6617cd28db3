#!/usr/bin/env bash
# One structured audit event per run, to --audit-log or $RUNSEAL_AUDIT_LOG,
# carrying the caller's TRACEPARENT; concurrent runs never mix their lines.
source "$(dirname "$0")/../lib/common.sh"

expect_status 0 rs init
tp=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
TRACEPARENT=$tp expect_status 3 rs run --quiet --audit-log "$T/audit.jsonl" -- sh -c 'exit 3'
python3 - "$T/audit.jsonl" "$tp" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
e = json.loads(lines[0])
assert e["schema"] == "runseal-audit/v1", e
assert e["entry"] == 0 and e["exit_status"] == 3 and e["argv0"] == "sh", e
assert e["signer"] == "software" and len(e["record_digest"]) == 64, e
assert e["traceparent"] == sys.argv[2], e
assert e["time"].endswith("Z") and e["duration_ms"] >= 0, e
PY
ok
# The same digest and traceparent are in the signed record.
expect_status 0 rs show --json 0
python3 - "$T/out" "$T/audit.jsonl" "$tp" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
e = json.loads(open(sys.argv[2]).read().splitlines()[0])
assert s["record_digest"] == e["record_digest"], (s["record_digest"], e)
assert s["record"]["traceparent"] == sys.argv[3], s["record"]["traceparent"]
PY
ok

# From the environment; events named; parallel runs each write one whole line.
export RUNSEAL_AUDIT_LOG="$T/env.jsonl"
echo '{"limits": {"wall_time_ms": 300}}' > "$T/fast.json"
expect_status 124 rs run --quiet --policy "$T/fast.json" -- sleep 10
for i in 1 2 3 4; do rs run --quiet -- sh -c "echo $i" >/dev/null & done
wait
python3 - "$T/env.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert len(ev) == 5, ev
assert ev[0]["timed_out"] is True and "timeout" in ev[0]["events"] and ev[0]["exit_status"] == 124, ev[0]
assert sorted(e["entry"] for e in ev) == [1, 2, 3, 4, 5], ev
assert "traceparent" not in ev[1] or ev[1]["traceparent"] is None, ev[1]
PY
ok
# An unwritable audit log is a warning: the run is recorded all the same.
expect_status 0 rs run --audit-log /proc/no/such/file -- true
expect_in "$T/err" "audit event not written"
expect_status 0 rs log --json
python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["entries"]) == 7' "$T/out"; ok
done_ok
