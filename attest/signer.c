#include "attest/signer.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "attest/record.h"
#include "attest/softsig.h"
#include "common/err.h"
#include "common/file.h"
#include "proto/codec.h"

#define KEY_FILE_MAX (64 * 1024)

/*
 * A signer is a kind plus the back end's state. Back ends fill one
 * Envelope's evidence fields for a record digest.
 */
struct attest_signer {
	enum attest_signer_kind kind;
	EVP_PKEY *key;                  /* software: private key */
	uint8_t key_id[RS_SHA256_LEN];
};

const char *
attest_signer_kind_name(enum attest_signer_kind kind)
{
	switch (kind) {
	case ATTEST_SIGNER_SOFTWARE: return "software";
	case ATTEST_SIGNER_TPM: return "tpm";
	}
	return "unknown";
}

int
attest_softkey_create(const char *path)
{
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	char *pem = NULL;
	long n;
	int r = RS_ERR_INTERNAL;

	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL) {
		r = rs_fail(RS_ERR_CRYPTO, "generating an ECDSA P-256 key failed");
		goto out;
	}
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(bio, &pem)) <= 0) {
		r = rs_fail(RS_ERR_CRYPTO, "encoding the private key failed");
		goto out;
	}
	if ((r = rs_write_file_atomic(path, pem, (size_t)n, 0600, 1)) != 0)
		goto out;
	r = 0;
out:
	BIO_free(bio);          /* secure-heap BIO: wiped on free */
	EVP_PKEY_free(key);
	return r;
}

int
attest_signer_open_software(const char *key_path, struct attest_signer **out)
{
	struct attest_signer *s = NULL;
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((r = rs_read_file(key_path, KEY_FILE_MAX, &pem, &len)) != 0)
		goto out;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	s->kind = ATTEST_SIGNER_SOFTWARE;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((s->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "%s: not a PEM private key", key_path);
		goto out;
	}
	if ((r = softsig_check_p256(s->key)) != 0) {
		r = rs_fail(r, "%s: not an ECDSA P-256 key", key_path);
		goto out;
	}
	if ((r = softsig_key_id(s->key, s->key_id)) != 0)
		goto out;
	*out = s;
	s = NULL;
	r = 0;
out:
	BIO_free(bio);
	if (pem != NULL) {
		OPENSSL_cleanse(pem, len);
		free(pem);
	}
	attest_signer_free(s);
	return r;
}

void
attest_signer_free(struct attest_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);  /* OpenSSL clears private key material on free */
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

enum attest_signer_kind
attest_signer_kind(const struct attest_signer *s)
{
	return s->kind;
}

int
attest_signer_export_trust(const struct attest_signer *s, char **pem_out)
{
	BIO *bio = NULL;
	char *data = NULL, *copy = NULL;
	long n;
	int r = RS_ERR_INTERNAL;

	*pem_out = NULL;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PUBKEY(bio, s->key) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0) {
		r = rs_fail(RS_ERR_CRYPTO, "encoding the public key failed");
		goto out;
	}
	if ((copy = strndup(data, (size_t)n)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	*pem_out = copy;
	r = 0;
out:
	BIO_free(bio);
	return r;
}

static int
software_sign(struct attest_signer *s, const uint8_t digest[RS_SHA256_LEN],
    uint8_t **sig, size_t *siglen)
{
	uint8_t msg[SOFTSIG_MSG_LEN];
	EVP_MD_CTX *md = NULL;
	uint8_t *buf = NULL;
	size_t n = 0;
	int r = RS_ERR_CRYPTO;

	*sig = NULL;
	*siglen = 0;
	softsig_message(digest, msg);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->key) != 1 ||
	    EVP_DigestSign(md, NULL, &n, msg, sizeof(msg)) != 1 ||
	    (buf = malloc(n)) == NULL ||
	    EVP_DigestSign(md, buf, &n, msg, sizeof(msg)) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "ECDSA signing failed");
		goto out;
	}
	*sig = buf;
	*siglen = n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	EVP_MD_CTX_free(md);
	return r;
}

int
attest_seal(struct attest_signer *s, const uint8_t *record, size_t len,
    uint8_t **envelope, size_t *envelope_len, uint8_t digest_out[32])
{
	Runseal__V1__Envelope env = RUNSEAL__V1__ENVELOPE__INIT;
	uint8_t digest[RS_SHA256_LEN];
	uint8_t *sig = NULL;
	size_t siglen = 0;
	int r = RS_ERR_INTERNAL;

	*envelope = NULL;
	*envelope_len = 0;
	if (len > PROTO_MAX_RECORD) {
		r = rs_fail(RS_ERR_TOO_LARGE, "record of %zu bytes exceeds %u", len,
		    PROTO_MAX_RECORD);
		goto out;
	}
	if ((r = attest_record_digest(record, len, digest)) != 0)
		goto out;
	switch (s->kind) {
	case ATTEST_SIGNER_SOFTWARE:
		if ((r = software_sign(s, digest, &sig, &siglen)) != 0)
			goto out;
		env.signer = RUNSEAL__V1__SIGNER_KIND__SIGNER_SOFTWARE;
		env.signature.data = sig;
		env.signature.len = siglen;
		break;
	default:
		r = rs_fail(RS_ERR_INTERNAL, "unknown signer kind %d", (int)s->kind);
		goto out;
	}
	env.version = PROTO_VERSION;
	env.record.data = (uint8_t *)(uintptr_t)record;
	env.record.len = len;
	env.key_id.data = s->key_id;
	env.key_id.len = RS_SHA256_LEN;
	if ((r = proto_pack(&env.base, PROTO_MAX_ENVELOPE, envelope, envelope_len)) != 0)
		goto out;
	if (digest_out != NULL)
		memcpy(digest_out, digest, RS_SHA256_LEN);
	r = 0;
out:
	free(sig);
	return r;
}
