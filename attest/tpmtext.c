#include "attest/tpmtext.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/encode.h"
#include "common/err.h"

#define HDR_VALUE_MAX 512
#define HEADER_MAX 4096

struct tpmtext_reader {
	BIO *bio;
	size_t blocks;
	char *name;
	char *header;
	unsigned char *data;
	long len;
};

static void
reader_drop(struct tpmtext_reader *rd)
{
	if (rd->data != NULL)
		OPENSSL_cleanse(rd->data, (size_t)rd->len);
	OPENSSL_free(rd->data);
	OPENSSL_free(rd->name);
	OPENSSL_free(rd->header);
	rd->data = NULL;
	rd->name = NULL;
	rd->header = NULL;
	rd->len = 0;
}

int
tpmtext_reader_new(const char *text, size_t len, struct tpmtext_reader **out)
{
	struct tpmtext_reader *rd = NULL;

	*out = NULL;
	if (len > TPMTEXT_FILE_MAX)
		return rs_fail(RS_ERR_TOO_LARGE, "text of %zu bytes (at most %d)", len,
		    TPMTEXT_FILE_MAX);
	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return RS_ERR_ALLOC;
	if ((rd->bio = BIO_new_mem_buf(text, (int)len)) == NULL) {
		free(rd);
		return RS_ERR_ALLOC;
	}
	*out = rd;
	return 0;
}

int
tpmtext_reader_next(struct tpmtext_reader *rd, const char **name, const char **header,
    const uint8_t **data, size_t *len)
{
	unsigned long e;

	*name = NULL;
	*header = NULL;
	*data = NULL;
	*len = 0;
	reader_drop(rd);
	ERR_clear_error();
	if (PEM_read_bio_ex(rd->bio, &rd->name, &rd->header, &rd->data, &rd->len,
	    PEM_FLAG_ONLY_B64) != 1) {
		e = ERR_peek_last_error();
		ERR_clear_error();
		reader_drop(rd);
		if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
			return 0;       /* no more blocks */
		return rs_fail(RS_ERR_FORMAT, "PEM block %zu does not decode (bad base64 or "
		    "no END line)", rd->blocks + 1);
	}
	if (++rd->blocks > TPMTEXT_MAX_BLOCKS) {
		reader_drop(rd);
		return rs_fail(RS_ERR_TOO_LARGE, "more than %d PEM blocks", TPMTEXT_MAX_BLOCKS);
	}
	*name = rd->name;
	*header = rd->header != NULL ? rd->header : "";
	*data = rd->data;
	*len = (size_t)rd->len;
	return 0;
}

void
tpmtext_reader_free(struct tpmtext_reader *rd)
{
	if (rd == NULL)
		return;
	reader_drop(rd);
	BIO_free(rd->bio);
	free(rd);
}

/* ---- header lines ---------------------------------------------------------- */

struct hdr {
	const char *key;
	int required;
	char value[HDR_VALUE_MAX];
	int seen;
};

static struct hdr *
hdr_find(struct hdr *h, size_t n, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(h[i].key) == klen && memcmp(h[i].key, key, klen) == 0)
			return &h[i];
	return NULL;
}

static int
parse_header(const char *block, const char *header, struct hdr *h, size_t n)
{
	const char *p = header, *eol, *colon, *v, *c;
	struct hdr *f;
	size_t i, vlen;

	for (i = 0; i < n; i++) {
		h[i].value[0] = '\0';
		h[i].seen = 0;
	}
	if (strlen(header) > HEADER_MAX)
		return rs_fail(RS_ERR_FORMAT, "block %s: header of more than %d bytes", block,
		    HEADER_MAX);
	while (*p != '\0') {
		if ((eol = strchr(p, '\n')) == NULL)
			eol = p + strlen(p);
		if ((colon = memchr(p, ':', (size_t)(eol - p))) == NULL || colon == p ||
		    colon + 1 >= eol || colon[1] != ' ')
			return rs_fail(RS_ERR_FORMAT, "block %s: header line '%.40s' is not "
			    "'Key: value'", block, p);
		for (c = p; c < colon; c++)
			if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
			    (*c >= '0' && *c <= '9') || *c == '-'))
				return rs_fail(RS_ERR_FORMAT, "block %s: bad character in header "
				    "key '%.*s'", block, (int)(colon - p), p);
		v = colon + 2;
		vlen = (size_t)(eol - v);
		for (c = v; c < eol; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
				return rs_fail(RS_ERR_FORMAT, "block %s: header %.*s: value is not "
				    "printable ASCII", block, (int)(colon - p), p);
		if ((f = hdr_find(h, n, p, (size_t)(colon - p))) == NULL)
			return rs_fail(RS_ERR_FORMAT, "block %s: unknown header '%.*s'", block,
			    (int)(colon - p), p);
		if (f->seen)
			return rs_fail(RS_ERR_FORMAT, "block %s: header %s given twice", block,
			    f->key);
		if (vlen >= sizeof(f->value))
			return rs_fail(RS_ERR_FORMAT, "block %s: header %s too long", block, f->key);
		memcpy(f->value, v, vlen);
		f->value[vlen] = '\0';
		f->seen = 1;
		p = *eol != '\0' ? eol + 1 : eol;
	}
	for (i = 0; i < n; i++)
		if (h[i].required && !h[i].seen)
			return rs_fail(RS_ERR_FORMAT, "block %s: header %s missing", block, h[i].key);
	return 0;
}

