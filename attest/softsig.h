/*
 * softsig.h - internal to attest/: the software signature's message and
 * key identifier, shared by the signer and the verifier so both sides
 * compute them from one definition.
 *
 *   signed message = "runseal/v1/sig" 0x00 || record digest (32 bytes)
 *   signature      = DER ECDSA-SHA256 over the signed message (P-256)
 *   key id         = SHA-256(SubjectPublicKeyInfo DER)
 */
#ifndef RS_ATTEST_SOFTSIG_H
#define RS_ATTEST_SOFTSIG_H

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/hash.h"

#define SOFTSIG_MSG_LEN (sizeof(RS_CTX_SIG) + RS_SHA256_LEN)

static inline void
softsig_message(const uint8_t digest[RS_SHA256_LEN], uint8_t msg[SOFTSIG_MSG_LEN])
{
	memcpy(msg, RS_CTX_SIG, sizeof(RS_CTX_SIG));   /* includes the NUL */
	memcpy(msg + sizeof(RS_CTX_SIG), digest, RS_SHA256_LEN);
}

/* Key id of a public key; 0 or RS_ERR_CRYPTO. */
int softsig_key_id(EVP_PKEY *key, uint8_t out[RS_SHA256_LEN]);

/* 0 if key is an EC key on P-256, else RS_ERR_FORMAT. */
int softsig_check_p256(EVP_PKEY *key);

#endif
