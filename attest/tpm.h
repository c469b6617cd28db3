/*
 * tpm.h - runseal's TPM access: tpm2-tss ESAPI, in process (never the
 * tpm2_* command-line tools). Linked only into the signer library and the
 * runseal binary; the verifier never links this (attest/tpmquote.h is its
 * pure counterpart).
 *
 * Key hierarchy
 *   EK  the TCG default RSA 2048 endorsement key (EK Credential Profile,
 *       template L-1): the persistent key at 0x81010001 when the TPM has
 *       one there (swtpm_setup and most platforms put it there), else the
 *       same key re-created with TPM2_CreatePrimary (same seed, same
 *       template: same key) and flushed after use. Its certificate is read
 *       from NV index 0x01C00002 when present.
 *   AK  ECC NIST P-256, ECDSA-SHA256, fixedTPM | fixedParent |
 *       sensitiveDataOrigin | userWithAuth | restricted | sign, a child of
 *       the EK (so it is in the endorsement hierarchy and its quotes carry
 *       unobfuscated resetCount/restartCount/clock), with a random 32-byte
 *       authValue kept in the runseal home (mode 0600): holding the TPM is
 *       not enough to quote with runseal's AK. It is made persistent with
 *       TPM2_EvictControl at a handle in TPM_AK_HANDLE_FIRST..LAST (the
 *       first free one, or the one given), so it survives reboots and TPM
 *       resets without re-creating anything.
 *
 * Round trips per run (tpm_ak_quote): TPM2_PCR_Extend, TPM2_Quote, and
 * TPM2_PCR_Read to carry the quoted values (one read per 8 PCRs: two for
 * the default 9-PCR selection; TPM2_PCR_Read returns at most 8 digests).
 * The read is needed because a quote carries only the digest of the PCR
 * values and a verifier replays the application PCR from the values; the
 * signer checks that the values read hash to the quoted pcrDigest and
 * re-quotes (at most TPM_QUOTE_ATTEMPTS times) if a PCR moved in between.
 * Per process, one TPM2_ReadPublic when the AK is opened (tpm_ak_open).
 *
 * Connections: the TPM connection is open only while a command sequence
 * runs (open, or one quote), not while the sandboxed program runs, so that
 * concurrent runseal processes can take turns on a TPM that serves one
 * connection at a time (swtpm) and never hold it while waiting for the
 * ledger's write lock.
 */
#ifndef RS_ATTEST_TPM_H
#define RS_ATTEST_TPM_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "attest/tpmquote.h"

#define TPM_TCTI_DEFAULT "device:/dev/tpmrm0"
#define TPM_EK_HANDLE 0x81010001u
#define TPM_EK_CERT_NV_INDEX 0x01c00002u
#define TPM_AK_HANDLE_FIRST 0x81008100u
#define TPM_AK_HANDLE_LAST 0x810081ffu
#define TPM_AK_AUTH_LEN 32
#define TPM_QUOTE_ATTEMPTS 3

/*
 * The TCTI to use: flag if not NULL, else $RUNSEAL_TCTI, else
 * $TPM2TOOLS_TCTI, else TPM_TCTI_DEFAULT (borrowed string).
 */
const char *tpm_tcti_resolve(const char *flag);

/* What `runseal init --signer tpm` creates. */
struct tpm_provisioned {
	uint32_t ak_handle;
	uint8_t ak_pub[TPMQ_PUBLIC_MAX];        /* marshalled TPMT_PUBLIC */
	size_t ak_pub_len;
	uint8_t ak_auth[TPM_AK_AUTH_LEN];       /* secret */
	uint32_t ek_handle;                     /* TPM_EK_HANDLE, or 0: re-created from the template */
	uint8_t ek_pub[TPMQ_PUBLIC_MAX];
	size_t ek_pub_len;
	uint8_t *ek_cert;                       /* DER, or NULL if the TPM has none */
	size_t ek_cert_len;
};

/*
 * Connect, find or create the EK, read its certificate, create the AK and
 * make it persistent at ak_handle (0: the first free handle in the range).
 * RS_ERR_EXISTS if ak_handle is taken; RS_ERR_TPM with the decoded TSS2
 * error otherwise. Clear *out with tpm_provisioned_clear().
 */
int tpm_provision(const char *tcti, uint32_t ak_handle, struct tpm_provisioned *out);
/* Wipe the auth value and free the certificate. */
void tpm_provisioned_clear(struct tpm_provisioned *p);

/* A persistent AK as one process uses it. */
struct tpm_ak;

/*
 * Connect, check that the key at handle is the AK with public area ak_pub
 * (by name), remember it, disconnect. The auth value is copied (wiped on
 * free). RS_ERR_TPM if the TPM cannot be reached, RS_ERR_VERIFY if the
 * handle holds another key.
 */
int tpm_ak_open(const char *tcti, uint32_t handle, const uint8_t *ak_pub, size_t ak_pub_len,
    const uint8_t *auth, size_t auth_len, struct tpm_ak **out);
void tpm_ak_free(struct tpm_ak *ak);
/* PCR extends this AK's process has made (for explaining a failed append). */
unsigned tpm_ak_extends(const struct tpm_ak *ak);

/* One quote as the TPM returned it, with the PCR values it covers. */
struct tpm_quote {
	uint8_t *attest;                        /* TPMS_ATTEST bytes, verbatim */
	size_t attest_len;
	uint8_t *signature;                     /* marshalled TPMT_SIGNATURE */
	size_t signature_len;
	unsigned n_pcrs;                        /* in selection order */
	uint32_t pcr_index[TPMQ_PCR_COUNT];
	uint8_t pcr_value[TPMQ_PCR_COUNT][RS_SHA256_LEN];
};
void tpm_quote_clear(struct tpm_quote *q);

/*
 * Extend digest into app_pcr, quote sel with qualifyingData = digest, read
 * the quoted PCR values, check they hash to the quote's pcrDigest. Must
 * run inside the ledger's write transaction. *out cleared on entry, filled
 * on success.
 */
int tpm_ak_quote(struct tpm_ak *ak, uint32_t app_pcr, const struct tpmq_pcrsel *sel,
    const uint8_t digest[RS_SHA256_LEN], struct tpm_quote *out);

/*
 * TPM2_ActivateCredential: release the secret of a credential made for
 * this TPM's EK and the AK (attest/credential.h). The EK is the persistent
 * one at ek_handle or, with ek_handle 0, re-created from the template; both
 * keys are checked by name against the public areas given.
 */
int tpm_activate(const char *tcti, uint32_t ak_handle, const uint8_t *ak_pub,
    size_t ak_pub_len, const uint8_t *ak_auth, size_t ak_auth_len, uint32_t ek_handle,
    const uint8_t *ek_pub, size_t ek_pub_len, const TPM2B_ID_OBJECT *id_object,
    const TPM2B_ENCRYPTED_SECRET *enc_secret, uint8_t *secret, size_t secret_cap,
    size_t *secret_len);

#endif
