/*
 * fuzz_outpath: output-path handling. The input layout is in fuzz_outpath.h.
 *
 * Pure mode: common/relpath.h over the path bytes P (every view handed to
 * it is an exact-size heap copy, so ASan sees any read past its length).
 * Oracles:
 *  - rs_relpath_check(P) and rs_relpath_name_check(P) accept exactly what a
 *    naive reference written from the tables in relpath.h accepts, and a
 *    refusal names one of the defects the reference finds;
 *  - P split on '/' and pushed name by name into an rs_relpath is accepted
 *    exactly when P is; the first refused push gives the verdict the
 *    contract orders (the name's own, then too long, then too deep) and
 *    leaves the builder unchanged; an accepted P is rebuilt byte for byte
 *    with its depth, and popping walks back through its prefixes, each
 *    accepted, to "";
 *  - with A = P[0, k), k = split % (|P| + 1), and B the rest (without
 *    its first byte if that is the '/' at k, so that A/B is then P), A/B
 *    is accepted exactly when A and B are and the joined length and depth
 *    are within the bounds.
 *
 * Tree mode: the operations build a real tree (files, directories, deep
 * chains, long names, symlinks out of it, FIFOs, hard links) in a private
 * temporary directory, and exec_collect_outputs() runs over it as the
 * executor runs it over /work/out, copying into a fresh directory. Oracles:
 *  - the collection succeeds;
 *  - the recorded outputs are exactly the regular files made (hard links
 *    included) whose path has at most RS_RELPATH_MAX_DEPTH '/' and
 *    RS_RELPATH_MAX bytes, sorted, each passing rs_relpath_check(), with
 *    the SHA-256 and size of the bytes written;
 *  - the copy holds those files with those bytes and nothing but them and
 *    their directories; nothing appears beside the tree (symlinks point
 *    there).
 * Trees are bounded (MAX_OPS operations, MAX_ENTRIES entries, MAX_LEVELS
 * levels, MAX_TREE_PATH bytes of path) to keep a run in the milliseconds.
 * They live in $TMPDIR (else /dev/shm, else /tmp)/runseal-fuzz-outpath-*,
 * removed at exit; a crash leaves its directory behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/run.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/relpath.h"
#include "executor/collect.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/fuzz/fuzz_outpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BIT(v) (1u << (v))

/* ---- pure mode ---- */

/* len bytes in a heap block of exactly len bytes (the caller frees). */
static char *
exact(const void *p, size_t len)
{
	char *c = malloc(len > 0 ? len : 1);

	FUZZ_CHECK(c != NULL);
	if (len > 0)
		memcpy(c, p, len);
	return c;
}

static unsigned
count_slashes(const char *p, size_t n)
{
	unsigned k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		k += p[i] == '/';
	return k;
}

/* The reference for one component (no '/' in it): its defects as a path component. */
static unsigned
ref_component(const char *p, size_t n)
{
	unsigned d = 0;

	if (n == 0)
		d |= BIT(RS_RELPATH_EMPTY_NAME);
	if (n > RS_RELPATH_NAME_MAX)
		d |= BIT(RS_RELPATH_NAME_TOO_LONG);
	if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
		d |= BIT(RS_RELPATH_DOT);
	return d;
}

/* Every rule of the path table that p breaks, as a set of verdicts. */
static unsigned
ref_path(const char *p, size_t n)
{
	unsigned d = 0;
	size_t i, start = 0;

	if (n == 0)
		return BIT(RS_RELPATH_EMPTY);
	if (n > RS_RELPATH_MAX)
		d |= BIT(RS_RELPATH_TOO_LONG);
	for (i = 0; i < n; i++)
		if (p[i] == '\0')
			d |= BIT(RS_RELPATH_NUL);
	if (p[0] == '/')
		d |= BIT(RS_RELPATH_ABSOLUTE);
	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		d |= ref_component(p + start, i - start);
		start = i + 1;
	}
	if (count_slashes(p, n) > RS_RELPATH_MAX_DEPTH)
		d |= BIT(RS_RELPATH_TOO_DEEP);
	return d;
}

