/*
 * rootfs.h - internal to the executor: the sandbox's root filesystem.
 *
 * Layout (every path below is what the program sees):
 *
 * | path                         | what                                              |
 * |------------------------------|---------------------------------------------------|
 * | /                            | tmpfs, read-only once built                       |
 * | /usr /bin /sbin /lib /lib64 /lib32 | host's, bind read-only nosuid nodev; a host symlink (Debian's /bin -> usr/bin) is recreated as the same symlink |
 * | /etc/{ld.so.cache, ld.so.conf, ld.so.conf.d, passwd, group, nsswitch.conf, localtime, alternatives} | host's, each bound read-only (or recreated symlink) when present |
 * | /work                        | directory of the read-only root                   |
 * | /work/in                     | staged inputs, bind read-only nosuid nodev        |
 * | /work/out                    | the output directory, bind read-write nosuid nodev |
 * | /tmp                         | tmpfs, 64 MiB, mode 1777, nosuid nodev            |
 * | /proc                        | fresh proc of the sandbox's pid namespace; /proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus re-bound read-only |
 * | /dev                         | tmpfs, read-only once built, noexec nosuid        |
 * | /dev/{null,zero,full,random,urandom} | host's device nodes, bound (nosuid noexec) |
 * | /dev/{fd,stdin,stdout,stderr} | symlinks into /proc/self/fd                      |
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

#define EXEC_TMP_BYTES ((uint64_t)64 * 1024 * 1024)

struct exec_rootfs;

/* Plan the root for the given absolute host directories. Free with exec_rootfs_free(). */
int exec_rootfs_plan(const char *in_dir, const char *out_dir, struct exec_rootfs **out);
void exec_rootfs_free(struct exec_rootfs *fs);

/* Child: open every bind source (O_PATH), checking it is still what was planned. */
int exec_rootfs_open_sources(struct exec_rootfs *fs, const char **what);

/* Child: mount the new root's tmpfs over /tmp and make it the working directory. */
int exec_rootfs_mount_root(const char **what);

/* Child: create the tree above inside the working directory; closes the sources. */
int exec_rootfs_build(struct exec_rootfs *fs, const char **what);

/* Child: pivot_root into the working directory and detach the old root. */
int exec_rootfs_pivot(const char **what);

/* Child: make / read-only (after pivot). */
int exec_rootfs_seal(const char **what);

#endif
