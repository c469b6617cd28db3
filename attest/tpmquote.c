#include "attest/tpmquote.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "common/encode.h"
#include "common/err.h"

/* The attributes an AK must have, and nothing else. */
#define AK_ATTRIBUTES (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
	TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH | \
	TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)
/* The attributes an EK must have. */
#define EK_ATTRIBUTES (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
	TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)

#define P256_BYTES 32

static const struct {
	TPMA_OBJECT bit;
	const char *name;
} attr_names[] = {
	{ TPMA_OBJECT_FIXEDTPM, "fixedTPM" },
	{ TPMA_OBJECT_STCLEAR, "stClear" },
	{ TPMA_OBJECT_FIXEDPARENT, "fixedParent" },
	{ TPMA_OBJECT_SENSITIVEDATAORIGIN, "sensitiveDataOrigin" },
	{ TPMA_OBJECT_USERWITHAUTH, "userWithAuth" },
	{ TPMA_OBJECT_ADMINWITHPOLICY, "adminWithPolicy" },
	{ TPMA_OBJECT_NODA, "noDA" },
	{ TPMA_OBJECT_ENCRYPTEDDUPLICATION, "encryptedDuplication" },
	{ TPMA_OBJECT_RESTRICTED, "restricted" },
	{ TPMA_OBJECT_DECRYPT, "decrypt" },
	{ TPMA_OBJECT_SIGN_ENCRYPT, "sign" },
};

static const char *
attr_name(TPMA_OBJECT bit)
{
	size_t i;

	for (i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (attr_names[i].bit == bit)
			return attr_names[i].name;
	return "a reserved attribute";
}

/* The lowest set bit of v (v != 0). */
static TPMA_OBJECT
lowest_bit(TPMA_OBJECT v)
{
	return v & (~v + 1);
}

void
tpmq_tss2_quiet(void)
{
	static int done;

	if (!done) {
		setenv("TSS2_LOG", "all+NONE", 0);      /* 0: a user's TSS2_LOG wins */
		done = 1;
	}
}

/* ---- PCR selections ---------------------------------------------------- */

static int
parse_pcr_number(const char *s, const char **end, unsigned *out)
{
	unsigned v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return RS_ERR_USAGE;
	while (*p >= '0' && *p <= '9' && p - s < 3)
		v = v * 10 + (unsigned)(*p++ - '0');
	if ((*p >= '0' && *p <= '9') || v >= TPMQ_PCR_COUNT)
		return RS_ERR_USAGE;
	*end = p;
	*out = v;
	return 0;
}

int
tpmq_pcrsel_parse(const char *text, struct tpmq_pcrsel *out)
{
	static const char bank[] = "sha256:";
	const char *p;
	unsigned lo, hi, i;
	uint32_t mask = 0;

	memset(out, 0, sizeof(*out));
	if (text == NULL || strncmp(text, bank, sizeof(bank) - 1) != 0)
		return rs_fail(RS_ERR_USAGE, "PCR selection '%s': must start with 'sha256:' "
		    "(the only bank runseal quotes)", text ? text : "");
	p = text + sizeof(bank) - 1;
	for (;;) {
		if (parse_pcr_number(p, &p, &lo) != 0)
			return rs_fail(RS_ERR_USAGE, "PCR selection '%s': expected a PCR number "
			    "0-%d at '%s'", text, TPMQ_PCR_COUNT - 1, p);
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_pcr_number(p, &p, &hi) != 0 || hi < lo)
				return rs_fail(RS_ERR_USAGE, "PCR selection '%s': bad range ending "
				    "at '%s'", text, p);
		}
		for (i = lo; i <= hi; i++) {
			if (mask & (UINT32_C(1) << i))
				return rs_fail(RS_ERR_USAGE, "PCR selection '%s': PCR %u given twice",
				    text, i);
			mask |= UINT32_C(1) << i;
		}
		if (*p == '\0')
			break;
		if (*p != ',')
			return rs_fail(RS_ERR_USAGE, "PCR selection '%s': unexpected '%c'", text, *p);
		p++;
	}
	out->hash_alg = TPM2_ALG_SHA256;
	out->mask = mask;
	return 0;
}

