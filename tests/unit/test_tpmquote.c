/*
 * Unit tests for the pure TPM code (attest/tpmquote, credential, tpmtext,
 * and the TPM branch of attest/verify): no TPM. A "TPM" here is an OpenSSL
 * P-256 key that signs TPMS_ATTEST structures marshalled with tss2-mu, so
 * every check of a quote can be made to fail on its own. The real TPM path
 * is tested against swtpm (tests/integration/tpm_*.sh|py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "attest/credential.h"
#include "attest/record.h"
#include "attest/signer.h"
#include "attest/tpmquote.h"
#include "attest/tpmtext.h"
#include "attest/verify.h"
#include "common/err.h"
#include "proto/codec.h"

/* The fake TPM: an AK key pair, its public area, a fake EK name. */
static EVP_PKEY *ak_key, *other_key;
static uint8_t ak_pub[TPMQ_PUBLIC_MAX];
static size_t ak_pub_len;
static struct tpmq_public ak;
static uint8_t ek_name[TPMQ_NAME_LEN], ak_qname[TPMQ_NAME_LEN];

#define AK_ATTRS (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
	TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH | \
	TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)

static void
ak_template(EVP_PKEY *key, TPMT_PUBLIC *p)
{
	BIGNUM *x = NULL, *y = NULL;

	memset(p, 0, sizeof(*p));
	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = AK_ATTRS;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
	p->unique.ecc.x.size = 32;
	p->unique.ecc.y.size = 32;
	assert_int_equal(BN_bn2binpad(x, p->unique.ecc.x.buffer, 32), 32);
	assert_int_equal(BN_bn2binpad(y, p->unique.ecc.y.buffer, 32), 32);
	BN_free(x);
	BN_free(y);
}

static size_t
marshal_public(const TPMT_PUBLIC *p, uint8_t *buf)
{
	size_t off = 0;

	assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(p, buf, TPMQ_PUBLIC_MAX, &off), 0);
	return off;
}

