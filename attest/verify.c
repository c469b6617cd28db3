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
#include "attest/tpmquote.h"
#include "attest/tpmtext.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"

#define TRUST_FILE_MAX (1024 * 1024)
#define TRUST_MAX_KEYS 4096

struct trusted_key {
	EVP_PKEY *key;
	uint8_t id[RS_SHA256_LEN];
};

/* An enrolled TPM attestation key. */
struct trusted_ak {
	struct tpmtext_ak ak;
	EVP_PKEY *key;
	uint8_t id[RS_SHA256_LEN];          /* key id: SHA-256 of its SubjectPublicKeyInfo */
	uint8_t qname[TPMQ_NAME_LEN];       /* qualified name under its EK */
};

struct attest_trust {
	struct trusted_key *keys;
	size_t n;
	struct trusted_ak *aks;
	size_t n_aks;
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
	for (i = 0; i < t->n_aks; i++)
		EVP_PKEY_free(t->aks[i].key);
	free(t->keys);
	free(t->aks);
	free(t);
}

size_t
attest_trust_count(const struct attest_trust *t)
{
	return t->n + t->n_aks;
}

size_t
attest_trust_tpm_count(const struct attest_trust *t)
{
	return t->n_aks;
}

static const struct trusted_ak *
find_ak(const struct attest_trust *t, const uint8_t *name, size_t len)
{
	size_t i;

	if (len != TPMQ_NAME_LEN)
		return NULL;
	for (i = 0; i < t->n_aks; i++)
		if (memcmp(t->aks[i].ak.ak.name, name, TPMQ_NAME_LEN) == 0)
			return &t->aks[i];
	return NULL;
}

int
attest_trust_has_ak(const struct attest_trust *t, const uint8_t name[TPMQ_NAME_LEN])
{
	return find_ak(t, name, TPMQ_NAME_LEN) != NULL;
}

const char *
attest_root_text(int root)
{
	switch (root) {
	case ATTEST_ROOT_SOFTWARE:
		return "software key (no hardware root of trust)";
	case ATTEST_ROOT_TPM_EK_CERT:
		return "TPM quote; AK enrolled by credential activation; EK certificate chain "
		    "verified";
	case ATTEST_ROOT_TPM_NO_EK_CERT:
		return "TPM quote; AK enrolled by credential activation; EK WITHOUT certificate "
		    "(accepted at enrollment on the machine's word)";
	}
	return "unknown";
}

