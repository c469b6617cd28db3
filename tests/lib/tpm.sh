# Shared helpers for TPM integration tests (sourced after common.sh): each
# test starts its own swtpm with state in $T/tpm (scripts/swtpm), stopped
# by its pid when the test exits. Exit 77 (skipped) where swtpm is absent.
for tool in swtpm swtpm_setup swtpm_localca; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/install-deps)"; exit 77; }
done
TPMDIR="$T/tpm"
trap '"$RUNSEAL_SRC/scripts/swtpm" stop "$TPMDIR" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
RUNSEAL_TCTI=$("$RUNSEAL_SRC/scripts/swtpm" start "$TPMDIR")
export RUNSEAL_TCTI
export TPM2TOOLS_TCTI="$RUNSEAL_TCTI"
EK_CA="$TPMDIR/ek-ca.pem"

# A TPM power cycle: stop and start the same TPM (new resetCount, PCRs zero).
tpm_restart() {
  "$RUNSEAL_SRC/scripts/swtpm" stop "$TPMDIR"
  "$RUNSEAL_SRC/scripts/swtpm" start "$TPMDIR" >/dev/null
}

# enroll TRUST [ENROLL-OPTIONS...]: the home's AK into TRUST, the whole
# registrar exchange (identity export, challenge, activation, response).
enroll() {
  local trust=$1; shift
  rs identity export -o "$T/identity.pem" 2>/dev/null
  rsv enroll "$T/identity.pem" "$@" --challenge "$T/challenge.pem" --state "$T/state.pem" >/dev/null
  rs identity activate "$T/challenge.pem" -o "$T/response.pem" 2>/dev/null
  rsv enroll --response "$T/response.pem" --state "$T/state.pem" --trust "$trust" >/dev/null
}
