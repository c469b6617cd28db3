/*
 * fuzz_tpm.h - the fake TPM of the quote fuzzing (as in
 * tests/unit/test_tpmquote.c): an OpenSSL P-256 key as the AK, its
 * TPMT_PUBLIC, and the layout of a fuzz_tpmquote input, shared by the
 * target and the corpus generator.
 *
 * fuzz_tpmquote input: three length-prefixed parts (16-bit big-endian
 * lengths; a short input leaves the later parts short or empty):
 *
 *   | u16 n | TPMS_ATTEST bytes | u16 m | TPMT_SIGNATURE bytes | PCR values ... |
 *
 * The PCR values are the rest: 32 bytes each for the PCRs of FUZZ_PCRS in
 * order; a byte of the rest beyond them (if any) is a TPMT_PUBLIC also fed
 * to tpmq_public_parse and the key checks.
 */
#ifndef RS_FUZZ_TPM_H
#define RS_FUZZ_TPM_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include "attest/tpmquote.h"

#define FUZZ_AK_ATTRS (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
	TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH | \
	TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)

static inline EVP_PKEY *
fuzz_key_from_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return k;
}

/* The AK's public area for key; 0 or -1. */
static inline int
fuzz_ak_public(EVP_PKEY *key, TPMT_PUBLIC *p)
{
	BIGNUM *x = NULL, *y = NULL;
	int r = -1;

	memset(p, 0, sizeof(*p));
	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = FUZZ_AK_ATTRS;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1)
		goto out;
	p->unique.ecc.x.size = 32;
	p->unique.ecc.y.size = 32;
	if (BN_bn2binpad(x, p->unique.ecc.x.buffer, 32) != 32 ||
	    BN_bn2binpad(y, p->unique.ecc.y.buffer, 32) != 32)
		goto out;
	r = 0;
out:
	BN_free(x);
	BN_free(y);
	return r;
}

/* The fake EK's name, and the AK's qualified name under it. */
static inline int
fuzz_ak_qname(const uint8_t ak_name[TPMQ_NAME_LEN], uint8_t qname[TPMQ_NAME_LEN])
{
	uint8_t ek_name[TPMQ_NAME_LEN];

	memset(ek_name, FUZZ_EK_NAME_BYTE, sizeof(ek_name));
	ek_name[0] = 0x00;
	ek_name[1] = 0x0b;
	return tpmq_ak_qualified_name(ek_name, ak_name, qname);
}

/* PCR i of the fake TPM holds 32 bytes of value i + 1. */
static inline void
fuzz_pcr_value(unsigned i, uint8_t out[32])
{
	memset(out, (int)i + 1, 32);
}

#endif
