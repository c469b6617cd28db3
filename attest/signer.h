/*
 * signer.h - the signer interface: turns record bytes into a signed
 * Envelope. One interface, several back ends:
 *
 *   software: ECDSA P-256 key in a PEM file (PKCS#8, mode 0600), signing
 *             "runseal/v1/sig" 0x00 || record digest with ECDSA-SHA256.
 *             No hardware root of trust; every report says so.
 *   tpm:      (attest/tpm.h) extend the record digest into the application
 *             PCR, then quote with qualifyingData = record digest over the
 *             configured PCR selection; the envelope carries the TPMS_ATTEST
 *             and TPMT_SIGNATURE as the TPM returned them, the quoted PCR
 *             values in selection order, the application PCR and the AK's
 *             name (TpmEvidence). key_id = SHA-256 of the AK's
 *             SubjectPublicKeyInfo, as for software keys.
 *
 * A signer is used by one thread at a time. For the TPM back end, seal must
 * run inside the ledger's write transaction so that the TPM's order is the
 * ledger's order (ledger_append's seal callback).
 */
#ifndef RS_ATTEST_SIGNER_H
#define RS_ATTEST_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "attest/tpmquote.h"

enum attest_signer_kind {
	ATTEST_SIGNER_SOFTWARE = 1,
	ATTEST_SIGNER_TPM = 2,
};

struct attest_signer;

/* "software" / "tpm". */
const char *attest_signer_kind_name(enum attest_signer_kind kind);

/*
 * Create a new ECDSA P-256 private key at path (PKCS#8 PEM, mode 0600).
 * RS_ERR_EXISTS if the file exists: keys are never overwritten.
 */
int attest_softkey_create(const char *path);

/* Load the software signer from its private key file. Caller frees. */
int attest_signer_open_software(const char *key_path, struct attest_signer **out);

/* What the TPM signer needs (all borrowed for the call; copied). */
struct attest_tpm_config {
	const char *tcti;                   /* tpm2-tss TCTI configuration string */
	uint32_t ak_handle;                 /* persistent handle of the AK */
	const uint8_t *ak_public;           /* its marshalled TPMT_PUBLIC */
	size_t ak_public_len;
	const uint8_t *ak_auth;             /* its auth value (secret) */
	size_t ak_auth_len;
	uint32_t app_pcr;                   /* PCR the record digests are extended into */
	struct tpmq_pcrsel sel;             /* PCRs quoted; includes app_pcr */
};

/*
 * Open the TPM signer: connects once to check that the AK is at its handle
 * (one TPM2_ReadPublic), then disconnects until attest_seal. RS_ERR_TPM if
 * the TPM cannot be reached, RS_ERR_VERIFY if the handle holds another key,
 * RS_ERR_CONFIG for an inconsistent configuration. Caller frees.
 */
int attest_signer_open_tpm(const struct attest_tpm_config *cfg, struct attest_signer **out);

/* Free the signer and wipe any secret it holds. NULL-safe. */
void attest_signer_free(struct attest_signer *s);

enum attest_signer_kind attest_signer_kind(const struct attest_signer *s);

/*
 * PCR extends the TPM signer has made (0 for software). After a failed
 * append, a count above the appended entries means the TPM moved without
 * a ledger entry: the next entry of the TPM epoch will fail PCR replay.
 */
unsigned attest_signer_tpm_extends(const struct attest_signer *s);

/*
 * The trust anchor a verifier pins for this signer, as a new PEM string
 * (SubjectPublicKeyInfo "PUBLIC KEY" block for software keys). Caller frees.
 * RS_ERR_UNSUPPORTED for the TPM signer: its anchor is made by enrollment
 * (identity export, runseal-verify enroll, identity activate).
 */
int attest_signer_export_trust(const struct attest_signer *s, char **pem);

/*
 * Sign record bytes: returns new Envelope bytes (caller frees) that carry
 * the record verbatim, the signer kind, key id and evidence.
 * If digest_out is not NULL it receives the record digest.
 * TPM signer: one PCR extend, one quote (attest/tpm.h has the round trips);
 * a failure after the extend leaves the PCR one extend ahead of the ledger,
 * which the verifier reports at the next entry of the same TPM epoch.
 */
int attest_seal(struct attest_signer *s, const uint8_t *record, size_t len,
    uint8_t **envelope, size_t *envelope_len, uint8_t digest_out[32]);

#endif
