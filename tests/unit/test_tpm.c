/*
 * Unit tests for attest/tpm.c's per-run path with ESAPI faked, as
 * tpm2-tools' unit tests do: the test binary is linked with
 * -Wl,--wrap=Esys_... (tests/CMakeLists.txt), so every call tpm.c makes to
 * the TPM lands in a __wrap_ function here. What is checked: one extend and
 * one quote per run, PCR reads of at most 8 values each, a re-quote when a
 * PCR moves between the quote and the read, a clean failure when it keeps
 * moving, TSS2 errors decoded into the detail, and the AK checked by name.
 * Everything against a real TPM is in tests/integration/tpm_*.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>

#include "attest/tpm.h"
#include "attest/tpmquote.h"
#include "common/err.h"

/* The fake TPM's state. */
static struct {
	uint8_t pcr[TPMQ_PCR_COUNT][32];
	int extends, quotes, reads, moves_left;     /* moves_left: PCR 0 moves after a quote */
	TSS2_RC extend_rc;
	int wrong_extra;
	uint8_t name[TPMQ_NAME_LEN];
} fake;

/* ---- the wrapped ESAPI ------------------------------------------------------- */

TSS2_RC __wrap_Tss2_TctiLdr_Initialize(const char *conf, TSS2_TCTI_CONTEXT **ctx);
TSS2_RC
__wrap_Tss2_TctiLdr_Initialize(const char *conf, TSS2_TCTI_CONTEXT **ctx)
{
	(void)conf;
	*ctx = (TSS2_TCTI_CONTEXT *)malloc(1);
	return TSS2_RC_SUCCESS;
}

void __wrap_Tss2_TctiLdr_Finalize(TSS2_TCTI_CONTEXT **ctx);
void
__wrap_Tss2_TctiLdr_Finalize(TSS2_TCTI_CONTEXT **ctx)
{
	free(*ctx);
	*ctx = NULL;
}

TSS2_RC __wrap_Esys_Initialize(ESYS_CONTEXT **ctx, TSS2_TCTI_CONTEXT *tcti, TSS2_ABI_VERSION *v);
TSS2_RC
__wrap_Esys_Initialize(ESYS_CONTEXT **ctx, TSS2_TCTI_CONTEXT *tcti, TSS2_ABI_VERSION *v)
{
	(void)tcti;
	(void)v;
	*ctx = (ESYS_CONTEXT *)malloc(1);
	return TSS2_RC_SUCCESS;
}

void __wrap_Esys_Finalize(ESYS_CONTEXT **ctx);
void
__wrap_Esys_Finalize(ESYS_CONTEXT **ctx)
{
	free(*ctx);
	*ctx = NULL;
}

TSS2_RC __wrap_Esys_TR_FromTPMPublic(ESYS_CONTEXT *c, TPM2_HANDLE h, ESYS_TR s1, ESYS_TR s2,
    ESYS_TR s3, ESYS_TR *out);
TSS2_RC
__wrap_Esys_TR_FromTPMPublic(ESYS_CONTEXT *c, TPM2_HANDLE h, ESYS_TR s1, ESYS_TR s2,
    ESYS_TR s3, ESYS_TR *out)
{
	(void)c; (void)s1; (void)s2; (void)s3;
	assert_int_equal(h, 0x81008100);
	*out = 0x4000;
	return TSS2_RC_SUCCESS;
}

TSS2_RC __wrap_Esys_TR_GetName(ESYS_CONTEXT *c, ESYS_TR h, TPM2B_NAME **name);
TSS2_RC
__wrap_Esys_TR_GetName(ESYS_CONTEXT *c, ESYS_TR h, TPM2B_NAME **name)
{
	(void)c; (void)h;
	*name = calloc(1, sizeof(**name));
	(*name)->size = TPMQ_NAME_LEN;
	memcpy((*name)->name, fake.name, TPMQ_NAME_LEN);
	return TSS2_RC_SUCCESS;
}

TSS2_RC __wrap_Esys_TR_Serialize(ESYS_CONTEXT *c, ESYS_TR h, uint8_t **buf, size_t *len);
TSS2_RC
__wrap_Esys_TR_Serialize(ESYS_CONTEXT *c, ESYS_TR h, uint8_t **buf, size_t *len)
{
	(void)c; (void)h;
	*buf = malloc(4);
	memcpy(*buf, "AK!!", 4);
	*len = 4;
	return TSS2_RC_SUCCESS;
}