void
tpmq_pcrsel_format(const struct tpmq_pcrsel *sel, char buf[TPMQ_PCRSEL_TEXT_MAX])
{
	size_t n;
	unsigned i;
	int first = 1;

	n = (size_t)snprintf(buf, TPMQ_PCRSEL_TEXT_MAX, "%s:",
	    sel->hash_alg == TPM2_ALG_SHA256 ? "sha256" : "unknown");
	for (i = 0; i < TPMQ_PCR_COUNT && n < TPMQ_PCRSEL_TEXT_MAX; i++) {
		if (!(sel->mask & (UINT32_C(1) << i)))
			continue;
		n += (size_t)snprintf(buf + n, TPMQ_PCRSEL_TEXT_MAX - n, "%s%u",
		    first ? "" : ",", i);
		first = 0;
	}
}

unsigned
tpmq_pcrsel_count(const struct tpmq_pcrsel *sel)
{
	return (unsigned)__builtin_popcount(sel->mask & ((UINT32_C(1) << TPMQ_PCR_COUNT) - 1));
}

void
tpmq_pcrsel_to_tpml(const struct tpmq_pcrsel *sel, TPML_PCR_SELECTION *out)
{
	memset(out, 0, sizeof(*out));
	out->count = 1;
	out->pcrSelections[0].hash = sel->hash_alg;
	out->pcrSelections[0].sizeofSelect = 3;
	out->pcrSelections[0].pcrSelect[0] = (BYTE)(sel->mask & 0xff);
	out->pcrSelections[0].pcrSelect[1] = (BYTE)((sel->mask >> 8) & 0xff);
	out->pcrSelections[0].pcrSelect[2] = (BYTE)((sel->mask >> 16) & 0xff);
}

int
tpmq_pcrsel_from_tpml(const TPML_PCR_SELECTION *in, struct tpmq_pcrsel *out)
{
	const TPMS_PCR_SELECTION *s;
	uint32_t mask = 0;
	unsigned i;

	memset(out, 0, sizeof(*out));
	if (in->count != 1)
		return rs_fail(RS_ERR_FORMAT, "the PCR selection has %u banks, expected one "
		    "(sha256)", (unsigned)in->count);
	s = &in->pcrSelections[0];
	if (s->hash != TPM2_ALG_SHA256)
		return rs_fail(RS_ERR_FORMAT, "the PCR selection is in bank 0x%04x, not sha256",
		    (unsigned)s->hash);
	if (s->sizeofSelect > TPM2_PCR_SELECT_MAX)
		return rs_fail(RS_ERR_FORMAT, "the PCR selection bitmap is %u bytes",
		    (unsigned)s->sizeofSelect);
	for (i = 0; i < s->sizeofSelect; i++)
		mask |= (uint32_t)s->pcrSelect[i] << (8 * i);
	if (mask >> TPMQ_PCR_COUNT)
		return rs_fail(RS_ERR_FORMAT, "the PCR selection names PCRs above %d",
		    TPMQ_PCR_COUNT - 1);
	out->hash_alg = TPM2_ALG_SHA256;
	out->mask = mask;
	return 0;
}

/* ---- public areas and names --------------------------------------------- */

int
tpmq_public_parse(const uint8_t *buf, size_t len, struct tpmq_public *out)
{
	uint8_t digest[RS_SHA256_LEN];
	size_t off = 0;
	TSS2_RC rc;
	int r;

	memset(out, 0, sizeof(*out));
	tpmq_tss2_quiet();
	if (len == 0 || len > TPMQ_PUBLIC_MAX)
		return rs_fail(len == 0 ? RS_ERR_FORMAT : RS_ERR_TOO_LARGE,
		    "TPMT_PUBLIC of %zu bytes (1 to %zu allowed)", len, TPMQ_PUBLIC_MAX);
	if ((rc = Tss2_MU_TPMT_PUBLIC_Unmarshal(buf, len, &off, &out->pub)) != TSS2_RC_SUCCESS) {
		memset(out, 0, sizeof(*out));
		return rs_fail(RS_ERR_FORMAT, "TPMT_PUBLIC does not parse: %s",
		    Tss2_RC_Decode(rc));
	}
	if (off != len) {
		memset(out, 0, sizeof(*out));
		return rs_fail(RS_ERR_FORMAT, "TPMT_PUBLIC is followed by %zu trailing byte(s)",
		    len - off);
	}
	if (out->pub.nameAlg != TPM2_ALG_SHA256) {
		r = rs_fail(RS_ERR_FORMAT, "TPMT_PUBLIC nameAlg is 0x%04x, not SHA-256",
		    (unsigned)out->pub.nameAlg);
		memset(out, 0, sizeof(*out));
		return r;
	}
	if ((r = rs_sha256(buf, len, digest)) != 0) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	out->name[0] = (uint8_t)(TPM2_ALG_SHA256 >> 8);
	out->name[1] = (uint8_t)(TPM2_ALG_SHA256 & 0xff);
	memcpy(out->name + 2, digest, RS_SHA256_LEN);
	return 0;
}

