/*
 * seccomp.h - internal to the executor: the program's syscall filter and
 * the supervisor that records what it refused.
 *
 * The filter is a default-deny allowlist (libseccomp), checked against the
 * native architecture: a call of another ABI (i386 through int 0x80 or a
 * 32-bit binary, x32 through __X32_SYSCALL_BIT) never matches a rule.
 *
 * | what                                   | action                            |
 * |----------------------------------------|-----------------------------------|
 * | allowlisted call, arguments permitted  | run it                            |
 * | clone3                                 | ENOSYS, silently (its flags live  |
 * |                                        | in memory the filter cannot read; |
 * |                                        | libc falls back to clone)         |
 * | anything else, any foreign-ABI call    | user notification: the supervisor |
 * |                                        | records it and answers an error   |
 *
 * Arguments are checked for: clone (no CLONE_NEW* flag), socket (AF_UNIX,
 * AF_INET, AF_INET6, and AF_NETLINK with NETLINK_ROUTE only: never
 * AF_VSOCK, AF_PACKET, AF_ALG, ...), socketpair (AF_UNIX), ioctl (every
 * request but TIOCSTI and TIOCLINUX, compared on the 32 bits the kernel
 * uses), mknod/mknodat (regular files, FIFOs and sockets only), personality
 * (the values glibc and setarch use).
 *
 * The supervisor answers EPERM for the refused classes named in
 * seccomp.c (keyrings, bpf, perf, userfaultfd, ptrace and cross-process
 * memory, mount and namespace calls, modules, kexec, clock setting,
 * io_uring, ...), EAFNOSUPPORT for a refused socket family, and ENOSYS for
 * every other call, known or not. It only ever refuses, so the notification
 * races that make user notification unsafe for *allowing* calls do not
 * apply.
 *
 * The filter is compiled with libseccomp when runseal is built (the
 * seccomp_gen tool runs exec_seccomp_compile() and embeds the BPF); the
 * parent copies it for each run and the child loads it with one seccomp()
 * call, which returns the listener descriptor the child hands to the parent.
 */
#ifndef RS_EXEC_SECCOMP_H
#define RS_EXEC_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

/* A BPF program; owned by its holder (exec_seccomp_free()). */
struct exec_seccomp {
	struct sock_filter *insns;
	unsigned short len;
};

/* The filter as embedded at build time. Free with exec_seccomp_free(). */
int exec_seccomp_build(struct exec_seccomp **out);
void exec_seccomp_free(struct exec_seccomp *f);

/* Compile the filter now, for the native architecture, with libseccomp. */
int exec_seccomp_compile(struct exec_seccomp **out);

/* 1 if a and b are the same program. */
int exec_seccomp_equal(const struct exec_seccomp *a, const struct exec_seccomp *b);

/* The instructions of f (borrowed); returns their count. */
size_t exec_seccomp_export(const struct exec_seccomp *f, const struct sock_filter **insns);

/*
 * Child: install f on the calling thread (no_new_privs must be set) and put
 * the notification listener in *listener (close-on-exec). System calls
 * only. Returns 0 or an errno value.
 */
int exec_seccomp_load(const struct exec_seccomp *f, int *listener);

/* Distinct refusals kept with a name; further kinds are only counted. */
#define EXEC_SECCOMP_KINDS_MAX 128

struct exec_seccomp_refusal {
	char what[64];              /* "keyctl", "socket AF_VSOCK", "i386 syscall 20" */
	uint64_t count;
};

/* What the supervisor refused during one run. */
struct exec_seccomp_log {
	struct exec_seccomp_refusal kinds[EXEC_SECCOMP_KINDS_MAX];
	size_t n_kinds;
	uint64_t other;             /* refusals of kinds past the table */
	uint64_t total;
};

/*
 * Parent: take one pending notification from listener, log it and answer
 * it with an error; never blocks. Returns 2 when one was answered (or had
 * vanished: its caller died or was interrupted), 0 when none was pending,
 * 1 when the listener is finished (every filtered process is gone),
 * RS_ERR_SANDBOX on an unexpected failure.
 */
int exec_seccomp_answer(int listener, struct exec_seccomp_log *log);

#endif
