#include "attest/credential.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "common/err.h"
#include "common/file.h"

#define CA_FILE_MAX (4 * 1024 * 1024)
#define CA_MAX_CERTS 1024
#define AES128_KEY_LEN 16

static const char identity_label[] = "IDENTITY";   /* sizeof includes the NUL: hashed */

/* KDFa with HMAC-SHA-256 (TPM 2.0 Part 1, 11.4.10.2), out of outlen bytes. */
static int
kdfa(const uint8_t *key, size_t keylen, const char *label, const uint8_t *u, size_t ulen,
    uint8_t *out, size_t outlen)
{
	uint8_t block[RS_SHA256_LEN], be[4];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	uint32_t counter, bits = (uint32_t)(outlen * 8);
	size_t done = 0, n, got;
	int r = RS_ERR_CRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL)
		goto fail;
	for (counter = 1; done < outlen; counter++) {
		be[0] = (uint8_t)(counter >> 24);
		be[1] = (uint8_t)(counter >> 16);
		be[2] = (uint8_t)(counter >> 8);
		be[3] = (uint8_t)counter;
		if (EVP_MAC_init(ctx, key, keylen, params) != 1 ||
		    EVP_MAC_update(ctx, be, sizeof(be)) != 1 ||
		    EVP_MAC_update(ctx, (const uint8_t *)label, strlen(label) + 1) != 1 ||
		    (ulen > 0 && EVP_MAC_update(ctx, u, ulen) != 1))
			goto fail;
		be[0] = (uint8_t)(bits >> 24);
		be[1] = (uint8_t)(bits >> 16);
		be[2] = (uint8_t)(bits >> 8);
		be[3] = (uint8_t)bits;
		if (EVP_MAC_update(ctx, be, sizeof(be)) != 1 ||
		    EVP_MAC_final(ctx, block, &got, sizeof(block)) != 1 || got != sizeof(block))
			goto fail;
		n = outlen - done < sizeof(block) ? outlen - done : sizeof(block);
		memcpy(out + done, block, n);
		done += n;
	}
	r = 0;
	goto out;
fail:
	r = rs_fail(RS_ERR_CRYPTO, "KDFa (HMAC-SHA-256) failed");
out:
	OPENSSL_cleanse(block, sizeof(block));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

static int
hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t out[RS_SHA256_LEN])
{
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t got = 0;
	int r = RS_ERR_CRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(ctx, key, keylen, params) != 1 ||
	    EVP_MAC_update(ctx, a, alen) != 1 || EVP_MAC_update(ctx, b, blen) != 1 ||
	    EVP_MAC_final(ctx, out, &got, RS_SHA256_LEN) != 1 || got != RS_SHA256_LEN) {
		r = rs_fail(RS_ERR_CRYPTO, "HMAC-SHA-256 failed");
		goto out;
	}
	r = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

/* RSA-OAEP(SHA-256, label "IDENTITY\0") of the seed under the EK. */
static int
encrypt_seed(const TPMT_PUBLIC *ek, const uint8_t *seed, size_t seedlen,
    TPM2B_ENCRYPTED_SECRET *out)
{
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char *label = NULL;
	size_t n = sizeof(out->secret);
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = tpmq_public_key(ek, &key)) != 0)
		goto out;
	if ((label = OPENSSL_memdup(identity_label, sizeof(identity_label))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
	    EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, (int)sizeof(identity_label)) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "setting up RSA-OAEP under the EK failed");
		goto out;
	}
	label = NULL;   /* owned by ctx */
	if (EVP_PKEY_encrypt(ctx, out->secret, &n, seed, seedlen) != 1 || n > UINT16_MAX) {
		r = rs_fail(RS_ERR_CRYPTO, "RSA-OAEP encryption under the EK failed");
		goto out;
	}
	out->size = (UINT16)n;
	r = 0;
out:
	ERR_clear_error();
	OPENSSL_free(label);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	return r;
}

