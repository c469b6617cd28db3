/*
 * rootfs.h - internal to the executor: the sandbox's root filesystem.
 *
 * Layout (every path below is what the program sees):
 *
 * | path                         | what                                              |
 * |------------------------------|---------------------------------------------------|
 * | /                            | tmpfs, read-only once built                       |
 * | host rootfs: /usr /bin /sbin /lib /lib64 /lib32 | host's, bound read-only nosuid nodev; a host symlink (Debian's /bin -> usr/bin) is recreated as the same symlink |
 * | host rootfs: /etc/{ld.so.cache, ld.so.conf, ld.so.conf.d, nsswitch.conf, localtime, alternatives, ssl, ca-certificates, ca-certificates.conf, protocols, services, networks, gai.conf, host.conf, mime.types, magic, magic.mime, locale.alias, fonts, perl, java-*, python3*} | host's, each bound read-only (or recreated symlink) when present |
 * | host rootfs: /etc/{passwd, group, hosts} | written for the run: root, the policy's uid/gid, nobody; localhost |
 * | --rootfs DIR: /NAME          | every top-level entry of DIR but proc, dev, sys, tmp and work, bound read-only nosuid nodev (symlinks recreated) |
 * | policy binds                 | bound read-only nosuid nodev at their targets (parents created) |
 * | /work                        | directory of the read-only root                   |
 * | /work/in                     | staged inputs, bound read-only nosuid nodev       |
 * | /work/out                    | tmpfs of output_bytes (at least a page), at most EXEC_OUT_INODES inodes, nosuid nodev; its root descriptor goes to the parent, which collects from it after the sandbox is gone |
 * | /tmp                         | tmpfs of tmp_bytes, EXEC_TMP_INODES inodes, mode 1777, nosuid nodev |
 * | /dev                         | tmpfs, read-only once built, noexec nosuid        |
 * | /dev/{null,zero,full,random,urandom} | host's device nodes, bound (nosuid noexec) |
 * | /dev/{fd,stdin,stdout,stderr} | symlinks into /proc/self/fd                      |
 * | /dev/shm                     | tmpfs of tmp_bytes, mode 1777, nosuid nodev noexec (POSIX shm, semaphores) |
 * | /proc                        | fresh proc of the sandbox's pid namespace, nosuid nodev noexec |
 * | /proc/{sys,sysrq-trigger,irq,bus,fs} | re-bound read-only                        |
 * | /proc/{kcore,keys,kallsyms,timer_list,sched_debug,latency_stats} | covered by /dev/null |
 * | /proc/{acpi,scsi,asound}     | covered by an empty read-only tmpfs               |
 *
 * Nothing else of the host is reachable: no /sys, no /run, no /home, no
 * host /dev nodes beyond the five above.
 *
 * The plan is made by the parent (it may allocate); the child carries it
 * out with system calls only (async-signal-safe), in this order:
 * exec_rootfs_open_sources() while it still has the caller's host
 * credentials (so it can reach a private staging directory), then, with its
 * namespace ids, exec_rootfs_mount_root(), exec_rootfs_build(),
 * exec_rootfs_pivot() and exec_rootfs_seal(). Child functions return 0 or
 * an errno value and point *what at the path they failed on.
 */
#ifndef RS_EXEC_ROOTFS_H
#define RS_EXEC_ROOTFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "executor/policy.h"

#define EXEC_TMP_INODES 16384
#define EXEC_OUT_INODES 10016       /* EXEC_COLLECT_MAX_ENTRIES and a margin */

struct exec_rootfs;

struct exec_rootfs_spec {
	const char *in_dir;         /* absolute host path of the staged inputs */
	const char *rootfs;         /* NULL: the host's; else an absolute directory */
	const struct exec_bind *binds;
	size_t n_binds;
	uint64_t out_bytes;         /* size of /work/out */
	uint64_t tmp_bytes;         /* size of /tmp */
	uint32_t uid, gid;          /* the program's ids inside (for /etc/passwd) */
};

/*
 * Plan the root. RS_ERR_SANDBOX (detail naming it) for a rootfs or bind
 * source that is missing or of the wrong type, or a bind target that would
 * land inside something the rootfs provides. Free with exec_rootfs_free().
 */
int exec_rootfs_plan(const struct exec_rootfs_spec *spec, struct exec_rootfs **out);
void exec_rootfs_free(struct exec_rootfs *fs);

/*
 * What the program sees of the rootfs, for measurement: item i (0-based,
 * i < exec_rootfs_n_items()) is at target (absolute, inside the sandbox),
 * either bound from host path source (a directory or regular file) or a
 * symlink to link (source NULL). Borrowed strings.
 */
size_t exec_rootfs_n_items(const struct exec_rootfs *fs);
void exec_rootfs_item(const struct exec_rootfs *fs, size_t i, const char **target,
    const char **source, const char **link);

/* Child: open every bind source (O_PATH), checking it is still what was planned. */
int exec_rootfs_open_sources(struct exec_rootfs *fs, const char **what);

/* Child: mount the new root's tmpfs over /tmp and make it the working directory. */
int exec_rootfs_mount_root(const char **what);

/*
 * Child: create the tree above inside the working directory; closes the
 * sources. *out_fd receives a descriptor of /work/out's root (O_RDONLY,
 * O_DIRECTORY, close-on-exec) that keeps that tmpfs alive.
 */
int exec_rootfs_build(struct exec_rootfs *fs, int *out_fd, const char **what);

/* Child: pivot_root into the working directory and detach the old root. */
int exec_rootfs_pivot(const char **what);

/* Child: make / read-only (after pivot). */
int exec_rootfs_seal(const char **what);

#endif
