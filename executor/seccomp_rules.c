/*
 * seccomp_rules.c - the program's syscall filter as libseccomp rules
 * (policy in seccomp.h), compiled to BPF. The build runs this once
 * (seccomp_gen) and embeds the result; exec_seccomp_compile() stays for the
 * test that checks the embedded filter is the compiled one.
 */
#include "executor/seccomp.h"

#include <errno.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <seccomp.h>

#include "common/err.h"

#define BPF_MAX_BYTES (64 * 1024)   /* BPF_MAXINSNS (4096) * 8 is 32 KiB */

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/*
 * Allowed without looking at arguments. Ordinary process, file, memory,
 * time, signal, socket and SysV/POSIX IPC calls (the namespaces keep the
 * IPC and sockets private). Names this libseccomp does not know are
 * skipped: such calls fall to the supervisor and get ENOSYS.
 */
static const char *const allowed[] = {
	/* files and descriptors */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "open", "openat", "openat2", "creat", "close", "close_range",
	"lseek", "stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs",
	"access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents",
	"getdents64", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename",
	"renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod",
	"fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
	"truncate", "ftruncate", "fallocate", "fsync", "fdatasync", "sync", "syncfs",
	"sync_file_range", "utime", "utimes", "utimensat", "futimesat", "dup", "dup2",
	"dup3", "fcntl", "flock", "pipe", "pipe2", "poll", "ppoll", "select", "pselect6",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create",
	"timerfd_settime", "timerfd_gettime", "inotify_init", "inotify_init1",
	"inotify_add_watch", "inotify_rm_watch", "memfd_create", "copy_file_range",
	"sendfile", "splice", "tee", "vmsplice", "readahead", "fadvise64", "getcwd",
	"chdir", "fchdir", "umask", "getxattr", "lgetxattr", "fgetxattr", "listxattr",
	"llistxattr", "flistxattr", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
	"lremovexattr", "fremovexattr", "io_setup", "io_destroy", "io_submit",
	"io_cancel", "io_getevents", "io_pgetevents",
	/* memory */
	"mmap", "munmap", "mprotect", "mremap", "msync", "mincore", "madvise", "brk",
	"mlock", "mlock2", "munlock", "mlockall", "munlockall", "membarrier",
	"pkey_mprotect", "pkey_alloc", "pkey_free", "get_mempolicy", "set_mempolicy",
	"set_mempolicy_home_node", "mbind", "remap_file_pages",
	"map_shadow_stack", "mseal", "cachestat",
	/* processes */
	"fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
	"getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
	"getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
	"setfsuid", "setfsgid", "capget", "capset", "prctl", "arch_prctl",
	"set_tid_address", "set_robust_list", "get_robust_list", "rseq", "futex",
	"futex_waitv", "futex_wake", "futex_wait", "futex_requeue", "sched_yield",
	"sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_setparam",
	"sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
	"sched_get_priority_min", "sched_rr_get_interval", "sched_getattr",
	"sched_setattr", "getpriority", "setpriority", "ioprio_get", "ioprio_set",
	"getrusage", "getrlimit", "setrlimit", "prlimit64", "sysinfo", "uname", "getcpu",
	"getrandom", "seccomp", "landlock_create_ruleset", "landlock_add_rule",
	"landlock_restrict_self", "pidfd_open", "pidfd_send_signal",
	/* time and signals */
	"nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday",
	"time", "times", "alarm", "getitimer", "setitimer", "timer_create",
	"timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete", "pause",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
	"rt_sigtimedwait", "rt_sigsuspend", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
	"sigaltstack", "kill", "tkill", "tgkill", "restart_syscall",
	/* sockets (socket and socketpair are checked below) */
	"bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown",
	"setsockopt", "getsockopt",
	/* IPC private to the sandbox's ipc namespace */
	"shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
	"msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
	"mq_timedreceive", "mq_notify", "mq_getsetattr",
};

/* Terminal ioctls that push input or poke the console: never allowed. */
static const uint32_t ioctl_denied[] = { TIOCSTI, TIOCLINUX };

static const uint32_t personality_allowed[] = {
	PER_LINUX, PER_LINUX | UNAME26, ADDR_NO_RANDOMIZE,
	ADDR_NO_RANDOMIZE | UNAME26, 0xffffffffu,     /* query */
};

void
exec_seccomp_free(struct exec_seccomp *f)
{
	if (f == NULL)
		return;
	free(f->insns);
	free(f);
}

size_t
exec_seccomp_export(const struct exec_seccomp *f, const struct sock_filter **insns)
{
	*insns = f->insns;
	return f->len;
}