int
tpmq_qualified_name(const uint8_t *parent_qn, size_t parent_len,
    const uint8_t name[TPMQ_NAME_LEN], uint8_t out[TPMQ_NAME_LEN])
{
	struct rs_sha256 *h = NULL;
	uint8_t digest[RS_SHA256_LEN];
	int r;

	memset(out, 0, TPMQ_NAME_LEN);
	if ((r = rs_sha256_new(&h)) != 0 ||
	    (r = rs_sha256_update(h, parent_qn, parent_len)) != 0 ||
	    (r = rs_sha256_update(h, name, TPMQ_NAME_LEN)) != 0 ||
	    (r = rs_sha256_final(h, digest)) != 0)
		goto out;
	out[0] = (uint8_t)(TPM2_ALG_SHA256 >> 8);
	out[1] = (uint8_t)(TPM2_ALG_SHA256 & 0xff);
	memcpy(out + 2, digest, RS_SHA256_LEN);
out:
	rs_sha256_free(h);
	return r;
}

int
tpmq_ak_qualified_name(const uint8_t ek_name[TPMQ_NAME_LEN],
    const uint8_t ak_name[TPMQ_NAME_LEN], uint8_t out[TPMQ_NAME_LEN])
{
	static const uint8_t endorsement[4] = { 0x40, 0x00, 0x00, 0x0b };   /* TPM_RH_ENDORSEMENT */
	uint8_t ek_qn[TPMQ_NAME_LEN];
	int r;

	memset(out, 0, TPMQ_NAME_LEN);
	if ((r = tpmq_qualified_name(endorsement, sizeof(endorsement), ek_name, ek_qn)) != 0)
		return r;
	return tpmq_qualified_name(ek_qn, sizeof(ek_qn), ak_name, out);
}

int
tpmq_ak_check(const TPMT_PUBLIC *pub)
{
	const TPMS_ECC_PARMS *e = &pub->parameters.eccDetail;
	TPMA_OBJECT missing, extra;

	if (pub->type != TPM2_ALG_ECC)
		return rs_fail(RS_ERR_VERIFY, "the AK is of type 0x%04x, not an ECC key",
		    (unsigned)pub->type);
	if (pub->nameAlg != TPM2_ALG_SHA256)
		return rs_fail(RS_ERR_VERIFY, "the AK's nameAlg is 0x%04x, not SHA-256",
		    (unsigned)pub->nameAlg);
	missing = AK_ATTRIBUTES & ~pub->objectAttributes;
	extra = pub->objectAttributes & ~AK_ATTRIBUTES;
	if (missing != 0)
		return rs_fail(RS_ERR_VERIFY, "the AK lacks the attribute %s (attributes 0x%08x; "
		    "an AK must have exactly fixedTPM|fixedParent|sensitiveDataOrigin|"
		    "userWithAuth|restricted|sign)", attr_name(lowest_bit(missing)),
		    (unsigned)pub->objectAttributes);
	if (extra != 0)
		return rs_fail(RS_ERR_VERIFY, "the AK has the attribute %s (attributes 0x%08x; "
		    "an AK must have exactly fixedTPM|fixedParent|sensitiveDataOrigin|"
		    "userWithAuth|restricted|sign)", attr_name(lowest_bit(extra)),
		    (unsigned)pub->objectAttributes);
	if (e->curveID != TPM2_ECC_NIST_P256)
		return rs_fail(RS_ERR_VERIFY, "the AK's curve is 0x%04x, not NIST P-256",
		    (unsigned)e->curveID);
	if (e->scheme.scheme != TPM2_ALG_ECDSA ||
	    e->scheme.details.ecdsa.hashAlg != TPM2_ALG_SHA256)
		return rs_fail(RS_ERR_VERIFY, "the AK's signing scheme is 0x%04x/0x%04x, not "
		    "ECDSA with SHA-256", (unsigned)e->scheme.scheme,
		    (unsigned)e->scheme.details.ecdsa.hashAlg);
	if (e->symmetric.algorithm != TPM2_ALG_NULL)
		return rs_fail(RS_ERR_VERIFY, "the AK has a symmetric algorithm (0x%04x): a "
		    "signing key has none", (unsigned)e->symmetric.algorithm);
	if (e->kdf.scheme != TPM2_ALG_NULL)
		return rs_fail(RS_ERR_VERIFY, "the AK has a KDF (0x%04x): a signing key has none",
		    (unsigned)e->kdf.scheme);
	if (pub->unique.ecc.x.size == 0 || pub->unique.ecc.x.size > P256_BYTES ||
	    pub->unique.ecc.y.size == 0 || pub->unique.ecc.y.size > P256_BYTES)
		return rs_fail(RS_ERR_VERIFY, "the AK's public point has coordinates of %u and "
		    "%u bytes (P-256: at most 32)", (unsigned)pub->unique.ecc.x.size,
		    (unsigned)pub->unique.ecc.y.size);
	return 0;
}