/* Every rule of the name table that p breaks. */
static unsigned
ref_name(const char *p, size_t n)
{
	unsigned d = 0;
	size_t i;

	if (n == 0)
		return BIT(RS_RELPATH_EMPTY);
	if (n > RS_RELPATH_NAME_MAX)
		d |= BIT(RS_RELPATH_NAME_TOO_LONG);
	for (i = 0; i < n; i++) {
		if (p[i] == '\0')
			d |= BIT(RS_RELPATH_NUL);
		if (p[i] == '/')
			d |= BIT(RS_RELPATH_SLASH);
	}
	if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
		d |= BIT(RS_RELPATH_DOT);
	return d;
}

/* v agrees with the defect set d: OK exactly when d is empty, else one of d. */
static void
agree(enum rs_relpath_verdict v, unsigned d)
{
	FUZZ_CHECK((v == RS_RELPATH_OK) == (d == 0));
	FUZZ_CHECK(v == RS_RELPATH_OK || (d & BIT(v)) != 0);
	FUZZ_CHECK(strcmp(rs_relpath_verdict_string(v), "unknown verdict") != 0);
}

static enum rs_relpath_verdict
check_copy(const char *p, size_t n)
{
	char *c = exact(p, n);
	enum rs_relpath_verdict v = rs_relpath_check(c, n);

	free(c);
	return v;
}

/* P pushed name by name; returns 1 if every push was accepted. */
static int
build(const char *p, size_t n, struct rs_relpath *b)
{
	struct rs_relpath before;
	enum rs_relpath_verdict v, vn;
	size_t start = 0, i;
	char *name;

	rs_relpath_init(b);
	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		name = exact(p + start, i - start);
		memcpy(&before, b, sizeof(before));
		v = rs_relpath_push(b, name, i - start);
		vn = rs_relpath_name_check(name, i - start);
		free(name);
		if (v != RS_RELPATH_OK) {
			FUZZ_CHECK(memcmp(&before, b, sizeof(before)) == 0);
			if (vn != RS_RELPATH_OK)
				FUZZ_CHECK(v == vn);
			else if (b->len > 0 && b->len + 1 + (i - start) > RS_RELPATH_MAX)
				FUZZ_CHECK(v == RS_RELPATH_TOO_LONG);
			else
				FUZZ_CHECK(v == RS_RELPATH_TOO_DEEP && b->len > 0 &&
				    b->depth == RS_RELPATH_MAX_DEPTH);
			return 0;
		}
		FUZZ_CHECK(vn == RS_RELPATH_OK);
		FUZZ_CHECK(b->s[b->len] == '\0' && b->len <= RS_RELPATH_MAX);
		FUZZ_CHECK(rs_relpath_check(b->s, b->len) == RS_RELPATH_OK);
		start = i + 1;
	}
	return 1;
}

