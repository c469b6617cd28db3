/*
 * manifest.c - rootfs manifest digest and its cache (formats in manifest.h).
 *
 * Four phases: (1) a parallel walk lists and stat()s every entry, each
 * directory's children sorted by name; (2) a sequential merge in manifest
 * order against the cache decides which entries must be measured; (3) a
 * parallel pass hashes those; (4) a sequential pass digests the manifest
 * and rewrites the cache when anything differed. The tree is the host's and
 * may change meanwhile: every entry is measured from the object the walk
 * found or, when that changed under us, from what is there when hashed.
 */
#include "executor/manifest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"

#define CTX "runseal/v1/rootfs"
#define CACHE_MAGIC "RSMANIF1"
#define CACHE_END "RSMEND01"
#define CACHE_MAX_BYTES ((size_t)1 << 30)
#define DENTS_BUF (64 * 1024)
#define STATX_WANT (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_MTIME | STATX_CTIME | \
    STATX_INO)

struct dnode;

struct ment {
	char *path;                 /* inside the sandbox */
	uint32_t item;              /* the item it belongs to */
	uint8_t type;               /* 'd', 'f', 'l', 'o', 'u' */
	uint8_t need;               /* to be measured in phase 3 */
	uint32_t mode;
	uint64_t size, dev, ino;
	int64_t mtime, ctime;
	uint8_t digest[RS_SHA256_LEN];
	struct dnode *sub;          /* 'd': its children, once listed */
};

struct dnode {
	struct ment *kids;
	size_t n;
};

/* A cached entry: views into the loaded cache file. */
struct centry {
	const char *path;
	size_t len;
	uint8_t type;
	uint32_t mode;
	uint64_t size, dev, ino;
	int64_t mtime, ctime;
	const uint8_t *digest;
};

struct walk {
	const struct exec_manifest_item *items;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ment **stack;        /* directories waiting to be listed */
	size_t n_stack, cap_stack;
	size_t busy;                /* directories being listed */
	int failed;                 /* an allocation failed: stop */
	/* phase 3 */
	struct ment **todo;
	size_t n_todo;
	size_t next;                /* next index of todo (atomic) */
	uint64_t hashed_bytes;      /* atomic */
};

