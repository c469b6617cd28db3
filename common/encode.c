#include "common/encode.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/err.h"

void
rs_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

char *
rs_hex_string(const uint8_t *in, size_t len)
{
	char *s;

	if ((s = malloc(2 * len + 1)) == NULL)
		return NULL;
	rs_hex_encode(in, len, s);
	return s;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
rs_hex_decode(const char *in, uint8_t *out, size_t outlen)
{
	size_t i;
	int hi, lo;

	if (strlen(in) != 2 * outlen)
		return rs_fail(RS_ERR_FORMAT, "expected %zu hex digits", 2 * outlen);
	for (i = 0; i < outlen; i++) {
		if ((hi = hexval(in[2 * i])) < 0 || (lo = hexval(in[2 * i + 1])) < 0)
			return rs_fail(RS_ERR_FORMAT, "not a hex digit at position %zu", 2 * i);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
rs_base64_encode(const uint8_t *in, size_t len, char **out)
{
	char *s;

	*out = NULL;
	if (len > (size_t)INT32_MAX / 2)
		return RS_ERR_TOO_LARGE;
	if ((s = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return RS_ERR_ALLOC;
	EVP_EncodeBlock((unsigned char *)s, in, (int)len);
	*out = s;
	return 0;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
rs_base64_decode(const char *in, size_t inlen, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = NULL;
	size_t i, o = 0, pad = 0;
	int v[4], r = RS_ERR_FORMAT, k;

	*out = NULL;
	*outlen = 0;
	if (inlen % 4 != 0) {
		r = rs_fail(RS_ERR_FORMAT, "base64 length %zu is not a multiple of 4", inlen);
		goto out;
	}
	if (inlen > 0 && in[inlen - 1] == '=')
		pad++;
	if (inlen > 1 && in[inlen - 2] == '=')
		pad++;
	if ((buf = malloc(inlen / 4 * 3 + 1)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < inlen; i += 4) {
		int last = (i + 4 == inlen);
		for (k = 0; k < 4; k++) {
			if (last && (size_t)k >= 4 - pad) {
				v[k] = 0;
				continue;
			}
			if ((v[k] = b64val(in[i + (size_t)k])) < 0) {
				r = rs_fail(RS_ERR_FORMAT, "invalid base64 character at %zu",
				    i + (size_t)k);
				goto out;
			}
		}
		buf[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (!last || pad < 2)
			buf[o++] = (uint8_t)((v[1] & 0x0f) << 4 | v[2] >> 2);
		if (!last || pad < 1)
			buf[o++] = (uint8_t)((v[2] & 0x03) << 6 | v[3]);
		/* Non-canonical encodings (stray bits in the padding) are rejected. */
		if (last && ((pad == 2 && (v[1] & 0x0f) != 0) ||
		    (pad == 1 && (v[2] & 0x03) != 0))) {
			r = rs_fail(RS_ERR_FORMAT, "non-canonical base64 padding");
			goto out;
		}
	}
	*out = buf;
	*outlen = o;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}
