/*
 * rootfs.c - the sandbox's root filesystem (layout and order in rootfs.h).
 *
 * Binds use the new mount API: the child opens each source with O_PATH
 * while it still holds the caller's host credentials, then clones it with
 * open_tree(OPEN_TREE_CLONE), sets the mount attributes recursively on the
 * detached copy with mount_setattr(), and attaches it with move_mount().
 * No path of the host is looked up after the ids change, and a bind is
 * never visible with weaker flags than planned.
 */
#include "executor/rootfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/err.h"

enum mnt_kind {
	MNT_DIR,                    /* mkdir target */
	MNT_PARENTS,                /* mkdir every missing parent of target */
	MNT_SYMLINK,                /* symlink target -> link */
	MNT_BIND,                   /* bind source at target (created as dir or file) */
	MNT_TMPFS,                  /* new tmpfs at target with data options */
	MNT_OUT,                    /* the /work/out tmpfs: its root descriptor is kept */
	MNT_PROC,                   /* new proc at target */
	MNT_FILE,                   /* regular file at target holding data, mode 0444 */
	MNT_RDONLY_SELF,            /* re-bind an existing path onto itself read-only; absent is fine */
	MNT_MASK,                   /* cover an existing file with dev/null, a directory with an empty read-only tmpfs; absent is fine */
	MNT_SEAL,                   /* make the mount at target read-only */
};

struct mnt {
	enum mnt_kind kind;
	char *target;               /* relative to the new root */
	char *source;               /* MNT_BIND: absolute host path */
	char *link;                 /* MNT_SYMLINK */
	char *data;                 /* MNT_TMPFS, MNT_OUT: options; MNT_FILE: contents */
	uint64_t attr;              /* MOUNT_ATTR_* for the new mount */
	mode_t source_type;         /* MNT_BIND: S_IFDIR, S_IFREG or S_IFCHR, as planned */
	int measured;               /* part of the rootfs the program sees (measure.h) */
	int fd;                     /* MNT_BIND: O_PATH source in the child, or -1 */
};

struct exec_rootfs {
	struct mnt *m;
	size_t n;
	size_t n_items;             /* entries with measured set */
};

#define RO_ATTR (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

/* Host directories bound read-only; symlinks among them are recreated. */
static const char *const host_dirs[] = { "usr", "bin", "sbin", "lib", "lib64", "lib32" };

/*
 * Host /etc entries the dynamic loader, libc and common runtimes need;
 * absent ones are skipped. Not the host's identity or accounts (hostname,
 * machine-id, passwd, shadow, fstab, ssh, ...): /etc/passwd, group and
 * hosts are written for the run.
 */
static const char *const etc_entries[] = {
	"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "nsswitch.conf", "localtime",
	"alternatives", "ssl", "ca-certificates", "ca-certificates.conf", "protocols",
	"services", "networks", "gai.conf", "host.conf", "mime.types", "magic", "magic.mime",
	"locale.alias", "fonts", "perl",
};

/* Host /etc directories of language runtimes, by prefix (java-17-openjdk, python3.11). */
static const char *const etc_prefixes[] = { "java-", "python3" };

/* Top-level names of a --rootfs directory the sandbox provides itself. */
static const char *const rootfs_skipped[] = { "proc", "dev", "sys", "tmp", "work" };

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom" };

static const struct {
	const char *name, *link;
} dev_links[] = {
	{ "dev/fd", "/proc/self/fd" },
	{ "dev/stdin", "/proc/self/fd/0" },
	{ "dev/stdout", "/proc/self/fd/1" },
	{ "dev/stderr", "/proc/self/fd/2" },
};

/* Pseudo-files a sandbox could use to change the kernel, made read-only. */
static const char *const proc_rdonly[] = {
	"proc/sys", "proc/sysrq-trigger", "proc/irq", "proc/bus", "proc/fs",
};

/* Kernel information a sandbox has no need for, hidden. */
static const char *const proc_masked[] = {
	"proc/kcore", "proc/keys", "proc/kallsyms", "proc/timer_list", "proc/sched_debug",
	"proc/latency_stats", "proc/acpi", "proc/scsi", "proc/asound",
};

