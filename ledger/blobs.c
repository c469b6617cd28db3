/*
 * blobs.c - the content-addressed blob store (blobs.h).
 */
#include "ledger/blobs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"

#define CHUNK (64 * 1024)

struct blob_store {
	char *dir;      /* home/blobs/sha256 */
	char *tmp;      /* home/blobs/tmp */
};

void
blob_store_free(struct blob_store *s)
{
	if (s == NULL)
		return;
	free(s->dir);
	free(s->tmp);
	free(s);
}

int
blob_store_open(const char *home, struct blob_store **out)
{
	struct blob_store *s = NULL;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->dir = rs_path_join(home, BLOBS_DIR)) == NULL ||
	    (s->tmp = rs_path_join(home, BLOBS_TMP)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = rs_mkdir_p(s->dir, 0700)) != 0 || (r = rs_mkdir_p(s->tmp, 0700)) != 0)
		goto out;
	*out = s;
	s = NULL;
	r = 0;
out:
	blob_store_free(s);
	return r;
}

int
blob_parse_digest(const char *text, uint8_t digest[RS_SHA256_LEN])
{
	if (strncmp(text, "sha256:", 7) == 0)
		text += 7;
	if (strlen(text) != 2 * RS_SHA256_LEN || rs_hex_decode(text, digest, RS_SHA256_LEN) != 0)
		return rs_fail(RS_ERR_USAGE, "'%s' is not a SHA-256 digest (64 hex digits, "
		    "optionally prefixed sha256:)", text);
	return 0;
}

/* dir/ab and dir/ab/cdef... for a digest (new strings). */
static int
blob_paths(const struct blob_store *s, const uint8_t digest[RS_SHA256_LEN], char **sub,
    char **path)
{
	char hex[2 * RS_SHA256_LEN + 1];

	*sub = NULL;
	*path = NULL;
	rs_hex_encode(digest, RS_SHA256_LEN, hex);
	if (asprintf(sub, "%s/%.2s", s->dir, hex) < 0) {
		*sub = NULL;
		return RS_ERR_ALLOC;
	}
	if (asprintf(path, "%s/%s", *sub, hex + 2) < 0) {
		*path = NULL;
		free(*sub);
		*sub = NULL;
		return RS_ERR_ALLOC;
	}
	return 0;
}

int
blob_has(struct blob_store *s, const uint8_t digest[RS_SHA256_LEN])
{
	char *sub = NULL, *path = NULL;
	struct stat st;
	int have = 0;

	if (blob_paths(s, digest, &sub, &path) == 0)
		have = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(sub);
	free(path);
	return have;
}

/*
 * Move the written, fsync'd temporary file tmp into place under digest.
 * link() never replaces: if the blob exists, the bytes are the same (same
 * digest) and the temporary file is simply dropped.
 */
static int
commit_blob(struct blob_store *s, const char *tmp, const uint8_t digest[RS_SHA256_LEN],
    int *added)
{
	char *sub = NULL, *path = NULL;
	struct stat st;
	int r = RS_ERR_INTERNAL;

	*added = 0;
	if ((r = blob_paths(s, digest, &sub, &path)) != 0)
		goto out;
	if (mkdir(sub, 0700) == 0) {
		if ((r = rs_fsync_dir(s->dir)) != 0)
			goto out;
	} else if (errno != EEXIST) {
		r = rs_fail(rs_err_from_errno(errno), "mkdir %s: %s", sub, strerror(errno));
		goto out;
	}
	if (link(tmp, path) != 0) {
		if (errno != EEXIST || lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			r = rs_fail(rs_err_from_errno(errno), "storing blob %s: %s", path,
			    strerror(errno));
			goto out;
		}
	} else {
		*added = 1;
	}
	if ((r = rs_fsync_dir(sub)) != 0)
		goto out;
	r = 0;
out:
	free(sub);
	free(path);
	return r;
}

