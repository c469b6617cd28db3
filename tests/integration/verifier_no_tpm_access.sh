#!/usr/bin/env bash
# runseal-verify links pure code only (DESIGN.md, verifier/): tss2-mu to
# unmarshal TPM structures, never TPM access: no libtss2-esys, -sys,
# -tctildr or any TCTI, no Esys_* / Tss2_Sys_* / Tss2_Tcti* symbol, and none
# of runseal's own TPM-access functions (attest/tpm.c). runseal itself is
# checked too, so that the test would notice if the check went blind.
source "$(dirname "$0")/../lib/common.sh"

command -v nm >/dev/null || { echo "SKIP: nm not installed"; exit 77; }
needed() { readelf -d "$1" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p'; }

needed "$RUNSEAL_VERIFY_BIN" > "$T/needed"
expect_in "$T/needed" "libtss2-mu"
for lib in libtss2-esys libtss2-sys libtss2-tctildr libtss2-tcti libtss2-fapi; do
  expect_not_in "$T/needed" "$lib"
done
nm -D --undefined-only "$RUNSEAL_VERIFY_BIN" > "$T/undef"
nm "$RUNSEAL_VERIFY_BIN" > "$T/syms" 2>/dev/null || true
for sym in Esys_ Tss2_Sys_ Tss2_Tcti Tss2_TctiLdr tpm_ak_quote tpm_provision tpm_activate; do
  expect_not_in "$T/undef" "$sym"
  expect_not_in "$T/syms" "$sym"
done
# The verifier does parse quotes (so the check above is about something real).
grep -q "Tss2_MU_TPMS_ATTEST_Unmarshal" "$T/undef" || fail "runseal-verify does not unmarshal quotes?"; ok

# The same checks see TPM access in runseal.
needed "$RUNSEAL_BIN" > "$T/needed"
expect_in "$T/needed" "libtss2-esys"
expect_in "$T/needed" "libtss2-tctildr"
nm -D --undefined-only "$RUNSEAL_BIN" > "$T/undef"
expect_in "$T/undef" "Esys_Quote"
done_ok
