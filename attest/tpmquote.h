/*
 * tpmquote.h - TPM 2.0 structures as a verifier reads them: public areas
 * and their names, PCR selections, and quotes (TPMS_ATTEST + TPMT_SIGNATURE).
 *
 * Pure code: tss2-mu for unmarshalling, OpenSSL for crypto, no TPM access.
 * The signer uses it to check what its TPM returned before anything is
 * appended; runseal-verify uses it to check evidence it does not trust.
 *
 * Every byte string handed in here is untrusted: each parse is bounded by
 * the size of the structure it fills, and a buffer that holds more than one
 * complete structure is rejected ("trailing bytes").
 *
 *   name of an object  = nameAlg (2 bytes, 0x000B) || SHA-256(TPMT_PUBLIC bytes)
 *   qualified name     = 0x000B || SHA-256(parent's qualified name || name);
 *                        a hierarchy's qualified name is its 4-byte handle, so
 *                        an AK under the EK has QN = 0x000B || SHA-256(QN(EK) || name(AK))
 *                        with QN(EK) = 0x000B || SHA-256(0x4000000B || name(EK))
 *   PCR extend         = new = SHA-256(old || digest)          (sha256 bank)
 *   quote pcrDigest    = SHA-256(PCR values in selection order) (AK hash)
 *   quote signature    = ECDSA P-256 over SHA-256(TPMS_ATTEST bytes)
 */
#ifndef RS_ATTEST_TPMQUOTE_H
#define RS_ATTEST_TPMQUOTE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "common/hash.h"

#define TPMQ_NAME_LEN 34                    /* 0x000B || SHA-256 */
#define TPMQ_PCR_COUNT 24                   /* PCRs 0..23 */
#define TPMQ_DEFAULT_APP_PCR 23
#define TPMQ_DEFAULT_PCRS "sha256:0,1,2,3,4,5,6,7"
#define TPMQ_PCRSEL_TEXT_MAX 96             /* "sha256:0,1,...,23" and a NUL */
#define TPMQ_PUBLIC_MAX (sizeof(TPMT_PUBLIC))
#define TPMQ_ATTEST_MAX (sizeof(TPMS_ATTEST))
#define TPMQ_SIGNATURE_MAX (sizeof(TPMT_SIGNATURE))

/*
 * Silence tpm2-tss's own log lines (TSS2_LOG=all+NONE) unless the user set
 * TSS2_LOG: tss2-mu writes a WARNING or ERROR line to stderr for every
 * malformed structure, and runseal reports each failure itself. Called by
 * every function here that unmarshals; idempotent.
 */
void tpmq_tss2_quiet(void);

/* A PCR selection in the sha256 bank (the only bank runseal quotes). */
struct tpmq_pcrsel {
	uint16_t hash_alg;                  /* TPM2_ALG_SHA256 */
	uint32_t mask;                      /* bit i set: PCR i selected (i < 24) */
};

/*
 * Parse "sha256:0,1,2-7,23" (bank, then PCR numbers and ranges, any order,
 * no duplicates). RS_ERR_USAGE with a detail for anything else.
 */
int tpmq_pcrsel_parse(const char *text, struct tpmq_pcrsel *out);
/* Canonical text ("sha256:0,1,2,3"), into buf of TPMQ_PCRSEL_TEXT_MAX bytes. */
void tpmq_pcrsel_format(const struct tpmq_pcrsel *sel, char buf[TPMQ_PCRSEL_TEXT_MAX]);
/* Number of PCRs selected. */
unsigned tpmq_pcrsel_count(const struct tpmq_pcrsel *sel);
/* The TPM's form of a selection (one bank, sizeofSelect 3). */
void tpmq_pcrsel_to_tpml(const struct tpmq_pcrsel *sel, TPML_PCR_SELECTION *out);
/*
 * From the TPM's form: exactly one bank, sha256, no PCR above 23.
 * RS_ERR_FORMAT with a detail otherwise.
 */
int tpmq_pcrsel_from_tpml(const TPML_PCR_SELECTION *in, struct tpmq_pcrsel *out);

/* A public area as given, parsed, with its name. */
struct tpmq_public {
	TPMT_PUBLIC pub;
	uint8_t name[TPMQ_NAME_LEN];
};

/*
 * Parse a marshalled TPMT_PUBLIC (at most TPMQ_PUBLIC_MAX bytes, no
 * trailing bytes, nameAlg SHA-256) and compute its name over the bytes as
 * given. RS_ERR_FORMAT / RS_ERR_TOO_LARGE with a detail.
 */
int tpmq_public_parse(const uint8_t *buf, size_t len, struct tpmq_public *out);