static void
pure(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct rs_relpath b;
	enum rs_relpath_verdict v, va, vb, vj;
	uint16_t split;
	size_t n, k, kb, jn;
	const char *p;
	char *pc, *j;
	int built;

	(void)fuzz_u8(&in);
	split = fuzz_u16(&in);
	p = (const char *)fuzz_take(&in, in.n, &n);
	pc = exact(p, n);

	v = rs_relpath_check(pc, n);
	agree(v, ref_path(pc, n));
	agree(rs_relpath_name_check(pc, n), ref_name(pc, n));

	built = build(pc, n, &b);
	FUZZ_CHECK(built == (v == RS_RELPATH_OK));
	if (built) {
		FUZZ_CHECK(b.len == n && memcmp(b.s, pc, n) == 0 && b.s[n] == '\0');
		FUZZ_CHECK(b.depth == count_slashes(pc, n));
		/* Back through the prefixes that end before each '/'. */
		while (b.len > 0) {
			k = b.len;
			rs_relpath_pop(&b);
			FUZZ_CHECK(b.len < k && memcmp(b.s, pc, b.len) == 0 && b.s[b.len] == '\0');
			FUZZ_CHECK(b.len == 0 ? b.depth == 0 : pc[b.len] == '/');
			FUZZ_CHECK(b.depth == count_slashes(b.s, b.len));
			FUZZ_CHECK(b.len == 0 || rs_relpath_check(b.s, b.len) == RS_RELPATH_OK);
		}
		rs_relpath_pop(&b);
		FUZZ_CHECK(b.len == 0 && b.s[0] == '\0' && b.depth == 0);
	}

	/* A/B against A and B. */
	k = split % (n + 1);
	kb = k < n && pc[k] == '/' ? k + 1 : k;
	va = check_copy(pc, k);
	vb = check_copy(pc + kb, n - kb);
	jn = k + 1 + (n - kb);
	j = malloc(jn);
	FUZZ_CHECK(j != NULL);
	memcpy(j, pc, k);
	j[k] = '/';
	memcpy(j + k + 1, pc + kb, n - kb);
	vj = rs_relpath_check(j, jn);
	FUZZ_CHECK((vj == RS_RELPATH_OK) == (va == RS_RELPATH_OK && vb == RS_RELPATH_OK &&
	    jn <= RS_RELPATH_MAX && count_slashes(j, jn) <= RS_RELPATH_MAX_DEPTH));
	if (kb > k)
		FUZZ_CHECK(vj == v);
	free(j);
	free(pc);
}

/* ---- tree mode ---- */

#define MAX_OPS 128
#define MAX_ENTRIES 256
#define MAX_LEVELS 120
#define MAX_TREE_PATH 3000

/* A regular file the collection must record. */
struct expect {
	char *path;                 /* relative to the tree's root */
	uint8_t *data;              /* its bytes */
	size_t len;
};

struct tree {
	int fd[MAX_LEVELS + 1];     /* the directories entered; fd[0] is the root */
	size_t plen[MAX_LEVELS + 1];        /* path length at each level */
	int level;
	char path[MAX_TREE_PATH + 256 + 2]; /* the current directory, relative */
	size_t entries;
	struct expect files[MAX_ENTRIES];
	size_t n_files;
	int last_file;              /* index in files of the last regular file, or -1 */
};

static char base[] = "/runseal-fuzz-outpath-XXXXXX";
static char root_dir[256];      /* base directory of this process */
static char canary[300];        /* symlinks point here; it must stay empty */

static void
remove_root(void)
{
	if (root_dir[0] != '\0')
		rs_rm_rf(root_dir);
}

static void
init_root(void)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	if (root_dir[0] != '\0')
		return;
	if (tmp == NULL || tmp[0] != '/')
		tmp = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
	snprintf(root_dir, sizeof(root_dir), "%s%s", tmp, base);
	FUZZ_CHECK(mkdtemp(root_dir) != NULL);
	snprintf(canary, sizeof(canary), "%s/canary", root_dir);
	FUZZ_CHECK(mkdir(canary, 0755) == 0);
	atexit(remove_root);
}

/* The path of name in the current directory, if the tree's bounds allow it. */
static int
child_path(struct tree *t, const char *name, char *out, size_t out_len)
{
	size_t cl = t->plen[t->level], nl = strlen(name);

	if (cl + 1 + nl > MAX_TREE_PATH || t->entries >= MAX_ENTRIES)
		return 0;
	snprintf(out, out_len, "%.*s%s%s", (int)cl, t->path, cl > 0 ? "/" : "", name);
	return 1;
}