static int
hex_name(const char *block, const char *key, const char *hex, uint8_t out[TPMQ_NAME_LEN])
{
	if (rs_hex_decode(hex, out, TPMQ_NAME_LEN) != 0)
		return rs_fail(RS_ERR_FORMAT, "block %s: %s is not %d bytes of hex", block, key,
		    TPMQ_NAME_LEN);
	return 0;
}

static int
parse_app_pcr(const char *block, const char *text, uint32_t *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || text[0] == '+' ||
	    v >= TPMQ_PCR_COUNT)
		return rs_fail(RS_ERR_FORMAT, "block %s: Application-PCR '%s' is not a PCR "
		    "number 0-%d", block, text, TPMQ_PCR_COUNT - 1);
	*out = (uint32_t)v;
	return 0;
}

/* Public area + Name header + selection headers shared by identity and trust. */
static int
parse_ak_common(const char *block, const struct hdr *name, const struct hdr *sel,
    const struct hdr *app, const uint8_t *data, size_t len, struct tpmtext_ak *out)
{
	uint8_t claimed[TPMQ_NAME_LEN];
	int r;

	if ((r = hex_name(block, "Name", name->value, claimed)) != 0)
		return r;
	if (len > sizeof(out->pub))
		return rs_fail(RS_ERR_FORMAT, "block %s: public area of %zu bytes", block, len);
	if ((r = tpmq_public_parse(data, len, &out->ak)) != 0)
		return rs_fail(r, "block %s: %s", block, rs_err_detail());
	memcpy(out->pub, data, len);
	out->pub_len = len;
	if (memcmp(claimed, out->ak.name, TPMQ_NAME_LEN) != 0)
		return rs_fail(RS_ERR_FORMAT, "block %s: Name does not match the public area it "
		    "carries", block);
	if ((r = tpmq_pcrsel_parse(sel->value, &out->sel)) != 0)
		return rs_fail(RS_ERR_FORMAT, "block %s: %s", block, rs_err_detail());
	if ((r = parse_app_pcr(block, app->value, &out->app_pcr)) != 0)
		return r;
	if (!(out->sel.mask & (UINT32_C(1) << out->app_pcr)))
		return rs_fail(RS_ERR_FORMAT, "block %s: PCR-Selection %s does not include the "
		    "Application-PCR %u", block, sel->value, (unsigned)out->app_pcr);
	return 0;
}