int
tpmq_ek_check(const TPMT_PUBLIC *pub)
{
	const TPMS_RSA_PARMS *p = &pub->parameters.rsaDetail;
	TPMA_OBJECT missing;

	if (pub->type != TPM2_ALG_RSA)
		return rs_fail(RS_ERR_VERIFY, "the EK is of type 0x%04x: runseal enrolls against "
		    "RSA 2048 endorsement keys", (unsigned)pub->type);
	if (pub->nameAlg != TPM2_ALG_SHA256)
		return rs_fail(RS_ERR_VERIFY, "the EK's nameAlg is 0x%04x, not SHA-256",
		    (unsigned)pub->nameAlg);
	missing = EK_ATTRIBUTES & ~pub->objectAttributes;
	if (missing != 0)
		return rs_fail(RS_ERR_VERIFY, "the EK lacks the attribute %s (attributes 0x%08x): "
		    "not a restricted decryption key bound to its TPM",
		    attr_name(lowest_bit(missing)), (unsigned)pub->objectAttributes);
	if (pub->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT)
		return rs_fail(RS_ERR_VERIFY, "the EK has the sign attribute: an endorsement key "
		    "only decrypts");
	if (p->symmetric.algorithm != TPM2_ALG_AES || p->symmetric.keyBits.aes != 128 ||
	    p->symmetric.mode.aes != TPM2_ALG_CFB)
		return rs_fail(RS_ERR_VERIFY, "the EK's symmetric algorithm is 0x%04x/%u/0x%04x, "
		    "not AES-128-CFB", (unsigned)p->symmetric.algorithm,
		    (unsigned)p->symmetric.keyBits.aes, (unsigned)p->symmetric.mode.aes);
	if (p->scheme.scheme != TPM2_ALG_NULL)
		return rs_fail(RS_ERR_VERIFY, "the EK has a scheme (0x%04x): a storage key has none",
		    (unsigned)p->scheme.scheme);
	if (p->keyBits != 2048 || pub->unique.rsa.size != 256)
		return rs_fail(RS_ERR_VERIFY, "the EK is a %u-bit key with a %u-byte modulus, "
		    "not RSA 2048", (unsigned)p->keyBits, (unsigned)pub->unique.rsa.size);
	if (p->exponent != 0 && p->exponent != 65537)
		return rs_fail(RS_ERR_VERIFY, "the EK's public exponent is %u, not 65537",
		    (unsigned)p->exponent);
	return 0;
}

static int
ecc_key(const TPMT_PUBLIC *pub, EVP_PKEY **out)
{
	uint8_t point[1 + 2 * P256_BYTES];
	const TPMS_ECC_POINT *q = &pub->unique.ecc;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL, *check = NULL;
	EVP_PKEY *key = NULL;
	int r = RS_ERR_CRYPTO;

	if (pub->parameters.eccDetail.curveID != TPM2_ECC_NIST_P256 || q->x.size == 0 ||
	    q->x.size > P256_BYTES || q->y.size == 0 || q->y.size > P256_BYTES) {
		r = rs_fail(RS_ERR_VERIFY, "the ECC key is not a NIST P-256 point");
		goto out;
	}
	memset(point, 0, sizeof(point));
	point[0] = 0x04;        /* uncompressed */
	memcpy(point + 1 + P256_BYTES - q->x.size, q->x.buffer, q->x.size);
	memcpy(point + 1 + 2 * P256_BYTES - q->y.size, q->y.buffer, q->y.size);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
	    sizeof(point)) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "building an EC key failed");
		goto out;
	}
	if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
	    (check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
	    EVP_PKEY_public_check(check) != 1) {
		r = rs_fail(RS_ERR_VERIFY, "the ECC public point is not on the P-256 curve");
		goto out;
	}
	*out = key;
	key = NULL;
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