TSS2_RC __wrap_Esys_TR_Deserialize(ESYS_CONTEXT *c, const uint8_t *buf, size_t len, ESYS_TR *h);
TSS2_RC
__wrap_Esys_TR_Deserialize(ESYS_CONTEXT *c, const uint8_t *buf, size_t len, ESYS_TR *h)
{
	(void)c;
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "AK!!", 4);
	*h = 0x4000;
	return TSS2_RC_SUCCESS;
}

TSS2_RC __wrap_Esys_TR_SetAuth(ESYS_CONTEXT *c, ESYS_TR h, const TPM2B_AUTH *auth);
TSS2_RC
__wrap_Esys_TR_SetAuth(ESYS_CONTEXT *c, ESYS_TR h, const TPM2B_AUTH *auth)
{
	(void)c; (void)h;
	assert_int_equal(auth->size, TPM_AK_AUTH_LEN);
	assert_int_equal(auth->buffer[0], 0xa5);
	return TSS2_RC_SUCCESS;
}

TSS2_RC __wrap_Esys_TR_Close(ESYS_CONTEXT *c, ESYS_TR *h);
TSS2_RC
__wrap_Esys_TR_Close(ESYS_CONTEXT *c, ESYS_TR *h)
{
	(void)c;
	*h = ESYS_TR_NONE;
	return TSS2_RC_SUCCESS;
}

TSS2_RC __wrap_Esys_PCR_Extend(ESYS_CONTEXT *c, ESYS_TR pcr, ESYS_TR s1, ESYS_TR s2, ESYS_TR s3,
    const TPML_DIGEST_VALUES *d);
TSS2_RC
__wrap_Esys_PCR_Extend(ESYS_CONTEXT *c, ESYS_TR pcr, ESYS_TR s1, ESYS_TR s2, ESYS_TR s3,
    const TPML_DIGEST_VALUES *d)
{
	(void)c; (void)s1; (void)s2; (void)s3;
	fake.extends++;
	if (fake.extend_rc != TSS2_RC_SUCCESS)
		return fake.extend_rc;
	assert_int_equal(pcr, ESYS_TR_PCR0 + 23);
	assert_int_equal(d->count, 1);
	assert_int_equal(d->digests[0].hashAlg, TPM2_ALG_SHA256);
	assert_int_equal(tpmq_pcr_extend(fake.pcr[23], d->digests[0].digest.sha256,
	    fake.pcr[23]), 0);
	return TSS2_RC_SUCCESS;
}

TSS2_RC __wrap_Esys_Quote(ESYS_CONTEXT *c, ESYS_TR key, ESYS_TR s1, ESYS_TR s2, ESYS_TR s3,
    const TPM2B_DATA *qual, const TPMT_SIG_SCHEME *scheme, const TPML_PCR_SELECTION *sel,
    TPM2B_ATTEST **quoted, TPMT_SIGNATURE **sig);
TSS2_RC
__wrap_Esys_Quote(ESYS_CONTEXT *c, ESYS_TR key, ESYS_TR s1, ESYS_TR s2, ESYS_TR s3,
    const TPM2B_DATA *qual, const TPMT_SIG_SCHEME *scheme, const TPML_PCR_SELECTION *sel,
    TPM2B_ATTEST **quoted, TPMT_SIGNATURE **sig)
{
	struct tpmq_pcrsel s;
	struct tpmq_pcr pcrs[TPMQ_PCR_COUNT];
	TPMS_ATTEST a;
	size_t n = 0, off = 0;
	unsigned i;

	(void)c; (void)key; (void)s1; (void)s2; (void)s3; (void)scheme;
	fake.quotes++;
	assert_int_equal(tpmq_pcrsel_from_tpml(sel, &s), 0);
	memset(&a, 0, sizeof(a));
	a.magic = TPM2_GENERATED_VALUE;
	a.type = TPM2_ST_ATTEST_QUOTE;
	a.extraData.size = qual->size;
	memcpy(a.extraData.buffer, qual->buffer, qual->size);
	if (fake.wrong_extra)
		a.extraData.buffer[0] ^= 1;
	a.attested.quote.pcrSelect = *sel;
	for (i = 0; i < TPMQ_PCR_COUNT; i++) {
		if (s.mask & (1u << i)) {
			pcrs[n].index = i;
			pcrs[n].value = fake.pcr[i];
			pcrs[n].len = 32;
			n++;
		}
	}
	a.attested.quote.pcrDigest.size = 32;
	assert_int_equal(tpmq_pcr_digest(pcrs, n, a.attested.quote.pcrDigest.buffer), 0);
	*quoted = calloc(1, sizeof(**quoted));
	assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&a, (*quoted)->attestationData,
	    sizeof((*quoted)->attestationData), &off), 0);
	(*quoted)->size = (UINT16)off;
	*sig = calloc(1, sizeof(**sig));
	(*sig)->sigAlg = TPM2_ALG_ECDSA;
	(*sig)->signature.ecdsa.hash = TPM2_ALG_SHA256;
	(*sig)->signature.ecdsa.signatureR.size = 32;
	(*sig)->signature.ecdsa.signatureS.size = 32;
	if (fake.moves_left > 0) {      /* another program extends PCR 0 after the quote */
		fake.moves_left--;
		fake.pcr[0][0]++;
	}
	return TSS2_RC_SUCCESS;
}