void
exec_rootfs_free(struct exec_rootfs *fs)
{
	size_t i;

	if (fs == NULL)
		return;
	for (i = 0; i < fs->n; i++) {
		free(fs->m[i].target);
		free(fs->m[i].source);
		free(fs->m[i].link);
		free(fs->m[i].data);
		if (fs->m[i].fd >= 0)
			close(fs->m[i].fd);
	}
	free(fs->m);
	free(fs);
}

static int
add(struct exec_rootfs *fs, enum mnt_kind kind, const char *target, const char *source,
    const char *link, const char *data, uint64_t attr, mode_t type)
{
	struct mnt *nm, *m;

	if ((nm = realloc(fs->m, (fs->n + 1) * sizeof(*nm))) == NULL)
		return RS_ERR_ALLOC;
	fs->m = nm;
	m = &fs->m[fs->n];
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	fs->n++;
	m->kind = kind;
	m->attr = attr;
	m->source_type = type;
	if ((m->target = strdup(target)) == NULL ||
	    (source != NULL && (m->source = strdup(source)) == NULL) ||
	    (link != NULL && (m->link = strdup(link)) == NULL) ||
	    (data != NULL && (m->data = strdup(data)) == NULL))
		return RS_ERR_ALLOC;
	return 0;
}

/* Mark the entry just added as part of the measured rootfs. */
static void
measured(struct exec_rootfs *fs)
{
	fs->m[fs->n - 1].measured = 1;
	fs->n_items++;
}

/*
 * Plan host path `source` at `target`: a bind for a directory, regular file
 * or (with allow_dev) character device, the same symlink for a symlink.
 * Absent is skipped unless required; other types are skipped. *added is
 * set when something was planned.
 */
static int
add_host(struct exec_rootfs *fs, const char *source, const char *target, uint64_t attr,
    int allow_dev, int required, int *added)
{
	char link[PATH_MAX];
	struct stat st;
	ssize_t n;
	int r;

	*added = 0;
	if (lstat(source, &st) != 0) {
		if (errno == ENOENT && !required)
			return 0;
		return rs_fail(RS_ERR_SANDBOX, "sandbox root: host %s: %s", source,
		    strerror(errno));
	}
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlink(source, link, sizeof(link) - 1)) < 0)
			return rs_fail(RS_ERR_SANDBOX, "sandbox root: host %s: %s", source,
			    strerror(errno));
		link[n] = '\0';
		r = add(fs, MNT_SYMLINK, target, NULL, link, NULL, 0, 0);
	} else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode) ||
	    (allow_dev && S_ISCHR(st.st_mode))) {
		r = add(fs, MNT_BIND, target, source, NULL, NULL, attr, st.st_mode & S_IFMT);
	} else if (required) {
		return rs_fail(RS_ERR_SANDBOX, "sandbox root: host %s has an unexpected type",
		    source);
	} else {
		return 0;
	}
	*added = r == 0;
	return r;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every top-level entry of a --rootfs directory, in name order. */
