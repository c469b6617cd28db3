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

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/err.h"

enum mnt_kind {
	MNT_DIR,                    /* mkdir target */
	MNT_SYMLINK,                /* symlink target -> link */
	MNT_BIND,                   /* bind source at target (created as dir or file) */
	MNT_TMPFS,                  /* new tmpfs at target with data options */
	MNT_PROC,                   /* new proc at target */
	MNT_RDONLY_SELF,            /* re-bind an existing path onto itself read-only; absent is fine */
	MNT_SEAL,                   /* make the mount at target read-only */
};

struct mnt {
	enum mnt_kind kind;
	char *target;               /* relative to the new root */
	char *source;               /* MNT_BIND: absolute host path */
	char *link;                 /* MNT_SYMLINK */
	const char *data;           /* MNT_TMPFS options */
	uint64_t attr;              /* MOUNT_ATTR_* for the new mount */
	mode_t source_type;         /* MNT_BIND: S_IFDIR, S_IFREG or S_IFCHR, as planned */
	int fd;                     /* MNT_BIND: O_PATH source in the child, or -1 */
};

struct exec_rootfs {
	struct mnt *m;
	size_t n;
};

#define RO_ATTR (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

/* Host directories bound read-only; symlinks among them are recreated. */
static const char *const host_dirs[] = { "usr", "bin", "sbin", "lib", "lib64", "lib32" };

/* Host /etc entries the dynamic loader and libc need; absent ones are skipped. */
static const char *const etc_entries[] = {
	"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group",
	"nsswitch.conf", "localtime", "alternatives",
};

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
	"proc/sys", "proc/sysrq-trigger", "proc/irq", "proc/bus",
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
	m->data = data;
	m->attr = attr;
	m->source_type = type;
	if ((m->target = strdup(target)) == NULL ||
	    (source != NULL && (m->source = strdup(source)) == NULL) ||
	    (link != NULL && (m->link = strdup(link)) == NULL))
		return RS_ERR_ALLOC;
	return 0;
}

/*
 * Plan host path `source` at `target`: a bind for a directory, regular file
 * or (with allow_dev) character device, the same symlink for a symlink.
 * Absent is skipped unless required.
 */
static int
add_host(struct exec_rootfs *fs, const char *source, const char *target, uint64_t attr,
    int allow_dev, int required)
{
	char link[PATH_MAX];
	struct stat st;
	ssize_t n;

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
		return add(fs, MNT_SYMLINK, target, NULL, link, NULL, 0, 0);
	}
	if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode) || (allow_dev && S_ISCHR(st.st_mode)))
		return add(fs, MNT_BIND, target, source, NULL, NULL, attr, st.st_mode & S_IFMT);
	if (required)
		return rs_fail(RS_ERR_SANDBOX, "sandbox root: host %s has an unexpected type",
		    source);
	return 0;
}

int
exec_rootfs_plan(const char *in_dir, const char *out_dir, struct exec_rootfs **out)
{
	struct exec_rootfs *fs = NULL;
	char src[64], dst[64];
	size_t i;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((fs = calloc(1, sizeof(*fs))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < sizeof(host_dirs) / sizeof(host_dirs[0]); i++) {
		strcpy(src, "/");
		strcat(src, host_dirs[i]);
		if ((r = add_host(fs, src, host_dirs[i], RO_ATTR, 0, 0)) != 0)
			goto out;
	}
	if ((r = add(fs, MNT_DIR, "etc", NULL, NULL, NULL, 0, 0)) != 0)
		goto out;
	for (i = 0; i < sizeof(etc_entries) / sizeof(etc_entries[0]); i++) {
		strcpy(src, "/etc/");
		strcat(src, etc_entries[i]);
		if ((r = add_host(fs, src, src + 1, RO_ATTR, 0, 0)) != 0)
			goto out;
	}
	if ((r = add(fs, MNT_DIR, "work", NULL, NULL, NULL, 0, 0)) != 0 ||
	    (r = add(fs, MNT_BIND, "work/in", in_dir, NULL, NULL, RO_ATTR, S_IFDIR)) != 0 ||
	    (r = add(fs, MNT_BIND, "work/out", out_dir, NULL, NULL,
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, S_IFDIR)) != 0 ||
	    (r = add(fs, MNT_TMPFS, "tmp", NULL, NULL, "mode=1777,size=64m",
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0)) != 0 ||
	    (r = add(fs, MNT_PROC, "proc", NULL, NULL, NULL,
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0)) != 0)
		goto out;
	for (i = 0; i < sizeof(proc_rdonly) / sizeof(proc_rdonly[0]); i++) {
		if ((r = add(fs, MNT_RDONLY_SELF, proc_rdonly[i], NULL, NULL, NULL,
		    RO_ATTR | MOUNT_ATTR_NOEXEC, 0)) != 0)
			goto out;
	}
	if ((r = add(fs, MNT_TMPFS, "dev", NULL, NULL, "mode=0755,size=64k",
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0)) != 0)
		goto out;
	for (i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		strcpy(src, "/dev/");
		strcat(src, dev_nodes[i]);
		strcpy(dst, src + 1);
		/* Device nodes cannot be created in a user namespace: bind the host's. */
		if ((r = add_host(fs, src, dst, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 1, 1)) != 0)
			goto out;
	}
	for (i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++) {
		if ((r = add(fs, MNT_SYMLINK, dev_links[i].name, NULL, dev_links[i].link,
		    NULL, 0, 0)) != 0)
			goto out;
	}
	if ((r = add(fs, MNT_SEAL, "dev", NULL, NULL, NULL, MOUNT_ATTR_RDONLY, 0)) != 0)
		goto out;
	*out = fs;
	fs = NULL;
	r = 0;
out:
	exec_rootfs_free(fs);
	return r;
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

static int
build_one(struct mnt *m)
{
	struct mount_attr ma;
	struct stat st;
	int fd;

	switch (m->kind) {
	case MNT_DIR:
		return mkdir(m->target, 0755) == 0 ? 0 : errno;
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
		if (mkdir(m->target, 0755) != 0)
			return errno;
		return mount("tmpfs", m->target, "tmpfs", ms_flags(m->attr), m->data) == 0 ?
		    0 : errno;
	case MNT_PROC:
		if (mkdir(m->target, 0555) != 0)
			return errno;
		return mount("proc", m->target, "proc", ms_flags(m->attr), NULL) == 0 ?
		    0 : errno;
	case MNT_RDONLY_SELF:
		if (lstat(m->target, &st) != 0)
			return errno == ENOENT ? 0 : errno;
		return bind_tree(AT_FDCWD, m->target, AT_SYMLINK_NOFOLLOW, m->target, m->attr);
	case MNT_SEAL:
		memset(&ma, 0, sizeof(ma));
		ma.attr_set = m->attr;
		return mount_setattr(AT_FDCWD, m->target, AT_SYMLINK_NOFOLLOW, &ma,
		    sizeof(ma)) == 0 ? 0 : errno;
	}
	return EINVAL;
}

int
exec_rootfs_build(struct exec_rootfs *fs, const char **what)
{
	size_t i;
	int err;

	for (i = 0; i < fs->n; i++) {
		*what = fs->m[i].target;
		if ((err = build_one(&fs->m[i])) != 0)
			return err;
		if (fs->m[i].fd >= 0) {
			close(fs->m[i].fd);
			fs->m[i].fd = -1;
		}
	}
	return 0;
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
