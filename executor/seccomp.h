/*
 * seccomp.h - internal to the executor: the program's syscall filter.
 *
 * A default-allow filter with a denylist: the kernel interfaces a sandboxed
 * program has no business with (keyrings, bpf, perf, userfaultfd, ptrace and
 * cross-process memory access, kernel modules and kexec, every mount and
 * namespace call, io_uring, clock setting) fail with EPERM; clone() with
 * CLONE_NEWUSER fails with EPERM and clone3() with ENOSYS (its flags cannot
 * be inspected; libc falls back to clone()). A syscall of a foreign
 * architecture kills the process. Deny-listing is a hardening layer on top
 * of the namespaces and the empty capability sets, not the boundary itself.
 *
 * The filter is compiled in the parent (libseccomp allocates) and loaded in
 * the child right before execve() with one prctl(), which needs no memory.
 */
#ifndef RS_EXEC_SECCOMP_H
#define RS_EXEC_SECCOMP_H

#include <stddef.h>

struct exec_seccomp;

/* Compile the filter for the native architecture. Free with exec_seccomp_free(). */
int exec_seccomp_build(struct exec_seccomp **out);
void exec_seccomp_free(struct exec_seccomp *f);

/*
 * Install f on the calling thread (no_new_privs must already be set).
 * Async-signal-safe: for the sandbox child. Returns 0 or an errno value.
 */
int exec_seccomp_load(const struct exec_seccomp *f);

#endif
