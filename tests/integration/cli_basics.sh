#!/usr/bin/env bash
# Every command has --help; wrong arguments get usage errors; init is
# idempotent; an uninitialised home is reported, not silently created.
source "$(dirname "$0")/../lib/common.sh"

expect_status 0 rs --help;           expect_in "$T/out" "usage: runseal"
expect_status 0 rs --version;        expect_in "$T/out" "runseal 0."
expect_status 0 rsv --help;          expect_in "$T/out" "usage: runseal-verify"
expect_status 0 rsv --version;       expect_in "$T/out" "runseal-verify"
for c in init run log show identity; do
  expect_status 0 rs "$c" --help;    expect_in "$T/out" "usage: runseal $c"
done
expect_status 0 rsv ledger --help;   expect_in "$T/out" "usage: runseal-verify ledger"
expect_status 64 rs
expect_status 64 rs frobnicate;      expect_in "$T/err" "unknown command"
expect_status 64 rs log --bogus
expect_status 64 rsv
expect_status 64 rsv frobnicate
expect_status 64 rsv ledger "$T/x.db"          # --trust is required

# Before init: every command says the home is missing.
expect_status 125 rs run -- true;    expect_in "$T/err" "runseal init"
expect_status 78 rs log;             expect_in "$T/err" "no runseal home"
[ ! -e "$RUNSEAL_HOME" ] || fail "a failed command created the home"; ok

expect_status 0 rs init;             expect_in "$T/out" "initialised runseal home"
[ "$(stat -c %a "$RUNSEAL_HOME/keys/signer.key")" = 600 ] || fail "key mode"; ok
key_before=$(sha256sum "$RUNSEAL_HOME/keys/signer.key")
expect_status 0 rs init;             expect_in "$T/out" "already initialised"
[ "$key_before" = "$(sha256sum "$RUNSEAL_HOME/keys/signer.key")" ] || fail "init replaced the key"; ok
expect_status 0 rs init --json;      expect_in "$T/out" '"created":false'

# The home flag works before and after the subcommand.
expect_status 0 rs --home "$T/h2" init
expect_status 0 rs log --home "$T/h2"
expect_status 0 rs identity export --home "$T/h2" -o "$T/h2.pem"
expect_in "$T/h2.pem" "BEGIN PUBLIC KEY"

# A ledger without its key is refused, not given a new key.
rm "$T/h2/keys/signer.key"
expect_status 78 rs --home "$T/h2" init; expect_in "$T/err" "no signing key"
[ ! -e "$T/h2/keys/signer.key" ] || fail "init made a new key for an old ledger"; ok

expect_status 64 rs show;            expect_in "$T/err" "INDEX"
expect_status 64 rs show -- -1
expect_status 66 rs show 99;         expect_in "$T/err" "no entry 99"
done_ok