static int
rsa_key(const TPMT_PUBLIC *pub, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	BIGNUM *n = NULL, *e = NULL;
	uint32_t exponent = pub->parameters.rsaDetail.exponent;
	int r = RS_ERR_CRYPTO;

	if (pub->unique.rsa.size == 0 || pub->unique.rsa.size > sizeof(pub->unique.rsa.buffer)) {
		r = rs_fail(RS_ERR_VERIFY, "the RSA key has no modulus");
		goto out;
	}
	if ((n = BN_bin2bn(pub->unique.rsa.buffer, pub->unique.rsa.size, NULL)) == NULL ||
	    (e = BN_new()) == NULL || BN_set_word(e, exponent != 0 ? exponent : 65537) != 1 ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "building an RSA key failed");
		goto out;
	}
	*out = key;
	key = NULL;
	r = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return r;
}

int
tpmq_public_key(const TPMT_PUBLIC *pub, EVP_PKEY **out)
{
	*out = NULL;
	switch (pub->type) {
	case TPM2_ALG_ECC:
		return ecc_key(pub, out);
	case TPM2_ALG_RSA:
		return rsa_key(pub, out);
	default:
		return rs_fail(RS_ERR_VERIFY, "public area of type 0x%04x is neither ECC nor RSA",
		    (unsigned)pub->type);
	}
}

/* ---- quotes --------------------------------------------------------------- */

int
tpmq_attest_parse(const uint8_t *buf, size_t len, TPMS_ATTEST *out)
{
	uint32_t magic = 0;
	uint16_t type = 0;
	size_t off = 0;
	TSS2_RC rc;

	memset(out, 0, sizeof(*out));
	tpmq_tss2_quiet();
	if (len > TPMQ_ATTEST_MAX)
		return rs_fail(RS_ERR_FORMAT, "TPMS_ATTEST of %zu bytes (at most %zu)", len,
		    TPMQ_ATTEST_MAX);
	if (Tss2_MU_UINT32_Unmarshal(buf, len, &off, &magic) != TSS2_RC_SUCCESS ||
	    Tss2_MU_UINT16_Unmarshal(buf, len, &off, &type) != TSS2_RC_SUCCESS)
		return rs_fail(RS_ERR_FORMAT, "TPMS_ATTEST of %zu bytes is too short for its "
		    "header", len);
	if (magic != TPM2_GENERATED_VALUE)
		return rs_fail(RS_ERR_FORMAT, "TPMS_ATTEST magic is 0x%08x, not "
		    "TPM_GENERATED_VALUE (0xff544347): not a structure a TPM generated", magic);
	if (type != TPM2_ST_ATTEST_QUOTE)
		return rs_fail(RS_ERR_FORMAT, "TPMS_ATTEST type is 0x%04x, not "
		    "TPM_ST_ATTEST_QUOTE (0x8018)", (unsigned)type);
	off = 0;
	if ((rc = Tss2_MU_TPMS_ATTEST_Unmarshal(buf, len, &off, out)) != TSS2_RC_SUCCESS) {
		memset(out, 0, sizeof(*out));
		return rs_fail(RS_ERR_FORMAT, "TPMS_ATTEST does not parse: %s", Tss2_RC_Decode(rc));
	}
	if (off != len) {
		memset(out, 0, sizeof(*out));
		return rs_fail(RS_ERR_FORMAT, "TPMS_ATTEST is followed by %zu trailing byte(s)",
		    len - off);
	}
	return 0;
}

