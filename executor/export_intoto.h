/*
 * export_intoto.h - internal to the runseal front end: `runseal export
 * --format intoto`, one ledger entry as an in-toto Statement in a DSSE
 * envelope (attest/intoto.h; format reference docs/intoto.md).
 *
 * Which key signs the envelope:
 *   signer  the home's software ECDSA P-256 key (keys/signer.key), only
 *           for an entry that key signed (its record signature is checked
 *           first); KEYID = the Envelope's key_id in hex
 *   ledger  the ledger's Ed25519 checkpoint key (keys/ledger.key), for any
 *           entry of the ledger. A TPM home's attestation key is a
 *           restricted key: the TPM signs only quotes with it, never an
 *           arbitrary DSSE message, so TPM homes use this one
 * The default (NULL) is signer when the home's software key signed the
 * entry, else ledger.
 */
#ifndef RS_EXPORT_INTOTO_H
#define RS_EXPORT_INTOTO_H

#include <stddef.h>
#include <stdint.h>

struct ledger;
struct ledger_row;

/* What was signed, for the caller's report. */
struct export_intoto_info {
	char key[8];                    /* "signer" or "ledger" */
	char alg[24];                   /* intoto_key_alg() */
	char keyid[65];                 /* KEYID, hex */
	char *public_pem;               /* the signing key's public key (caller frees) */
};

/*
 * The DSSE envelope (one JSON line, new NUL-terminated buffer of *len
 * bytes, caller frees) of row, proved against the checkpoint of size (0:
 * the latest). sign_with is "signer", "ledger" or NULL (above). The
 * envelope is verified under the signing key's public key before it is
 * returned. RS_ERR_USAGE for an unknown sign_with, or "signer" for an
 * entry the home's software key did not sign; errors of bundle_export()
 * and intoto_statement() otherwise.
 */
int export_intoto(const char *home, struct ledger *l, const struct ledger_row *row,
    uint64_t size, const char *sign_with, char **envelope, size_t *len,
    struct export_intoto_info *info);

#endif