static int
setup(void **state)
{
	TPMT_PUBLIC p;

	(void)state;
	tpmq_tss2_quiet();      /* before the test's own marshalling fixes tss2's log level */
	if ((ak_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		return -1;
	ak_template(ak_key, &p);
	ak_pub_len = marshal_public(&p, ak_pub);
	if (tpmq_public_parse(ak_pub, ak_pub_len, &ak) != 0)
		return -1;
	memset(ek_name, 0x5e, sizeof(ek_name));
	ek_name[0] = 0x00;
	ek_name[1] = 0x0b;
	return tpmq_ak_qualified_name(ek_name, ak.name, ak_qname);
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(ak_key);
	EVP_PKEY_free(other_key);
	return 0;
}

/* The PCR values of a quote: PCR i holds bytes of value i (app PCR: given). */
struct pcrset {
	struct tpmq_pcrsel sel;
	struct tpmq_pcr pcrs[TPMQ_PCR_COUNT];
	uint8_t values[TPMQ_PCR_COUNT][32];
	size_t n;
};

/* A copy whose views point at its own values. */
static void
pcrset_copy(struct pcrset *dst, const struct pcrset *src)
{
	size_t i;

	*dst = *src;
	for (i = 0; i < dst->n; i++)
		dst->pcrs[i].value = dst->values[i];
}

static void
pcrset_default(struct pcrset *ps)
{
	unsigned i;

	memset(ps, 0, sizeof(*ps));
	assert_int_equal(tpmq_pcrsel_parse("sha256:0-7,23", &ps->sel), 0);
	for (i = 0; i < TPMQ_PCR_COUNT; i++) {
		if (!(ps->sel.mask & (1u << i)))
			continue;
		memset(ps->values[ps->n], (int)i + 1, 32);
		ps->pcrs[ps->n].index = i;
		ps->pcrs[ps->n].value = ps->values[ps->n];
		ps->pcrs[ps->n].len = 32;
		ps->n++;
	}
}

/* A quote as the fake TPM makes it. */
struct quote {
	TPMS_ATTEST a;
	uint8_t attest[sizeof(TPMS_ATTEST) + 8];
	size_t attest_len;
	TPMT_SIGNATURE s;
	uint8_t sig[sizeof(TPMT_SIGNATURE) + 8];
	size_t sig_len;
};

static void
quote_fill(struct quote *q, const uint8_t digest[32], const struct pcrset *ps)
{
	memset(q, 0, sizeof(*q));
	q->a.magic = TPM2_GENERATED_VALUE;
	q->a.type = TPM2_ST_ATTEST_QUOTE;
	q->a.qualifiedSigner.size = TPMQ_NAME_LEN;
	memcpy(q->a.qualifiedSigner.name, ak_qname, TPMQ_NAME_LEN);
	q->a.extraData.size = 32;
	memcpy(q->a.extraData.buffer, digest, 32);
	q->a.clockInfo.clock = 123456;
	q->a.clockInfo.resetCount = 7;
	q->a.clockInfo.restartCount = 1;
	q->a.clockInfo.safe = TPM2_YES;
	q->a.firmwareVersion = 0x2019102300000000ull;
	tpmq_pcrsel_to_tpml(&ps->sel, &q->a.attested.quote.pcrSelect);
	q->a.attested.quote.pcrDigest.size = 32;
	assert_int_equal(tpmq_pcr_digest(ps->pcrs, ps->n, q->a.attested.quote.pcrDigest.buffer), 0);
}

/* Marshal q->a and sign it with key (hash: the signature's declared hash). */
static void
quote_seal(struct quote *q, EVP_PKEY *key, TPM2_ALG_ID hash)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[128];
	const unsigned char *p = der;
	size_t derlen = sizeof(der), off = 0;
	ECDSA_SIG *es;
	const BIGNUM *r, *s;

	q->attest_len = 0;
	assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&q->a, q->attest, sizeof(q->attest),
	    &q->attest_len), 0);
	assert_non_null(md);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, der, &derlen, q->attest, q->attest_len), 1);
	EVP_MD_CTX_free(md);
	assert_non_null(es = d2i_ECDSA_SIG(NULL, &p, (long)derlen));
	ECDSA_SIG_get0(es, &r, &s);
	memset(&q->s, 0, sizeof(q->s));
	q->s.sigAlg = TPM2_ALG_ECDSA;
	q->s.signature.ecdsa.hash = hash;
	q->s.signature.ecdsa.signatureR.size = 32;
	q->s.signature.ecdsa.signatureS.size = 32;
	assert_int_equal(BN_bn2binpad(r, q->s.signature.ecdsa.signatureR.buffer, 32), 32);
	assert_int_equal(BN_bn2binpad(s, q->s.signature.ecdsa.signatureS.buffer, 32), 32);
	ECDSA_SIG_free(es);
	assert_int_equal(Tss2_MU_TPMT_SIGNATURE_Marshal(&q->s, q->sig, sizeof(q->sig), &off), 0);
	q->sig_len = off;
}

static int
verify_q(const struct quote *q, const uint8_t digest[32], const struct pcrset *ps,
    const struct tpmq_pcrsel *want, struct tpmq_quote *out)
{
	struct tpmq_expect e;
	EVP_PKEY *key = NULL;
	int r;

	memset(&e, 0, sizeof(e));
	assert_int_equal(tpmq_public_key(&ak.pub, &key), 0);
	e.digest = digest;
	e.ak_qname = ak_qname;
	e.ak_public = &ak.pub;
	e.ak_key = key;
	e.sel = want != NULL ? *want : ps->sel;
	rs_err_clear();
	r = tpmq_quote_verify(q->attest, q->attest_len, q->sig, q->sig_len, ps->pcrs, ps->n,
	    &e, out);
	EVP_PKEY_free(key);
	return r;
}

#define EXPECT_FAIL(call, code, text) do { \
	assert_int_equal((call), (code)); \
	if (strstr(rs_err_detail(), (text)) == NULL) \
		fail_msg("detail '%s' lacks '%s'", rs_err_detail(), (text)); \
} while (0)

static void
test_quote_valid(void **state)
{
	struct pcrset ps;
	struct quote q;
	struct tpmq_quote out;
	uint8_t d[32];

	(void)state;
	memset(d, 0xd1, sizeof(d));
	pcrset_default(&ps);
	quote_fill(&q, d, &ps);
	quote_seal(&q, ak_key, TPM2_ALG_SHA256);
	assert_int_equal(verify_q(&q, d, &ps, NULL, &out), 0);
	assert_int_equal(out.clock, 123456);
	assert_int_equal(out.reset_count, 7);
	assert_int_equal(out.restart_count, 1);
	assert_true(out.safe);
}