static int
plan_rootfs_dir(struct exec_rootfs *fs, const char *dir)
{
	char **names = NULL, **nn, *src = NULL;
	struct dirent *de;
	struct stat st;
	size_t n = 0, i, k;
	DIR *d = NULL;
	int added, r = RS_ERR_INTERNAL;

	if (stat(dir, &st) != 0) {
		r = rs_fail(RS_ERR_SANDBOX, "rootfs %s: %s", dir, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		r = rs_fail(RS_ERR_SANDBOX, "rootfs %s: not a directory", dir);
		goto out;
	}
	if ((d = opendir(dir)) == NULL) {
		r = rs_fail(RS_ERR_SANDBOX, "rootfs %s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		for (k = 0; k < sizeof(rootfs_skipped) / sizeof(rootfs_skipped[0]); k++)
			if (strcmp(de->d_name, rootfs_skipped[k]) == 0)
				break;
		if (k < sizeof(rootfs_skipped) / sizeof(rootfs_skipped[0]))
			continue;
		if (n >= 4096) {
			r = rs_fail(RS_ERR_SANDBOX, "rootfs %s: more than 4096 top-level entries", dir);
			goto out;
		}
		if ((nn = realloc(names, (n + 1) * sizeof(*names))) == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		names = nn;
		if ((names[n] = strdup(de->d_name)) == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		free(src);
		if ((src = malloc(strlen(dir) + strlen(names[i]) + 2)) == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		sprintf(src, "%s/%s", dir, names[i]);
		if ((r = add_host(fs, src, names[i], RO_ATTR, 0, 0, &added)) != 0)
			goto out;
		if (added)
			measured(fs);
	}
	r = 0;
out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(src);
	return r;
}

/* 1 if relative path p is q or inside q. */
static int
within(const char *p, const char *q)
{
	size_t n = strlen(q);

	return strncmp(p, q, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* A policy bind: its target may only land in directories the root tmpfs holds. */
static int
plan_bind(struct exec_rootfs *fs, const struct exec_bind *b)
{
	const char *target = b->target + 1;
	char *real = NULL;
	struct stat st;
	size_t i;
	int r = RS_ERR_INTERNAL;

	for (i = 0; i < fs->n; i++) {
		const struct mnt *m = &fs->m[i];
		if (m->kind == MNT_DIR || m->kind == MNT_PARENTS)
			continue;
		if (within(target, m->target) || within(m->target, target)) {
			r = rs_fail(RS_ERR_SANDBOX, "bind %s -> %s: the target %s /%s, which the "
			    "rootfs provides", b->source, b->target,
			    within(target, m->target) ? "is inside" : "covers", m->target);
			goto out;
		}
	}
	for (i = 0; i < fs->n; i++) {
		if (fs->m[i].kind == MNT_DIR && strcmp(fs->m[i].target, target) == 0) {
			r = rs_fail(RS_ERR_SANDBOX, "bind %s -> %s: the target would cover /%s",
			    b->source, b->target, target);
			goto out;
		}
	}
	if ((real = realpath(b->source, NULL)) == NULL || stat(real, &st) != 0) {
		r = rs_fail(RS_ERR_SANDBOX, "bind source %s: %s", b->source, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		r = rs_fail(RS_ERR_SANDBOX, "bind source %s is neither a directory nor a "
		    "regular file", b->source);
		goto out;
	}
	if ((r = add(fs, MNT_PARENTS, target, NULL, NULL, NULL, 0, 0)) != 0 ||
	    (r = add(fs, MNT_BIND, target, real, NULL, NULL, RO_ATTR, st.st_mode & S_IFMT)) != 0)
		goto out;
	measured(fs);
	r = 0;
out:
	free(real);
	return r;
}

/* The host's /etc/<prefix>* entries, in name order. */
static int
plan_etc_prefixes(struct exec_rootfs *fs)
{
	struct dirent **list = NULL;
	char src[300];
	int n, i, k, added, r = 0;

	if ((n = scandir("/etc", &list, NULL, alphasort)) < 0)
		return 0;           /* no /etc: nothing to bind */
	for (i = 0; i < n; i++) {
		for (k = 0; r == 0 && k < (int)(sizeof(etc_prefixes) / sizeof(etc_prefixes[0])); k++) {
			if (strncmp(list[i]->d_name, etc_prefixes[k], strlen(etc_prefixes[k])) != 0)
				continue;
			snprintf(src, sizeof(src), "/etc/%s", list[i]->d_name);
			if ((r = add_host(fs, src, src + 1, RO_ATTR, 0, 0, &added)) == 0 && added)
				measured(fs);
		}
	}
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return r;
}

/* /etc/passwd, /etc/group and /etc/hosts for a run on the host's rootfs. */
static int
plan_etc_files(struct exec_rootfs *fs, uint32_t uid, uint32_t gid)
{
	char passwd[256], group[128], user[80] = "", grp[40] = "";

	if (uid != 0)
		snprintf(user, sizeof(user), "user:x:%u:%u:user:/work:/bin/sh\n", uid, gid);
	if (gid != 0)
		snprintf(grp, sizeof(grp), "group:x:%u:\n", gid);
	snprintf(passwd, sizeof(passwd), "root:x:0:0:root:/work:/bin/sh\n%s"
	    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", user);
	snprintf(group, sizeof(group), "root:x:0:\n%snogroup:x:65534:\n", grp);
	if (add(fs, MNT_FILE, "etc/passwd", NULL, NULL, passwd, 0, 0) != 0 ||
	    add(fs, MNT_FILE, "etc/group", NULL, NULL, group, 0, 0) != 0 ||
	    add(fs, MNT_FILE, "etc/hosts", NULL, NULL,
	    "127.0.0.1\tlocalhost runseal\n::1\tlocalhost\n", 0, 0) != 0)
		return RS_ERR_ALLOC;
	return 0;
}

int
exec_rootfs_plan(const struct exec_rootfs_spec *spec, struct exec_rootfs **out)
{
	struct exec_rootfs *fs = NULL;
	char src[64], dst[64], opts[128];
	size_t i;
	int added, r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((fs = calloc(1, sizeof(*fs))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if (spec->rootfs != NULL) {
		if ((r = plan_rootfs_dir(fs, spec->rootfs)) != 0)
			goto out;
	} else {
		for (i = 0; i < sizeof(host_dirs) / sizeof(host_dirs[0]); i++) {
			snprintf(src, sizeof(src), "/%s", host_dirs[i]);
			if ((r = add_host(fs, src, host_dirs[i], RO_ATTR, 0, 0, &added)) != 0)
				goto out;
			if (added)
				measured(fs);
		}
		if ((r = add(fs, MNT_DIR, "etc", NULL, NULL, NULL, 0, 0)) != 0)
			goto out;
		for (i = 0; i < sizeof(etc_entries) / sizeof(etc_entries[0]); i++) {
			snprintf(src, sizeof(src), "/etc/%s", etc_entries[i]);
			if ((r = add_host(fs, src, src + 1, RO_ATTR, 0, 0, &added)) != 0)
				goto out;
			if (added)
				measured(fs);
		}
		if ((r = plan_etc_prefixes(fs)) != 0)
			goto out;
		if ((r = plan_etc_files(fs, spec->uid, spec->gid)) != 0)
			goto out;
	}
	if ((r = add(fs, MNT_DIR, "work", NULL, NULL, NULL, 0, 0)) != 0)
		goto out;
	for (i = 0; i < spec->n_binds; i++) {
		if ((r = plan_bind(fs, &spec->binds[i])) != 0)
			goto out;
	}
	if ((r = add(fs, MNT_BIND, "work/in", spec->in_dir, NULL, NULL, RO_ATTR, S_IFDIR)) != 0)
		goto out;
	/* tmpfs size=0 means unlimited: an output cap of 0 still gets one page. */
	snprintf(opts, sizeof(opts), "mode=0755,size=%llu,nr_inodes=%d",
	    (unsigned long long)(spec->out_bytes > 4096 ? spec->out_bytes : 4096),
	    EXEC_OUT_INODES);
	if ((r = add(fs, MNT_OUT, "work/out", NULL, NULL, opts,
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0)) != 0)
		goto out;
	snprintf(opts, sizeof(opts), "mode=1777,size=%llu,nr_inodes=%d",
	    (unsigned long long)spec->tmp_bytes, EXEC_TMP_INODES);
	if ((r = add(fs, MNT_TMPFS, "tmp", NULL, NULL, opts,
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0)) != 0)
		goto out;
	if ((r = add(fs, MNT_TMPFS, "dev", NULL, NULL, "mode=0755,size=64k,nr_inodes=64",
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0)) != 0)
		goto out;
	for (i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		snprintf(src, sizeof(src), "/dev/%s", dev_nodes[i]);
		snprintf(dst, sizeof(dst), "dev/%s", dev_nodes[i]);
		/* Device nodes cannot be created in a user namespace: bind the host's. */
		if ((r = add_host(fs, src, dst, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 1, 1,
		    &added)) != 0)
			goto out;
	}
	for (i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++) {
		if ((r = add(fs, MNT_SYMLINK, dev_links[i].name, NULL, dev_links[i].link,
		    NULL, 0, 0)) != 0)
			goto out;
	}
	/* POSIX shared memory and semaphores (shm_open, sem_open) live here. */
	snprintf(opts, sizeof(opts), "mode=1777,size=%llu,nr_inodes=%d",
	    (unsigned long long)spec->tmp_bytes, EXEC_TMP_INODES);
	if ((r = add(fs, MNT_TMPFS, "dev/shm", NULL, NULL, opts,
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0)) != 0)
		goto out;
	if ((r = add(fs, MNT_SEAL, "dev", NULL, NULL, NULL, MOUNT_ATTR_RDONLY, 0)) != 0 ||
	    (r = add(fs, MNT_PROC, "proc", NULL, NULL, NULL,
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0)) != 0)
		goto out;
	for (i = 0; i < sizeof(proc_rdonly) / sizeof(proc_rdonly[0]); i++) {
		if ((r = add(fs, MNT_RDONLY_SELF, proc_rdonly[i], NULL, NULL, NULL,
		    RO_ATTR | MOUNT_ATTR_NOEXEC, 0)) != 0)
			goto out;
	}
	for (i = 0; i < sizeof(proc_masked) / sizeof(proc_masked[0]); i++) {
		if ((r = add(fs, MNT_MASK, proc_masked[i], NULL, NULL, NULL,
		    RO_ATTR | MOUNT_ATTR_NOEXEC, 0)) != 0)
			goto out;
	}
	*out = fs;
	fs = NULL;
	r = 0;
out:
	exec_rootfs_free(fs);
	return r;
}

size_t
exec_rootfs_n_items(const struct exec_rootfs *fs)
{
	return fs->n_items;
}

void
exec_rootfs_item(const struct exec_rootfs *fs, size_t i, const char **target,
    const char **source, const char **link)
{
	size_t k, seen = 0;

	*target = *source = *link = NULL;
	for (k = 0; k < fs->n; k++) {
		if (!fs->m[k].measured)
			continue;
		if (seen++ == i) {
			*target = fs->m[k].target;
			*source = fs->m[k].source;
			*link = fs->m[k].link;
			return;
		}
	}
}

/* ---- child side: system calls only from here on ---- */

int
exec_rootfs_open_sources(struct exec_rootfs *fs, const char **what)
{
	struct stat st;
	size_t i;

	for (i = 0; i < fs->n; i++) {
		struct mnt *m = &fs->m[i];
		if (m->kind != MNT_BIND)
			continue;
		*what = m->source;
		/* O_NOFOLLOW: a source that became a symlink since the plan is refused. */
		if ((m->fd = open(m->source, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return errno;
		if (fstat(m->fd, &st) != 0)
			return errno;
		if ((st.st_mode & S_IFMT) != m->source_type)
			return ESTALE;
	}
	return 0;
}

int
exec_rootfs_mount_root(const char **what)
{
	/*
	 * /tmp is a mount point every host has and anyone may search; covering
	 * it only changes this private mount namespace. The sources are open
	 * already, so a staging directory under /tmp stays reachable.
	 */
	*what = "/tmp";
	if (mount("runseal-root", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
	    "mode=0755,size=4m,nr_inodes=4096") != 0)
		return errno;
	if (chdir("/tmp") != 0)
		return errno;
	return 0;
}

static unsigned long
ms_flags(uint64_t attr)
{
	unsigned long f = 0;

	if (attr & MOUNT_ATTR_RDONLY)
		f |= MS_RDONLY;
	if (attr & MOUNT_ATTR_NOSUID)
		f |= MS_NOSUID;
	if (attr & MOUNT_ATTR_NODEV)
		f |= MS_NODEV;
	if (attr & MOUNT_ATTR_NOEXEC)
		f |= MS_NOEXEC;
	return f;
}

/* Attach a detached copy of the tree at from_fd/from_path onto target, with attr set. */
static int
bind_tree(int from_fd, const char *from_path, unsigned int at_flags, const char *target,
    uint64_t attr)
{
	struct mount_attr ma;
	int tree, err = 0;

	tree = open_tree(from_fd, from_path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    AT_RECURSIVE | at_flags);
	if (tree < 0)
		return errno;
	memset(&ma, 0, sizeof(ma));
	ma.attr_set = attr;
	if (attr != 0 && mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma,
	    sizeof(ma)) != 0)
		err = errno;
	if (err == 0 && move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) != 0)
		err = errno;
	close(tree);
	return err;
}

/* mkdir every missing parent of relative path p (not p itself). */
static int
make_parents(const char *p)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(p);

	if (len >= sizeof(buf))
		return ENAMETOOLONG;
	memcpy(buf, p, len + 1);
	for (i = 1; i < len; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return errno;
		buf[i] = '/';
	}
	return 0;
}

static int
write_file(const char *target, const char *data)
{
	size_t len = strlen(data), done = 0;
	ssize_t n;
	int fd, err = 0;

	if ((fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444)) < 0)
		return errno;
	while (done < len) {
		if ((n = write(fd, data + done, len - done)) <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		done += (size_t)n;
	}
	close(fd);
	return err;
}

static int
build_one(struct mnt *m, int *out_fd)
{
	struct mount_attr ma;
	struct stat st;
	int fd;

	switch (m->kind) {
	case MNT_DIR:
		return mkdir(m->target, 0755) == 0 ? 0 : errno;
	case MNT_PARENTS:
		return make_parents(m->target);
	case MNT_SYMLINK:
		return symlink(m->link, m->target) == 0 ? 0 : errno;
	case MNT_BIND:
		if (m->source_type == S_IFDIR) {
			if (mkdir(m->target, 0755) != 0)
				return errno;
		} else {
			if ((fd = open(m->target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0444)) < 0)
				return errno;
			close(fd);
		}
		return bind_tree(m->fd, "", AT_EMPTY_PATH, m->target, m->attr);
	case MNT_TMPFS:
	case MNT_OUT:
		if (mkdir(m->target, 0755) != 0)
			return errno;
		if (mount("tmpfs", m->target, "tmpfs", ms_flags(m->attr), m->data) != 0)
			return errno;
		if (m->kind == MNT_OUT &&
		    (*out_fd = open(m->target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return errno;
		return 0;
	case MNT_PROC:
		if (mkdir(m->target, 0555) != 0)
			return errno;
		return mount("proc", m->target, "proc", ms_flags(m->attr), NULL) == 0 ?
		    0 : errno;
	case MNT_FILE:
		return write_file(m->target, m->data);
	case MNT_RDONLY_SELF:
		if (lstat(m->target, &st) != 0)
			return errno == ENOENT ? 0 : errno;
		return bind_tree(AT_FDCWD, m->target, AT_SYMLINK_NOFOLLOW, m->target, m->attr);
	case MNT_MASK:
		if (lstat(m->target, &st) != 0)
			return errno == ENOENT ? 0 : errno;
		if (S_ISDIR(st.st_mode))
			return mount("tmpfs", m->target, "tmpfs", ms_flags(m->attr),
			    "size=4k,nr_inodes=1,mode=0555") == 0 ? 0 : errno;
		return bind_tree(AT_FDCWD, "dev/null", AT_SYMLINK_NOFOLLOW, m->target, m->attr);
	case MNT_SEAL:
		memset(&ma, 0, sizeof(ma));
		ma.attr_set = m->attr;
		return mount_setattr(AT_FDCWD, m->target, AT_SYMLINK_NOFOLLOW, &ma,
		    sizeof(ma)) == 0 ? 0 : errno;
	}
	return EINVAL;
}

int
exec_rootfs_build(struct exec_rootfs *fs, int *out_fd, const char **what)
{
	size_t i;
	int err;

	*out_fd = -1;
	for (i = 0; i < fs->n; i++) {
		*what = fs->m[i].target;
		if ((err = build_one(&fs->m[i], out_fd)) != 0)
			return err;
		if (fs->m[i].fd >= 0) {
			close(fs->m[i].fd);
			fs->m[i].fd = -1;
		}
	}
	return *out_fd >= 0 ? 0 : EINVAL;
}

int
exec_rootfs_pivot(const char **what)
{
	/* pivot_root(".", "."): the old root lands on top of the new one, then goes. */
	*what = "/";
	if (syscall(SYS_pivot_root, ".", ".") != 0)
		return errno;
	if (umount2(".", MNT_DETACH) != 0)
		return errno;
	if (chdir("/") != 0)
		return errno;
	return 0;
}

int
exec_rootfs_seal(const char **what)
{
	struct mount_attr ma;

	*what = "/";
	memset(&ma, 0, sizeof(ma));
	ma.attr_set = RO_ATTR;
	if (mount_setattr(AT_FDCWD, "/", 0, &ma, sizeof(ma)) != 0)
		return errno;
	return 0;
}