int
cred_make(const TPMT_PUBLIC *ek, const uint8_t ak_name[TPMQ_NAME_LEN],
    const uint8_t *secret, size_t secret_len, uint8_t **challenge, size_t *challenge_len)
{
	uint8_t seed[RS_SHA256_LEN], sym[AES128_KEY_LEN], hmac_key[RS_SHA256_LEN];
	uint8_t plain[2 + CRED_SECRET_LEN], enc[2 + CRED_SECRET_LEN], outer[RS_SHA256_LEN];
	uint8_t iv[AES128_KEY_LEN];
	TPM2B_ID_OBJECT id;
	TPM2B_ENCRYPTED_SECRET es;
	EVP_CIPHER_CTX *c = NULL;
	uint8_t *buf = NULL;
	size_t off = 0, plain_len = 2 + secret_len;
	int n1 = 0, n2 = 0, r = RS_ERR_INTERNAL;
	TSS2_RC rc;

	*challenge = NULL;
	*challenge_len = 0;
	memset(&id, 0, sizeof(id));
	if (secret_len == 0 || secret_len > CRED_SECRET_LEN) {
		r = rs_fail(RS_ERR_USAGE, "credential secret of %zu bytes (1 to %d)", secret_len,
		    CRED_SECRET_LEN);
		goto out;
	}
	if ((r = tpmq_ek_check(ek)) != 0)
		goto out;
	if (RAND_priv_bytes(seed, sizeof(seed)) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "no random bytes for the credential seed");
		goto out;
	}
	if ((r = encrypt_seed(ek, seed, sizeof(seed), &es)) != 0)
		goto out;
	if ((r = kdfa(seed, sizeof(seed), "STORAGE", ak_name, TPMQ_NAME_LEN, sym,
	    sizeof(sym))) != 0 ||
	    (r = kdfa(seed, sizeof(seed), "INTEGRITY", NULL, 0, hmac_key,
	    sizeof(hmac_key))) != 0)
		goto out;
	/* The credential as a marshalled TPM2B_DIGEST. */
	plain[0] = (uint8_t)(secret_len >> 8);
	plain[1] = (uint8_t)secret_len;
	memcpy(plain + 2, secret, secret_len);
	memset(iv, 0, sizeof(iv));
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(c, EVP_aes_128_cfb128(), NULL, sym, iv) != 1 ||
	    EVP_EncryptUpdate(c, enc, &n1, plain, (int)plain_len) != 1 ||
	    EVP_EncryptFinal_ex(c, enc + n1, &n2) != 1 || (size_t)(n1 + n2) != plain_len) {
		r = rs_fail(RS_ERR_CRYPTO, "AES-128-CFB encryption of the credential failed");
		goto out;
	}
	if ((r = hmac_sha256(hmac_key, sizeof(hmac_key), enc, plain_len, ak_name,
	    TPMQ_NAME_LEN, outer)) != 0)
		goto out;
	/* credentialBlob = TPM2B_DIGEST(outerHMAC) || encIdentity */
	id.credential[0] = 0;
	id.credential[1] = RS_SHA256_LEN;
	memcpy(id.credential + 2, outer, RS_SHA256_LEN);
	memcpy(id.credential + 2 + RS_SHA256_LEN, enc, plain_len);
	id.size = (UINT16)(2 + RS_SHA256_LEN + plain_len);
	if ((buf = malloc(CRED_CHALLENGE_MAX)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((rc = Tss2_MU_TPM2B_ID_OBJECT_Marshal(&id, buf, CRED_CHALLENGE_MAX, &off)) !=
	    TSS2_RC_SUCCESS ||
	    (rc = Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&es, buf, CRED_CHALLENGE_MAX, &off)) !=
	    TSS2_RC_SUCCESS) {
		r = rs_fail(RS_ERR_INTERNAL, "marshalling the credential failed: %s",
		    Tss2_RC_Decode(rc));
		goto out;
	}
	*challenge = buf;
	*challenge_len = off;
	buf = NULL;
	r = 0;
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(sym, sizeof(sym));
	OPENSSL_cleanse(hmac_key, sizeof(hmac_key));
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(&id, sizeof(id));
	EVP_CIPHER_CTX_free(c);
	free(buf);
	return r;
}