static void
test_quote_each_failure(void **state)
{
	struct pcrset ps, ps2;
	struct quote q;
	struct tpmq_quote out;
	struct tpmq_pcrsel other;
	uint8_t d[32], d2[32];

	(void)state;
	memset(d, 0xd1, sizeof(d));
	memset(d2, 0xd2, sizeof(d2));
	pcrset_default(&ps);

	/* Quote over another digest. */
	quote_fill(&q, d2, &ps);
	quote_seal(&q, ak_key, TPM2_ALG_SHA256);
	EXPECT_FAIL(verify_q(&q, d, &ps, NULL, &out), RS_ERR_VERIFY, "qualifyingData");

	/* Wrong magic, wrong type, trailing bytes, truncation: signed, yet rejected. */
	quote_fill(&q, d, &ps);
	q.a.magic = 0xff544348;
	quote_seal(&q, ak_key, TPM2_ALG_SHA256);
	EXPECT_FAIL(verify_q(&q, d, &ps, NULL, &out), RS_ERR_FORMAT, "magic");
	quote_fill(&q, d, &ps);
	q.a.type = TPM2_ST_ATTEST_CERTIFY;
	quote_seal(&q, ak_key, TPM2_ALG_SHA256);
	EXPECT_FAIL(verify_q(&q, d, &ps, NULL, &out), RS_ERR_FORMAT, "type is 0x8017");
	quote_fill(&q, d, &ps);
	quote_seal(&q, ak_key, TPM2_ALG_SHA256);
	q.attest[q.attest_len++] = 0;
	EXPECT_FAIL(verify_q(&q, d, &ps, NULL, &out), RS_ERR_FORMAT, "1 trailing byte");
	q.attest_len -= 5;
	EXPECT_FAIL(verify_q(&q, d, &ps, NULL, &out), RS_ERR_FORMAT, "does not parse");
	q.attest_len = 3;
	EXPECT_FAIL(verify_q(&q, d, &ps, NULL, &out), RS_ERR_FORMAT, "too short");

	/* Signed by another key's qualified name. */
	quote_fill(&q, d, &ps);
	q.a.qualifiedSigner.name[5] ^= 1;
	quote_seal(&q, ak_key, TPM2_ALG_SHA256);
	EXPECT_FAIL(verify_q(&q, d, &ps, NULL, &out), RS_ERR_VERIFY, "not by the enrolled AK");

	/* Another PCR selection than expected. */
	quote_fill(&q, d, &ps);
	quote_seal(&q, ak_key, TPM2_ALG_SHA256);
	assert_int_equal(tpmq_pcrsel_parse("sha256:0-7,16,23", &other), 0);
	EXPECT_FAIL(verify_q(&q, d, &ps, &other, &out), RS_ERR_VERIFY, "but the verifier expects");

	/* A carried PCR value altered; one missing; out of order. */
	pcrset_copy(&ps2, &ps);
	ps2.values[3][0] ^= 0x80;
	EXPECT_FAIL(verify_q(&q, d, &ps2, &ps.sel, &out), RS_ERR_VERIFY, "a PCR value was altered");
	pcrset_copy(&ps2, &ps);
	ps2.n--;
	EXPECT_FAIL(verify_q(&q, d, &ps2, &ps.sel, &out), RS_ERR_VERIFY, "carries 8 PCR values");
	pcrset_copy(&ps2, &ps);
	ps2.pcrs[0].index = 1;
	ps2.pcrs[1].index = 0;
	EXPECT_FAIL(verify_q(&q, d, &ps2, &ps.sel, &out), RS_ERR_VERIFY, "is for PCR 1");

	/* Signature: another key, another hash, trailing bytes. */
	quote_fill(&q, d, &ps);
	quote_seal(&q, other_key, TPM2_ALG_SHA256);
	EXPECT_FAIL(verify_q(&q, d, &ps, NULL, &out), RS_ERR_VERIFY, "does not verify");
	quote_fill(&q, d, &ps);
	quote_seal(&q, ak_key, TPM2_ALG_SHA384);
	EXPECT_FAIL(verify_q(&q, d, &ps, NULL, &out), RS_ERR_VERIFY, "signature scheme");
	quote_fill(&q, d, &ps);
	quote_seal(&q, ak_key, TPM2_ALG_SHA256);
	q.sig[q.sig_len++] = 0;
	EXPECT_FAIL(verify_q(&q, d, &ps, NULL, &out), RS_ERR_FORMAT, "TPMT_SIGNATURE is followed");
}

