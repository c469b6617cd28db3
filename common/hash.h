/*
 * hash.h - SHA-256, streaming, through OpenSSL EVP. Constant memory: files
 * and descriptors are read in fixed-size chunks.
 */
#ifndef RS_HASH_H
#define RS_HASH_H

#include <stddef.h>
#include <stdint.h>

#define RS_SHA256_LEN 32

/* Domain-separation prefixes (each includes its trailing NUL byte). */
#define RS_CTX_RECORD "runseal/v1/record"
#define RS_CTX_SIG    "runseal/v1/sig"
#define RS_CTX_ENTRY  "runseal/v1/entry"
#define RS_CTX_CHAIN  "runseal/v1/chain"

struct rs_sha256;   /* opaque streaming context */

/* New context; *out NULL on failure. Free with rs_sha256_free(). */
int rs_sha256_new(struct rs_sha256 **out);
void rs_sha256_free(struct rs_sha256 *h);
int rs_sha256_update(struct rs_sha256 *h, const void *data, size_t len);
/* Finish into out; the context may then be reused after rs_sha256_reset(). */
int rs_sha256_final(struct rs_sha256 *h, uint8_t out[RS_SHA256_LEN]);
int rs_sha256_reset(struct rs_sha256 *h);

/* One-shot digest of a buffer. */
int rs_sha256(const void *data, size_t len, uint8_t out[RS_SHA256_LEN]);

/*
 * Domain-separated digest: SHA-256(ctx || 0x00 || a || b), where ctx is one
 * of the RS_CTX_* strings (its NUL terminator is hashed) and b may be NULL.
 */
int rs_sha256_ctx(const char *ctx, const void *a, size_t alen,
    const void *b, size_t blen, uint8_t out[RS_SHA256_LEN]);

/*
 * Hash everything readable from fd until EOF. *size receives the byte count.
 * Fails with RS_ERR_TOO_LARGE past max bytes (0 = unbounded).
 */
int rs_sha256_fd(int fd, uint64_t max, uint8_t out[RS_SHA256_LEN], uint64_t *size);

/*
 * Copy in_fd to out_fd until EOF, hashing the same bytes in one pass.
 * Fails with RS_ERR_TOO_LARGE past max bytes (0 = unbounded).
 */
int rs_sha256_copy_fd(int in_fd, int out_fd, uint64_t max,
    uint8_t out[RS_SHA256_LEN], uint64_t *size);

/* Constant-time comparison of two equal-length byte strings: 1 if equal. */
int rs_ct_equal(const void *a, const void *b, size_t len);

#endif
