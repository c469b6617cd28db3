/*
 * fuzz_tpmquote: TPMS_ATTEST, TPMT_SIGNATURE and TPM2B_PUBLIC/TPMT_PUBLIC
 * handling (attest/tpmquote.h): tpmq_attest_parse, tpmq_public_parse and
 * the AK/EK checks, and tpmq_quote_verify. Input layout: fuzz_tpm.h.
 *
 * Oracles:
 *  - a quote is never accepted under an AK made fresh in this process
 *    (nobody holds its private key, so whatever the input, no quote of it
 *    exists): tpmq_quote_verify must fail;
 *  - a quote accepted under the corpus AK (fuzz_common.h) says what the
 *    verifier was asked to check, by an independent reading: the attest
 *    bytes unmarshal and re-marshal to the same bytes, with the expected
 *    qualifiedSigner, extraData, selection and pcrDigest; the signature
 *    re-marshals to the given bytes and OpenSSL verifies (r, s) over
 *    SHA-256 of the attest bytes;
 *  - tpmq_attest_parse accepts exactly what tss2-mu unmarshals whole with
 *    the right magic and type.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "common/log.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/fuzz/fuzz_tpm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *ak_key, *fresh_key;
static struct tpmq_public ak;
static uint8_t ak_qname[TPMQ_NAME_LEN];
static struct tpmq_pcrsel sel;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t buf[TPMQ_PUBLIC_MAX];
	TPMT_PUBLIC p;
	size_t off = 0;

	(void)argc;
	(void)argv;
	rs_log_set_level(RS_LOG_QUIET);
	tpmq_tss2_quiet();
	FUZZ_CHECK((ak_key = fuzz_key_from_pem(FUZZ_AK_KEY_PEM)) != NULL);
	FUZZ_CHECK((fresh_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) != NULL);
	FUZZ_CHECK(fuzz_ak_public(ak_key, &p) == 0);
	FUZZ_CHECK(Tss2_MU_TPMT_PUBLIC_Marshal(&p, buf, sizeof(buf), &off) == 0);
	FUZZ_CHECK(tpmq_public_parse(buf, off, &ak) == 0);
	FUZZ_CHECK(tpmq_ak_check(&ak.pub) == 0);
	FUZZ_CHECK(fuzz_ak_qname(ak.name, ak_qname) == 0);
	FUZZ_CHECK(tpmq_pcrsel_parse(FUZZ_PCRS, &sel) == 0);
	return 0;
}

/* The independent reading of an accepted quote (see the oracles above). */
static void
check_accepted(const uint8_t *attest, size_t alen, const uint8_t *sig, size_t slen,
    const uint8_t digest[32], const struct tpmq_pcr *pcrs, size_t n)
{
	TPMS_ATTEST a;
	TPMT_SIGNATURE s;
	uint8_t re[sizeof(TPMS_ATTEST) + 8], pd[32], der[80];
	unsigned char *pder = der;
	size_t off = 0, reoff = 0;
	ECDSA_SIG *es = ECDSA_SIG_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct tpmq_pcrsel qsel;
	int derlen;

	memset(&a, 0, sizeof(a));
	memset(&s, 0, sizeof(s));
	FUZZ_CHECK(Tss2_MU_TPMS_ATTEST_Unmarshal(attest, alen, &off, &a) == 0 && off == alen);
	FUZZ_CHECK(Tss2_MU_TPMS_ATTEST_Marshal(&a, re, sizeof(re), &reoff) == 0);
	FUZZ_CHECK(reoff == alen && memcmp(re, attest, alen) == 0);
	FUZZ_CHECK(a.magic == TPM2_GENERATED_VALUE && a.type == TPM2_ST_ATTEST_QUOTE);
	FUZZ_CHECK(a.qualifiedSigner.size == TPMQ_NAME_LEN &&
	    memcmp(a.qualifiedSigner.name, ak_qname, TPMQ_NAME_LEN) == 0);
	FUZZ_CHECK(a.extraData.size == 32 && memcmp(a.extraData.buffer, digest, 32) == 0);
	FUZZ_CHECK(tpmq_pcrsel_from_tpml(&a.attested.quote.pcrSelect, &qsel) == 0 &&
	    qsel.mask == sel.mask);
	FUZZ_CHECK(tpmq_pcr_digest(pcrs, n, pd) == 0);
	FUZZ_CHECK(a.attested.quote.pcrDigest.size == 32 &&
	    memcmp(a.attested.quote.pcrDigest.buffer, pd, 32) == 0);
	off = 0;
	FUZZ_CHECK(Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig, slen, &off, &s) == 0 && off == slen);
	FUZZ_CHECK(s.sigAlg == TPM2_ALG_ECDSA && s.signature.ecdsa.hash == TPM2_ALG_SHA256);
	FUZZ_CHECK(es != NULL && md != NULL);
	FUZZ_CHECK(ECDSA_SIG_set0(es,
	    BN_bin2bn(s.signature.ecdsa.signatureR.buffer, s.signature.ecdsa.signatureR.size, NULL),
	    BN_bin2bn(s.signature.ecdsa.signatureS.buffer, s.signature.ecdsa.signatureS.size, NULL)) == 1);
	FUZZ_CHECK((derlen = i2d_ECDSA_SIG(es, &pder)) > 0);
	FUZZ_CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, ak_key) == 1);
	FUZZ_CHECK(EVP_DigestVerify(md, der, (size_t)derlen, attest, alen) == 1);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	const uint8_t *attest, *sig, *rest;
	size_t alen, slen, rlen, n = 0, off = 0;
	uint8_t digest[32];
	struct tpmq_pcr pcrs[TPMQ_PCR_COUNT];
	struct tpmq_expect e;
	struct tpmq_quote q;
	struct tpmq_public pub;
	TPMS_ATTEST a, a2;
	EVP_PKEY *key = NULL;
	unsigned i;
	int r;

	attest = fuzz_take(&in, fuzz_u16(&in), &alen);
	sig = fuzz_take(&in, fuzz_u16(&in), &slen);
	rest = fuzz_take(&in, in.n, &rlen);
	for (i = 0; i < TPMQ_PCR_COUNT && (rlen - n * 32) >= 32; i++) {
		if (!(sel.mask & (1u << i)))
			continue;
		pcrs[n].index = i;
		pcrs[n].value = rest + n * 32;
		pcrs[n].len = 32;
		n++;
	}

	/* The parsers alone. */
	r = tpmq_attest_parse(attest, alen, &a);
	memset(&a2, 0, sizeof(a2));
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(attest, alen, &off, &a2) == 0 && off == alen &&
	    a2.magic == TPM2_GENERATED_VALUE && a2.type == TPM2_ST_ATTEST_QUOTE)
		FUZZ_CHECK(r == 0);
	else
		FUZZ_CHECK(r != 0);
	if (rlen > n * 32 && tpmq_public_parse(rest + n * 32, rlen - n * 32, &pub) == 0) {
		(void)tpmq_ak_check(&pub.pub);
		(void)tpmq_ek_check(&pub.pub);
		if (tpmq_public_key(&pub.pub, &key) == 0)
			EVP_PKEY_free(key);
		key = NULL;
	}

	/* The whole quote, under the corpus AK and under a fresh key. */
	memset(digest, FUZZ_QUOTE_DIGEST_BYTE, sizeof(digest));
	memset(&e, 0, sizeof(e));
	e.digest = digest;
	e.ak_qname = ak_qname;
	e.ak_public = &ak.pub;
	e.sel = sel;
	FUZZ_CHECK(tpmq_public_key(&ak.pub, &key) == 0);
	e.ak_key = key;
	if (tpmq_quote_verify(attest, alen, sig, slen, pcrs, n, &e, &q) == 0) {
		check_accepted(attest, alen, sig, slen, digest, pcrs, n);
		e.ak_key = fresh_key;
		FUZZ_CHECK(tpmq_quote_verify(attest, alen, sig, slen, pcrs, n, &e, &q) != 0);
	} else {
		e.ak_key = fresh_key;
		FUZZ_CHECK(tpmq_quote_verify(attest, alen, sig, slen, pcrs, n, &e, &q) != 0);
	}
	EVP_PKEY_free(key);
	rs_err_clear();
	return 0;
}
