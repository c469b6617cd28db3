/*
 * home.h - where runseal keeps its state.
 *
 *   --home DIR, else $RUNSEAL_HOME, else $XDG_DATA_HOME/runseal,
 *   else $HOME/.local/share/runseal
 *
 * Layout:  ledger.db            the ledger (ledger/ledger.h)
 *          keys/signer.key      software signing key (0600)
 *          keys/signer.pub      its public key (trust anchor to export)
 *          keys/tpm.json        TPM signer configuration (0600): its presence
 *                               selects the TPM signer (executor/signer_open.h
 *                               has the fields); a home has this or signer.key
 *          keys/tpm-ak.auth     the TPM attestation key's auth value (0600)
 *          tmp/                 per-run staging directories
 */
#ifndef RS_HOME_H
#define RS_HOME_H

#define RS_HOME_LEDGER "ledger.db"
#define RS_HOME_SIGNER_KEY "keys/signer.key"
#define RS_HOME_SIGNER_PUB "keys/signer.pub"
#define RS_HOME_TPM_CONFIG "keys/tpm.json"
#define RS_HOME_TPM_AUTH "keys/tpm-ak.auth"
#define RS_HOME_TMP "tmp"

/* Resolve the home directory (flag may be NULL). Caller frees *out. */
int rs_home_resolve(const char *flag, char **out);

/* home/name as a new string (caller frees), or NULL on allocation failure. */
char *rs_home_path(const char *home, const char *name);

#endif