int
tpmq_pcr_digest(const struct tpmq_pcr *pcrs, size_t n, uint8_t out[RS_SHA256_LEN])
{
	struct rs_sha256 *h = NULL;
	size_t i;
	int r;

	memset(out, 0, RS_SHA256_LEN);
	if ((r = rs_sha256_new(&h)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if ((r = rs_sha256_update(h, pcrs[i].value, pcrs[i].len)) != 0)
			goto out;
	r = rs_sha256_final(h, out);
out:
	rs_sha256_free(h);
	return r;
}

int
tpmq_pcr_extend(const uint8_t pcr[RS_SHA256_LEN], const uint8_t digest[RS_SHA256_LEN],
    uint8_t out[RS_SHA256_LEN])
{
	uint8_t buf[2 * RS_SHA256_LEN];

	memcpy(buf, pcr, RS_SHA256_LEN);
	memcpy(buf + RS_SHA256_LEN, digest, RS_SHA256_LEN);
	return rs_sha256(buf, sizeof(buf), out);
}

/* The carried PCRs are exactly the selected ones, in selection order. */
static int
check_carried(const struct tpmq_pcr *pcrs, size_t n, const struct tpmq_pcrsel *sel)
{
	char want[TPMQ_PCRSEL_TEXT_MAX];
	size_t k = 0;
	unsigned i;

	tpmq_pcrsel_format(sel, want);
	if (n != tpmq_pcrsel_count(sel))
		return rs_fail(RS_ERR_VERIFY, "the evidence carries %zu PCR values but the quote "
		    "selects %u (%s)", n, tpmq_pcrsel_count(sel), want);
	for (i = 0; i < TPMQ_PCR_COUNT; i++) {
		if (!(sel->mask & (UINT32_C(1) << i)))
			continue;
		if (pcrs[k].index != i)
			return rs_fail(RS_ERR_VERIFY, "carried PCR value %zu is for PCR %u, but the "
			    "quote's selection (%s) puts PCR %u there", k, (unsigned)pcrs[k].index,
			    want, i);
		if (pcrs[k].len != RS_SHA256_LEN)
			return rs_fail(RS_ERR_VERIFY, "carried value of PCR %u is %zu bytes, not a "
			    "SHA-256 value", i, pcrs[k].len);
		k++;
	}
	return 0;
}

static int
verify_signature(const uint8_t *attest, size_t attest_len, const uint8_t *sig,
    size_t sig_len, const struct tpmq_expect *exp)
{
	const TPMS_ECC_PARMS *ak = &exp->ak_public->parameters.eccDetail;
	TPMT_SIGNATURE s;
	ECDSA_SIG *ec = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	size_t off = 0;
	int derlen, r = RS_ERR_VERIFY;
	TSS2_RC rc;

	memset(&s, 0, sizeof(s));
	tpmq_tss2_quiet();
	if (sig_len == 0 || sig_len > TPMQ_SIGNATURE_MAX) {
		r = rs_fail(RS_ERR_FORMAT, "TPMT_SIGNATURE of %zu bytes (1 to %zu allowed)",
		    sig_len, TPMQ_SIGNATURE_MAX);
		goto out;
	}
	if ((rc = Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig, sig_len, &off, &s)) != TSS2_RC_SUCCESS) {
		r = rs_fail(RS_ERR_FORMAT, "TPMT_SIGNATURE does not parse: %s", Tss2_RC_Decode(rc));
		goto out;
	}
	if (off != sig_len) {
		r = rs_fail(RS_ERR_FORMAT, "TPMT_SIGNATURE is followed by %zu trailing byte(s)",
		    sig_len - off);
		goto out;
	}
	if (s.sigAlg != ak->scheme.scheme || s.sigAlg != TPM2_ALG_ECDSA ||
	    s.signature.ecdsa.hash != ak->scheme.details.ecdsa.hashAlg ||
	    s.signature.ecdsa.hash != TPM2_ALG_SHA256) {
		r = rs_fail(RS_ERR_VERIFY, "the quote's signature scheme 0x%04x with hash 0x%04x "
		    "is not the AK's (ECDSA with SHA-256)", (unsigned)s.sigAlg,
		    (unsigned)s.signature.ecdsa.hash);
		goto out;
	}
	if (s.signature.ecdsa.signatureR.size == 0 ||
	    s.signature.ecdsa.signatureR.size > P256_BYTES ||
	    s.signature.ecdsa.signatureS.size == 0 ||
	    s.signature.ecdsa.signatureS.size > P256_BYTES) {
		r = rs_fail(RS_ERR_VERIFY, "the quote's ECDSA signature has r and s of %u and %u "
		    "bytes (P-256: 1 to 32)", (unsigned)s.signature.ecdsa.signatureR.size,
		    (unsigned)s.signature.ecdsa.signatureS.size);
		goto out;
	}
	if ((ec = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(s.signature.ecdsa.signatureR.buffer,
	    s.signature.ecdsa.signatureR.size, NULL)) == NULL ||
	    (bs = BN_bin2bn(s.signature.ecdsa.signatureS.buffer,
	    s.signature.ecdsa.signatureS.size, NULL)) == NULL ||
	    ECDSA_SIG_set0(ec, br, bs) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "building the ECDSA signature failed");
		goto out;
	}
	br = bs = NULL;         /* owned by ec */
	if ((derlen = i2d_ECDSA_SIG(ec, &der)) <= 0 || (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, exp->ak_key) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "signature verification could not start");
		goto out;
	}
	if (EVP_DigestVerify(md, der, (size_t)derlen, attest, attest_len) != 1) {
		r = rs_fail(RS_ERR_VERIFY, "the TPM signature over the quote does not verify "
		    "under the enrolled AK");
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(ec);
	return r;
}

