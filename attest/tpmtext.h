/*
 * tpmtext.h - runseal's text files for TPM identities, enrolled AKs and
 * the enrollment exchange. Each is a sequence of PEM blocks; a block may
 * start with "Key: value" header lines and a blank line (RFC 1421 style).
 * Text outside blocks is ignored, so comments and other tools' lines
 * (e.g. "runseal-checkpoint-key: ...") can live in the same file.
 * Pure code (OpenSSL PEM + tss2-mu): runseal-verify links it.
 *
 * Header lines: Key is [A-Za-z0-9-]+, value printable ASCII; every key of a
 * block is known, none repeats, the required ones are present. Hex is lower
 * or upper case; names are 34 bytes (0x000B || SHA-256).
 *
 * Identity (runseal identity export, TPM signer) - what a verifier enrolls:
 *
 *   block "RUNSEAL TPM AK PUBLIC"   data: marshalled TPMT_PUBLIC of the AK
 *       Name: <hex>                  the AK's name (must match the data)
 *       PCR-Selection: sha256:0,...  the PCRs every quote covers
 *       Application-PCR: <n>         the PCR record digests are extended into
 *   block "RUNSEAL TPM EK PUBLIC"   data: marshalled TPMT_PUBLIC of the EK
 *       Name: <hex>
 *   block "CERTIFICATE"             data: the EK certificate (DER), if the
 *                                    TPM has one; at most one
 *
 * Trust file entry (written by runseal-verify enroll --response):
 *
 *   block "RUNSEAL TPM AK"          data: marshalled TPMT_PUBLIC of the AK
 *       Name: <hex>                  required, must match the data
 *       EK-Name: <hex>               required: the EK the AK was enrolled under
 *       EK-Certificate: verified | none
 *                                    verified: the EK certificate chained to the
 *                                    CA the verifier gave; none: the verifier
 *                                    accepted an EK without certificate
 *       EK-Certificate-SHA256: <hex> required with "verified", absent with "none"
 *       EK-Certificate-Issuer: <text> optional, informational
 *       PCR-Selection: sha256:0,...  required; includes the Application-PCR
 *       Application-PCR: <n>         required
 *       Enrolled: <UTC time>         optional, informational
 *
 * Enrollment exchange:
 *
 *   "RUNSEAL TPM CREDENTIAL CHALLENGE"  (verifier -> machine)
 *       AK-Name: <hex>               data: credential payload (attest/credential.h)
 *   "RUNSEAL TPM CREDENTIAL RESPONSE"   (machine -> verifier)
 *       AK-Name: <hex>               data: the secret the TPM released
 *   "RUNSEAL ENROLLMENT SECRET"         (verifier's private state, mode 0600)
 *       AK-Name: <hex>               data: the secret; followed in the same
 *                                    file by the pending "RUNSEAL TPM AK" block
 */
#ifndef RS_ATTEST_TPMTEXT_H
#define RS_ATTEST_TPMTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "attest/tpmquote.h"

#define TPMTEXT_AK_PUBLIC "RUNSEAL TPM AK PUBLIC"
#define TPMTEXT_EK_PUBLIC "RUNSEAL TPM EK PUBLIC"
#define TPMTEXT_CERTIFICATE "CERTIFICATE"
#define TPMTEXT_AK "RUNSEAL TPM AK"
#define TPMTEXT_CHALLENGE "RUNSEAL TPM CREDENTIAL CHALLENGE"
#define TPMTEXT_RESPONSE "RUNSEAL TPM CREDENTIAL RESPONSE"
#define TPMTEXT_SECRET "RUNSEAL ENROLLMENT SECRET"

#define TPMTEXT_FILE_MAX (1024 * 1024)
#define TPMTEXT_MAX_BLOCKS 4096
#define TPMTEXT_ISSUER_MAX 256

/* Reading the blocks of a text, one at a time. */
struct tpmtext_reader;

/* text need not be NUL-terminated; it must outlive the reader. */
int tpmtext_reader_new(const char *text, size_t len, struct tpmtext_reader **out);
/*
 * The next block: *name is NULL at the end. name, header ("" if none) and
 * data are borrowed and valid until the next call; data is wiped then.
 * RS_ERR_FORMAT for a block that does not decode, RS_ERR_TOO_LARGE past
 * TPMTEXT_MAX_BLOCKS.
 */
