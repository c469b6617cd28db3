#!/usr/bin/env bash
# cmake --install puts the binaries, the man pages and the examples in place,
# and the installed binaries work (the MCP server finds runseal-verify beside it).
source "$(dirname "$0")/../lib/common.sh"
: "${RUNSEAL_BUILD:?set by ctest}"
cmake --install "$RUNSEAL_BUILD" --prefix "$T/prefix" >/dev/null || fail "cmake --install"
for f in bin/runseal bin/runseal-verify share/man/man1/runseal.1 share/man/man1/runseal-verify.1 \
         share/man/man5/runseal-policy.5 share/man/man5/runseal-rules.5 share/man/man5/runseal-bundle.5 \
         share/runseal/examples/policy.json share/runseal/examples/rules.json; do
  [ -f "$T/prefix/$f" ] || fail "not installed: $f"; ok
done
# Every man page names itself and has the sections a reader looks for.
for p in "$T"/prefix/share/man/man*/*; do
  grep -q '^\.SH NAME' "$p" && grep -q '^\.SH SEE ALSO' "$p" || fail "man page $p lacks NAME or SEE ALSO"; ok
done
expect_status 0 "$T/prefix/bin/runseal" --version
expect_status 0 "$T/prefix/bin/runseal" init
expect_status 0 "$T/prefix/bin/runseal" run --quiet --policy "$T/prefix/share/runseal/examples/policy.json" -- true
expect_status 0 "$T/prefix/bin/runseal" identity export -o "$T/trust.pem"
expect_status 0 "$T/prefix/bin/runseal-verify" ledger --home "$RUNSEAL_HOME" --trust "$T/trust.pem" \
  --policy "$T/prefix/share/runseal/examples/rules.json"
done_ok