int
tpmq_quote_verify(const uint8_t *attest, size_t attest_len,
    const uint8_t *sig, size_t sig_len, const struct tpmq_pcr *pcrs, size_t n_pcrs,
    const struct tpmq_expect *exp, struct tpmq_quote *out)
{
	TPMS_ATTEST *a = NULL;
	struct tpmq_pcrsel quoted;
	uint8_t digest[RS_SHA256_LEN];
	char got[TPMQ_PCRSEL_TEXT_MAX], want[TPMQ_PCRSEL_TEXT_MAX];
	char hex[2 * TPMQ_NAME_LEN + 1];
	int r = RS_ERR_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = tpmq_attest_parse(attest, attest_len, a)) != 0)
		goto out;
	if (a->qualifiedSigner.size != TPMQ_NAME_LEN ||
	    !rs_ct_equal(a->qualifiedSigner.name, exp->ak_qname, TPMQ_NAME_LEN)) {
		rs_hex_encode(a->qualifiedSigner.name,
		    a->qualifiedSigner.size < 12 ? a->qualifiedSigner.size : 12, hex);
		r = rs_fail(RS_ERR_VERIFY, "the quote was signed by key %s… (qualified name), not "
		    "by the enrolled AK under its EK", hex);
		goto out;
	}
	if (a->extraData.size != RS_SHA256_LEN ||
	    !rs_ct_equal(a->extraData.buffer, exp->digest, RS_SHA256_LEN)) {
		r = rs_fail(RS_ERR_VERIFY, "the quote's qualifyingData is not this record's "
		    "digest: the quote was made for another record");
		goto out;
	}
	if ((r = tpmq_pcrsel_from_tpml(&a->attested.quote.pcrSelect, &quoted)) != 0) {
		r = rs_fail(RS_ERR_VERIFY, "the quote's PCR selection: %s", rs_err_detail());
		goto out;
	}
	if (quoted.mask != exp->sel.mask) {
		tpmq_pcrsel_format(&quoted, got);
		tpmq_pcrsel_format(&exp->sel, want);
		r = rs_fail(RS_ERR_VERIFY, "the quote covers PCRs %s, but the verifier expects %s",
		    got, want);
		goto out;
	}
	if ((r = check_carried(pcrs, n_pcrs, &quoted)) != 0)
		goto out;
	if ((r = tpmq_pcr_digest(pcrs, n_pcrs, digest)) != 0)
		goto out;
	if (a->attested.quote.pcrDigest.size != RS_SHA256_LEN ||
	    !rs_ct_equal(a->attested.quote.pcrDigest.buffer, digest, RS_SHA256_LEN)) {
		r = rs_fail(RS_ERR_VERIFY, "the PCR values carried do not hash to the quoted "
		    "pcrDigest: a PCR value was altered");
		goto out;
	}
	if ((r = verify_signature(attest, attest_len, sig, sig_len, exp)) != 0)
		goto out;
	out->clock = a->clockInfo.clock;
	out->reset_count = a->clockInfo.resetCount;
	out->restart_count = a->clockInfo.restartCount;
	out->safe = a->clockInfo.safe == TPM2_YES;
	out->firmware_version = a->firmwareVersion;
	r = 0;
out:
	free(a);
	return r;
}
