/*
 * collect.c - outputs out of /work/out, never following a link (contract in
 * collect.h).
 *
 * The tree was written by the untrusted program, so every name, type and
 * size in it is hostile data: entries are classified with fstatat(
 * AT_SYMLINK_NOFOLLOW) before anything is opened (opening a FIFO or device
 * could block or have side effects), opened with openat2() so that no
 * symlink, magic link or mount crossing can take the walk outside, and
 * checked again with fstat() on the open descriptor.
 */
#include "executor/collect.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/relpath.h"

static const char *const event_kinds[] = { "special_file", "hardlink", "output_skipped" };
#define N_KINDS (sizeof(event_kinds) / sizeof(event_kinds[0]))

struct walk {
	struct attest_run *run;
	uint64_t max_bytes;
	uint64_t used;              /* bytes collected so far */
	size_t entries;             /* entries seen so far */
	size_t names;               /* bytes of recorded output names */
	size_t listed[N_KINDS];     /* events with their own detail, per kind */
	int stopped;                /* a bound was reached: collect nothing more */
	struct rs_relpath rel;      /* relative path of the current entry */
};

static int
openat2_beneath(int dir_fd, const char *name, int flags)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
	    RESOLVE_NO_XDEV;
	return (int)syscall(SYS_openat2, dir_fd, name, &how, sizeof(how));
}

static const char *
type_name(mode_t m)
{
	if (S_ISLNK(m))
		return "symlink";
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISCHR(m))
		return "character device";
	if (S_ISBLK(m))
		return "block device";
	return "unknown type";
}

static int event(struct walk *w, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
event(struct walk *w, const char *kind, const char *fmt, ...)
{
	char detail[RS_RELPATH_MAX + 1 + 128];
	va_list ap;
	size_t k;

	for (k = 0; k < N_KINDS; k++) {
		if (strcmp(kind, event_kinds[k]) != 0)
			continue;
		/* Past the bound, one event counts the rest: the record stays small. */
		if (w->listed[k]++ >= EXEC_COLLECT_EVENTS_LISTED)
			return attest_run_add_event(w->run, kind, "more entries, not listed");
	}
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return attest_run_add_event(w->run, kind, detail);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_artifact(const void *a, const void *b)
{
	return strcmp(((const struct attest_artifact *)a)->name,
	    ((const struct attest_artifact *)b)->name);
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * The names in dir_fd, sorted, at most `budget` of them (the rest are not
 * read: the entry bound is hit anyway). *more is set if names were left.
 */
static int
list_dir(int dir_fd, size_t budget, char ***out, size_t *n_out, int *more)
{
	struct dirent *de;
	char **names = NULL, **nn;
	size_t n = 0, cap = 0;
	DIR *d = NULL;
	int fd = -1, r = RS_ERR_INTERNAL;

	*out = NULL;
	*n_out = 0;
	*more = 0;
	if ((fd = dup(dir_fd)) < 0 || (d = fdopendir(fd)) == NULL) {
		r = rs_fail(rs_err_from_errno(errno), "reading an output directory: %s",
		    strerror(errno));
		goto out;
	}
	fd = -1;
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				r = rs_fail(rs_err_from_errno(errno), "reading an output directory: "
				    "%s", strerror(errno));
				goto out;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == budget) {
			*more = 1;
			break;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nn = realloc(names, cap * sizeof(*names))) == NULL) {
				r = RS_ERR_ALLOC;
				goto out;
			}
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_name);
	*out = names;
	*n_out = n;
	names = NULL;
	n = 0;
	r = 0;
out:
	free_names(names, n);
	if (d != NULL)
		closedir(d);
	if (fd >= 0)
		close(fd);
	return r;
}