/* Enter the directory name just made in the current one. */
static void
enter(struct tree *t, const char *name)
{
	int fd;
	size_t cl = t->plen[t->level];

	if (t->level >= MAX_LEVELS ||
	    (fd = openat(t->fd[t->level], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return;
	t->level++;
	t->fd[t->level] = fd;
	if (cl > 0)
		t->path[cl++] = '/';
	memcpy(t->path + cl, name, strlen(name));
	t->plen[t->level] = cl + strlen(name);
}

static void
add_file(struct tree *t, const char *path, const uint8_t *data, size_t len)
{
	struct expect *e = &t->files[t->n_files++];

	FUZZ_CHECK((e->path = strdup(path)) != NULL);
	e->data = (uint8_t *)exact(data, len);
	e->len = len;
}

static void
op_one(struct tree *t, unsigned op, const char *name)
{
	static const char *const targets[4] = { "../../../../../../canary/escaped",
	    "/etc/passwd", ".", "/proc/self/root" };
	char path[MAX_TREE_PATH + 256 + 2], long_name[256];
	int cur = t->fd[t->level], fd;
	unsigned k = op >> 3, i;

	switch (op & 7) {
	case FUZZ_OP_UP:
		if (t->level > 0)
			close(t->fd[t->level--]);
		return;
	case FUZZ_OP_LONG:
		memset(long_name, name[0] != '\0' ? name[0] : 'L', 128 + 4 * k);
		long_name[128 + 4 * k] = '\0';
		name = long_name;
		break;
	default:
		break;
	}
	/* Names the kernel would not take as one new entry here. */
	if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || !child_path(t, name, path, sizeof(path)))
		return;
	switch (op & 7) {
	case FUZZ_OP_FILE:
		if ((fd = openat(cur, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
			return;
		FUZZ_CHECK(rs_write_all(fd, name, strlen(name)) == 0);
		close(fd);
		t->entries++;
		t->last_file = (int)t->n_files;
		add_file(t, path, (const uint8_t *)name, strlen(name));
		return;
	case FUZZ_OP_DIR:
	case FUZZ_OP_LONG:
		if (mkdirat(cur, name, 0755) != 0)
			return;
		t->entries++;
		enter(t, name);
		return;
	case FUZZ_OP_SYMLINK:
		if (symlinkat(targets[k % 4], cur, name) == 0)
			t->entries++;
		return;
	case FUZZ_OP_FIFO:
		if (mkfifoat(cur, name, 0644) == 0)
			t->entries++;
		return;
	case FUZZ_OP_HARDLINK:
		if (t->last_file < 0 || linkat(t->fd[0], t->files[t->last_file].path, cur, name,
		    0) != 0)
			return;
		t->entries++;
		add_file(t, path, t->files[t->last_file].data, t->files[t->last_file].len);
		return;
	case FUZZ_OP_CHAIN:
		for (i = 0; i < 4 * k; i++) {
			if (!child_path(t, name, path, sizeof(path)) || mkdirat(t->fd[t->level], name,
			    0755) != 0)
				return;
			t->entries++;
			enter(t, name);
		}
		return;
	}
}

static int
cmp_expect(const void *a, const void *b)
{
	return strcmp(((const struct expect *)a)->path, ((const struct expect *)b)->path);
}

/* Entries of the copy: regular files counted, anything but them and directories refused. */
static size_t copy_files;

static int
count_copy(const char *fpath, const struct stat *sb, int typeflag, struct FTW *ftwbuf)
{
	(void)fpath;
	(void)ftwbuf;
	FUZZ_CHECK(typeflag == FTW_F || typeflag == FTW_D);
	if (typeflag == FTW_F) {
		FUZZ_CHECK(S_ISREG(sb->st_mode));
		copy_files++;
	}
	return 0;
}

static void
tree(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct tree *t = calloc(1, sizeof(*t));
	struct attest_run *run = attest_run_new();
	char src[300], dst[300], name[256];
	uint8_t digest[RS_SHA256_LEN], got[256];
	const uint8_t *np;
	size_t i, n, w, ops;
	unsigned op;
	int dst_fd, fd;
	struct stat st;
	ssize_t r;

	FUZZ_CHECK(t != NULL && run != NULL);
	init_root();
	snprintf(src, sizeof(src), "%s/src", root_dir);
	snprintf(dst, sizeof(dst), "%s/dst", root_dir);
	FUZZ_CHECK(rs_rm_rf(src) == 0 && rs_rm_rf(dst) == 0);
	FUZZ_CHECK(mkdir(src, 0755) == 0 && mkdir(dst, 0755) == 0);
	FUZZ_CHECK((t->fd[0] = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	t->last_file = -1;

	(void)fuzz_u8(&in);
	for (ops = 0; ops < MAX_OPS && in.n >= 2; ops++) {
		op = fuzz_u8(&in);
		np = fuzz_take(&in, fuzz_u8(&in), &n);
		for (w = 0; w < n && np[w] != 0; w++)
			;
		memcpy(name, np, w);
		name[w] = '\0';
		op_one(t, op, name);
	}
	while (t->level > 0)
		close(t->fd[t->level--]);

	FUZZ_CHECK(exec_collect_outputs(t->fd[0], dst, 1 << 20, run) == 0);

	/* What must have been recorded: the files within the path bounds, sorted. */
	for (i = w = 0; i < t->n_files; i++) {
		n = strlen(t->files[i].path);
		if (n <= RS_RELPATH_MAX && count_slashes(t->files[i].path, n) <=
		    RS_RELPATH_MAX_DEPTH)
			t->files[w++] = t->files[i];
		else {
			free(t->files[i].path);
			free(t->files[i].data);
		}
	}
	t->n_files = w;
	if (t->n_files > 1)
		qsort(t->files, t->n_files, sizeof(t->files[0]), cmp_expect);
	FUZZ_CHECK(run->n_outputs == t->n_files);
	FUZZ_CHECK((dst_fd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	for (i = 0; i < run->n_outputs; i++) {
		const struct attest_artifact *a = &run->outputs[i];
		const struct expect *e = &t->files[i];
		FUZZ_CHECK(strcmp(a->name, e->path) == 0);
		FUZZ_CHECK(rs_relpath_check(a->name, strlen(a->name)) == RS_RELPATH_OK);
		FUZZ_CHECK(a->size == e->len);
		FUZZ_CHECK(rs_sha256(e->data, e->len, digest) == 0);
		FUZZ_CHECK(memcmp(a->sha256, digest, RS_SHA256_LEN) == 0);
		FUZZ_CHECK(fstatat(dst_fd, a->name, &st, AT_SYMLINK_NOFOLLOW) == 0);
		FUZZ_CHECK(S_ISREG(st.st_mode) && (uint64_t)st.st_size == e->len);
		FUZZ_CHECK((fd = openat(dst_fd, a->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0);
		r = read(fd, got, sizeof(got));
		FUZZ_CHECK(r == (ssize_t)e->len && memcmp(got, e->data, e->len) == 0);
		close(fd);
	}
	close(dst_fd);
	copy_files = 0;
	FUZZ_CHECK(nftw(dst, count_copy, 16, FTW_PHYS) == 0);
	FUZZ_CHECK(copy_files == run->n_outputs);
	FUZZ_CHECK(rmdir(canary) == 0 && mkdir(canary, 0755) == 0);

	close(t->fd[0]);
	for (i = 0; i < t->n_files; i++) {
		free(t->files[i].path);
		free(t->files[i].data);
	}
	free(t);
	attest_run_free(run);
	FUZZ_CHECK(rs_rm_rf(src) == 0 && rs_rm_rf(dst) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rs_log_set_level(RS_LOG_QUIET);
	if (size > 0 && (data[0] & 1) == FUZZ_MODE_TREE)
		tree(data, size);
	else
		pure(data, size);
	rs_err_clear();
	return 0;
}
