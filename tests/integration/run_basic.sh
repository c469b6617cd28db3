#!/usr/bin/env bash
# One attested run end to end: input staged, output collected with its
# digest, stdout passed through, record shown, ledger verified.
source "$(dirname "$0")/../lib/common.sh"

expect_status 0 rs init
printf 'one\ntwo\nthree\n' > "$T/in.txt"
expect_status 0 rs run --in "$T/in.txt=data.txt" --out "$T/o" -- \
  sh -c 'cat /work/in/data.txt; tac /work/in/data.txt > /work/out/rev.txt; mkdir -p /work/out/sub; echo x > /work/out/sub/x'
expect_in "$T/out" "two"                           # stdout passed through
expect_in "$T/err" "entry 0 appended"
[ "$(cat "$T/o/rev.txt")" = "$(printf 'three\ntwo\none')" ] || fail "output content"; ok
[ -f "$T/o/sub/x" ] || fail "nested output not collected"; ok
want=$(sha256sum < "$T/o/rev.txt" | cut -d' ' -f1)
expect_in "$T/err" "output rev.txt (14 bytes) sha256:$want"

# --out must not overwrite: a non-empty directory is refused before running.
expect_status 125 rs run --out "$T/o" -- true;     expect_in "$T/err" "not empty"

# Exit status is the program's; JSON result is one object.
expect_status 7 rs run --quiet -- sh -c 'exit 7'
expect_status 0 rs run --json --in "$T/in.txt" -- sh -c 'wc -l < /work/in/in.txt; echo hi > /work/out/h'
python3 - "$T/out" <<'PY'
import json, sys, hashlib
o = json.load(open(sys.argv[1]))
assert o["schema"] == "runseal-run/v1", o
assert o["entry"] == 2 and o["exit_status"] == 0 and o["signer"] == "software", o
assert o["stdout"]["size"] == 2 and o["stdout"]["sha256"] == hashlib.sha256(b"3\n").hexdigest(), o
assert o["outputs"][0]["name"] == "h" and o["outputs"][0]["sha256"] == hashlib.sha256(b"hi\n").hexdigest(), o
assert len(o["record_digest"]) == 64
PY
ok
expect_not_in "$T/out" "hi"

# log and show read back what was recorded.
expect_status 0 rs log;              expect_in "$T/out" "exit 7"
expect_status 0 rs log --json
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert [e["index"] for e in o["entries"]]==[0,1,2], o' "$T/out"; ok
expect_status 0 rs show --json 0
python3 - "$T/out" "$T/in.txt" <<'PY'
import json, sys, hashlib
o = json.load(open(sys.argv[1]))["record"]
data = open(sys.argv[2], "rb").read()
assert o["inputs"] == [{"name": "data.txt", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "mode": o["inputs"][0]["mode"]}], o["inputs"]
assert o["argv"][0] == "sh" and o["cwd"] == "/work", o
assert o["policy"]["name"] == "default" and o["policy"]["network"] == "none", o["policy"]
assert len(o["environment"]["executor_sha256"]) == 64 and o["environment"]["kernel_release"], o
assert o["exit"]["exit_code"] == 0 and not o["exit"]["timed_out"], o
names = {e["name"] for e in o["env"]}
assert "PATH" in names, names
PY
ok

# The auditor's view.
expect_status 0 rs identity export -o "$T/trust.pem"
expect_status 0 rsv ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem"
expect_in "$T/out" "3 entries"
expect_status 0 rsv ledger "$RUNSEAL_HOME/ledger.db" --trust "$T/trust.pem" --json
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["schema"]=="runseal-verify/v1" and o["verified"] is True and o["entries"]==3, o' "$T/out"; ok
expect_status 66 rsv ledger "$T/nope.db" --trust "$T/trust.pem"
expect_status 66 rsv ledger "$RUNSEAL_HOME/ledger.db" --trust "$T/nope.pem"
echo "not a key" > "$T/bad.pem"
expect_status 65 rsv ledger "$RUNSEAL_HOME/ledger.db" --trust "$T/bad.pem"
expect_status 65 rsv ledger "$T/in.txt" --trust "$T/trust.pem"
done_ok