TSS2_RC __wrap_Esys_PCR_Read(ESYS_CONTEXT *c, ESYS_TR s1, ESYS_TR s2, ESYS_TR s3,
    const TPML_PCR_SELECTION *in, UINT32 *counter, TPML_PCR_SELECTION **out,
    TPML_DIGEST **values);
TSS2_RC
__wrap_Esys_PCR_Read(ESYS_CONTEXT *c, ESYS_TR s1, ESYS_TR s2, ESYS_TR s3,
    const TPML_PCR_SELECTION *in, UINT32 *counter, TPML_PCR_SELECTION **out,
    TPML_DIGEST **values)
{
	struct tpmq_pcrsel s, got;
	unsigned i;

	(void)c; (void)s1; (void)s2; (void)s3;
	fake.reads++;
	*counter = 1;
	assert_int_equal(tpmq_pcrsel_from_tpml(in, &s), 0);
	memset(&got, 0, sizeof(got));
	got.hash_alg = TPM2_ALG_SHA256;
	*values = calloc(1, sizeof(**values));
	/* Like a TPM: the lowest selected PCRs, at most 8 per response. */
	for (i = 0; i < TPMQ_PCR_COUNT && (*values)->count < 8; i++) {
		if (!(s.mask & (1u << i)))
			continue;
		got.mask |= 1u << i;
		(*values)->digests[(*values)->count].size = 32;
		memcpy((*values)->digests[(*values)->count].buffer, fake.pcr[i], 32);
		(*values)->count++;
	}
	*out = calloc(1, sizeof(**out));
	tpmq_pcrsel_to_tpml(&got, *out);
	return TSS2_RC_SUCCESS;
}

/* ---- tests ------------------------------------------------------------------------ */

static struct tpm_ak *
open_ak(void)
{
	uint8_t auth[TPM_AK_AUTH_LEN];
	struct tpm_ak *ak = NULL;
	struct tpmq_public pub;
	uint8_t real_pub[TPMQ_PUBLIC_MAX];
	TPMT_PUBLIC p;
	size_t off = 0;

	/* A well-formed public area whose name the fake TPM reports. */
	memset(&p, 0, sizeof(p));
	p.type = TPM2_ALG_ECC;
	p.nameAlg = TPM2_ALG_SHA256;
	p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&p, real_pub, sizeof(real_pub), &off), 0);
	assert_int_equal(tpmq_public_parse(real_pub, off, &pub), 0);
	memcpy(fake.name, pub.name, TPMQ_NAME_LEN);
	memset(auth, 0xa5, sizeof(auth));
	assert_int_equal(tpm_ak_open("fake", 0x81008100, real_pub, off, auth, sizeof(auth), &ak), 0);
	return ak;
}

static int
reset(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	return 0;
}

