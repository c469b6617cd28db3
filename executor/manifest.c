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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/interrupt.h"

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
	uint32_t plen;              /* strlen(path) */
	uint32_t noff;              /* offset of the name in path */
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
	char *names;                /* one block holding every kid's path */
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
	/* the cache, to list unchanged directories without reading them */
	const struct centry *cached;
	const size_t *end;          /* end[i]: first cached index past i's subtree */
	const uint32_t *dir_index;  /* open-addressed table of cached directories */
	size_t dir_mask;
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
	size_t i = 0, n = alen < blen ? alen : blen;
	unsigned ca, cb;

	while (i < n && a[i] == b[i])
		i++;
	if (i == n)
		return alen < blen ? -1 : alen > blen ? 1 : 0;
	ca = a[i] == '/' ? 0 : (unsigned char)a[i] + 1u;
	cb = b[i] == '/' ? 0 : (unsigned char)b[i] + 1u;
	return ca < cb ? -1 : 1;
}

/* Siblings share the parent's path: their order is their names' (no '/' in a name). */
static int
cmp_kid(const void *a, const void *b)
{
	const struct ment *x = a, *y = b;

	return strcmp(x->path + x->noff, y->path + y->noff);
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

static uint64_t
hash_path(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
	return h;
}

/* The cached twin of directory d if its own stat is unchanged, else NULL. */
static const struct centry *
cached_dir(const struct walk *w, const struct ment *d, size_t *index)
{
	size_t slot;

	if (w->dir_index == NULL)
		return NULL;
	for (slot = hash_path(d->path, d->plen) & w->dir_mask; w->dir_index[slot] != 0;
	    slot = (slot + 1) & w->dir_mask) {
		const struct centry *c = &w->cached[w->dir_index[slot] - 1];
		if (c->len != d->plen || memcmp(c->path, d->path, d->plen) != 0)
			continue;
		if (c->type != 'd' || c->mode != d->mode || c->dev != d->dev || c->ino != d->ino ||
		    c->mtime != d->mtime || c->ctime != d->ctime)
			return NULL;
		*index = w->dir_index[slot] - 1;
		return c;
	}
	return NULL;
}

/*
 * Subtree ends and the directory table of a parsed cache (phase 0). A
 * directory whose mtime and ctime did not move has the same entries, so
 * its children's names come from the cache; each child is still stat()ed.
 */
static int
index_cache(const struct centry *c, size_t n, size_t **end_out, uint32_t **table_out,
    size_t *mask_out)
{
	size_t *end = NULL, *stack = NULL, depth = 0, i, dirs = 0, cap = 16;
	uint32_t *table = NULL;
	int r = RS_ERR_ALLOC;

	*end_out = NULL;
	*table_out = NULL;
	if (n == 0 || n > UINT32_MAX - 1)
		return 0;
	if ((end = calloc(n, sizeof(*end))) == NULL || (stack = calloc(n, sizeof(*stack))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		/* Close every open directory that is not an ancestor of entry i. */
		while (depth > 0) {
			const struct centry *t = &c[stack[depth - 1]];
			if (c[i].len > t->len && memcmp(c[i].path, t->path, t->len) == 0 &&
			    c[i].path[t->len] == '/')
				break;
			end[stack[--depth]] = i;
		}
		stack[depth++] = i;
		dirs += c[i].type == 'd';
	}
	while (depth > 0)
		end[stack[--depth]] = n;
	while (cap < 2 * dirs)
		cap *= 2;
	if ((table = calloc(cap, sizeof(*table))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		size_t slot;
		if (c[i].type != 'd')
			continue;
		for (slot = hash_path(c[i].path, c[i].len) & (cap - 1); table[slot] != 0;
		    slot = (slot + 1) & (cap - 1))
			;
		table[slot] = (uint32_t)(i + 1);
	}
	*end_out = end;
	*table_out = table;
	*mask_out = cap - 1;
	end = NULL;
	table = NULL;
	r = 0;
out:
	free(end);
	free(stack);
	free(table);
	return r;
}

/*
 * 1 if every child the cache lists under directory entry ci is a plain name
 * below d: no '/', not "." or "..", not empty (a name is used as a path
 * relative to the directory).
 */
static int
cached_names_sane(const struct walk *w, const struct ment *d, size_t ci)
{
	size_t j, k;

	for (j = ci + 1; j < w->end[ci]; j = w->end[j]) {
		const char *name = w->cached[j].path + d->plen + 1;
		size_t len = w->cached[j].len - d->plen - 1;

		if (w->cached[j].len <= d->plen + 1 || len == 0 ||
		    (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
			return 0;
		for (k = 0; k < len; k++)
			if (name[k] == '/' || name[k] == '\0')
				return 0;
	}
	return 1;
}

/* List directory d (phase 1); its subdirectories are queued under the lock. */
static int
list_dir(struct walk *w, struct ment *d)
{
	char host[PATH_MAX];
	uint8_t *buf = NULL;
	struct dnode *node = NULL;
	const struct centry *c = NULL;
	char *names = NULL, *nn;
	size_t cap = 0, used = 0, ncap = 0, i, count = 0, plen = d->plen, ci = 0;
	long n;
	int fd = -1, r = RS_ERR_ALLOC;

	if (host_path(w, d, host, sizeof(host)) != 0 ||
	    (fd = open(host, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		d->type = 'u';          /* closed to us, or vanished meanwhile */
		r = 0;
		goto out;
	}
	if ((node = calloc(1, sizeof(*node))) == NULL)
		goto out;
	if ((c = cached_dir(w, d, &ci)) != NULL && !cached_names_sane(w, d, ci))
		c = NULL;           /* a cache not of our making: read the directory */
	if (c != NULL) {
		/* Unchanged: the same names, already in order. */
		size_t j;
		for (j = ci + 1; j < w->end[ci]; j = w->end[j]) {
			size_t need = w->cached[j].len + 1;
			if (used + need > ncap) {
				ncap = (used + need) * 2 + 4096;
				if ((nn = realloc(names, ncap)) == NULL)
					goto out;
				names = nn;
			}
			memcpy(names + used, w->cached[j].path, w->cached[j].len);
			names[used + w->cached[j].len] = '\0';
			used += need;
			count++;
		}
		n = 0;
	} else if ((buf = malloc(DENTS_BUF)) == NULL) {
		goto out;
	}
	/* First every child's path, into one block (offsets until it stops moving). */
	while (c == NULL && (n = syscall(SYS_getdents64, fd, buf, DENTS_BUF)) > 0) {
		long off = 0;
		while (off < n) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			size_t need = plen + 1 + strlen(de->d_name) + 1;

			off += de->d_reclen;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (used + need > ncap) {
				ncap = (used + need) * 2 + 4096;
				if ((nn = realloc(names, ncap)) == NULL)
					goto out;
				names = nn;
			}
			memcpy(names + used, d->path, plen);
			names[used + plen] = '/';
			strcpy(names + used + plen + 1, de->d_name);
			used += need;
			count++;
		}
	}
	if (n < 0) {
		d->type = 'u';
		r = 0;
		goto out;
	}
	if (count > 0 && (node->kids = calloc(count, sizeof(*node->kids))) == NULL)
		goto out;
	cap = 0;
	for (i = 0; i < count; i++) {
		struct ment *k = &node->kids[i];
		struct statx sx;

		k->path = names + cap;
		k->plen = (uint32_t)strlen(k->path);
		k->noff = (uint32_t)plen + 1;
		k->item = d->item;
		cap += k->plen + 1;
		if (statx(fd, k->path + k->noff, AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
		    STATX_WANT, &sx) != 0)
			k->type = 'u';
		else
			fill_stat(k, &sx);
	}
	node->n = count;
	node->names = names;
	names = NULL;
	if (node->n > 1 && c == NULL)
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
		free(node->kids);
		free(node);
	}
	free(names);
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

static int
interrupted(void)
{
	return rs_fail(RS_ERR_INTERRUPTED, "measuring the rootfs: stopped by signal %d",
	    rs_interrupted());
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
		if (rs_interrupted()) {
			w->failed = 1;      /* the caller tells the two apart */
			break;
		}
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

	while ((i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED)) < w->n_todo &&
	    !rs_interrupted())
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
		for (i = 0; i < e->sub->n; i++)
			free_tree(&e->sub->kids[i]);
		free(e->sub->kids);
		free(e->sub->names);
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
		size_t pl = m->plen;

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

/* Map the cache file read-only (private: a rewrite replaces the file, never edits it). */
static int
map_cache(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	void *p;
	int fd;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24 ||
	    (uint64_t)st.st_size > CACHE_MAX_BYTES) {
		close(fd);
		return -1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	*out = p;
	*len = (size_t)st.st_size;
	return 0;
}

static int
write_cache(const char *path, struct ment **e, size_t n)
{
	uint8_t *buf = NULL, *p;
	size_t len = 24, i;
	char *tmp = NULL;
	int fd = -1, r = RS_ERR_IO;

	for (i = 0; i < n; i++)
		len += 2 + e[i]->plen + CENTRY_FIXED;
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
		size_t pl = e[i]->plen;
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

/* Phase 4: the digest over the entries in order, fed in large blocks. */
static int
digest_entries(struct ment **e, size_t n, uint8_t out[RS_SHA256_LEN])
{
	struct rs_sha256 *h = NULL;
	uint8_t *buf = NULL, *p;
	const size_t bufsz = 256 * 1024;
	size_t i, used = 0;
	int r;

	if ((r = rs_sha256_new(&h)) != 0)
		return r;
	if ((buf = malloc(bufsz)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = rs_sha256_update(h, CTX, sizeof(CTX))) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct ment *m = e[i];
		int has = m->type == 'f' || m->type == 'l';
		uint64_t size = has ? m->size : 0;
		size_t need = m->plen + 1 + 1 + 4 + 8 + RS_SHA256_LEN;

		/* A path is below PATH_MAX, so an entry always fits an empty buffer. */
		if (used + need > bufsz) {
			if ((r = rs_sha256_update(h, buf, used)) != 0)
				goto out;
			used = 0;
		}
		p = buf + used;
		memcpy(p, m->path, m->plen + 1);
		p += m->plen + 1;
		*p++ = m->type;
		for (int b = 3; b >= 0; b--)
			*p++ = (uint8_t)(m->mode >> (8 * b));
		for (int b = 7; b >= 0; b--)
			*p++ = (uint8_t)(size >> (8 * b));
		if (has)
			memcpy(p, m->digest, RS_SHA256_LEN);
		else
			memset(p, 0, RS_SHA256_LEN);
		used += need;
	}
	if (used > 0 && (r = rs_sha256_update(h, buf, used)) != 0)
		goto out;
	r = rs_sha256_final(h, out);
out:
	free(buf);
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
	size_t i, n_flat = 0, cap_flat = 0, n_cached = 0, clen = 0, n_todo, *ends = NULL;
	uint32_t *dirs = NULL;
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

	/* Phase 0: the cache, if trusted. */
	if (cache_file != NULL && trust_cache && map_cache(cache_file, &cbuf, &clen) == 0)
		parse_cache(cbuf, clen, &cached, &n_cached);
	if ((r = index_cache(cached, n_cached, &ends, &dirs, &w.dir_mask)) != 0)
		goto out;
	w.cached = cached;
	w.end = ends;
	w.dir_index = dirs;

	/* Phase 1: the items themselves, then every directory below them. */
	for (i = 0; i < n; i++) {
		struct statx sx;
		struct ment *e = &roots[i];
		if ((e->path = strdup(owned[i].target)) == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		e->plen = (uint32_t)strlen(e->path);
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
		r = rs_interrupted() ? interrupted() : RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = flatten(&roots[i], &flat, &n_flat, &cap_flat)) != 0)
			goto out;
	}

	/* Phase 2. */
	if (n_flat > 0 && (w.todo = calloc(n_flat, sizeof(*w.todo))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	/* Items that are synthesized symlinks were measured already. */
	differs = merge(flat, n_flat, cached, n_cached, &w);
	for (i = 0, n_todo = w.n_todo, w.n_todo = 0; i < n_todo; i++) {
		struct ment *m = w.todo[i];
		if (m->item < n && owned[m->item].source == NULL && m == &roots[m->item])
			continue;
		w.todo[w.n_todo++] = m;
	}

	/* Phase 3. */
	parallel(hash_worker, &w, threads);
	if (rs_interrupted()) {
		r = interrupted();
		goto out;
	}

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
	free(ends);
	free(dirs);
	if (cbuf != NULL)
		munmap(cbuf, clen);
	free(owned);
	free(sorted);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return r;
}