/* Copy in_fd into a new temporary file, hashing; the file is fsync'd and 0444. */
static int
write_tmp(struct blob_store *s, int in_fd, const void *mem, size_t mem_len, uint64_t max,
    char **tmp_out, uint8_t digest[RS_SHA256_LEN], uint64_t *size)
{
	char *tmp = NULL;
	int fd = -1, r = RS_ERR_INTERNAL;

	*tmp_out = NULL;
	*size = 0;
	if (asprintf(&tmp, "%s/blob.XXXXXX", s->tmp) < 0) {
		tmp = NULL;
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		r = rs_fail(rs_err_from_errno(errno), "%s: %s", tmp, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (in_fd >= 0) {
		if ((r = rs_sha256_copy_fd(in_fd, fd, max, digest, size)) != 0)
			goto out;
	} else {
		if ((r = rs_sha256(mem, mem_len, digest)) != 0 ||
		    (r = rs_write_all(fd, mem, mem_len)) != 0)
			goto out;
		*size = mem_len;
	}
	if (fchmod(fd, 0444) != 0 || fsync(fd) != 0) {
		r = rs_fail(rs_err_from_errno(errno), "writing blob %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = rs_fail(rs_err_from_errno(errno), "writing blob %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	*tmp_out = tmp;
	tmp = NULL;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return r;
}

static int
put(struct blob_store *s, int fd, const void *mem, size_t len, uint64_t max,
    const uint8_t *expect, uint8_t digest[RS_SHA256_LEN], uint64_t *size, int *added)
{
	char *tmp = NULL, hex[2 * RS_SHA256_LEN + 1];
	uint8_t d[RS_SHA256_LEN];
	uint64_t n = 0;
	int r = RS_ERR_INTERNAL;

	*added = 0;
	if (size != NULL)
		*size = 0;
	memset(digest, 0, RS_SHA256_LEN);
	if ((r = write_tmp(s, fd, mem, len, max, &tmp, d, &n)) != 0)
		goto out;
	if (expect != NULL && !rs_ct_equal(d, expect, RS_SHA256_LEN)) {
		rs_hex_encode(expect, RS_SHA256_LEN, hex);
		r = rs_fail(RS_ERR_VERIFY, "bytes to keep as blob %.16s... hash differently: "
		    "the file changed since it was recorded", hex);
		goto out;
	}
	if ((r = commit_blob(s, tmp, d, added)) != 0)
		goto out;
	memcpy(digest, d, RS_SHA256_LEN);
	if (size != NULL)
		*size = n;
	r = 0;
out:
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return r;
}

int
blob_put_fd(struct blob_store *s, int fd, uint64_t max, uint8_t digest[RS_SHA256_LEN],
    uint64_t *size, int *added)
{
	return put(s, fd, NULL, 0, max, NULL, digest, size, added);
}

int
blob_put_mem(struct blob_store *s, const void *data, size_t len,
    uint8_t digest[RS_SHA256_LEN], int *added)
{
	return put(s, -1, data, len, 0, NULL, digest, NULL, added);
}

int
blob_put_file(struct blob_store *s, const char *path, const uint8_t *expect,
    uint8_t digest[RS_SHA256_LEN], uint64_t *size, int *added)
{
	struct stat st;
	int fd = -1, r = RS_ERR_INTERNAL;

	*added = 0;
	memset(digest, 0, RS_SHA256_LEN);
	if (size != NULL)
		*size = 0;
	/* Already kept: nothing to copy (the name is the content). */
	if (expect != NULL && blob_has(s, expect)) {
		memcpy(digest, expect, RS_SHA256_LEN);
		if (size != NULL && stat(path, &st) == 0)
			*size = (uint64_t)st.st_size;
		return 0;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		r = rs_fail(rs_err_from_errno(errno), "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = rs_fail(RS_ERR_USAGE, "%s: not a regular file", path);
		goto out;
	}
	if ((r = put(s, fd, NULL, 0, 0, expect, digest, size, added)) != 0) {
		r = rs_fail(r, "%s: %s", path, rs_err_detail());
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* Open the blob read-only and hash it all; RS_ERR_VERIFY if it is not its name. */
static int
open_verified(struct blob_store *s, const uint8_t digest[RS_SHA256_LEN], int *fd_out,
    char **path_out)
{
	char *sub = NULL, *path = NULL, hex[2 * RS_SHA256_LEN + 1];
	uint8_t d[RS_SHA256_LEN];
	uint64_t n = 0;
	struct stat st;
	int fd = -1, r = RS_ERR_INTERNAL;

	*fd_out = -1;
	*path_out = NULL;
	rs_hex_encode(digest, RS_SHA256_LEN, hex);
	if ((r = blob_paths(s, digest, &sub, &path)) != 0)
		goto out;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)) < 0) {
		if (errno == ENOENT)
			r = rs_fail(RS_ERR_NOT_FOUND, "no blob sha256:%s in the store", hex);
		else
			r = rs_fail(rs_err_from_errno(errno), "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = rs_fail(RS_ERR_VERIFY, "blob sha256:%s is not a regular file", hex);
		goto out;
	}
	if ((r = rs_sha256_fd(fd, 0, d, &n)) != 0)
		goto out;
	if (!rs_ct_equal(d, digest, RS_SHA256_LEN)) {
		r = rs_fail(RS_ERR_VERIFY, "blob sha256:%s is damaged: its bytes do not hash to "
		    "its name", hex);
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		r = rs_fail(rs_err_from_errno(errno), "%s: %s", path, strerror(errno));
		goto out;
	}
	*fd_out = fd;
	fd = -1;
	*path_out = path;
	path = NULL;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(sub);
	free(path);
	return r;
}

int
blob_get_fd(struct blob_store *s, const uint8_t digest[RS_SHA256_LEN], int out_fd,
    uint64_t *size)
{
	char *path = NULL, hex[2 * RS_SHA256_LEN + 1];
	uint8_t d[RS_SHA256_LEN];
	uint64_t n = 0;
	int fd = -1, r = RS_ERR_INTERNAL;

	*size = 0;
	if ((r = open_verified(s, digest, &fd, &path)) != 0)
		goto out;
	/* Hashed again while copied: a file changed in between is caught too. */
	if ((r = rs_sha256_copy_fd(fd, out_fd, 0, d, &n)) != 0)
		goto out;
	if (!rs_ct_equal(d, digest, RS_SHA256_LEN)) {
		rs_hex_encode(digest, RS_SHA256_LEN, hex);
		r = rs_fail(RS_ERR_VERIFY, "blob sha256:%s changed while it was read", hex);
		goto out;
	}
	*size = n;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

int
blob_get_file(struct blob_store *s, const uint8_t digest[RS_SHA256_LEN], const char *path,
    uint64_t *size)
{
	char *tmp = NULL, *dir = NULL, *slash;
	int fd = -1, r = RS_ERR_INTERNAL;

	*size = 0;
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		r = rs_fail(rs_err_from_errno(errno), "%s: %s", path, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if ((r = blob_get_fd(s, digest, fd, size)) != 0)
		goto out;
	if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
		r = rs_fail(rs_err_from_errno(errno), "writing %s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = rs_fail(rs_err_from_errno(errno), "writing %s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	/* link(): never over an existing file. */
	if (link(tmp, path) != 0) {
		r = rs_fail(errno == EEXIST ? RS_ERR_EXISTS : rs_err_from_errno(errno), "%s: %s",
		    path, strerror(errno));
		goto out;
	}
	if ((dir = strdup(path)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((r = rs_fsync_dir(dir)) != 0)
		goto out;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return r;
}