int tpmtext_reader_next(struct tpmtext_reader *rd, const char **name, const char **header,
    const uint8_t **data, size_t *len);
void tpmtext_reader_free(struct tpmtext_reader *rd);

/* An attestation key as a verifier knows it. */
struct tpmtext_ak {
	uint8_t pub[TPMQ_PUBLIC_MAX];       /* marshalled TPMT_PUBLIC, verbatim */
	size_t pub_len;
	struct tpmq_public ak;              /* parsed; ak.name checked against Name */
	struct tpmq_pcrsel sel;             /* includes app_pcr */
	uint32_t app_pcr;
	/* enrolled AKs (trust file) only */
	uint8_t ek_name[TPMQ_NAME_LEN];
	int ek_certified;                   /* 1 "verified", 0 "none" */
	uint8_t ek_cert_sha256[RS_SHA256_LEN];
	char ek_cert_issuer[TPMTEXT_ISSUER_MAX];
	char enrolled[32];
};

/*
 * An enrolled AK from a "RUNSEAL TPM AK" block's header and data. Checks
 * the header grammar, that Name is the data's name, that the AK passes
 * tpmq_ak_check and that the selection includes the application PCR.
 * RS_ERR_FORMAT / RS_ERR_VERIFY with a detail.
 */
int tpmtext_ak_parse(const char *header, const uint8_t *data, size_t len,
    struct tpmtext_ak *out);
/* The "RUNSEAL TPM AK" block for an enrolled AK (new string, caller frees). */
int tpmtext_ak_format(const struct tpmtext_ak *ak, char **out);

/* A machine's TPM identity as exported. */
struct tpmtext_identity {
	struct tpmtext_ak ak;               /* pub, ak, sel, app_pcr */
	uint8_t ek_pub[TPMQ_PUBLIC_MAX];
	size_t ek_pub_len;
	struct tpmq_public ek;
	uint8_t *ek_cert;                   /* DER, or NULL */
	size_t ek_cert_len;
};

/*
 * Write an identity. ek_cert may be NULL. Public areas are parsed and
 * their names computed here. New string, caller frees.
 */
int tpmtext_identity_format(const uint8_t *ak_pub, size_t ak_pub_len,
    const uint8_t *ek_pub, size_t ek_pub_len, const uint8_t *ek_cert, size_t ek_cert_len,
    const struct tpmq_pcrsel *sel, uint32_t app_pcr, char **out);
/*
 * Read an identity (untrusted): exactly one AK PUBLIC and one EK PUBLIC
 * block, at most one CERTIFICATE; names match the data. The AK and EK are
 * parsed but not judged (tpmq_ak_check / tpmq_ek_check are the caller's).
 * Free with tpmtext_identity_clear().
 */
int tpmtext_identity_parse(const char *text, size_t len, struct tpmtext_identity *out);
void tpmtext_identity_clear(struct tpmtext_identity *id);

/* Challenge: AK name and credential payload. */
int tpmtext_challenge_format(const uint8_t ak_name[TPMQ_NAME_LEN], const uint8_t *payload,
    size_t len, char **out);
/* *payload is new (caller frees). */
int tpmtext_challenge_parse(const char *text, size_t len, uint8_t ak_name[TPMQ_NAME_LEN],
    uint8_t **payload, size_t *payload_len);

/* Response: AK name and the released secret (at most 64 bytes). */
#define TPMTEXT_SECRET_MAX 64
int tpmtext_response_format(const uint8_t ak_name[TPMQ_NAME_LEN], const uint8_t *secret,
    size_t len, char **out);
int tpmtext_response_parse(const char *text, size_t len, uint8_t ak_name[TPMQ_NAME_LEN],
    uint8_t secret[TPMTEXT_SECRET_MAX], size_t *secret_len);

/* The verifier's enrollment state: the secret and the AK entry to add. */
int tpmtext_state_format(const uint8_t *secret, size_t len, const struct tpmtext_ak *pending,
    char **out);
int tpmtext_state_parse(const char *text, size_t len, uint8_t secret[TPMTEXT_SECRET_MAX],
    size_t *secret_len, struct tpmtext_ak *pending);

#endif