int
tpmtext_ak_parse(const char *header, const uint8_t *data, size_t len, struct tpmtext_ak *out)
{
	struct hdr h[] = {
		{ "Name", 1, "", 0 },
		{ "EK-Name", 1, "", 0 },
		{ "EK-Certificate", 1, "", 0 },
		{ "EK-Certificate-SHA256", 0, "", 0 },
		{ "EK-Certificate-Issuer", 0, "", 0 },
		{ "PCR-Selection", 1, "", 0 },
		{ "Application-PCR", 1, "", 0 },
		{ "Enrolled", 0, "", 0 },
	};
	const char *block = TPMTEXT_AK;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = parse_header(block, header, h, sizeof(h) / sizeof(h[0]))) != 0 ||
	    (r = parse_ak_common(block, &h[0], &h[5], &h[6], data, len, out)) != 0 ||
	    (r = hex_name(block, "EK-Name", h[1].value, out->ek_name)) != 0)
		goto fail;
	if (strcmp(h[2].value, "verified") == 0) {
		out->ek_certified = 1;
		if (!h[3].seen || rs_hex_decode(h[3].value, out->ek_cert_sha256,
		    RS_SHA256_LEN) != 0) {
			r = rs_fail(RS_ERR_FORMAT, "block %s: EK-Certificate verified needs an "
			    "EK-Certificate-SHA256 of 32 bytes of hex", block);
			goto fail;
		}
	} else if (strcmp(h[2].value, "none") == 0) {
		if (h[3].seen || h[4].seen) {
			r = rs_fail(RS_ERR_FORMAT, "block %s: EK-Certificate none, but certificate "
			    "details given", block);
			goto fail;
		}
	} else {
		r = rs_fail(RS_ERR_FORMAT, "block %s: EK-Certificate is '%s', not 'verified' or "
		    "'none'", block, h[2].value);
		goto fail;
	}
	if (strlen(h[4].value) >= sizeof(out->ek_cert_issuer) ||
	    strlen(h[7].value) >= sizeof(out->enrolled)) {
		r = rs_fail(RS_ERR_FORMAT, "block %s: EK-Certificate-Issuer or Enrolled too long",
		    block);
		goto fail;
	}
	memcpy(out->ek_cert_issuer, h[4].value, strlen(h[4].value) + 1);
	memcpy(out->enrolled, h[7].value, strlen(h[7].value) + 1);
	if ((r = tpmq_ak_check(&out->ak.pub)) != 0) {
		r = rs_fail(r, "block %s: %s", block, rs_err_detail());
		goto fail;
	}
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return r;
}

/* ---- writing ----------------------------------------------------------------- */

/* Append one PEM block to bio. */
static int
write_block(BIO *bio, const char *name, const char *header, const uint8_t *data, size_t len)
{
	if (len > INT_MAX || PEM_write_bio(bio, name, header, data, (long)len) <= 0)
		return rs_fail(RS_ERR_CRYPTO, "writing the PEM block %s failed", name);
	return 0;
}

/* The BIO's contents as a new NUL-terminated string. */
static int
bio_string(BIO *bio, char **out)
{
	char *data = NULL, *s;
	long n;

	*out = NULL;
	if ((n = BIO_get_mem_data(bio, &data)) < 0)
		return rs_fail(RS_ERR_CRYPTO, "reading the text back failed");
	if ((s = malloc((size_t)n + 1)) == NULL)
		return RS_ERR_ALLOC;
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	*out = s;
	return 0;
}

/* Printable ASCII copy of free text for a header value. */
static void
header_text(const char *in, char *out, size_t outlen)
{
	size_t i;

	snprintf(out, outlen, "%s", in);
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			out[i] = '?';
}