/* Export ctx as raw BPF through a memfd (libseccomp 2.5 has no in-memory export). */
static int
export_bpf(scmp_filter_ctx ctx, struct exec_seccomp *f)
{
	uint8_t *buf = NULL;
	size_t have = 0;
	ssize_t n;
	int fd = -1, rc, r = RS_ERR_INTERNAL;

	if ((fd = memfd_create("runseal-seccomp", MFD_CLOEXEC)) < 0) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: memfd_create: %s", strerror(errno));
		goto out;
	}
	if ((rc = seccomp_export_bpf(ctx, fd)) != 0) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: exporting the filter: %s", strerror(-rc));
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: %s", strerror(errno));
		goto out;
	}
	if ((buf = malloc(BPF_MAX_BYTES)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	while (have < BPF_MAX_BYTES) {
		n = read(fd, buf + have, BPF_MAX_BYTES - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = rs_fail(RS_ERR_INTERNAL, "seccomp: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have == 0 || have % sizeof(struct sock_filter) != 0 || have >= BPF_MAX_BYTES) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: exported filter has %zu bytes", have);
		goto out;
	}
	f->insns = (struct sock_filter *)buf;
	f->len = (unsigned short)(have / sizeof(struct sock_filter));
	buf = NULL;
	r = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

static int
rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned int n,
    struct scmp_arg_cmp a, struct scmp_arg_cmp b)
{
	int nr, rc;

	if ((nr = seccomp_syscall_resolve_name(name)) == __NR_SCMP_ERROR)
		return 0;           /* not on this architecture: nothing to allow */
	if (n == 0)
		rc = seccomp_rule_add(ctx, action, nr, 0);
	else if (n == 1)
		rc = seccomp_rule_add(ctx, action, nr, 1, a);
	else
		rc = seccomp_rule_add(ctx, action, nr, 2, a, b);
	if (rc != 0)
		return rs_fail(RS_ERR_INTERNAL, "seccomp: rule for %s: %s", name, strerror(-rc));
	return 0;
}

/* Comparisons spelled out in full (libseccomp's macros leave datum_b implicit). */
#define CMP(i, o, a, b) ((struct scmp_arg_cmp){ .arg = (i), .op = (o), .datum_a = (a), \
    .datum_b = (b) })
#define NOARG CMP(0, SCMP_CMP_EQ, 0, 0)
#define MASKED(i, mask, v) CMP((i), SCMP_CMP_MASKED_EQ, (mask), (v))
#define EQ32(i, v) MASKED((i), 0xffffffffu, (uint32_t)(v))

/*
 * Allow syscall `name` when the low 32 bits of argument `arg` are none of
 * the n values in denied. libseccomp cannot AND two comparisons of one
 * argument, so the allowed set is covered by masked-equality rules (ORed):
 * split on bits from the top; a half holding no denied value is one rule.
 * At most 32 rules per denied value.
 */
static int
allow_except(scmp_filter_ctx ctx, const char *name, unsigned int arg,
    const uint32_t *denied, size_t n, uint32_t mask, uint32_t value, int bit)
{
	size_t i, hits = 0;
	int r;

	for (i = 0; i < n; i++)
		hits += (denied[i] & mask) == value;
	if (hits == 0)
		return rule(ctx, SCMP_ACT_ALLOW, name, 1, MASKED(arg, mask, value), NOARG);
	if (bit < 0)
		return 0;           /* exactly a denied value */
	mask |= 1u << bit;
	if ((r = allow_except(ctx, name, arg, denied, n, mask, value, bit - 1)) != 0)
		return r;
	return allow_except(ctx, name, arg, denied, n, mask, value | (1u << bit), bit - 1);
}

static int
add_rules(scmp_filter_ctx ctx)
{
	static const int fam[] = { AF_UNIX, AF_INET, AF_INET6 };
	static const uint32_t node_types[] = { 0, S_IFREG, S_IFIFO, S_IFSOCK };
	const uint64_t ns_flags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
	    CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME;
	size_t i;
	int r;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		if ((r = rule(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NOARG, NOARG)) != 0)
			return r;
	}
	/* clone without a namespace flag; clone3 cannot be inspected. */
	if ((r = rule(ctx, SCMP_ACT_ALLOW, "clone", 1, MASKED(0, ns_flags, 0), NOARG)) != 0 ||
	    (r = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NOARG, NOARG)) != 0)
		return r;
	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		if ((r = rule(ctx, SCMP_ACT_ALLOW, "socket", 1, EQ32(0, fam[i]), NOARG)) != 0)
			return r;
	}
	if ((r = rule(ctx, SCMP_ACT_ALLOW, "socket", 2, EQ32(0, AF_NETLINK),
	    EQ32(2, NETLINK_ROUTE))) != 0 ||
	    (r = rule(ctx, SCMP_ACT_ALLOW, "socketpair", 1, EQ32(0, AF_UNIX), NOARG)) != 0)
		return r;
	/* The kernel truncates mode to 16 bits; S_IFMT survives that. */
	for (i = 0; i < sizeof(node_types) / sizeof(node_types[0]); i++) {
		if ((r = rule(ctx, SCMP_ACT_ALLOW, "mknod", 1, MASKED(1, S_IFMT, node_types[i]),
		    NOARG)) != 0 ||
		    (r = rule(ctx, SCMP_ACT_ALLOW, "mknodat", 1, MASKED(2, S_IFMT, node_types[i]),
		    NOARG)) != 0)
			return r;
	}
	for (i = 0; i < sizeof(personality_allowed) / sizeof(personality_allowed[0]); i++) {
		if ((r = rule(ctx, SCMP_ACT_ALLOW, "personality", 1,
		    EQ32(0, personality_allowed[i]), NOARG)) != 0)
			return r;
	}
	return allow_except(ctx, "ioctl", 1, ioctl_denied,
	    sizeof(ioctl_denied) / sizeof(ioctl_denied[0]), 0, 0, 31);
}

int
exec_seccomp_compile(struct exec_seccomp **out)
{
	struct exec_seccomp *f = NULL;
	scmp_filter_ctx ctx = NULL;
	int rc, r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((ctx = seccomp_init(SCMP_ACT_NOTIFY)) == NULL) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: seccomp_init failed");
		goto out;
	}
	/* The child sets no_new_privs itself; a foreign ABI goes to the supervisor. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_NOTIFY)) != 0) {
		r = rs_fail(RS_ERR_INTERNAL, "seccomp: setting attributes: %s", strerror(-rc));
		goto out;
	}
	if ((r = add_rules(ctx)) != 0 || (r = export_bpf(ctx, f)) != 0)
		goto out;
	*out = f;
	f = NULL;
	r = 0;
out:
	if (ctx != NULL)
		seccomp_release(ctx);
	exec_seccomp_free(f);
	return r;
}