static int
collect_file(struct walk *w, int dir_fd, int dst_dir_fd, const char *name,
    const struct stat *lst)
{
	uint8_t digest[RS_SHA256_LEN];
	uint64_t size = 0;
	struct stat st;
	char cap[64];
	int fd = -1, dst = -1, r = RS_ERR_INTERNAL;

	if ((fd = openat2_beneath(dir_fd, name, O_RDONLY | O_NONBLOCK)) < 0) {
		if (errno == EACCES || errno == EPERM) {
			r = event(w, "output_skipped", "%s: %s", w->rel.s, strerror(errno));
			goto out;
		}
		r = rs_fail(rs_err_from_errno(errno), "output %s: %s", w->rel.s, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = rs_fail(rs_err_from_errno(errno), "output %s: %s", w->rel.s, strerror(errno));
		goto out;
	}
	/* The sandbox is gone, so a change here is not a race we lose: refuse it. */
	if (!S_ISREG(st.st_mode) || st.st_ino != lst->st_ino || st.st_dev != lst->st_dev) {
		r = rs_fail(RS_ERR_IO, "output %s changed while being collected", w->rel.s);
		goto out;
	}
	if (w->names + w->rel.len > EXEC_COLLECT_MAX_NAMES) {
		snprintf(cap, sizeof(cap), "names=%u", EXEC_COLLECT_MAX_NAMES);
		w->stopped = 1;
		r = attest_run_add_event(w->run, "output_cap", cap);
		goto out;
	}
	if ((uint64_t)st.st_size > w->max_bytes - w->used) {
		snprintf(cap, sizeof(cap), "output_bytes=%llu",
		    (unsigned long long)w->max_bytes);
		w->stopped = 1;
		r = attest_run_add_event(w->run, "output_cap", cap);
		goto out;
	}
	if (st.st_nlink > 1 && (r = event(w, "hardlink", "%s: regular file with %llu links",
	    w->rel.s, (unsigned long long)st.st_nlink)) != 0)
		goto out;
	if (dst_dir_fd >= 0 && (dst = openat(dst_dir_fd, name, O_WRONLY | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		r = rs_fail(errno == EEXIST ? RS_ERR_EXISTS : rs_err_from_errno(errno),
		    "copying output %s: %s", w->rel.s, strerror(errno));
		goto out;
	}
	if ((r = rs_sha256_copy_fd(fd, dst, w->max_bytes - w->used, digest, &size)) != 0) {
		r = rs_fail(r, "output %s: %s", w->rel.s, rs_err_detail());
		goto out;
	}
	if (dst >= 0) {
		if (fchmod(dst, st.st_mode & 0777) != 0 || close(dst) != 0) {
			dst = -1;
			r = rs_fail(rs_err_from_errno(errno), "copying output %s: %s", w->rel.s,
			    strerror(errno));
			goto out;
		}
		dst = -1;
	}
	w->used += size;
	w->names += w->rel.len;
	/* Built by rs_relpath_push(): a bug if not, never the program's doing. */
	assert(rs_relpath_check(w->rel.s, w->rel.len) == RS_RELPATH_OK);
	if ((r = attest_run_add_output(w->run, w->rel.s, size, digest,
	    (uint32_t)(st.st_mode & 07777))) != 0)
		goto out;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dst >= 0)
		close(dst);
	return r;
}

static int walk_dir(struct walk *w, int dir_fd, int dst_dir_fd);

/*
 * The directory w->rel: skipped when its entries would be more than
 * EXEC_COLLECT_MAX_DEPTH directories deep (its own path already holds that
 * many '/'), so that every name a walk records passes rs_relpath_check().
 */
static int
collect_subdir(struct walk *w, int dir_fd, int dst_dir_fd, const char *name,
    const struct stat *lst)
{
	struct stat st;
	int fd = -1, dst = -1, r = RS_ERR_INTERNAL;

	if (w->rel.depth >= EXEC_COLLECT_MAX_DEPTH) {
		r = event(w, "output_skipped", "%s: deeper than %d levels", w->rel.s,
		    EXEC_COLLECT_MAX_DEPTH);
		goto out;
	}
	if ((fd = openat2_beneath(dir_fd, name, O_RDONLY | O_DIRECTORY)) < 0) {
		if (errno == EACCES || errno == EPERM) {
			r = event(w, "output_skipped", "%s: %s", w->rel.s, strerror(errno));
			goto out;
		}
		r = rs_fail(rs_err_from_errno(errno), "output %s: %s", w->rel.s, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_ino != lst->st_ino ||
	    st.st_dev != lst->st_dev) {
		r = rs_fail(RS_ERR_IO, "output %s changed while being collected", w->rel.s);
		goto out;
	}
	if (dst_dir_fd >= 0) {
		if (mkdirat(dst_dir_fd, name, 0755) != 0) {
			r = rs_fail(errno == EEXIST ? RS_ERR_EXISTS : rs_err_from_errno(errno),
			    "copying output directory %s: %s", w->rel.s, strerror(errno));
			goto out;
		}
		if ((dst = openat(dst_dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) < 0) {
			r = rs_fail(rs_err_from_errno(errno), "copying output directory %s: %s",
			    w->rel.s, strerror(errno));
			goto out;
		}
	}
	r = walk_dir(w, fd, dst);
out:
	if (fd >= 0)
		close(fd);
	if (dst >= 0)
		close(dst);
	return r;
}

/*
 * Collect the entries of dir_fd; w->rel holds its relative path ("" at the
 * top) and is the same on return. Entries count against the bound when
 * listed, so the names held in memory across all levels never exceed
 * EXEC_COLLECT_MAX_ENTRIES.
 */
static int
walk_dir(struct walk *w, int dir_fd, int dst_dir_fd)
{
	enum rs_relpath_verdict v;
	char **names = NULL;
	size_t n = 0, i;
	struct stat st;
	char cap[64];
	int more = 0, pushed = 0, r = RS_ERR_INTERNAL;

	if ((r = list_dir(dir_fd, EXEC_COLLECT_MAX_ENTRIES - w->entries, &names, &n,
	    &more)) != 0)
		goto out;
	w->entries += n;
	for (i = 0; i < n && !w->stopped; i++) {
		/* readdir() names are 1..255 bytes, no '/', not "." or "..": only
		 * the path's length can be refused (the depth is the caller's). */
		if ((v = rs_relpath_push(&w->rel, names[i], strlen(names[i]))) != RS_RELPATH_OK) {
			if (v == RS_RELPATH_TOO_LONG)
				r = event(w, "output_skipped", "path longer than %d bytes: %s/%s",
				    EXEC_COLLECT_MAX_PATH, w->rel.s, names[i]);
			else
				r = event(w, "output_skipped", "%s%s%s: %s", w->rel.s,
				    w->rel.len > 0 ? "/" : "", names[i], rs_relpath_verdict_string(v));
			if (r != 0)
				goto out;
			continue;
		}
		pushed = 1;
		if (fstatat(dir_fd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			r = rs_fail(rs_err_from_errno(errno), "output %s: %s", w->rel.s,
			    strerror(errno));
			goto out;
		}
		if (S_ISREG(st.st_mode))
			r = collect_file(w, dir_fd, dst_dir_fd, names[i], &st);
		else if (S_ISDIR(st.st_mode))
			r = collect_subdir(w, dir_fd, dst_dir_fd, names[i], &st);
		else
			r = event(w, "special_file", "%s (%s): not collected", w->rel.s,
			    type_name(st.st_mode));
		rs_relpath_pop(&w->rel);
		pushed = 0;
		if (r != 0)
			goto out;
	}
	if (more && !w->stopped) {
		snprintf(cap, sizeof(cap), "entries=%d", EXEC_COLLECT_MAX_ENTRIES);
		w->stopped = 1;
		if ((r = attest_run_add_event(w->run, "output_cap", cap)) != 0)
			goto out;
	}
	r = 0;
out:
	if (pushed)
		rs_relpath_pop(&w->rel);
	free_names(names, n);
	return r;
}

int
exec_collect_outputs(int src_fd, const char *out_dir, uint64_t max_bytes,
    struct attest_run *run)
{
	struct walk *w = NULL;
	int src = -1, dst = -1, r = RS_ERR_INTERNAL;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	w->run = run;
	w->max_bytes = max_bytes;
	rs_relpath_init(&w->rel);
	if ((src = openat2_beneath(src_fd, ".", O_RDONLY | O_DIRECTORY)) < 0) {
		r = rs_fail(rs_err_from_errno(errno), "/work/out: %s", strerror(errno));
		goto out;
	}
	if (out_dir != NULL && (dst = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = rs_fail(rs_err_from_errno(errno), "output directory %s: %s", out_dir,
		    strerror(errno));
		goto out;
	}
	if ((r = walk_dir(w, src, dst)) != 0)
		goto out;
	if (run->n_outputs > 1)
		qsort(run->outputs, run->n_outputs, sizeof(*run->outputs), cmp_artifact);
	r = 0;
out:
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	free(w);
	return r;
}