static void
test_pcrsel(void **state)
{
	struct tpmq_pcrsel s;
	TPML_PCR_SELECTION t;
	char text[TPMQ_PCRSEL_TEXT_MAX];

	(void)state;
	assert_int_equal(tpmq_pcrsel_parse("sha256:7,0-3,23", &s), 0);
	tpmq_pcrsel_format(&s, text);
	assert_string_equal(text, "sha256:0,1,2,3,7,23");
	assert_int_equal(tpmq_pcrsel_count(&s), 6);
	tpmq_pcrsel_to_tpml(&s, &t);
	memset(&s, 0, sizeof(s));
	assert_int_equal(tpmq_pcrsel_from_tpml(&t, &s), 0);
	tpmq_pcrsel_format(&s, text);
	assert_string_equal(text, "sha256:0,1,2,3,7,23");
	assert_int_equal(tpmq_pcrsel_parse("sha1:0", &s), RS_ERR_USAGE);
	assert_int_equal(tpmq_pcrsel_parse("sha256:", &s), RS_ERR_USAGE);
	assert_int_equal(tpmq_pcrsel_parse("sha256:24", &s), RS_ERR_USAGE);
	assert_int_equal(tpmq_pcrsel_parse("sha256:1,1", &s), RS_ERR_USAGE);
	assert_int_equal(tpmq_pcrsel_parse("sha256:3-1", &s), RS_ERR_USAGE);
	assert_int_equal(tpmq_pcrsel_parse("sha256:1;2", &s), RS_ERR_USAGE);
	assert_int_equal(tpmq_pcrsel_parse("sha256:0001", &s), RS_ERR_USAGE);
	t.count = 2;
	assert_int_equal(tpmq_pcrsel_from_tpml(&t, &s), RS_ERR_FORMAT);
	t.count = 1;
	t.pcrSelections[0].hash = TPM2_ALG_SHA1;
	assert_int_equal(tpmq_pcrsel_from_tpml(&t, &s), RS_ERR_FORMAT);
}

static void
test_public_and_ak_checks(void **state)
{
	TPMT_PUBLIC p;
	struct tpmq_public parsed;
	uint8_t buf[TPMQ_PUBLIC_MAX + 1];
	size_t n;

	(void)state;
	assert_int_equal(tpmq_ak_check(&ak.pub), 0);
	memcpy(buf, ak_pub, ak_pub_len);
	buf[ak_pub_len] = 0;
	EXPECT_FAIL(tpmq_public_parse(buf, ak_pub_len + 1, &parsed), RS_ERR_FORMAT, "trailing");
	EXPECT_FAIL(tpmq_public_parse(buf, ak_pub_len - 1, &parsed), RS_ERR_FORMAT, "does not parse");

	ak_template(ak_key, &p);
	p.objectAttributes &= ~TPMA_OBJECT_FIXEDTPM;
	EXPECT_FAIL(tpmq_ak_check(&p), RS_ERR_VERIFY, "lacks the attribute fixedTPM");
	ak_template(ak_key, &p);
	p.objectAttributes |= TPMA_OBJECT_DECRYPT;
	EXPECT_FAIL(tpmq_ak_check(&p), RS_ERR_VERIFY, "has the attribute decrypt");
	ak_template(ak_key, &p);
	p.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
	EXPECT_FAIL(tpmq_ak_check(&p), RS_ERR_VERIFY, "restricted");
	ak_template(ak_key, &p);
	p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
	EXPECT_FAIL(tpmq_ak_check(&p), RS_ERR_VERIFY, "not NIST P-256");
	ak_template(ak_key, &p);
	p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA1;
	EXPECT_FAIL(tpmq_ak_check(&p), RS_ERR_VERIFY, "ECDSA with SHA-256");
	ak_template(ak_key, &p);
	p.nameAlg = TPM2_ALG_SHA1;
	n = marshal_public(&p, buf);
	EXPECT_FAIL(tpmq_public_parse(buf, n, &parsed), RS_ERR_FORMAT, "nameAlg");
	/* A point off the curve is not a key. */
	ak_template(ak_key, &p);
	p.unique.ecc.y.buffer[31] ^= 1;
	{
		EVP_PKEY *k = NULL;

		EXPECT_FAIL(tpmq_public_key(&p, &k), RS_ERR_VERIFY, "not on the P-256 curve");
		assert_null(k);
	}
}