int
cred_challenge_parse(const uint8_t *buf, size_t len, TPM2B_ID_OBJECT *id_object,
    TPM2B_ENCRYPTED_SECRET *enc_secret)
{
	size_t off = 0;
	TSS2_RC rc;

	memset(id_object, 0, sizeof(*id_object));
	memset(enc_secret, 0, sizeof(*enc_secret));
	tpmq_tss2_quiet();
	if (len > CRED_CHALLENGE_MAX)
		return rs_fail(RS_ERR_FORMAT, "credential challenge of %zu bytes (at most %zu)",
		    len, CRED_CHALLENGE_MAX);
	if ((rc = Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(buf, len, &off, id_object)) !=
	    TSS2_RC_SUCCESS ||
	    (rc = Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(buf, len, &off, enc_secret)) !=
	    TSS2_RC_SUCCESS) {
		memset(id_object, 0, sizeof(*id_object));
		memset(enc_secret, 0, sizeof(*enc_secret));
		return rs_fail(RS_ERR_FORMAT, "credential challenge does not parse: %s",
		    Tss2_RC_Decode(rc));
	}
	if (off != len) {
		memset(id_object, 0, sizeof(*id_object));
		memset(enc_secret, 0, sizeof(*enc_secret));
		return rs_fail(RS_ERR_FORMAT, "credential challenge is followed by %zu trailing "
		    "byte(s)", len - off);
	}
	return 0;
}

/* All certificates of a PEM file into a new store. */
static int
load_ca_store(const char *path, X509_STORE **out)
{
	X509_STORE *store = NULL;
	X509 *cert = NULL;
	BIO *bio = NULL;
	uint8_t *pem = NULL;
	size_t len = 0, n = 0;
	int r;

	*out = NULL;
	if ((r = rs_read_file(path, CA_FILE_MAX, &pem, &len)) != 0)
		goto out;
	if ((store = X509_STORE_new()) == NULL ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (++n > CA_MAX_CERTS) {
			r = rs_fail(RS_ERR_TOO_LARGE, "%s: more than %d certificates", path,
			    CA_MAX_CERTS);
			goto out;
		}
		if (X509_STORE_add_cert(store, cert) != 1) {
			r = rs_fail(RS_ERR_CRYPTO, "%s: certificate %zu cannot be added", path, n);
			goto out;
		}
		X509_free(cert);
		cert = NULL;
	}
	if (n == 0) {
		r = rs_fail(RS_ERR_FORMAT, "%s holds no PEM certificate", path);
		goto out;
	}
	*out = store;
	store = NULL;
	r = 0;
out:
	ERR_clear_error();
	X509_free(cert);
	BIO_free(bio);
	free(pem);
	X509_STORE_free(store);
	return r;
}

int
cred_ek_cert_verify(const uint8_t *der, size_t len, const char *ca_path,
    const TPMT_PUBLIC *ek, struct cred_ek_cert *info)
{
	const unsigned char *p = der;
	X509 *cert = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	EVP_PKEY *ekkey = NULL;
	BIO *bio = NULL;
	char *text = NULL;
	long tlen;
	int r = RS_ERR_INTERNAL;

	memset(info, 0, sizeof(*info));
	if (len == 0 || len > CRED_EK_CERT_MAX) {
		r = rs_fail(RS_ERR_FORMAT, "EK certificate of %zu bytes (1 to %d)", len,
		    CRED_EK_CERT_MAX);
		goto out;
	}
	if ((cert = d2i_X509(NULL, &p, (long)len)) == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "the EK certificate is not DER X.509");
		goto out;
	}
	if (p != der + len) {
		r = rs_fail(RS_ERR_FORMAT, "the EK certificate is followed by %zu trailing byte(s)",
		    (size_t)(der + len - p));
		goto out;
	}
	if ((r = load_ca_store(ca_path, &store)) != 0)
		goto out;
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, store, cert, NULL) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "certificate verification could not start");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		r = rs_fail(RS_ERR_VERIFY, "the EK certificate does not chain to a CA in %s: %s",
		    ca_path, X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	if ((r = tpmq_public_key(ek, &ekkey)) != 0)
		goto out;
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), ekkey) != 1) {
		r = rs_fail(RS_ERR_VERIFY, "the EK certificate is for another key than the EK");
		goto out;
	}
	if ((r = rs_sha256(der, len, info->sha256)) != 0)
		goto out;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(bio, X509_get_issuer_name(cert), 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0 ||
	    (tlen = BIO_get_mem_data(bio, &text)) < 0) {
		r = rs_fail(RS_ERR_CRYPTO, "printing the EK certificate issuer failed");
		goto out;
	}
	snprintf(info->issuer, sizeof(info->issuer), "%.*s", (int)tlen, text);
	r = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	EVP_PKEY_free(ekkey);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(cert);
	return r;
}
