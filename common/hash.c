#include "common/hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/err.h"
#include "common/file.h"

#define CHUNK (64 * 1024)

struct rs_sha256 {
	EVP_MD_CTX *md;
};

int
rs_sha256_new(struct rs_sha256 **out)
{
	struct rs_sha256 *h = NULL;
	int r = RS_ERR_ALLOC;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL || (h->md = EVP_MD_CTX_new()) == NULL)
		goto out;
	if ((r = rs_sha256_reset(h)) != 0)
		goto out;
	*out = h;
	h = NULL;
	r = 0;
out:
	rs_sha256_free(h);
	return r;
}

void
rs_sha256_free(struct rs_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}

int
rs_sha256_reset(struct rs_sha256 *h)
{
	if (EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1)
		return rs_fail(RS_ERR_CRYPTO, "SHA-256 init failed");
	return 0;
}

int
rs_sha256_update(struct rs_sha256 *h, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (EVP_DigestUpdate(h->md, data, len) != 1)
		return rs_fail(RS_ERR_CRYPTO, "SHA-256 update failed");
	return 0;
}

int
rs_sha256_final(struct rs_sha256 *h, uint8_t out[RS_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->md, out, &n) != 1 || n != RS_SHA256_LEN)
		return rs_fail(RS_ERR_CRYPTO, "SHA-256 final failed");
	return 0;
}

int
rs_sha256(const void *data, size_t len, uint8_t out[RS_SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != RS_SHA256_LEN)
		return rs_fail(RS_ERR_CRYPTO, "SHA-256 failed");
	return 0;
}

int
rs_sha256_ctx(const char *ctx, const void *a, size_t alen,
    const void *b, size_t blen, uint8_t out[RS_SHA256_LEN])
{
	struct rs_sha256 *h = NULL;
	int r;

	if ((r = rs_sha256_new(&h)) != 0)
		goto out;
	if ((r = rs_sha256_update(h, ctx, strlen(ctx) + 1)) != 0 ||
	    (r = rs_sha256_update(h, a, alen)) != 0 ||
	    (b != NULL && (r = rs_sha256_update(h, b, blen)) != 0) ||
	    (r = rs_sha256_final(h, out)) != 0)
		goto out;
	r = 0;
out:
	rs_sha256_free(h);
	return r;
}

static int
hash_stream(int in_fd, int out_fd, uint64_t max, uint8_t out[RS_SHA256_LEN],
    uint64_t *size)
{
	struct rs_sha256 *h = NULL;
	uint8_t *buf = NULL;
	uint64_t total = 0;
	ssize_t n;
	int r;

	*size = 0;
	if ((r = rs_sha256_new(&h)) != 0)
		goto out;
	if ((buf = malloc(CHUNK)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (;;) {
		n = read(in_fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = rs_fail(rs_err_from_errno(errno), "read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (max != 0 && total > max) {
			r = rs_fail(RS_ERR_TOO_LARGE, "more than %llu bytes",
			    (unsigned long long)max);
			goto out;
		}
		if ((r = rs_sha256_update(h, buf, (size_t)n)) != 0)
			goto out;
		if (out_fd >= 0 && (r = rs_write_all(out_fd, buf, (size_t)n)) != 0)
			goto out;
	}
	if ((r = rs_sha256_final(h, out)) != 0)
		goto out;
	*size = total;
	r = 0;
out:
	free(buf);
	rs_sha256_free(h);
	return r;
}

int
rs_sha256_fd(int fd, uint64_t max, uint8_t out[RS_SHA256_LEN], uint64_t *size)
{
	return hash_stream(fd, -1, max, out, size);
}

int
rs_sha256_copy_fd(int in_fd, int out_fd, uint64_t max,
    uint8_t out[RS_SHA256_LEN], uint64_t *size)
{
	return hash_stream(in_fd, out_fd, max, out, size);
}

int
rs_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
