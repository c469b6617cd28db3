/*
 * signer.h - the signer interface: turns record bytes into a signed
 * Envelope. One interface, several back ends:
 *
 *   software: ECDSA P-256 key in a PEM file (PKCS#8, mode 0600), signing
 *             "runseal/v1/sig" 0x00 || record digest with ECDSA-SHA256.
 *             No hardware root of trust; every report says so.
 *   tpm:      (attest/tpm.h) extend the record digest into the application
 *             PCR, then quote with qualifyingData = record digest.
 *
 * A signer is used by one thread at a time. For the TPM back end, seal must
 * run inside the ledger's write transaction so that the TPM's order is the
 * ledger's order (ledger_append's seal callback).
 */
#ifndef RS_ATTEST_SIGNER_H
#define RS_ATTEST_SIGNER_H

#include <stddef.h>
#include <stdint.h>

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

/* Free the signer and wipe any secret it holds. NULL-safe. */
void attest_signer_free(struct attest_signer *s);

enum attest_signer_kind attest_signer_kind(const struct attest_signer *s);

/*
 * The trust anchor a verifier pins for this signer, as a new PEM string
 * (SubjectPublicKeyInfo "PUBLIC KEY" block for software keys). Caller frees.
 */
int attest_signer_export_trust(const struct attest_signer *s, char **pem);

/*
 * Sign record bytes: returns new Envelope bytes (caller frees) that carry
 * the record verbatim, the signer kind, key id and evidence.
 * If digest_out is not NULL it receives the record digest.
 */
int attest_seal(struct attest_signer *s, const uint8_t *record, size_t len,
    uint8_t **envelope, size_t *envelope_len, uint8_t digest_out[32]);

#endif
