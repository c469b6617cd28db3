/*
 * credential.h - the verifier's half of AK enrollment, in software: the EK
 * certificate check and TPM2_MakeCredential done with OpenSSL against the
 * EK's public key. Pure code (no TPM access): runseal-verify links it.
 *
 * MakeCredential (TPM 2.0 Part 1, "Credential Protection"), for an RSA EK
 * whose nameAlg is SHA-256 and symmetric algorithm AES-128-CFB:
 *
 *   seed            = 32 random bytes
 *   encryptedSecret = RSA-OAEP(EK, seed, hash SHA-256, label "IDENTITY" 0x00)
 *   symKey          = KDFa(SHA-256, seed, "STORAGE", name(AK), "", 128 bits)
 *   encIdentity     = AES-128-CFB(symKey, IV 0, TPM2B_DIGEST(secret))
 *   hmacKey         = KDFa(SHA-256, seed, "INTEGRITY", "", "", 256 bits)
 *   outerHMAC       = HMAC-SHA-256(hmacKey, encIdentity || name(AK))
 *   credentialBlob  = TPM2B_ID_OBJECT(TPM2B_DIGEST(outerHMAC) || encIdentity)
 *
 *   KDFa(H, K, label, u, v, bits) = the first bits of
 *       HMAC-H(K, [i]32 || label || 0x00 || u || v || [bits]32), i = 1, 2, ...
 *
 * The TPM releases the secret (TPM2_ActivateCredential) only if it holds
 * the EK's private key and has the object named name(AK) loaded, so a
 * correct answer proves the AK lives in the TPM the EK certificate names.
 *
 * Challenge payload (what the machine receives), bytes:
 *   marshalled TPM2B_ID_OBJECT || marshalled TPM2B_ENCRYPTED_SECRET
 */
#ifndef RS_ATTEST_CREDENTIAL_H
#define RS_ATTEST_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "attest/tpmquote.h"

#define CRED_SECRET_LEN 32
#define CRED_EK_CERT_MAX (16 * 1024)
#define CRED_CHALLENGE_MAX (sizeof(TPM2B_ID_OBJECT) + sizeof(TPM2B_ENCRYPTED_SECRET))

/*
 * MakeCredential: protect secret (1 to 32 bytes) for the TPM holding ek
 * (which must pass tpmq_ek_check) and the object named ak_name. Returns the
 * challenge payload (caller frees). Intermediate keys are wiped.
 */
int cred_make(const TPMT_PUBLIC *ek, const uint8_t ak_name[TPMQ_NAME_LEN],
    const uint8_t *secret, size_t secret_len, uint8_t **challenge, size_t *challenge_len);

/*
 * Split a challenge payload (untrusted: bounded, no trailing bytes).
 * RS_ERR_FORMAT with a detail.
 */
int cred_challenge_parse(const uint8_t *buf, size_t len, TPM2B_ID_OBJECT *id_object,
    TPM2B_ENCRYPTED_SECRET *enc_secret);

/* What an EK certificate check found out. */
struct cred_ek_cert {
	uint8_t sha256[RS_SHA256_LEN];      /* SHA-256 of the DER certificate */
	char issuer[256];                   /* RFC 2253, non-printable bytes escaped */
};

/*
 * Check an EK certificate (DER, at most CRED_EK_CERT_MAX bytes, nothing
 * after it): it chains to a certificate in ca_path (PEM; every certificate
 * in the file is trusted as an anchor), it is valid now, and its public key
 * is the EK's. 0 and *info filled; RS_ERR_VERIFY with a detail (the
 * OpenSSL verification error, or "certificate for another key");
 * RS_ERR_FORMAT for bytes that are not a certificate; RS_ERR_NOT_FOUND /
 * RS_ERR_FORMAT for the CA file.
 */
int cred_ek_cert_verify(const uint8_t *der, size_t len, const char *ca_path,
    const TPMT_PUBLIC *ek, struct cred_ek_cert *info);

#endif