/* ---- credential activation, done in software on the TPM's side ---------- */

static void
kdfa_test(const uint8_t *key, size_t keylen, const char *label, const uint8_t *u, size_t ulen,
    uint8_t *out, size_t outlen)
{
	/* Independent single-block KDFa (outlen <= 32) with one-shot HMAC. */
	uint8_t msg[256], mac[32];
	size_t n = 0, maclen = 0;
	uint32_t bits = (uint32_t)outlen * 8;

	assert_true(outlen <= 32);
	msg[n++] = 0; msg[n++] = 0; msg[n++] = 0; msg[n++] = 1;
	memcpy(msg + n, label, strlen(label) + 1);
	n += strlen(label) + 1;
	if (ulen > 0)
		memcpy(msg + n, u, ulen);
	n += ulen;
	msg[n++] = (uint8_t)(bits >> 24); msg[n++] = (uint8_t)(bits >> 16);
	msg[n++] = (uint8_t)(bits >> 8); msg[n++] = (uint8_t)bits;
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, msg, n, mac,
	    sizeof(mac), &maclen));
	memcpy(out, mac, outlen);
}

/* TPM2_ActivateCredential in software: returns the secret length or -1. */
static int
activate_sw(EVP_PKEY *ek, const uint8_t name[TPMQ_NAME_LEN], const uint8_t *payload,
    size_t len, uint8_t *secret)
{
	TPM2B_ID_OBJECT id;
	TPM2B_ENCRYPTED_SECRET es;
	EVP_PKEY_CTX *c;
	uint8_t seed[256], sym[16], hkey[32], mac[32], iv[16], plain[64];
	size_t seedlen = sizeof(seed), maclen = 0, enclen;
	int n1 = 0, n2 = 0, outn;
	EVP_CIPHER_CTX *cc;

	assert_int_equal(cred_challenge_parse(payload, len, &id, &es), 0);
	assert_non_null(c = EVP_PKEY_CTX_new(ek, NULL));
	assert_int_equal(EVP_PKEY_decrypt_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()), 1);
	assert_int_equal(EVP_PKEY_CTX_set0_rsa_oaep_label(c, OPENSSL_memdup("IDENTITY", 9), 9), 1);
	if (EVP_PKEY_decrypt(c, seed, &seedlen, es.secret, es.size) != 1) {
		EVP_PKEY_CTX_free(c);
		return -1;
	}
	EVP_PKEY_CTX_free(c);
	assert_int_equal(seedlen, 32);
	kdfa_test(seed, 32, "STORAGE", name, TPMQ_NAME_LEN, sym, 16);
	kdfa_test(seed, 32, "INTEGRITY", NULL, 0, hkey, 32);
	/* credential = u16 size || outer HMAC || encIdentity */
	assert_int_equal(id.credential[0], 0);
	assert_int_equal(id.credential[1], 32);
	enclen = id.size - 34;
	{
		uint8_t m[512];

		memcpy(m, id.credential + 34, enclen);
		memcpy(m + enclen, name, TPMQ_NAME_LEN);
		assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, hkey, 32, m,
		    enclen + TPMQ_NAME_LEN, mac, sizeof(mac), &maclen));
	}
	if (memcmp(mac, id.credential + 2, 32) != 0)
		return -1;      /* integrity: another name, or tampered */      /* integrity: another name, or tampered */
	memset(iv, 0, sizeof(iv));
	assert_non_null(cc = EVP_CIPHER_CTX_new());
	assert_int_equal(EVP_DecryptInit_ex(cc, EVP_aes_128_cfb128(), NULL, sym, iv), 1);
	assert_int_equal(EVP_DecryptUpdate(cc, plain, &n1, id.credential + 34, (int)enclen), 1);
	assert_int_equal(EVP_DecryptFinal_ex(cc, plain + n1, &n2), 1);
	EVP_CIPHER_CTX_free(cc);
	outn = plain[0] << 8 | plain[1];
	assert_int_equal(outn + 2, n1 + n2);
	memcpy(secret, plain + 2, (size_t)outn);
	return outn;
}

