#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ftw.h>

#include "common/err.h"

int
rs_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rs_fail(rs_err_from_errno(errno), "write: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
rs_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t have = 0, cap;
	ssize_t n;
	int fd = -1, r = RS_ERR_INTERNAL;

	*out = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO in a file's place is refused below, not waited on. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		r = rs_fail(rs_err_from_errno(errno), "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = rs_fail(RS_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = rs_fail(RS_ERR_FORMAT, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		r = rs_fail(RS_ERR_TOO_LARGE, "%s: %lld bytes, more than the limit of %zu",
		    path, (long long)st.st_size, max);
		goto out;
	}
	/* The size may change under us; read until EOF but never past max. */
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap + 1)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (;;) {
		if (have == cap) {
			uint8_t *nb;
			if (cap > max) {
				r = rs_fail(RS_ERR_TOO_LARGE, "%s: more than the limit of %zu bytes",
				    path, max);
				goto out;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				r = RS_ERR_ALLOC;
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + have, cap - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = rs_fail(rs_err_from_errno(errno), "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have > max) {
		r = rs_fail(RS_ERR_TOO_LARGE, "%s: more than the limit of %zu bytes", path, max);
		goto out;
	}
	buf[have] = '\0';
	*out = buf;
	*len = have;
	buf = NULL;
	r = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

int
rs_fsync_dir(const char *path)
{
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return rs_fail(rs_err_from_errno(errno), "%s: %s", path, strerror(errno));
	if (fsync(fd) != 0)
		r = rs_fail(rs_err_from_errno(errno), "fsync %s: %s", path, strerror(errno));
	close(fd);
	return r;
}

int
rs_write_file_atomic(const char *path, const void *data, size_t len,
    mode_t mode, int excl)
{
	char *tmp = NULL, *dir = NULL, *slash;
	int fd = -1, r = RS_ERR_INTERNAL;

	if (excl && access(path, F_OK) == 0) {
		r = rs_fail(RS_ERR_EXISTS, "%s already exists", path);
		goto out;
	}
	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
		tmp = NULL;
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((dir = strdup(path)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((slash = strrchr(dir, '/')) == NULL) {
		strcpy(dir, ".");
	} else if (slash == dir) {
		slash[1] = '\0';
	} else {
		*slash = '\0';
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)) < 0) {
		/* An output's missing directory is an I/O error, not a missing input. */
		r = rs_fail(errno == ENOENT || errno == ENOTDIR ? RS_ERR_IO :
		    rs_err_from_errno(errno), "creating %s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) != 0 || (r = rs_write_all(fd, data, len)) != 0 ||
	    fsync(fd) != 0) {
		if (r == 0 || r == RS_ERR_INTERNAL)
			r = rs_err_from_errno(errno);
		r = rs_fail(r, "writing %s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = rs_fail(rs_err_from_errno(errno), "closing %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (excl) {
		/* link() fails if path appeared since the check: no overwrite race. */
		if (link(tmp, path) != 0) {
			r = rs_fail(rs_err_from_errno(errno), "%s: %s", path, strerror(errno));
			goto out;
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		r = rs_fail(rs_err_from_errno(errno), "rename to %s: %s", path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
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

int
rs_require_dir(const char *label, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return rs_fail(rs_err_from_errno(errno), "%s %s: %s", label, path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return rs_fail(RS_ERR_USAGE, "%s %s: not a directory", label, path);
	return 0;
}

int
rs_mkdir_p(const char *path, mode_t mode)
{
	char *p = NULL, *s;
	int r = RS_ERR_INTERNAL;

	if ((p = strdup(path)) == NULL)
		return RS_ERR_ALLOC;
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			r = rs_fail(rs_err_from_errno(errno), "mkdir %s: %s", p, strerror(errno));
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	{
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
			r = rs_fail(RS_ERR_IO, "%s is not a directory", path);
			goto out;
		}
	}
	r = 0;
out:
	free(p);
	return r;
}

static int
rm_one(const char *fpath, const struct stat *sb, int typeflag, struct FTW *ftwbuf)
{
	(void)sb;
	(void)ftwbuf;
	if (typeflag == FTW_DP)
		return rmdir(fpath) == 0 || errno == ENOENT ? 0 : -1;
	return unlink(fpath) == 0 || errno == ENOENT ? 0 : -1;
}

int
rs_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 :
		    rs_fail(rs_err_from_errno(errno), "%s: %s", path, strerror(errno));
	/* FTW_PHYS: never follow symlinks; FTW_MOUNT: stay on one filesystem. */
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		return rs_fail(rs_err_from_errno(errno), "removing %s: %s", path, strerror(errno));
	return 0;
}

char *
rs_path_join(const char *dir, const char *name)
{
	char *s = NULL;
	size_t dl = strlen(dir);

	if (asprintf(&s, "%s%s%s", dir, (dl > 0 && dir[dl - 1] == '/') ? "" : "/", name) < 0)
		return NULL;
	return s;
}