static void
test_one_extend_one_quote(void **state)
{
	struct tpm_ak *ak = open_ak();
	struct tpmq_pcrsel sel;
	struct tpm_quote q;
	uint8_t d[32], want[32], zero[32];

	(void)state;
	assert_int_equal(tpmq_pcrsel_parse("sha256:0-7,23", &sel), 0);
	memset(d, 0x11, sizeof(d));
	memset(zero, 0, sizeof(zero));
	assert_int_equal(tpm_ak_quote(ak, 23, &sel, d, &q), 0);
	assert_int_equal(fake.extends, 1);
	assert_int_equal(fake.quotes, 1);
	assert_int_equal(fake.reads, 2);                /* 9 PCRs: 8 + 1 */
	assert_int_equal(q.n_pcrs, 9);
	assert_int_equal(q.pcr_index[8], 23);
	assert_int_equal(tpmq_pcr_extend(zero, d, want), 0);
	assert_memory_equal(q.pcr_value[8], want, 32);
	assert_true(q.attest_len > 0 && q.signature_len > 0);
	tpm_quote_clear(&q);
	tpm_ak_free(ak);
}

static void
test_requote_when_a_pcr_moves(void **state)
{
	struct tpm_ak *ak = open_ak();
	struct tpmq_pcrsel sel;
	struct tpm_quote q;
	uint8_t d[32];

	(void)state;
	assert_int_equal(tpmq_pcrsel_parse("sha256:0-7,23", &sel), 0);
	memset(d, 0x22, sizeof(d));
	fake.moves_left = 1;
	assert_int_equal(tpm_ak_quote(ak, 23, &sel, d, &q), 0);
	assert_int_equal(fake.extends, 1);              /* never extended twice */
	assert_int_equal(fake.quotes, 2);
	tpm_quote_clear(&q);

	memset(&fake.pcr, 0, sizeof(fake.pcr));
	fake.extends = fake.quotes = 0;
	fake.moves_left = 100;
	assert_int_equal(tpm_ak_quote(ak, 23, &sel, d, &q), RS_ERR_TPM);
	assert_non_null(strstr(rs_err_detail(), "kept changing"));
	assert_int_equal(fake.extends, 1);
	assert_int_equal(fake.quotes, TPM_QUOTE_ATTEMPTS);
	assert_null(q.attest);
	tpm_ak_free(ak);
}

static void
test_errors(void **state)
{
	struct tpm_ak *ak = open_ak();
	struct tpmq_pcrsel sel;
	struct tpm_quote q;
	uint8_t d[32];
	struct tpm_ak *other = NULL;

	(void)state;
	assert_int_equal(tpmq_pcrsel_parse("sha256:0-7,23", &sel), 0);
	memset(d, 0x33, sizeof(d));
	fake.extend_rc = TPM2_RC_LOCALITY;
	assert_int_equal(tpm_ak_quote(ak, 23, &sel, d, &q), RS_ERR_TPM);
	assert_non_null(strstr(rs_err_detail(), "TPM2_PCR_Extend of PCR 23"));
	assert_non_null(strstr(rs_err_detail(), "locality"));  /* Tss2_RC_Decode */
	assert_int_equal(fake.quotes, 0);
	fake.extend_rc = TSS2_RC_SUCCESS;
	fake.wrong_extra = 1;
	assert_int_equal(tpm_ak_quote(ak, 23, &sel, d, &q), RS_ERR_TPM);
	assert_non_null(strstr(rs_err_detail(), "another qualifyingData"));
	fake.wrong_extra = 0;
	/* The application PCR must be quoted. */
	assert_int_equal(tpm_ak_quote(ak, 16, &sel, d, &q), RS_ERR_CONFIG);
	tpm_ak_free(ak);
	/* A key at the handle with another name is not this home's AK. */
	memset(fake.name, 0x77, sizeof(fake.name));
	{
		uint8_t auth[TPM_AK_AUTH_LEN];
		uint8_t p2[TPMQ_PUBLIC_MAX];
		TPMT_PUBLIC p;
		size_t off = 0;

		memset(&p, 0, sizeof(p));
		p.type = TPM2_ALG_ECC;
		p.nameAlg = TPM2_ALG_SHA256;
		p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&p, p2, sizeof(p2), &off), 0);
		memset(auth, 0xa5, sizeof(auth));
		assert_int_equal(tpm_ak_open("fake", 0x81008100, p2, off, auth, sizeof(auth), &other),
		    RS_ERR_VERIFY);
		assert_null(other);
		assert_non_null(strstr(rs_err_detail(), "not this home's attestation key"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_one_extend_one_quote, reset),
		cmocka_unit_test_setup(test_requote_when_a_pcr_moves, reset),
		cmocka_unit_test_setup(test_errors, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