static void
ek_public_from(EVP_PKEY *rsa, TPMT_PUBLIC *p)
{
	BIGNUM *n = NULL;

	memset(p, 0, sizeof(*p));
	p->type = TPM2_ALG_RSA;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
	    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->parameters.rsaDetail.symmetric.keyBits.aes = 128;
	p->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.rsaDetail.keyBits = 2048;
	assert_int_equal(EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	p->unique.rsa.size = 256;
	assert_int_equal(BN_bn2binpad(n, p->unique.rsa.buffer, 256), 256);
	BN_free(n);
}

static void
test_make_credential(void **state)
{
	EVP_PKEY *rsa;
	TPMT_PUBLIC ek;
	uint8_t secret[32], got[64], other[TPMQ_NAME_LEN], *payload = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	ek_public_from(rsa, &ek);
	assert_int_equal(tpmq_ek_check(&ek), 0);
	assert_int_equal(RAND_bytes(secret, sizeof(secret)), 1);
	assert_int_equal(cred_make(&ek, ak.name, secret, sizeof(secret), &payload, &len), 0);
	assert_int_equal(activate_sw(rsa, ak.name, payload, len, got), 32);
	assert_memory_equal(got, secret, 32);
	/* Bound to the AK's name: another object cannot open it. */
	memcpy(other, ak.name, sizeof(other));
	other[10] ^= 1;
	assert_int_equal(activate_sw(rsa, other, payload, len, got), -1);
	/* The payload rejects trailing bytes. */
	{
		TPM2B_ID_OBJECT id;
		TPM2B_ENCRYPTED_SECRET es;
		uint8_t *big = malloc(len + 1);

		memcpy(big, payload, len);
		big[len] = 0;
		EXPECT_FAIL(cred_challenge_parse(big, len + 1, &id, &es), RS_ERR_FORMAT, "trailing");
		free(big);
	}
	/* Only EKs of the right shape. */
	ek.objectAttributes |= TPMA_OBJECT_SIGN_ENCRYPT;
	free(payload);
	payload = NULL;
	EXPECT_FAIL(cred_make(&ek, ak.name, secret, sizeof(secret), &payload, &len),
	    RS_ERR_VERIFY, "sign attribute");
	free(payload);
	EVP_PKEY_free(rsa);
}

/* ---- text formats ---------------------------------------------------------- */

static void
enrolled(struct tpmtext_ak *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->pub, ak_pub, ak_pub_len);
	a->pub_len = ak_pub_len;
	a->ak = ak;
	assert_int_equal(tpmq_pcrsel_parse("sha256:0-7,23", &a->sel), 0);
	a->app_pcr = 23;
	memcpy(a->ek_name, ek_name, TPMQ_NAME_LEN);
	a->ek_certified = 1;
	memset(a->ek_cert_sha256, 0xce, 32);
	strcpy(a->ek_cert_issuer, "CN=test CA");
	strcpy(a->enrolled, "2026-01-01T00:00:00Z");
}

