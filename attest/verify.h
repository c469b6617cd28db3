/*
 * verify.h - envelope verification. Pure parsing and crypto (OpenSSL):
 * linked by runseal-verify, which must not link TPM access or sandbox code.
 *
 * Checks, in order (DESIGN.md "Trust chain"): parse the envelope and its
 * record with bounds and no trailing bytes; recompute the record digest from
 * the stored bytes; check the signature against the trusted keys.
 *
 * TPM entries (attest/tpmquote.h does the quote itself): the evidence names
 * an AK enrolled in the trust file; the envelope's key id is that AK's; the
 * PCR bank is sha256 and the application PCR is the enrolled one; then
 * tpmq_quote_verify() (TPMS_ATTEST bounds, magic, type, no trailing bytes,
 * qualifiedSigner = the AK's qualified name under its enrolled EK,
 * extraData = record digest, PCR selection = the enrolled one, carried PCR
 * values hash to pcrDigest, signature scheme and ECDSA signature). What
 * spans entries (clock, resetCount/restartCount epochs, PCR replay) is the
 * ledger walker's (verifier/), from the verdict's tpm fields.
 */
#ifndef RS_ATTEST_VERIFY_H
#define RS_ATTEST_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "attest/tpmquote.h"
#include "common/hash.h"
#include "proto/codec.h"

/* A set of trusted signer keys, loaded from a trust file. */
struct attest_trust;

/*
 * Load a trust file: PEM "PUBLIC KEY" blocks (ECDSA P-256 software keys)
 * and "RUNSEAL TPM AK" blocks (enrolled TPM attestation keys, format in
 * attest/tpmtext.h), in any mix; text outside blocks and blocks of other
 * names are ignored (other readers' lines may share the file). A TPM
 * identity export given as a trust file is refused with a hint to enroll.
 * RS_ERR_NOT_FOUND if missing, RS_ERR_FORMAT if it holds no usable key or
 * a block that does not parse.
 */
int attest_trust_load(const char *path, struct attest_trust **out);
/* Same, from PEM text in memory (len bytes, need not be NUL-terminated). */
int attest_trust_from_pem(const char *pem, size_t len, struct attest_trust **out);
void attest_trust_free(struct attest_trust *t);
/* Number of keys in the trust set (software keys and TPM AKs). */
size_t attest_trust_count(const struct attest_trust *t);
/* Number of enrolled TPM AKs among them. */
size_t attest_trust_tpm_count(const struct attest_trust *t);
/* 1 if an AK with this name is enrolled. */
int attest_trust_has_ak(const struct attest_trust *t, const uint8_t name[TPMQ_NAME_LEN]);

/* What stands behind a verified entry. */
enum attest_root {
	ATTEST_ROOT_SOFTWARE = 1,           /* a pinned software key */
	ATTEST_ROOT_TPM_EK_CERT = 2,        /* TPM; AK enrolled; EK certificate chain verified */
	ATTEST_ROOT_TPM_NO_EK_CERT = 3,     /* TPM; AK enrolled; EK accepted without certificate */
};
/* Static text for a root of trust (what every report prints). */
const char *attest_root_text(int root);

struct attest_verdict {
	int signer_kind;                    /* enum attest_signer_kind */
	uint8_t record_digest[RS_SHA256_LEN];
	uint8_t key_id[RS_SHA256_LEN];
	const char *root_of_trust;          /* static text: attest_root_text(root) */
	int root;                           /* enum attest_root */
	/* TPM entries only: what the quote says, for the checks across entries. */
	struct {
		uint8_t ak_name[TPMQ_NAME_LEN];
		uint32_t app_pcr;
		uint8_t app_pcr_value[RS_SHA256_LEN];   /* as quoted (after this record's extend) */
		uint64_t clock;
		uint32_t reset_count;
		uint32_t restart_count;
	} tpm;
};

/*
 * Verify envelope bytes against trust. Returns 0 if the signature verifies;
 * RS_ERR_FORMAT if the envelope or record is malformed; RS_ERR_VERIFY if it
 * is well-formed but does not verify (untrusted key, bad signature, unknown
 * signer kind), always with an rs_fail() detail that states the reason.
 * On success, if record_out is not NULL it receives the parsed record
 * (caller frees with proto_record_free()), and *verdict is filled.
 */
int attest_envelope_verify(const uint8_t *envelope, size_t len,
    const struct attest_trust *trust, struct attest_verdict *verdict,
    proto_record **record_out);

/*
 * For explaining a failure: the record digest recomputed from an
 * envelope's record bytes. 0, or RS_ERR_FORMAT if the envelope does not
 * parse.
 */
int attest_envelope_record_digest(const uint8_t *envelope, size_t len,
    uint8_t digest[RS_SHA256_LEN]);
/*
 * For explaining a failure: the 32-byte qualifyingData (extraData) of a
 * TPM envelope's quote. 0, or RS_ERR_FORMAT if the envelope is not a TPM
 * envelope with a parseable quote carrying 32 bytes of extraData.
 */
int attest_envelope_quote_data(const uint8_t *envelope, size_t len,
    uint8_t extra[RS_SHA256_LEN]);

#endif
