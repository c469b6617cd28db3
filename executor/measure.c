/*
 * measure.c - measure the executor, the host and the rootfs (contract and
 * cache files in measure.h).
 */
#include "executor/measure.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hash.h"

/* The executable is at most this big; a larger one is not ours. */
#define EXE_MAX ((uint64_t)1 << 30)
#define EXE_MAGIC "RSEXEC01"
#define EXE_CACHE_LEN (8 + 5 * 8 + RS_SHA256_LEN)
#define THREADS_MAX 4

static void
put_le(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The stat key of the executable as the cache stores it. */
static void
exe_key(const struct stat *st, uint8_t key[40])
{
	put_le(key, (uint64_t)st->st_dev);
	put_le(key + 8, (uint64_t)st->st_ino);
	put_le(key + 16, (uint64_t)st->st_size);
	put_le(key + 24, (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec);
	put_le(key + 32, (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec);
}

static int
measure_executor(const char *cache_dir, uint8_t digest[RS_SHA256_LEN])
{
	uint8_t key[40], rec[EXE_CACHE_LEN], *buf = NULL;
	char *path = NULL;
	struct stat st;
	uint64_t size = 0;
	size_t len = 0;
	int fd = -1, r = RS_ERR_INTERNAL;

	if ((fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		r = rs_fail(rs_err_from_errno(errno), "measuring /proc/self/exe: %s",
		    strerror(errno));
		goto out;
	}
	exe_key(&st, key);
	if (cache_dir != NULL && (path = rs_path_join(cache_dir, "executor-v1")) != NULL &&
	    rs_read_file(path, 4096, &buf, &len) == 0 && len == EXE_CACHE_LEN &&
	    memcmp(buf, EXE_MAGIC, 8) == 0 && memcmp(buf + 8, key, sizeof(key)) == 0) {
		memcpy(digest, buf + 8 + sizeof(key), RS_SHA256_LEN);
		r = 0;
		goto out;
	}
	rs_err_clear();
	if ((r = rs_sha256_fd(fd, EXE_MAX, digest, &size)) != 0) {
		r = rs_fail(r, "measuring /proc/self/exe: %s", rs_err_detail());
		goto out;
	}
	if (path != NULL) {
		memcpy(rec, EXE_MAGIC, 8);
		memcpy(rec + 8, key, sizeof(key));
		memcpy(rec + 8 + sizeof(key), digest, RS_SHA256_LEN);
		/* Durability does not matter for a cache; rs_write_file_atomic is fine. */
		(void)rs_write_file_atomic(path, rec, sizeof(rec), 0600, 0);
		rs_err_clear();
	}
	r = 0;
out:
	free(buf);
	free(path);
	if (fd >= 0)
		close(fd);
	return r;
}

int
exec_measure_host(const char *cache_dir, struct attest_run *run)
{
	struct utsname u;
	char host[HOST_NAME_MAX + 1];
	int r;

	if ((r = measure_executor(cache_dir, run->executor_sha256)) != 0)
		return r;
	if (uname(&u) != 0)
		return rs_fail(RS_ERR_INTERNAL, "uname: %s", strerror(errno));
	if (gethostname(host, sizeof(host)) != 0)
		return rs_fail(RS_ERR_INTERNAL, "gethostname: %s", strerror(errno));
	host[sizeof(host) - 1] = '\0';
	free(run->kernel_release);
	free(run->machine);
	free(run->hostname);
	run->kernel_release = strdup(u.release);
	run->machine = strdup(u.machine);
	run->hostname = strdup(host);
	if (run->kernel_release == NULL || run->machine == NULL || run->hostname == NULL)
		return RS_ERR_ALLOC;
	return 0;
}

/* dir/a b c as a new string, or NULL. */
static char *
path_in(const char *dir, const char *a, const char *b, const char *c)
{
	char *s = NULL;

	if (asprintf(&s, "%s/%s%s%s", dir, a, b, c) < 0)
		return NULL;
	return s;
}

int
exec_measure_rootfs(const struct exec_rootfs *fs, const char *cache_dir, int remeasure,
    uint8_t digest[RS_SHA256_LEN], struct exec_manifest_stats *st)
{
	struct exec_manifest_item *items = NULL;
	struct rs_sha256 *h = NULL;
	char **targets = NULL;
	uint8_t id[RS_SHA256_LEN];
	char hex[2 * RS_SHA256_LEN + 1], *cache = NULL, *lock = NULL;
	size_t n = exec_rootfs_n_items(fs), i;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int lock_fd = -1, threads, r = RS_ERR_INTERNAL;

	memset(st, 0, sizeof(*st));
	if ((items = calloc(n + 1, sizeof(*items))) == NULL ||
	    (targets = calloc(n + 1, sizeof(*targets))) == NULL ||
	    (r = rs_sha256_new(&h)) != 0) {
		r = r != 0 ? r : RS_ERR_ALLOC;
		goto out;
	}
	/* The cache is per tree: named by a digest of every item. */
	for (i = 0; i < n; i++) {
		const char *t, *s, *l;
		exec_rootfs_item(fs, i, &t, &s, &l);
		if (t == NULL) {
			r = rs_fail(RS_ERR_INTERNAL, "rootfs item %zu missing", i);
			goto out;
		}
		/* The plan's targets are relative to the new root; the manifest's absolute. */
		if (asprintf(&targets[i], "/%s", t) < 0) {
			targets[i] = NULL;
			r = RS_ERR_ALLOC;
			goto out;
		}
		t = items[i].target = targets[i];
		items[i].source = s;
		items[i].link = l;
		if ((r = rs_sha256_update(h, t, strlen(t) + 1)) != 0 ||
		    (r = rs_sha256_update(h, s ? s : "", strlen(s ? s : "") + 1)) != 0 ||
		    (r = rs_sha256_update(h, l ? l : "", strlen(l ? l : "") + 1)) != 0)
			goto out;
	}
	if ((r = rs_sha256_final(h, id)) != 0)
		goto out;
	rs_hex_encode(id, 16, hex);
	if (cache_dir != NULL && rs_mkdir_p(cache_dir, 0700) == 0 &&
	    ((cache = path_in(cache_dir, "rootfs-", hex, ".v1")) == NULL ||
	    (lock = path_in(cache_dir, "rootfs-", hex, ".lock")) == NULL)) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if (lock != NULL) {
		lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (lock_fd >= 0)
			(void)flock(lock_fd, LOCK_EX);
	}
	rs_err_clear();
	threads = cpus < 1 ? 1 : cpus > THREADS_MAX ? THREADS_MAX : (int)cpus;
	r = exec_manifest_digest(items, n, cache, !remeasure, threads, digest, st);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	rs_sha256_free(h);
	for (i = 0; targets != NULL && i < n; i++)
		free(targets[i]);
	free(targets);
	free(items);
	free(cache);
	free(lock);
	return r;
}