int
tpmtext_ak_format(const struct tpmtext_ak *ak, char **out)
{
	char name[2 * TPMQ_NAME_LEN + 1], ek[2 * TPMQ_NAME_LEN + 1];
	char sha[2 * RS_SHA256_LEN + 1], sel[TPMQ_PCRSEL_TEXT_MAX];
	char issuer[TPMTEXT_ISSUER_MAX], hdr[HEADER_MAX];
	BIO *bio = NULL;
	int r, n;

	*out = NULL;
	rs_hex_encode(ak->ak.name, TPMQ_NAME_LEN, name);
	rs_hex_encode(ak->ek_name, TPMQ_NAME_LEN, ek);
	rs_hex_encode(ak->ek_cert_sha256, RS_SHA256_LEN, sha);
	tpmq_pcrsel_format(&ak->sel, sel);
	header_text(ak->ek_cert_issuer, issuer, sizeof(issuer));
	if (ak->ek_certified)
		n = snprintf(hdr, sizeof(hdr), "Name: %s\nEK-Name: %s\nEK-Certificate: verified\n"
		    "EK-Certificate-SHA256: %s\n%s%s%sPCR-Selection: %s\nApplication-PCR: %u\n"
		    "%s%s%s", name, ek, sha, issuer[0] ? "EK-Certificate-Issuer: " : "", issuer,
		    issuer[0] ? "\n" : "", sel, (unsigned)ak->app_pcr,
		    ak->enrolled[0] ? "Enrolled: " : "", ak->enrolled, ak->enrolled[0] ? "\n" : "");
	else
		n = snprintf(hdr, sizeof(hdr), "Name: %s\nEK-Name: %s\nEK-Certificate: none\n"
		    "PCR-Selection: %s\nApplication-PCR: %u\n%s%s%s", name, ek, sel,
		    (unsigned)ak->app_pcr, ak->enrolled[0] ? "Enrolled: " : "", ak->enrolled,
		    ak->enrolled[0] ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return rs_fail(RS_ERR_INTERNAL, "AK header too long");
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return RS_ERR_ALLOC;
	if ((r = write_block(bio, TPMTEXT_AK, hdr, ak->pub, ak->pub_len)) == 0)
		r = bio_string(bio, out);
	BIO_free(bio);
	return r;
}

/* ---- identity ------------------------------------------------------------------ */

int
tpmtext_identity_format(const uint8_t *ak_pub, size_t ak_pub_len,
    const uint8_t *ek_pub, size_t ek_pub_len, const uint8_t *ek_cert, size_t ek_cert_len,
    const struct tpmq_pcrsel *sel, uint32_t app_pcr, char **out)
{
	static const char intro[] =
	    "# runseal TPM identity: the attestation key (AK), the endorsement key (EK)\n"
	    "# and its certificate. Enroll it with: runseal-verify enroll FILE --ek-ca CA\n";
	struct tpmq_public ak, ek;
	char name[2 * TPMQ_NAME_LEN + 1], seltext[TPMQ_PCRSEL_TEXT_MAX], hdr[HEADER_MAX];
	BIO *bio = NULL;
	int r;

	*out = NULL;
	if ((r = tpmq_public_parse(ak_pub, ak_pub_len, &ak)) != 0 ||
	    (r = tpmq_public_parse(ek_pub, ek_pub_len, &ek)) != 0)
		return r;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return RS_ERR_ALLOC;
	if (BIO_puts(bio, intro) <= 0) {
		r = rs_fail(RS_ERR_CRYPTO, "writing the identity failed");
		goto out;
	}
	rs_hex_encode(ak.name, TPMQ_NAME_LEN, name);
	tpmq_pcrsel_format(sel, seltext);
	snprintf(hdr, sizeof(hdr), "Name: %s\nPCR-Selection: %s\nApplication-PCR: %u\n", name,
	    seltext, (unsigned)app_pcr);
	if ((r = write_block(bio, TPMTEXT_AK_PUBLIC, hdr, ak_pub, ak_pub_len)) != 0)
		goto out;
	rs_hex_encode(ek.name, TPMQ_NAME_LEN, name);
	snprintf(hdr, sizeof(hdr), "Name: %s\n", name);
	if ((r = write_block(bio, TPMTEXT_EK_PUBLIC, hdr, ek_pub, ek_pub_len)) != 0)
		goto out;
	if (ek_cert != NULL &&
	    (r = write_block(bio, TPMTEXT_CERTIFICATE, "", ek_cert, ek_cert_len)) != 0)
		goto out;
	r = bio_string(bio, out);
out:
	BIO_free(bio);
	return r;
}

void
tpmtext_identity_clear(struct tpmtext_identity *id)
{
	free(id->ek_cert);
	memset(id, 0, sizeof(*id));
}

int
tpmtext_identity_parse(const char *text, size_t len, struct tpmtext_identity *out)
{
	struct hdr akh[] = {
		{ "Name", 1, "", 0 },
		{ "PCR-Selection", 1, "", 0 },
		{ "Application-PCR", 1, "", 0 },
	};
	struct hdr ekh[] = { { "Name", 1, "", 0 } };
	struct tpmtext_reader *rd = NULL;
	const char *name, *header;
	const uint8_t *data;
	uint8_t claimed[TPMQ_NAME_LEN];
	size_t dlen;
	int have_ak = 0, have_ek = 0, r;

	memset(out, 0, sizeof(*out));
	if ((r = tpmtext_reader_new(text, len, &rd)) != 0)
		goto out;
	for (;;) {
		if ((r = tpmtext_reader_next(rd, &name, &header, &data, &dlen)) != 0)
			goto out;
		if (name == NULL)
			break;
		if (strcmp(name, TPMTEXT_AK_PUBLIC) == 0) {
			if (have_ak++) {
				r = rs_fail(RS_ERR_FORMAT, "more than one %s block", name);
				goto out;
			}
			if ((r = parse_header(name, header, akh, 3)) != 0 ||
			    (r = parse_ak_common(name, &akh[0], &akh[1], &akh[2], data, dlen,
			    &out->ak)) != 0)
				goto out;
		} else if (strcmp(name, TPMTEXT_EK_PUBLIC) == 0) {
			if (have_ek++) {
				r = rs_fail(RS_ERR_FORMAT, "more than one %s block", name);
				goto out;
			}
			if ((r = parse_header(name, header, ekh, 1)) != 0 ||
			    (r = hex_name(name, "Name", ekh[0].value, claimed)) != 0)
				goto out;
			if (dlen > sizeof(out->ek_pub)) {
				r = rs_fail(RS_ERR_FORMAT, "block %s: public area of %zu bytes", name,
				    dlen);
				goto out;
			}
			if ((r = tpmq_public_parse(data, dlen, &out->ek)) != 0) {
				r = rs_fail(r, "block %s: %s", name, rs_err_detail());
				goto out;
			}
			memcpy(out->ek_pub, data, dlen);
			out->ek_pub_len = dlen;
			if (memcmp(claimed, out->ek.name, TPMQ_NAME_LEN) != 0) {
				r = rs_fail(RS_ERR_FORMAT, "block %s: Name does not match the public "
				    "area it carries", name);
				goto out;
			}
		} else if (strcmp(name, TPMTEXT_CERTIFICATE) == 0) {
			if (out->ek_cert != NULL) {
				r = rs_fail(RS_ERR_FORMAT, "more than one EK certificate");
				goto out;
			}
			if (header[0] != '\0' || dlen == 0) {
				r = rs_fail(RS_ERR_FORMAT, "the EK certificate block is malformed");
				goto out;
			}
			if ((out->ek_cert = malloc(dlen)) == NULL) {
				r = RS_ERR_ALLOC;
				goto out;
			}
			memcpy(out->ek_cert, data, dlen);
			out->ek_cert_len = dlen;
		}
		/* other blocks belong to other readers of the file */
	}
	if (!have_ak || !have_ek) {
		r = rs_fail(RS_ERR_FORMAT, "not a runseal TPM identity: no %s block",
		    !have_ak ? TPMTEXT_AK_PUBLIC : TPMTEXT_EK_PUBLIC);
		goto out;
	}
	r = 0;
out:
	tpmtext_reader_free(rd);
	if (r != 0)
		tpmtext_identity_clear(out);
	return r;
}

/* ---- enrollment exchange ----------------------------------------------------- */

/* The one block named want in text; its AK-Name header and data (copied). */
static int
single_block(const char *text, size_t len, const char *want, uint8_t ak_name[TPMQ_NAME_LEN],
    uint8_t *buf, size_t cap, size_t *got)
{
	struct hdr h[] = { { "AK-Name", 1, "", 0 } };
	struct tpmtext_reader *rd = NULL;
	const char *name, *header;
	const uint8_t *data;
	size_t dlen;
	int seen = 0, r;

	memset(ak_name, 0, TPMQ_NAME_LEN);
	*got = 0;
	if ((r = tpmtext_reader_new(text, len, &rd)) != 0)
		goto out;
	for (;;) {
		if ((r = tpmtext_reader_next(rd, &name, &header, &data, &dlen)) != 0)
			goto out;
		if (name == NULL)
			break;
		if (strcmp(name, want) != 0)
			continue;
		if (seen++) {
			r = rs_fail(RS_ERR_FORMAT, "more than one %s block", want);
			goto out;
		}
		if ((r = parse_header(want, header, h, 1)) != 0 ||
		    (r = hex_name(want, "AK-Name", h[0].value, ak_name)) != 0)
			goto out;
		if (dlen == 0 || dlen > cap) {
			r = rs_fail(RS_ERR_FORMAT, "block %s: %zu bytes of data (1 to %zu)", want,
			    dlen, cap);
			goto out;
		}
		memcpy(buf, data, dlen);
		*got = dlen;
	}
	if (!seen) {
		r = rs_fail(RS_ERR_FORMAT, "no %s block", want);
		goto out;
	}
	r = 0;
out:
	tpmtext_reader_free(rd);
	if (r != 0) {
		OPENSSL_cleanse(buf, cap);
		*got = 0;
	}
	return r;
}

static int
format_single(const char *block, const uint8_t ak_name[TPMQ_NAME_LEN], const uint8_t *data,
    size_t len, const char *extra, char **out)
{
	char name[2 * TPMQ_NAME_LEN + 1], hdr[HEADER_MAX];
	BIO *bio = NULL;
	int r;

	*out = NULL;
	rs_hex_encode(ak_name, TPMQ_NAME_LEN, name);
	snprintf(hdr, sizeof(hdr), "AK-Name: %s\n", name);
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return RS_ERR_ALLOC;
	if ((r = write_block(bio, block, hdr, data, len)) != 0)
		goto out;
	if (extra != NULL && BIO_puts(bio, extra) <= 0) {
		r = rs_fail(RS_ERR_CRYPTO, "writing %s failed", block);
		goto out;
	}
	r = bio_string(bio, out);
out:
	BIO_free(bio);
	return r;
}

int
tpmtext_challenge_format(const uint8_t ak_name[TPMQ_NAME_LEN], const uint8_t *payload,
    size_t len, char **out)
{
	return format_single(TPMTEXT_CHALLENGE, ak_name, payload, len, NULL, out);
}

int
tpmtext_challenge_parse(const char *text, size_t len, uint8_t ak_name[TPMQ_NAME_LEN],
    uint8_t **payload, size_t *payload_len)
{
	uint8_t *buf;
	size_t cap = 4096, got = 0;
	int r;

	*payload = NULL;
	*payload_len = 0;
	if ((buf = malloc(cap)) == NULL)
		return RS_ERR_ALLOC;
	if ((r = single_block(text, len, TPMTEXT_CHALLENGE, ak_name, buf, cap, &got)) != 0) {
		free(buf);
		return r;
	}
	*payload = buf;
	*payload_len = got;
	return 0;
}

int
tpmtext_response_format(const uint8_t ak_name[TPMQ_NAME_LEN], const uint8_t *secret,
    size_t len, char **out)
{
	return format_single(TPMTEXT_RESPONSE, ak_name, secret, len, NULL, out);
}

int
tpmtext_response_parse(const char *text, size_t len, uint8_t ak_name[TPMQ_NAME_LEN],
    uint8_t secret[TPMTEXT_SECRET_MAX], size_t *secret_len)
{
	return single_block(text, len, TPMTEXT_RESPONSE, ak_name, secret, TPMTEXT_SECRET_MAX,
	    secret_len);
}

int
tpmtext_state_format(const uint8_t *secret, size_t len, const struct tpmtext_ak *pending,
    char **out)
{
	char *akblock = NULL;
	int r;

	*out = NULL;
	if ((r = tpmtext_ak_format(pending, &akblock)) != 0)
		return r;
	r = format_single(TPMTEXT_SECRET, pending->ak.name, secret, len, akblock, out);
	free(akblock);
	return r;
}

int
tpmtext_state_parse(const char *text, size_t len, uint8_t secret[TPMTEXT_SECRET_MAX],
    size_t *secret_len, struct tpmtext_ak *pending)
{
	struct tpmtext_reader *rd = NULL;
	const char *name, *header;
	const uint8_t *data;
	uint8_t ak_name[TPMQ_NAME_LEN];
	size_t dlen;
	int seen = 0, r;

	memset(pending, 0, sizeof(*pending));
	if ((r = single_block(text, len, TPMTEXT_SECRET, ak_name, secret, TPMTEXT_SECRET_MAX,
	    secret_len)) != 0)
		return r;
	if ((r = tpmtext_reader_new(text, len, &rd)) != 0)
		goto out;
	for (;;) {
		if ((r = tpmtext_reader_next(rd, &name, &header, &data, &dlen)) != 0)
			goto out;
		if (name == NULL)
			break;
		if (strcmp(name, TPMTEXT_AK) != 0)
			continue;
		if (seen++) {
			r = rs_fail(RS_ERR_FORMAT, "more than one %s block", name);
			goto out;
		}
		if ((r = tpmtext_ak_parse(header, data, dlen, pending)) != 0)
			goto out;
	}
	if (!seen) {
		r = rs_fail(RS_ERR_FORMAT, "no pending %s block", TPMTEXT_AK);
		goto out;
	}
	if (memcmp(ak_name, pending->ak.name, TPMQ_NAME_LEN) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "the secret is for another AK than the pending entry");
		goto out;
	}
	r = 0;
out:
	tpmtext_reader_free(rd);
	if (r != 0) {
		OPENSSL_cleanse(secret, TPMTEXT_SECRET_MAX);
		*secret_len = 0;
		memset(pending, 0, sizeof(*pending));
	}
	return r;
}
