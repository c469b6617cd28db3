/*
 * blobs.h - the content-addressed blob store: bytes kept for replay
 * (inputs, outputs, stdout, stderr when the policy says keep_blobs).
 *
 * Layout under the runseal home:
 *
 *   blobs/sha256/ab/cdef...     the blob whose SHA-256 is abcdef... (64 hex
 *                               digits: 2 name the directory, 62 the file);
 *                               mode 0444, never rewritten
 *   blobs/tmp/                  blobs being written (same file system)
 *
 * A blob is written atomically and durably: into a temporary file, hashed
 * while written, fsync'd, then linked to its final name (link() never
 * replaces an existing file), then the directory is fsync'd. A crash leaves
 * either no blob or the whole blob (and perhaps a stray temporary file).
 * The same bytes stored twice are stored once.
 *
 * Reads verify: the bytes are hashed and compared with the name before
 * they are handed out (blob_get_fd hashes the file first, then copies it
 * while hashing again), so a damaged blob is an error, never output.
 *
 * There is no delete operation: nothing removes a blob an entry may
 * reference.
 */
#ifndef RS_LEDGER_BLOBS_H
#define RS_LEDGER_BLOBS_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"

#define BLOBS_DIR "blobs/sha256"
#define BLOBS_TMP "blobs/tmp"

struct blob_store;

/* Open (creating the directories, mode 0700) the store under home. */
int blob_store_open(const char *home, struct blob_store **out);
void blob_store_free(struct blob_store *s);

/*
 * Store everything readable from fd until EOF (at most max bytes, 0 =
 * unbounded). digest and size receive what was stored. *added is 1 if the
 * blob is new, 0 if it was there already.
 */
int blob_put_fd(struct blob_store *s, int fd, uint64_t max, uint8_t digest[RS_SHA256_LEN],
    uint64_t *size, int *added);

/*
 * Store the file at path. With expect not NULL, the bytes stored must hash
 * to expect (RS_ERR_VERIFY otherwise, nothing stored): the file is the one
 * a record describes, and must not have changed since.
 */
int blob_put_file(struct blob_store *s, const char *path, const uint8_t *expect,
    uint8_t digest[RS_SHA256_LEN], uint64_t *size, int *added);

/* Store len bytes. */
int blob_put_mem(struct blob_store *s, const void *data, size_t len,
    uint8_t digest[RS_SHA256_LEN], int *added);

/* 1 if the blob is present (not verified), 0 if not. */
int blob_has(struct blob_store *s, const uint8_t digest[RS_SHA256_LEN]);

/*
 * Write the blob to out_fd, verified: RS_ERR_NOT_FOUND if absent,
 * RS_ERR_VERIFY if its bytes do not hash to its name (then nothing was
 * written, unless the file changed between the check and the copy, which
 * the second hash reports the same way).
 */
int blob_get_fd(struct blob_store *s, const uint8_t digest[RS_SHA256_LEN], int out_fd,
    uint64_t *size);

/* Write the blob to a new file at path (atomically; never over an existing file). */
int blob_get_file(struct blob_store *s, const uint8_t digest[RS_SHA256_LEN],
    const char *path, uint64_t *size);

/*
 * Parse a digest as given on a command line: 64 hex digits, optionally
 * prefixed "sha256:". RS_ERR_USAGE otherwise.
 */
int blob_parse_digest(const char *text, uint8_t digest[RS_SHA256_LEN]);

#endif
