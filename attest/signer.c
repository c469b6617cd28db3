#include "attest/signer.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "attest/record.h"
#include "attest/softsig.h"
#include "attest/tpm.h"
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
	struct tpm_ak *tpm;             /* tpm: the AK as this process uses it */
	uint32_t app_pcr;               /* tpm */
	struct tpmq_pcrsel sel;         /* tpm */
	uint8_t ak_name[TPMQ_NAME_LEN]; /* tpm */
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

int
attest_signer_open_tpm(const struct attest_tpm_config *cfg, struct attest_signer **out)
{
	struct attest_signer *s = NULL;
	struct tpmq_public ak;
	EVP_PKEY *pub = NULL;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if (cfg->app_pcr >= TPMQ_PCR_COUNT || !(cfg->sel.mask & (UINT32_C(1) << cfg->app_pcr))) {
		r = rs_fail(RS_ERR_CONFIG, "the PCR selection does not include the application "
		    "PCR %u", (unsigned)cfg->app_pcr);
		goto out;
	}
	if ((r = tpmq_public_parse(cfg->ak_public, cfg->ak_public_len, &ak)) != 0 ||
	    (r = tpmq_ak_check(&ak.pub)) != 0) {
		r = rs_fail(RS_ERR_CONFIG, "the stored attestation key: %s", rs_err_detail());
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	s->kind = ATTEST_SIGNER_TPM;
	s->app_pcr = cfg->app_pcr;
	s->sel = cfg->sel;
	memcpy(s->ak_name, ak.name, TPMQ_NAME_LEN);
	if ((r = tpmq_public_key(&ak.pub, &pub)) != 0 ||
	    (r = softsig_key_id(pub, s->key_id)) != 0)
		goto out;
	if ((r = tpm_ak_open(cfg->tcti, cfg->ak_handle, cfg->ak_public, cfg->ak_public_len,
	    cfg->ak_auth, cfg->ak_auth_len, &s->tpm)) != 0)
		goto out;
	*out = s;
	s = NULL;
	r = 0;
out:
	EVP_PKEY_free(pub);
	attest_signer_free(s);
	return r;
}

void
attest_signer_free(struct attest_signer *s)
{
	if (s == NULL)
		return;
	tpm_ak_free(s->tpm);    /* wipes the AK's auth value */
	EVP_PKEY_free(s->key);  /* OpenSSL clears private key material on free */
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

enum attest_signer_kind
attest_signer_kind(const struct attest_signer *s)
{
	return s->kind;
}

unsigned
attest_signer_tpm_extends(const struct attest_signer *s)
{
	return s->tpm != NULL ? tpm_ak_extends(s->tpm) : 0;
}

int
attest_signer_export_trust(const struct attest_signer *s, char **pem_out)
{
	BIO *bio = NULL;
	char *data = NULL, *copy = NULL;
	long n;
	int r = RS_ERR_INTERNAL;

	*pem_out = NULL;
	if (s->kind != ATTEST_SIGNER_SOFTWARE) {
		r = rs_fail(RS_ERR_UNSUPPORTED, "a TPM attestation key is trusted through "
		    "enrollment: runseal identity export, then runseal-verify enroll");
		goto out;
	}
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

/* The TPM's evidence for one record digest, into env (borrowing from q). */
static int
tpm_evidence(struct attest_signer *s, const uint8_t digest[RS_SHA256_LEN],
    struct tpm_quote *q, Runseal__V1__TpmEvidence *ev,
    Runseal__V1__PcrValue pv[TPMQ_PCR_COUNT], Runseal__V1__PcrValue *pvp[TPMQ_PCR_COUNT])
{
	unsigned i;
	int r;

	if ((r = tpm_ak_quote(s->tpm, s->app_pcr, &s->sel, digest, q)) != 0)
		return r;
	for (i = 0; i < q->n_pcrs; i++) {
		runseal__v1__pcr_value__init(&pv[i]);
		pv[i].index = q->pcr_index[i];
		pv[i].value.data = q->pcr_value[i];
		pv[i].value.len = RS_SHA256_LEN;
		pvp[i] = &pv[i];
	}
	ev->attest.data = q->attest;
	ev->attest.len = q->attest_len;
	ev->signature.data = q->signature;
	ev->signature.len = q->signature_len;
	ev->pcr_hash_alg = TPM2_ALG_SHA256;
	ev->n_pcrs = q->n_pcrs;
	ev->pcrs = pvp;
	ev->app_pcr = s->app_pcr;
	ev->ak_name.data = s->ak_name;
	ev->ak_name.len = TPMQ_NAME_LEN;
	return 0;
}

int
attest_seal(struct attest_signer *s, const uint8_t *record, size_t len,
    uint8_t **envelope, size_t *envelope_len, uint8_t digest_out[32])
{
	Runseal__V1__Envelope env = RUNSEAL__V1__ENVELOPE__INIT;
	Runseal__V1__TpmEvidence ev = RUNSEAL__V1__TPM_EVIDENCE__INIT;
	Runseal__V1__PcrValue pv[TPMQ_PCR_COUNT], *pvp[TPMQ_PCR_COUNT];
	struct tpm_quote q;
	uint8_t digest[RS_SHA256_LEN];
	uint8_t *sig = NULL;
	size_t siglen = 0;
	int r = RS_ERR_INTERNAL;

	memset(&q, 0, sizeof(q));
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
	case ATTEST_SIGNER_TPM:
		if ((r = tpm_evidence(s, digest, &q, &ev, pv, pvp)) != 0)
			goto out;
		env.signer = RUNSEAL__V1__SIGNER_KIND__SIGNER_TPM;
		env.tpm = &ev;
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
	tpm_quote_clear(&q);
	free(sig);
	return r;
}