/*
 * Qualified name of an object from its parent's qualified name (or, for a
 * primary object, the 4-byte hierarchy handle: parent_len 4) and its name.
 */
int tpmq_qualified_name(const uint8_t *parent_qn, size_t parent_len,
    const uint8_t name[TPMQ_NAME_LEN], uint8_t out[TPMQ_NAME_LEN]);

/* Qualified name of a key under a primary endorsement key: QN(ak) given name(ek). */
int tpmq_ak_qualified_name(const uint8_t ek_name[TPMQ_NAME_LEN],
    const uint8_t ak_name[TPMQ_NAME_LEN], uint8_t out[TPMQ_NAME_LEN]);

/*
 * The attestation key runseal requires, checked field by field: ECC NIST
 * P-256, nameAlg SHA-256, scheme ECDSA with SHA-256, no symmetric part, no
 * KDF, and exactly the attributes fixedTPM | fixedParent |
 * sensitiveDataOrigin | userWithAuth | restricted | sign. 0 or RS_ERR_VERIFY
 * with a detail naming the first field that differs.
 */
int tpmq_ak_check(const TPMT_PUBLIC *pub);

/*
 * An endorsement key runseal can enroll against: RSA 2048, nameAlg
 * SHA-256, a restricted decryption key (fixedTPM, fixedParent,
 * sensitiveDataOrigin, restricted, decrypt; not sign) with AES-128-CFB as
 * its symmetric algorithm (TCG EK Credential Profile, template L-1).
 * 0 or RS_ERR_VERIFY with a detail.
 */
int tpmq_ek_check(const TPMT_PUBLIC *pub);

/*
 * The public key of an ECC P-256 or RSA public area as an OpenSSL key
 * (point checked to be on the curve). Caller frees with EVP_PKEY_free().
 */
int tpmq_public_key(const TPMT_PUBLIC *pub, EVP_PKEY **out);

/*
 * Parse a TPMS_ATTEST the way a verifier must, each failure with its own
 * detail, in this order: size within TPMQ_ATTEST_MAX; magic is
 * TPM_GENERATED_VALUE; type is TPM_ST_ATTEST_QUOTE; the whole structure
 * unmarshals; no trailing bytes. RS_ERR_FORMAT on any of these.
 */
int tpmq_attest_parse(const uint8_t *buf, size_t len, TPMS_ATTEST *out);

/* One PCR value carried next to a quote (borrowed view). */
struct tpmq_pcr {
	uint32_t index;
	const uint8_t *value;
	size_t len;
};

/* SHA-256 of the values in the given order (the quote's pcrDigest). */
int tpmq_pcr_digest(const struct tpmq_pcr *pcrs, size_t n, uint8_t out[RS_SHA256_LEN]);

/* A PCR extend in software: out = SHA-256(pcr || digest). */
int tpmq_pcr_extend(const uint8_t pcr[RS_SHA256_LEN], const uint8_t digest[RS_SHA256_LEN],
    uint8_t out[RS_SHA256_LEN]);

/* What a quote must say (all borrowed). */
struct tpmq_expect {
	const uint8_t *digest;              /* RS_SHA256_LEN: the record digest (qualifyingData) */
	const uint8_t *ak_qname;            /* TPMQ_NAME_LEN: the trusted AK's qualified name */
	const TPMT_PUBLIC *ak_public;       /* the trusted AK (signing scheme) */
	EVP_PKEY *ak_key;                   /* its public key */
	struct tpmq_pcrsel sel;             /* the PCR selection the verifier expects */
};

/* What a verified quote says. */
struct tpmq_quote {
	uint64_t clock;                     /* ms the TPM has been powered (TPMS_CLOCK_INFO) */
	uint32_t reset_count;
	uint32_t restart_count;
	int safe;
	uint64_t firmware_version;
};

/*
 * Verify a quote against expectations. Checks, in order, each with its own
 * detail: TPMS_ATTEST parses (tpmq_attest_parse); qualifiedSigner is the
 * AK's qualified name; extraData is the record digest; the quoted selection is the
 * expected one; the carried PCRs are exactly the selected ones, in
 * selection order, 32 bytes each; their digest is the quoted pcrDigest;
 * the TPMT_SIGNATURE parses with no trailing bytes; its scheme and hash
 * are the AK's (ECDSA, SHA-256); it verifies under the AK.
 * 0 and *out filled; RS_ERR_FORMAT for unparseable bytes; RS_ERR_VERIFY for
 * a well-formed quote that does not say what it must.
 */
int tpmq_quote_verify(const uint8_t *attest, size_t attest_len,
    const uint8_t *sig, size_t sig_len, const struct tpmq_pcr *pcrs, size_t n_pcrs,
    const struct tpmq_expect *exp, struct tpmq_quote *out);

#endif