static void
test_text_formats(void **state)
{
	struct tpmtext_ak a, b;
	struct attest_trust *t = NULL;
	char *text = NULL, *bad, *p;
	uint8_t name[TPMQ_NAME_LEN], *payload = NULL, sec[TPMTEXT_SECRET_MAX];
	size_t plen = 0, slen = 0;

	(void)state;
	enrolled(&a);
	assert_int_equal(tpmtext_ak_format(&a, &text), 0);
	assert_non_null(strstr(text, "EK-Certificate: verified"));
	assert_int_equal(attest_trust_from_pem(text, strlen(text), &t), 0);
	assert_int_equal(attest_trust_tpm_count(t), 1);
	assert_true(attest_trust_has_ak(t, ak.name));
	attest_trust_free(t);
	t = NULL;

	/* An unknown header, a Name that is not the key's, a missing header. */
	bad = malloc(strlen(text) + 64);
	p = strstr(text, "Enrolled:");
	sprintf(bad, "%.*sColour: blue\n%s", (int)(p - text), text, p);
	EXPECT_FAIL(attest_trust_from_pem(bad, strlen(bad), &t), RS_ERR_FORMAT, "unknown header");
	strcpy(bad, text);
	p = strstr(bad, "Name: 000b") + 12;
	*p = *p == 'a' ? 'b' : 'a';
	EXPECT_FAIL(attest_trust_from_pem(bad, strlen(bad), &t), RS_ERR_FORMAT, "does not match");
	strcpy(bad, text);
	p = strstr(bad, "Application-PCR: 23\n");
	memmove(p, p + strlen("Application-PCR: 23\n"), strlen(p + strlen("Application-PCR: 23\n")) + 1);
	EXPECT_FAIL(attest_trust_from_pem(bad, strlen(bad), &t), RS_ERR_FORMAT, "Application-PCR missing");
	free(bad);

	/* Enrollment state: secret plus the pending entry, round trip. */
	free(text);
	memset(sec, 0x42, 32);
	assert_int_equal(tpmtext_state_format(sec, 32, &a, &text), 0);
	memset(sec, 0, sizeof(sec));
	assert_int_equal(tpmtext_state_parse(text, strlen(text), sec, &slen, &b), 0);
	assert_int_equal(slen, 32);
	assert_int_equal(sec[31], 0x42);
	assert_memory_equal(b.ak.name, ak.name, TPMQ_NAME_LEN);
	assert_int_equal(b.ek_certified, 1);
	free(text);

	/* Challenge round trip. */
	assert_int_equal(tpmtext_challenge_format(ak.name, (const uint8_t *)"payload", 7, &text), 0);
	assert_int_equal(tpmtext_challenge_parse(text, strlen(text), name, &payload, &plen), 0);
	assert_int_equal(plen, 7);
	assert_memory_equal(name, ak.name, TPMQ_NAME_LEN);
	free(payload);
	free(text);

	/* An identity is not a trust file. */
	assert_int_equal(tpmtext_identity_format(ak_pub, ak_pub_len, ak_pub, ak_pub_len, NULL, 0,
	    &a.sel, 23, &text), 0);
	EXPECT_FAIL(attest_trust_from_pem(text, strlen(text), &t), RS_ERR_FORMAT,
	    "runseal-verify enroll");
	free(text);
}

