/*
 * stage.c - inputs into /work/in, hashed while copied (contract in stage.h).
 */
#include "executor/stage.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/relpath.h"

int
exec_stage_name_valid(const char *name)
{
	return rs_relpath_name_check(name, strlen(name)) == RS_RELPATH_OK;
}

static int
stage_one(const struct exec_input *in, int dir_fd, uid_t uid, gid_t gid,
    struct attest_run *run)
{
	uint8_t digest[RS_SHA256_LEN];
	uint64_t size = 0;
	struct stat st;
	int src = -1, dst = -1, r = RS_ERR_INTERNAL;

	/* O_NONBLOCK: the open of a FIFO must not wait for a writer (refused below). */
	if ((src = open(in->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		r = rs_fail(errno == ENOENT ? RS_ERR_NOT_FOUND : rs_err_from_errno(errno),
		    "input %s: %s", in->path, strerror(errno));
		goto out;
	}
	if (fstat(src, &st) != 0) {
		r = rs_fail(rs_err_from_errno(errno), "input %s: %s", in->path, strerror(errno));
		goto out;
	}
	/* A FIFO or device could block or never end: only regular files are data. */
	if (!S_ISREG(st.st_mode)) {
		r = rs_fail(RS_ERR_USAGE, "input %s is not a regular file", in->path);
		goto out;
	}
	if ((dst = openat(dir_fd, in->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		r = rs_fail(errno == EEXIST ? RS_ERR_USAGE : rs_err_from_errno(errno),
		    "staging input %s as %s: %s", in->path, in->name, strerror(errno));
		goto out;
	}
	if ((r = rs_sha256_copy_fd(src, dst, 0, digest, &size)) != 0) {
		r = rs_fail(r, "staging input %s: %s", in->path, rs_err_detail());
		goto out;
	}
	if (fchmod(dst, st.st_mode & 0777) != 0 ||
	    (uid != (uid_t)-1 && fchown(dst, uid, gid) != 0)) {
		r = rs_fail(rs_err_from_errno(errno), "staging input %s: %s", in->name,
		    strerror(errno));
		goto out;
	}
	if (close(dst) != 0) {
		dst = -1;
		r = rs_fail(rs_err_from_errno(errno), "staging input %s: %s", in->name,
		    strerror(errno));
		goto out;
	}
	dst = -1;
	if ((r = attest_run_add_input(run, in->name, size, digest,
	    (uint32_t)(st.st_mode & 07777))) != 0)
		goto out;
	r = 0;
out:
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	return r;
}

int
exec_stage_inputs(const struct exec_input *inputs, size_t n, const char *in_dir,
    uid_t uid, gid_t gid, struct attest_run *run)
{
	size_t i, j;
	int dir_fd = -1, r = RS_ERR_INTERNAL;

	/* Check every name before copying anything. */
	for (i = 0; i < n; i++) {
		if (!exec_stage_name_valid(inputs[i].name)) {
			r = rs_fail(RS_ERR_USAGE, "input name \"%s\" (for %s) must be 1..255 bytes, "
			    "without '/', not \".\" or \"..\"", inputs[i].name, inputs[i].path);
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(inputs[i].name, inputs[j].name) == 0) {
				r = rs_fail(RS_ERR_USAGE, "input name \"%s\" given twice",
				    inputs[i].name);
				goto out;
			}
		}
	}
	if ((dir_fd = open(in_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		r = rs_fail(rs_err_from_errno(errno), "%s: %s", in_dir, strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = stage_one(&inputs[i], dir_fd, uid, gid, run)) != 0)
			goto out;
	}
	r = 0;
out:
	if (dir_fd >= 0)
		close(dir_fd);
	return r;
}