/* Compare paths in manifest order: '/' ranks below every other byte. */
static int
cmp_path(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n; i++) {
		unsigned ca = a[i] == '/' ? 0 : (unsigned char)a[i] + 1u;
		unsigned cb = b[i] == '/' ? 0 : (unsigned char)b[i] + 1u;
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int
cmp_kid(const void *a, const void *b)
{
	const struct ment *x = a, *y = b;

	return cmp_path(x->path, strlen(x->path), y->path, strlen(y->path));
}

static int
cmp_item(const void *a, const void *b)
{
	const struct exec_manifest_item *x = *(const struct exec_manifest_item *const *)a;
	const struct exec_manifest_item *y = *(const struct exec_manifest_item *const *)b;

	return cmp_path(x->target, strlen(x->target), y->target, strlen(y->target));
}

/* The host path of e into buf; 0, or ENAMETOOLONG. */
static int
host_path(const struct walk *w, const struct ment *e, char *buf, size_t len)
{
	const struct exec_manifest_item *it = &w->items[e->item];
	const char *rest = e->path + strlen(it->target);

	if (snprintf(buf, len, "%s%s", it->source, rest) >= (int)len)
		return ENAMETOOLONG;
	return 0;
}

static void
fill_stat(struct ment *e, const struct statx *sx)
{
	mode_t t = sx->stx_mode & S_IFMT;

	e->type = t == S_IFDIR ? 'd' : t == S_IFREG ? 'f' : t == S_IFLNK ? 'l' : 'o';
	e->mode = sx->stx_mode & 07777;
	e->size = e->type == 'f' || e->type == 'l' ? sx->stx_size : 0;
	e->dev = ((uint64_t)sx->stx_dev_major << 32) | sx->stx_dev_minor;
	e->ino = sx->stx_ino;
	e->mtime = (int64_t)sx->stx_mtime.tv_sec * 1000000000 + sx->stx_mtime.tv_nsec;
	e->ctime = (int64_t)sx->stx_ctime.tv_sec * 1000000000 + sx->stx_ctime.tv_nsec;
}

static int
push(struct walk *w, struct ment *e)
{
	struct ment **ns;

	if (w->n_stack == w->cap_stack) {
		size_t cap = w->cap_stack ? w->cap_stack * 2 : 256;
		if ((ns = realloc(w->stack, cap * sizeof(*ns))) == NULL)
			return RS_ERR_ALLOC;
		w->stack = ns;
		w->cap_stack = cap;
	}
	w->stack[w->n_stack++] = e;
	return 0;
}

/* List directory d (phase 1); its subdirectories are queued under the lock. */
static int
list_dir(struct walk *w, struct ment *d)
{
	char host[PATH_MAX];
	uint8_t *buf = NULL;
	struct dnode *node = NULL;
	size_t cap = 0, i, plen = strlen(d->path);
	long n;
	int fd = -1, r = RS_ERR_ALLOC;

	if (host_path(w, d, host, sizeof(host)) != 0 ||
	    (fd = open(host, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		d->type = 'u';          /* closed to us, or vanished meanwhile */
		r = 0;
		goto out;
	}
	if ((buf = malloc(DENTS_BUF)) == NULL || (node = calloc(1, sizeof(*node))) == NULL)
		goto out;
	while ((n = syscall(SYS_getdents64, fd, buf, DENTS_BUF)) > 0) {
		long off = 0;
		while (off < n) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			struct statx sx;
			struct ment *k;

			off += de->d_reclen;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (node->n == cap) {
				struct ment *nk;
				cap = cap ? cap * 2 : 16;
				if ((nk = realloc(node->kids, cap * sizeof(*nk))) == NULL)
					goto out;
				node->kids = nk;
			}
			k = &node->kids[node->n];
			memset(k, 0, sizeof(*k));
			if ((k->path = malloc(plen + strlen(de->d_name) + 2)) == NULL)
				goto out;
			node->n++;
			sprintf(k->path, "%s/%s", d->path, de->d_name);
			k->item = d->item;
			if (statx(fd, de->d_name, AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
			    STATX_WANT, &sx) != 0)
				k->type = 'u';
			else
				fill_stat(k, &sx);
		}
	}
	if (n < 0) {
		d->type = 'u';
		r = 0;
		goto out;
	}
	if (node->n > 1)
		qsort(node->kids, node->n, sizeof(*node->kids), cmp_kid);
	d->sub = node;
	node = NULL;
	pthread_mutex_lock(&w->mu);
	for (i = 0, r = 0; i < d->sub->n && r == 0; i++) {
		if (d->sub->kids[i].type == 'd')
			r = push(w, &d->sub->kids[i]);
	}
	pthread_mutex_unlock(&w->mu);
out:
	if (node != NULL) {
		for (i = 0; i < node->n; i++)
			free(node->kids[i].path);
		free(node->kids);
		free(node);
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

static void *
walk_worker(void *arg)
{
	struct walk *w = arg;
	struct ment *d;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->n_stack == 0 && w->busy > 0 && !w->failed)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->failed || (w->n_stack == 0 && w->busy == 0))
			break;
		d = w->stack[--w->n_stack];
		w->busy++;
		pthread_mutex_unlock(&w->mu);
		if (list_dir(w, d) != 0) {
			pthread_mutex_lock(&w->mu);
			w->failed = 1;
		} else {
			pthread_mutex_lock(&w->mu);
		}
		w->busy--;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Measure one entry afresh (phase 3). */
static void
measure_one(struct walk *w, struct ment *e)
{
	char host[PATH_MAX], target[PATH_MAX];
	struct stat st;
	uint64_t size = 0;
	ssize_t n;
	int fd;

	if (host_path(w, e, host, sizeof(host)) != 0) {
		e->type = 'u';
		return;
	}
	if (e->type == 'l') {
		if ((n = readlink(host, target, sizeof(target))) < 0 ||
		    (size_t)n >= sizeof(target)) {
			e->type = 'u';
			return;
		}
		e->size = (uint64_t)n;
		if (rs_sha256(target, (size_t)n, e->digest) != 0)
			e->type = 'u';
		return;
	}
	/* O_NONBLOCK: should a FIFO have taken the file's place, do not hang on it. */
	if ((fd = open(host, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		e->type = 'u';
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    rs_sha256_fd(fd, 0, e->digest, &size) != 0) {
		e->type = 'u';
		memset(e->digest, 0, sizeof(e->digest));
		size = 0;
	}
	e->size = size;
	__atomic_add_fetch(&w->hashed_bytes, size, __ATOMIC_RELAXED);
	close(fd);
}

static void *
hash_worker(void *arg)
{
	struct walk *w = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED)) < w->n_todo)
		measure_one(w, w->todo[i]);
	return NULL;
}

/* Run fn on `threads` threads (the caller is one of them). */
static int
parallel(void *(*fn)(void *), struct walk *w, int threads)
{
	pthread_t t[16];
	int i, started = 0;

	for (i = 1; i < threads && i < 16; i++) {
		if (pthread_create(&t[started], NULL, fn, w) == 0)
			started++;
	}
	fn(w);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	return 0;
}

/* Flatten the tree into manifest order (phase 2 input). */
static int
flatten(struct ment *e, struct ment ***out, size_t *n, size_t *cap)
{
	size_t i;
	int r;

	if (*n == *cap) {
		struct ment **no;
		*cap = *cap ? *cap * 2 : 1024;
		if (*cap > EXEC_MANIFEST_ENTRIES_MAX)
			return rs_fail(RS_ERR_TOO_LARGE, "measuring the rootfs: more than %u "
			    "entries", EXEC_MANIFEST_ENTRIES_MAX);
		if ((no = realloc(*out, *cap * sizeof(*no))) == NULL)
			return RS_ERR_ALLOC;
		*out = no;
	}
	(*out)[(*n)++] = e;
	if (e->type == 'd' && e->sub != NULL) {
		for (i = 0; i < e->sub->n; i++)
			if ((r = flatten(&e->sub->kids[i], out, n, cap)) != 0)
				return r;
	}
	return 0;
}

static void
free_tree(struct ment *e)
{
	size_t i;

	if (e->sub != NULL) {
		for (i = 0; i < e->sub->n; i++) {
			free_tree(&e->sub->kids[i]);
			free(e->sub->kids[i].path);
		}
		free(e->sub->kids);
		free(e->sub);
		e->sub = NULL;
	}
}

static uint64_t
get_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = bytes - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void
put_le(uint8_t *p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

#define CENTRY_FIXED (1 + 4 + 8 + 8 + 8 + 8 + 8 + RS_SHA256_LEN)

/* Parse a cache file; any defect gives an empty cache. */
static void
parse_cache(const uint8_t *b, size_t len, struct centry **out, size_t *n_out)
{
	struct centry *c = NULL;
	size_t off = 16, i, count;

	*out = NULL;
	*n_out = 0;
	if (len < 24 || memcmp(b, CACHE_MAGIC, 8) != 0 ||
	    memcmp(b + len - 8, CACHE_END, 8) != 0)
		return;
	count = get_le(b + 8, 8);
	/* Every entry takes at least 2 + CENTRY_FIXED bytes: bound count by the size. */
	if (count > EXEC_MANIFEST_ENTRIES_MAX || count > len / (2 + CENTRY_FIXED))
		return;
	if (count > 0 && (c = calloc(count, sizeof(*c))) == NULL)
		return;
	len -= 8;
	for (i = 0; i < count; i++) {
		size_t pl;
		if (len - off < 2)
			goto bad;
		pl = get_le(b + off, 2);
		off += 2;
		if (pl == 0 || len - off < pl + CENTRY_FIXED)
			goto bad;
		c[i].path = (const char *)b + off;
		c[i].len = pl;
		off += pl;
		c[i].type = b[off];
		c[i].mode = (uint32_t)get_le(b + off + 1, 4);
		c[i].size = get_le(b + off + 5, 8);
		c[i].dev = get_le(b + off + 13, 8);
		c[i].ino = get_le(b + off + 21, 8);
		c[i].mtime = (int64_t)get_le(b + off + 29, 8);
		c[i].ctime = (int64_t)get_le(b + off + 37, 8);
		c[i].digest = b + off + 45;
		off += CENTRY_FIXED;
		/* In manifest order, strictly: the merge relies on it. */
		if (i > 0 && cmp_path(c[i - 1].path, c[i - 1].len, c[i].path, c[i].len) >= 0)
			goto bad;
	}
	if (off != len)
		goto bad;
	*out = c;
	*n_out = count;
	return;
bad:
	free(c);
}

/*
 * Phase 2: reuse the digest of every entry whose stat matches its cached
 * twin; queue the rest. Returns 1 if the manifest differs from the cache
 * in any way.
 */
static int
merge(struct ment **e, size_t n, const struct centry *c, size_t k, struct walk *w)
{
	size_t i, j = 0, matched = 0;

	for (i = 0; i < n; i++) {
		struct ment *m = e[i];
		size_t pl = strlen(m->path);

		while (j < k && cmp_path(c[j].path, c[j].len, m->path, pl) < 0)
			j++;
		if (j < k && cmp_path(c[j].path, c[j].len, m->path, pl) == 0 &&
		    c[j].type == m->type && c[j].mode == m->mode && c[j].size == m->size &&
		    c[j].dev == m->dev && c[j].ino == m->ino && c[j].mtime == m->mtime &&
		    c[j].ctime == m->ctime) {
			memcpy(m->digest, c[j].digest, RS_SHA256_LEN);
			matched++;
			j++;
			continue;
		}
		if (m->type == 'f' || m->type == 'l')
			w->todo[w->n_todo++] = m;
	}
	return !(matched == n && n == k);
}

static int
write_cache(const char *path, struct ment **e, size_t n)
{
	uint8_t *buf = NULL, *p;
	size_t len = 24, i;
	char *tmp = NULL;
	int fd = -1, r = RS_ERR_IO;

	for (i = 0; i < n; i++)
		len += 2 + strlen(e[i]->path) + CENTRY_FIXED;
	if ((buf = malloc(len)) == NULL || asprintf(&tmp, "%s.%ld.tmp", path,
	    (long)getpid()) < 0) {
		tmp = NULL;
		r = RS_ERR_ALLOC;
		goto out;
	}
	p = buf;
	memcpy(p, CACHE_MAGIC, 8);
	put_le(p + 8, n, 8);
	p += 16;
	for (i = 0; i < n; i++) {
		size_t pl = strlen(e[i]->path);
		put_le(p, pl, 2);
		memcpy(p + 2, e[i]->path, pl);
		p += 2 + pl;
		p[0] = e[i]->type;
		put_le(p + 1, e[i]->mode, 4);
		put_le(p + 5, e[i]->size, 8);
		put_le(p + 13, e[i]->dev, 8);
		put_le(p + 21, e[i]->ino, 8);
		put_le(p + 29, (uint64_t)e[i]->mtime, 8);
		put_le(p + 37, (uint64_t)e[i]->ctime, 8);
		memcpy(p + 45, e[i]->digest, RS_SHA256_LEN);
		p += CENTRY_FIXED;
	}
	memcpy(p, CACHE_END, 8);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
	    rs_write_all(fd, buf, len) != 0 || close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	free(tmp);
	tmp = NULL;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(buf);
	return r;
}

/* Phase 4: the digest over the entries in order. */
static int
digest_entries(struct ment **e, size_t n, uint8_t out[RS_SHA256_LEN])
{
	struct rs_sha256 *h = NULL;
	uint8_t fixed[1 + 4 + 8 + RS_SHA256_LEN];
	static const uint8_t zero[RS_SHA256_LEN];
	size_t i;
	int r;

	if ((r = rs_sha256_new(&h)) != 0)
		return r;
	if ((r = rs_sha256_update(h, CTX, sizeof(CTX))) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct ment *m = e[i];
		int has = m->type == 'f' || m->type == 'l';
		fixed[0] = m->type;
		fixed[1] = (uint8_t)(m->mode >> 24);
		fixed[2] = (uint8_t)(m->mode >> 16);
		fixed[3] = (uint8_t)(m->mode >> 8);
		fixed[4] = (uint8_t)m->mode;
		for (int b = 0; b < 8; b++)
			fixed[5 + b] = (uint8_t)((has ? m->size : 0) >> (56 - 8 * b));
		memcpy(fixed + 13, has ? m->digest : zero, RS_SHA256_LEN);
		if ((r = rs_sha256_update(h, m->path, strlen(m->path) + 1)) != 0 ||
		    (r = rs_sha256_update(h, fixed, sizeof(fixed))) != 0)
			goto out;
	}
	r = rs_sha256_final(h, out);
out:
	rs_sha256_free(h);
	return r;
}

int
exec_manifest_digest(const struct exec_manifest_item *items, size_t n,
    const char *cache_file, int trust_cache, int threads,
    uint8_t digest[RS_SHA256_LEN], struct exec_manifest_stats *st)
{
	const struct exec_manifest_item **sorted = NULL;
	struct exec_manifest_item *owned = NULL;
	struct ment *roots = NULL, **flat = NULL;
	struct centry *cached = NULL;
	struct walk w;
	uint8_t *cbuf = NULL;
	size_t i, n_flat = 0, cap_flat = 0, n_cached = 0, clen = 0;
	int differs, r = RS_ERR_INTERNAL;

	memset(st, 0, sizeof(*st));
	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	if (threads < 1)
		threads = 1;
	/* Items in manifest order; entries refer to them by index. */
	if ((sorted = calloc(n + 1, sizeof(*sorted))) == NULL ||
	    (owned = calloc(n + 1, sizeof(*owned))) == NULL ||
	    (roots = calloc(n + 1, sizeof(*roots))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++)
		sorted[i] = &items[i];
	qsort(sorted, n, sizeof(*sorted), cmp_item);
	for (i = 0; i < n; i++)
		owned[i] = *sorted[i];
	w.items = owned;

	/* Phase 1: the items themselves, then every directory below them. */
	for (i = 0; i < n; i++) {
		struct statx sx;
		struct ment *e = &roots[i];
		if ((e->path = strdup(owned[i].target)) == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		e->item = (uint32_t)i;
		if (owned[i].source == NULL) {
			/* A symlink the sandbox makes: its text is the item's link. */
			e->type = 'l';
			e->mode = 0777;
			e->size = strlen(owned[i].link);
			if ((r = rs_sha256(owned[i].link, strlen(owned[i].link), e->digest)) != 0)
				goto out;
			continue;
		}
		if (statx(AT_FDCWD, owned[i].source, AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
		    STATX_WANT, &sx) != 0) {
			r = rs_fail(RS_ERR_IO, "measuring the rootfs: %s: %s", owned[i].source,
			    strerror(errno));
			goto out;
		}
		fill_stat(e, &sx);
		if (e->type == 'd' && (r = push(&w, e)) != 0)
			goto out;
	}
	parallel(walk_worker, &w, threads);
	if (w.failed) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = flatten(&roots[i], &flat, &n_flat, &cap_flat)) != 0)
			goto out;
	}

	/* Phase 2. */
	if (cache_file != NULL && trust_cache &&
	    rs_read_file(cache_file, CACHE_MAX_BYTES, &cbuf, &clen) == 0)
		parse_cache(cbuf, clen, &cached, &n_cached);
	rs_err_clear();
	if (n_flat > 0 && (w.todo = calloc(n_flat, sizeof(*w.todo))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	/* Items that are synthesized symlinks were measured already. */
	differs = merge(flat, n_flat, cached, n_cached, &w);
	for (i = 0, n_cached = w.n_todo, w.n_todo = 0; i < n_cached; i++) {
		struct ment *m = w.todo[i];
		if (m->item < n && owned[m->item].source == NULL && m == &roots[m->item])
			continue;
		w.todo[w.n_todo++] = m;
	}

	/* Phase 3. */
	parallel(hash_worker, &w, threads);

	/* Phase 4. */
	if ((r = digest_entries(flat, n_flat, digest)) != 0)
		goto out;
	st->entries = n_flat;
	st->hashed = w.n_todo;
	st->hashed_bytes = w.hashed_bytes;
	st->reused = n_flat - w.n_todo;
	if (cache_file != NULL && (differs || w.n_todo > 0 || !trust_cache))
		st->cache_written = write_cache(cache_file, flat, n_flat) == 0;
	r = 0;
out:
	if (roots != NULL) {
		for (i = 0; i < n; i++) {
			free_tree(&roots[i]);
			free(roots[i].path);
		}
	}
	free(roots);
	free(flat);
	free(w.todo);
	free(w.stack);
	free(cached);
	free(cbuf);
	free(owned);
	free(sorted);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return r;
}