/* A TPM envelope made by hand, verified through attest_envelope_verify. */
static void
test_envelope_tpm(void **state)
{
	Runseal__V1__Envelope env = RUNSEAL__V1__ENVELOPE__INIT;
	Runseal__V1__TpmEvidence ev = RUNSEAL__V1__TPM_EVIDENCE__INIT;
	Runseal__V1__PcrValue pv[TPMQ_PCR_COUNT], *pvp[TPMQ_PCR_COUNT];
	Runseal__V1__Record rec = RUNSEAL__V1__RECORD__INIT;
	struct attest_trust *t = NULL;
	struct attest_verdict v;
	struct tpmtext_ak a;
	struct pcrset ps;
	struct quote q;
	EVP_PKEY *key = NULL;
	uint8_t *recb = NULL, *envb = NULL, d[32], key_id[32];
	unsigned char *der = NULL;
	size_t reclen = 0, envlen = 0, i;
	char *text = NULL;
	int n;

	(void)state;
	rec.version = 1;
	assert_int_equal(proto_pack(&rec.base, PROTO_MAX_RECORD, &recb, &reclen), 0);
	assert_int_equal(attest_record_digest(recb, reclen, d), 0);
	pcrset_default(&ps);
	quote_fill(&q, d, &ps);
	quote_seal(&q, ak_key, TPM2_ALG_SHA256);
	for (i = 0; i < ps.n; i++) {
		runseal__v1__pcr_value__init(&pv[i]);
		pv[i].index = ps.pcrs[i].index;
		pv[i].value.data = ps.values[i];
		pv[i].value.len = 32;
		pvp[i] = &pv[i];
	}
	ev.attest.data = q.attest;
	ev.attest.len = q.attest_len;
	ev.signature.data = q.sig;
	ev.signature.len = q.sig_len;
	ev.pcr_hash_alg = TPM2_ALG_SHA256;
	ev.n_pcrs = ps.n;
	ev.pcrs = pvp;
	ev.app_pcr = 23;
	ev.ak_name.data = ak.name;
	ev.ak_name.len = TPMQ_NAME_LEN;
	assert_int_equal(tpmq_public_key(&ak.pub, &key), 0);
	assert_true((n = i2d_PUBKEY(key, &der)) > 0);
	assert_int_equal(rs_sha256(der, (size_t)n, key_id), 0);
	env.version = 1;
	env.record.data = recb;
	env.record.len = reclen;
	env.signer = RUNSEAL__V1__SIGNER_KIND__SIGNER_TPM;
	env.key_id.data = key_id;
	env.key_id.len = 32;
	env.tpm = &ev;
	assert_int_equal(proto_pack(&env.base, PROTO_MAX_ENVELOPE, &envb, &envlen), 0);

	enrolled(&a);
	assert_int_equal(tpmtext_ak_format(&a, &text), 0);
	assert_int_equal(attest_trust_from_pem(text, strlen(text), &t), 0);
	assert_int_equal(attest_envelope_verify(envb, envlen, t, &v, NULL), 0);
	assert_int_equal(v.signer_kind, ATTEST_SIGNER_TPM);
	assert_int_equal(v.root, ATTEST_ROOT_TPM_EK_CERT);
	assert_non_null(strstr(v.root_of_trust, "EK certificate chain verified"));
	assert_int_equal(v.tpm.app_pcr, 23);
	assert_int_equal(v.tpm.reset_count, 7);
	assert_int_equal(v.tpm.app_pcr_value[0], 24);      /* PCR 23 holds bytes of 24 */

	/* Checked to the last field: every single-byte change of the envelope fails. */
	{
		size_t k;
		int bit;

		for (k = 0; k < envlen; k++) {
			for (bit = 0; bit < 8; bit += 7) {      /* low and high bit of each byte */
				envb[k] ^= (uint8_t)(1u << bit);
				if (attest_envelope_verify(envb, envlen, t, &v, NULL) == 0)
					fail_msg("flipping bit %d of byte %zu of a TPM envelope still "
					    "verifies", bit, k);
				envb[k] ^= (uint8_t)(1u << bit);
			}
		}
		assert_int_equal(attest_envelope_verify(envb, envlen, t, &v, NULL), 0);
	}

	/* Enrolled without certificate: every verdict says so. */
	attest_trust_free(t);
	free(text);
	a.ek_certified = 0;
	a.ek_cert_issuer[0] = '\0';
	assert_int_equal(tpmtext_ak_format(&a, &text), 0);
	assert_int_equal(attest_trust_from_pem(text, strlen(text), &t), 0);
	assert_int_equal(attest_envelope_verify(envb, envlen, t, &v, NULL), 0);
	assert_int_equal(v.root, ATTEST_ROOT_TPM_NO_EK_CERT);
	assert_non_null(strstr(v.root_of_trust, "WITHOUT certificate"));

	/* The evidence names another application PCR than the enrolled one. */
	free(envb);
	ev.app_pcr = 16;
	assert_int_equal(proto_pack(&env.base, PROTO_MAX_ENVELOPE, &envb, &envlen), 0);
	EXPECT_FAIL(attest_envelope_verify(envb, envlen, t, &v, NULL), RS_ERR_VERIFY,
	    "application PCR 16");
	/* An AK that is not enrolled. */
	free(envb);
	ev.app_pcr = 23;
	ev.ak_name.data = ek_name;
	assert_int_equal(proto_pack(&env.base, PROTO_MAX_ENVELOPE, &envb, &envlen), 0);
	EXPECT_FAIL(attest_envelope_verify(envb, envlen, t, &v, NULL), RS_ERR_VERIFY,
	    "not enrolled");
	/* A software trust file knows no AK. */
	attest_trust_free(t);
	t = NULL;

	free(text);
	free(envb);
	free(recb);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	attest_trust_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_valid),
		cmocka_unit_test(test_quote_each_failure),
		cmocka_unit_test(test_pcrsel),
		cmocka_unit_test(test_public_and_ak_checks),
		cmocka_unit_test(test_make_credential),
		cmocka_unit_test(test_text_formats),
		cmocka_unit_test(test_envelope_tpm),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