/* A "PUBLIC KEY" block: an ECDSA P-256 software key. */
static int
add_software_key(struct attest_trust *t, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	struct trusted_key *nk;
	EVP_PKEY *key = NULL;
	int r;

	if (len > INT32_MAX || (key = d2i_PUBKEY(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		r = rs_fail(RS_ERR_FORMAT, "trust key %zu is not a DER public key",
		    t->n + t->n_aks + 1);
		goto out;
	}
	if (softsig_check_p256(key) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "trust key %zu is not an ECDSA P-256 key",
		    t->n + t->n_aks + 1);
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
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	return r;
}

/* A "RUNSEAL TPM AK" block: an enrolled attestation key. */
static int
add_tpm_ak(struct attest_trust *t, const char *header, const uint8_t *data, size_t len)
{
	struct trusted_ak *na, ak;
	int r;

	memset(&ak, 0, sizeof(ak));
	if ((r = tpmtext_ak_parse(header, data, len, &ak.ak)) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "trust key %zu: %s", t->n + t->n_aks + 1,
		    rs_err_detail());
		goto out;
	}
	if (find_ak(t, ak.ak.ak.name, TPMQ_NAME_LEN) != NULL) {
		r = rs_fail(RS_ERR_FORMAT, "trust key %zu: this TPM AK is enrolled twice",
		    t->n + t->n_aks + 1);
		goto out;
	}
	if ((r = tpmq_public_key(&ak.ak.ak.pub, &ak.key)) != 0 ||
	    (r = softsig_key_id(ak.key, ak.id)) != 0 ||
	    (r = tpmq_ak_qualified_name(ak.ak.ek_name, ak.ak.ak.name, ak.qname)) != 0)
		goto out;
	if ((na = realloc(t->aks, (t->n_aks + 1) * sizeof(*na))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	t->aks = na;
	na[t->n_aks++] = ak;
	ak.key = NULL;
	r = 0;
out:
	EVP_PKEY_free(ak.key);
	return r;
}

int
attest_trust_from_pem(const char *pem, size_t len, struct attest_trust **out)
{
	struct attest_trust *t = NULL;
	struct tpmtext_reader *rd = NULL;
	const char *name, *header;
	const uint8_t *data;
	size_t dlen;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if (len > TRUST_FILE_MAX || len > INT32_MAX) {
		r = rs_fail(RS_ERR_TOO_LARGE, "trust file larger than %d bytes", TRUST_FILE_MAX);
		goto out;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = tpmtext_reader_new(pem, len, &rd)) != 0)
		goto out;
	for (;;) {
		if ((r = tpmtext_reader_next(rd, &name, &header, &data, &dlen)) != 0)
			goto out;
		if (name == NULL)
			break;
		if (t->n + t->n_aks >= TRUST_MAX_KEYS) {
			r = rs_fail(RS_ERR_TOO_LARGE, "more than %d trusted keys", TRUST_MAX_KEYS);
			goto out;
		}
		if (strcmp(name, "PUBLIC KEY") == 0)
			r = add_software_key(t, data, dlen);
		else if (strcmp(name, TPMTEXT_AK) == 0)
			r = add_tpm_ak(t, header, data, dlen);
		else if (strcmp(name, TPMTEXT_AK_PUBLIC) == 0)
			r = rs_fail(RS_ERR_FORMAT, "this is a TPM identity (runseal identity export), "
			    "not a trust file: enroll its AK first with runseal-verify enroll");
		else
			r = 0;          /* another reader's block */
		if (r != 0)
			goto out;
	}
	if (t->n + t->n_aks == 0) {
		r = rs_fail(RS_ERR_FORMAT, "no trusted key found (PEM \"PUBLIC KEY\" or \""
		    TPMTEXT_AK "\" blocks)");
		goto out;
	}
	*out = t;
	t = NULL;
	r = 0;
out:
	tpmtext_reader_free(rd);
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
	uint8_t msg[SOFTSIG_MSG_LEN], hash[RS_SHA256_LEN];
	EVP_PKEY_CTX *pc = NULL;
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
	/*
	 * ECDSA-SHA256 over msg, as signed: SHA-256 here, then the verify of
	 * that hash. The same check as EVP_DigestVerify, without its per-call
	 * digest fetch (a full audit verifies every entry on every core).
	 */
	if ((r = rs_sha256(msg, sizeof(msg), hash)) != 0)
		goto out;
	if ((pc = EVP_PKEY_CTX_new(k->key, NULL)) == NULL || EVP_PKEY_verify_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "signature verification could not start");
		goto out;
	}
	if (EVP_PKEY_verify(pc, env->signature.data, env->signature.len, hash,
	    sizeof(hash)) != 1) {
		r = rs_fail(RS_ERR_VERIFY,
		    "signature does not verify: the record or its signature was altered");
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(pc);
	return r;
}

static int
verify_tpm(const proto_envelope *env, const struct attest_trust *trust,
    const uint8_t digest[RS_SHA256_LEN], struct attest_verdict *v)
{
	const Runseal__V1__TpmEvidence *ev = env->tpm;
	const struct trusted_ak *ak;
	struct tpmq_pcr pcrs[TPMQ_PCR_COUNT];
	struct tpmq_expect exp;
	struct tpmq_quote q;
	char hex[2 * TPMQ_NAME_LEN + 1];
	size_t i;
	int r, found = 0;

	if (ev == NULL)
		return rs_fail(RS_ERR_FORMAT, "TPM-signed envelope without TPM evidence");
	if (ev->ak_name.len != TPMQ_NAME_LEN)
		return rs_fail(RS_ERR_FORMAT, "TPM evidence names an AK of %zu bytes, not a "
		    "SHA-256 name", ev->ak_name.len);
	if ((ak = find_ak(trust, ev->ak_name.data, ev->ak_name.len)) == NULL) {
		rs_hex_encode(ev->ak_name.data, 12, hex);
		return rs_fail(RS_ERR_VERIFY, "quoted by TPM attestation key %s…, which is not "
		    "enrolled in the trust file", hex);
	}
	if (env->key_id.len != RS_SHA256_LEN ||
	    !rs_ct_equal(env->key_id.data, ak->id, RS_SHA256_LEN))
		return rs_fail(RS_ERR_VERIFY, "the envelope's key id is not the key id of the "
		    "AK its evidence names");
	if (ev->pcr_hash_alg != TPM2_ALG_SHA256)
		return rs_fail(RS_ERR_VERIFY, "the evidence's PCR bank is 0x%04x, not sha256",
		    (unsigned)ev->pcr_hash_alg);
	if (ev->app_pcr != ak->ak.app_pcr)
		return rs_fail(RS_ERR_VERIFY, "the evidence names application PCR %u, but this AK "
		    "was enrolled to extend PCR %u", (unsigned)ev->app_pcr,
		    (unsigned)ak->ak.app_pcr);
	if (ev->n_pcrs > TPMQ_PCR_COUNT)
		return rs_fail(RS_ERR_VERIFY, "the evidence carries %zu PCR values", ev->n_pcrs);
	for (i = 0; i < ev->n_pcrs; i++) {
		pcrs[i].index = ev->pcrs[i]->index;
		pcrs[i].value = ev->pcrs[i]->value.data;
		pcrs[i].len = ev->pcrs[i]->value.len;
	}
	memset(&exp, 0, sizeof(exp));
	exp.digest = digest;
	exp.ak_qname = ak->qname;
	exp.ak_public = &ak->ak.ak.pub;
	exp.ak_key = ak->key;
	exp.sel = ak->ak.sel;
	if ((r = tpmq_quote_verify(ev->attest.data, ev->attest.len, ev->signature.data,
	    ev->signature.len, pcrs, ev->n_pcrs, &exp, &q)) != 0)
		return r;
	for (i = 0; i < ev->n_pcrs; i++) {
		if (pcrs[i].index == ak->ak.app_pcr) {
			memcpy(v->tpm.app_pcr_value, pcrs[i].value, RS_SHA256_LEN);
			found = 1;
		}
	}
	if (!found)     /* impossible: the enrolled selection includes the app PCR */
		return rs_fail(RS_ERR_INTERNAL, "quoted PCRs lack the application PCR");
	memcpy(v->tpm.ak_name, ak->ak.ak.name, TPMQ_NAME_LEN);
	v->tpm.app_pcr = ak->ak.app_pcr;
	v->tpm.clock = q.clock;
	v->tpm.reset_count = q.reset_count;
	v->tpm.restart_count = q.restart_count;
	v->root = ak->ak.ek_certified ? ATTEST_ROOT_TPM_EK_CERT : ATTEST_ROOT_TPM_NO_EK_CERT;
	return 0;
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
		verdict->root = ATTEST_ROOT_SOFTWARE;
		break;
	case RUNSEAL__V1__SIGNER_KIND__SIGNER_TPM:
		if ((r = verify_tpm(env, trust, digest, verdict)) != 0)
			goto out;
		verdict->signer_kind = ATTEST_SIGNER_TPM;
		break;
	default:
		r = rs_fail(RS_ERR_VERIFY, "unknown signer kind %d", (int)env->signer);
		goto out;
	}
	verdict->root_of_trust = attest_root_text(verdict->root);
	memcpy(verdict->record_digest, digest, RS_SHA256_LEN);
	memcpy(verdict->key_id, env->key_id.data, RS_SHA256_LEN);
	if (record_out != NULL) {
		*record_out = rec;
		rec = NULL;
	}
	r = 0;
out:
	if (r != 0)
		memset(verdict, 0, sizeof(*verdict));
	proto_record_free(rec);
	proto_envelope_free(env);
	return r;
}

int
attest_envelope_record_digest(const uint8_t *envelope, size_t len,
    uint8_t digest[RS_SHA256_LEN])
{
	proto_envelope *env = NULL;
	int r;

	memset(digest, 0, RS_SHA256_LEN);
	if ((r = proto_envelope_unpack(envelope, len, &env)) != 0)
		return r;
	r = attest_record_digest(env->record.data, env->record.len, digest);
	proto_envelope_free(env);
	return r;
}

int
attest_envelope_quote_data(const uint8_t *envelope, size_t len, uint8_t extra[RS_SHA256_LEN])
{
	proto_envelope *env = NULL;
	TPMS_ATTEST *a = NULL;
	int r = RS_ERR_FORMAT;

	memset(extra, 0, RS_SHA256_LEN);
	if ((r = proto_envelope_unpack(envelope, len, &env)) != 0)
		goto out;
	if (env->signer != RUNSEAL__V1__SIGNER_KIND__SIGNER_TPM || env->tpm == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "not a TPM envelope");
		goto out;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = tpmq_attest_parse(env->tpm->attest.data, env->tpm->attest.len, a)) != 0)
		goto out;
	if (a->extraData.size != RS_SHA256_LEN) {
		r = rs_fail(RS_ERR_FORMAT, "the quote's extraData is %u bytes",
		    (unsigned)a->extraData.size);
		goto out;
	}
	memcpy(extra, a->extraData.buffer, RS_SHA256_LEN);
	r = 0;
out:
	free(a);
	proto_envelope_free(env);
	return r;
}
