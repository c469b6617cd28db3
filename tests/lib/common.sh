# Shared helpers for the shell integration tests (sourced, not run).
# ctest sets RUNSEAL_BIN and RUNSEAL_VERIFY_BIN; by hand, defaults to build/.
# RUNSEAL_WRAP, when set, is a command rs and rsv run the binaries through
# (the valgrind build sets it to tests/valgrind/memcheck).
set -euo pipefail
: "${RUNSEAL_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${RUNSEAL_BIN:=$RUNSEAL_SRC/build/executor/runseal}"
: "${RUNSEAL_VERIFY_BIN:=$RUNSEAL_SRC/build/verifier/runseal-verify}"
T=$(mktemp -d /tmp/rs-it-XXXXXX)
trap 'rm -rf "$T"' EXIT
export RUNSEAL_HOME="$T/home"
unset XDG_DATA_HOME
checks=0

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); }
rs_wrap=()
[ -z "${RUNSEAL_WRAP:-}" ] || rs_wrap=("$RUNSEAL_WRAP")
rs() { "${rs_wrap[@]}" "$RUNSEAL_BIN" "$@"; }
rsv() { "${rs_wrap[@]}" "$RUNSEAL_VERIFY_BIN" "$@"; }

# expect_status N CMD...: run CMD, require exit status N; output in $T/out, $T/err.
expect_status() {
  local want=$1; shift
  set +e
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  set -e
  if [ "$got" -ne "$want" ]; then
    echo "--- stdout"; cat "$T/out"; echo "--- stderr"; cat "$T/err"
    fail "expected exit $want, got $got: $*"
  fi
  ok
}
# expect_in FILE TEXT: FILE contains TEXT.
expect_in() { grep -qF -- "$2" "$1" || { cat "$1"; fail "'$2' not in $1"; }; ok; }
expect_not_in() { ! grep -qF -- "$2" "$1" || { cat "$1"; fail "'$2' unexpectedly in $1"; }; ok; }
done_ok() { echo "$(basename "$0"): $checks checks passed"; }
