/*
 * verify.h - envelope verification. Pure parsing and crypto (OpenSSL):
 * linked by runseal-verify, which must not link TPM access or sandbox code.
 *
 * Checks, in order (DESIGN.md "Trust chain"): parse the envelope and its
 * record with bounds and no trailing bytes; recompute the record digest from
 * the stored bytes; check the signature against the trusted keys.
 */
#ifndef RS_ATTEST_VERIFY_H
#define RS_ATTEST_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"
#include "proto/codec.h"

/* A set of trusted signer keys, loaded from a trust file. */
struct attest_trust;

/*
 * Load a trust file: one or more PEM "PUBLIC KEY" blocks (ECDSA P-256).
 * RS_ERR_NOT_FOUND if missing, RS_ERR_FORMAT if it holds no usable key.
 */
int attest_trust_load(const char *path, struct attest_trust **out);
/* Same, from PEM text in memory (len bytes, need not be NUL-terminated). */
int attest_trust_from_pem(const char *pem, size_t len, struct attest_trust **out);
void attest_trust_free(struct attest_trust *t);
/* Number of keys in the trust set. */
size_t attest_trust_count(const struct attest_trust *t);

struct attest_verdict {
	int signer_kind;                    /* enum attest_signer_kind */
	uint8_t record_digest[RS_SHA256_LEN];
	uint8_t key_id[RS_SHA256_LEN];
	const char *root_of_trust;          /* static text: "software key (no hardware root of trust)" ... */
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

#endif
