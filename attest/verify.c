#include "attest/verify.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/record.h"
#include "attest/signer.h"
#include "attest/softsig.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"

#define TRUST_FILE_MAX (1024 * 1024)
#define TRUST_MAX_KEYS 4096

struct trusted_key {
	EVP_PKEY *key;
	uint8_t id[RS_SHA256_LEN];
};

struct attest_trust {
	struct trusted_key *keys;
	size_t n;
};

int
softsig_key_id(EVP_PKEY *key, uint8_t out[RS_SHA256_LEN])
{
	unsigned char *der = NULL;
	int n, r;

	if ((n = i2d_PUBKEY(key, &der)) <= 0)
		return rs_fail(RS_ERR_CRYPTO, "encoding a public key failed");
	r = rs_sha256(der, (size_t)n, out);
	OPENSSL_free(der);
	return r;
}

int
softsig_check_p256(EVP_PKEY *key)
{
	char group[64];
	size_t glen = 0;

	if (!EVP_PKEY_is_a(key, "EC") ||
	    EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &glen) != 1 ||
	    strcmp(group, "prime256v1") != 0)
		return RS_ERR_FORMAT;
	return 0;
}

void
attest_trust_free(struct attest_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		EVP_PKEY_free(t->keys[i].key);
	free(t->keys);
	free(t);
}

size_t
attest_trust_count(const struct attest_trust *t)
{
	return t->n;
}

int
attest_trust_from_pem(const char *pem, size_t len, struct attest_trust **out)
{
	struct attest_trust *t = NULL;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if (len > TRUST_FILE_MAX || len > INT32_MAX) {
		r = rs_fail(RS_ERR_TOO_LARGE, "trust file larger than %d bytes", TRUST_FILE_MAX);
		goto out;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (;;) {
		struct trusted_key *nk;

		if ((key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL)
			break;
		if (softsig_check_p256(key) != 0) {
			r = rs_fail(RS_ERR_FORMAT, "trust key %zu is not an ECDSA P-256 key",
			    t->n + 1);
			goto out;
		}
		if (t->n >= TRUST_MAX_KEYS) {
			r = rs_fail(RS_ERR_TOO_LARGE, "more than %d trusted keys", TRUST_MAX_KEYS);
			goto out;
		}
		if ((nk = realloc(t->keys, (t->n + 1) * sizeof(*nk))) == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		t->keys = nk;
		if ((r = softsig_key_id(key, nk[t->n].id)) != 0)
			goto out;
		nk[t->n].key = key;
		key = NULL;
		t->n++;
	}
	ERR_clear_error();      /* the loop ends on "no start line" */
	if (t->n == 0) {
		r = rs_fail(RS_ERR_FORMAT, "no PEM public key found");
		goto out;
	}
	*out = t;
	t = NULL;
	r = 0;
out:
	EVP_PKEY_free(key);
	BIO_free(bio);
	attest_trust_free(t);
	return r;
}

int
attest_trust_load(const char *path, struct attest_trust **out)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = rs_read_file(path, TRUST_FILE_MAX, &pem, &len)) != 0)
		return r;
	if ((r = attest_trust_from_pem((const char *)pem, len, out)) != 0)
		r = rs_fail(r, "trust file %s: %s", path, rs_err_detail());
	free(pem);
	return r;
}

static const struct trusted_key *
find_key(const struct attest_trust *t, const uint8_t *id, size_t idlen)
{
	size_t i;

	if (idlen != RS_SHA256_LEN)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (memcmp(t->keys[i].id, id, RS_SHA256_LEN) == 0)
			return &t->keys[i];
	return NULL;
}

static int
verify_software(const proto_envelope *env, const struct attest_trust *trust,
    const uint8_t digest[RS_SHA256_LEN])
{
	const struct trusted_key *k;
	uint8_t msg[SOFTSIG_MSG_LEN];
	EVP_MD_CTX *md = NULL;
	char idhex[17];
	int r = RS_ERR_VERIFY;

	if (env->key_id.len != RS_SHA256_LEN) {
		r = rs_fail(RS_ERR_FORMAT, "envelope key id is %zu bytes, expected 32",
		    env->key_id.len);
		goto out;
	}
	if ((k = find_key(trust, env->key_id.data, env->key_id.len)) == NULL) {
		rs_hex_encode(env->key_id.data, 8, idhex);
		r = rs_fail(RS_ERR_VERIFY,
		    "signed by key %s…, which is not in the trust file", idhex);
		goto out;
	}
	if (env->signature.len == 0 || env->signature.len > 128) {
		r = rs_fail(RS_ERR_VERIFY, "signature is %zu bytes: not an ECDSA P-256 signature",
		    env->signature.len);
		goto out;
	}
	softsig_message(digest, msg);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->key) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "signature verification could not start");
		goto out;
	}
	if (EVP_DigestVerify(md, env->signature.data, env->signature.len, msg,
	    sizeof(msg)) != 1) {
		r = rs_fail(RS_ERR_VERIFY,
		    "signature does not verify: the record or its signature was altered");
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	return r;
}

int
attest_envelope_verify(const uint8_t *envelope, size_t len,
    const struct attest_trust *trust, struct attest_verdict *verdict,
    proto_record **record_out)
{
	proto_envelope *env = NULL;
	proto_record *rec = NULL;
	uint8_t digest[RS_SHA256_LEN];
	int r = RS_ERR_INTERNAL;

	memset(verdict, 0, sizeof(*verdict));
	if (record_out != NULL)
		*record_out = NULL;
	if ((r = proto_envelope_unpack(envelope, len, &env)) != 0)
		goto out;
	if ((r = proto_record_unpack(env->record.data, env->record.len, &rec)) != 0)
		goto out;
	/* The digest is always recomputed from the stored record bytes. */
	if ((r = attest_record_digest(env->record.data, env->record.len, digest)) != 0)
		goto out;
	switch (env->signer) {
	case RUNSEAL__V1__SIGNER_KIND__SIGNER_SOFTWARE:
		if ((r = verify_software(env, trust, digest)) != 0)
			goto out;
		verdict->signer_kind = ATTEST_SIGNER_SOFTWARE;
		verdict->root_of_trust = "software key (no hardware root of trust)";
		break;
	case RUNSEAL__V1__SIGNER_KIND__SIGNER_TPM:
		r = rs_fail(RS_ERR_VERIFY,
		    "TPM-quoted entry, but this trust file holds no TPM attestation key");
		goto out;
	default:
		r = rs_fail(RS_ERR_VERIFY, "unknown signer kind %d", (int)env->signer);
		goto out;
	}
	memcpy(verdict->record_digest, digest, RS_SHA256_LEN);
	memcpy(verdict->key_id, env->key_id.data, RS_SHA256_LEN);
	if (record_out != NULL) {
		*record_out = rec;
		rec = NULL;
	}
	r = 0;
out:
	proto_record_free(rec);
	proto_envelope_free(env);
	return r;
}
