/*
 * landlock.c - Landlock restrictions for the program (rules in landlock.h).
 *
 * The uapi header of the build host may predate the kernel, so the ABI's
 * structures and flags are spelled out here, by ABI version:
 *
 * | ABI | adds                                              |
 * |-----|---------------------------------------------------|
 * | 1   | filesystem rights, bits 0..12                     |
 * | 2   | REFER (bit 13): link or rename across directories  |
 * | 3   | TRUNCATE (bit 14)                                 |
 * | 4   | handled_access_net: TCP bind (bit 0), connect (1) |
 * | 5   | IOCTL_DEV (bit 15)                                |
 * | 6   | scoped: abstract unix sockets (bit 0), signals (1) |
 */
#include "executor/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define LL_CREATE_VERSION       (1u << 0)
#define LL_RULE_PATH_BENEATH    1

#define FS_EXECUTE      (1ull << 0)
#define FS_WRITE_FILE   (1ull << 1)
#define FS_READ_FILE    (1ull << 2)
#define FS_READ_DIR     (1ull << 3)
#define FS_REMOVE_DIR   (1ull << 4)
#define FS_REMOVE_FILE  (1ull << 5)
#define FS_MAKE_CHAR    (1ull << 6)
#define FS_MAKE_DIR     (1ull << 7)
#define FS_MAKE_REG     (1ull << 8)
#define FS_MAKE_SOCK    (1ull << 9)
#define FS_MAKE_FIFO    (1ull << 10)
#define FS_MAKE_BLOCK   (1ull << 11)
#define FS_MAKE_SYM     (1ull << 12)
#define FS_REFER        (1ull << 13)
#define FS_TRUNCATE     (1ull << 14)
#define FS_IOCTL_DEV    (1ull << 15)

#define NET_BIND_TCP    (1ull << 0)
#define NET_CONNECT_TCP (1ull << 1)

#define SCOPE_ABSTRACT_UNIX (1ull << 0)
#define SCOPE_SIGNAL        (1ull << 1)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;    /* ABI 4 */
	uint64_t scoped;                /* ABI 6 */
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#define RO (FS_READ_FILE | FS_READ_DIR | FS_EXECUTE)
#define RW_TREE (RO | FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_DIR | \
    FS_MAKE_REG | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_SYM | FS_REFER | FS_TRUNCATE)
#define DEV_NODE (FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV)

static const struct {
	const char *path;
	uint64_t access;
} rules[] = {
	{ "/", RO },
	{ "/tmp", RW_TREE },
	{ "/work/out", RW_TREE },
	{ "/dev/shm", RW_TREE & ~FS_EXECUTE },
	{ "/dev/null", DEV_NODE },
	{ "/dev/zero", DEV_NODE },
	{ "/dev/full", DEV_NODE },
	{ "/dev/random", DEV_NODE },
	{ "/dev/urandom", DEV_NODE },
};

int
exec_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_VERSION);

	return v > 0 ? (int)v : 0;
}

/* Every filesystem right the ABI knows. */
static uint64_t
fs_rights(int abi)
{
	uint64_t all = (FS_MAKE_SYM << 1) - 1;     /* ABI 1: bits 0..12 */

	if (abi >= 2)
		all |= FS_REFER;
	if (abi >= 3)
		all |= FS_TRUNCATE;
	if (abi >= 5)
		all |= FS_IOCTL_DEV;
	return all;
}

int
exec_landlock_apply(int abi, int deny_tcp)
{
	struct ll_ruleset_attr attr;
	struct ll_path_beneath pb;
	size_t size, i;
	uint64_t handled = fs_rights(abi);
	int ruleset, fd, err = 0;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled;
	size = sizeof(attr.handled_access_fs);
	if (abi >= 4) {
		if (deny_tcp)
			attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0)
		return errno;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]) && err == 0; i++) {
		if ((fd = open(rules[i].path, O_PATH | O_CLOEXEC)) < 0) {
			err = errno;
			break;
		}
		memset(&pb, 0, sizeof(pb));
		pb.allowed_access = rules[i].access & handled;
		pb.parent_fd = fd;
		if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) != 0)
			err = errno;
		close(fd);
	}
	if (err == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
		err = errno;
	close(ruleset);
	return err;
}
