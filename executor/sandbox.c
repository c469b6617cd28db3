/*
 * sandbox.c - run one program in fresh namespaces (process layout and id
 * rule in sandbox.h).
 *
 * The sandbox is two ordered lists of small steps, one for init and one for
 * the program, each step returning 0 or an errno value. Any failure is fatal
 * to the child: it writes one fixed-size report naming the step and errno
 * to the report pipe and exits 125 (fail closed). The steps run in a child
 * made with raw clone3(), so they use system calls only: everything that
 * allocates (the root plan, the seccomp filter, argv and env) is prepared
 * by the parent before the clone.
 *
 * Report pipe (child -> parent), one message per write(), each smaller than
 * PIPE_BUF and therefore atomic:
 *
 * | field  | type      | meaning                                                 |
 * |--------|-----------|---------------------------------------------------------|
 * | magic  | u32       | REPORT_MAGIC                                            |
 * | kind   | u32       | 1 setup step failed, 2 execve failed, 3 program ended    |
 * | step   | i32       | enum step_id of the failed step (kinds 1, 2)            |
 * | err    | i32       | errno (kinds 1, 2)                                      |
 * | status | i32       | the program's wait status as init saw it (kind 3)       |
 * | what   | char[64]  | path or object the step failed on, NUL-padded           |
 *
 * Sync socket (a SOCK_SEQPACKET pair; one byte per message, in order):
 *
 * | from    | byte | descriptor attached        | meaning                       |
 * |---------|------|----------------------------|-------------------------------|
 * | init    | 'R'  | -                          | ready for its id maps         |
 * | parent  | 'G'  | -                          | maps written, cgroup joined   |
 * | init    | 'O'  | /work/out's root directory | the output tmpfs, kept alive  |
 * | program | 'S'  | seccomp listener           | the filter is in place        |
 *
 * The parent reads at most REPORT_MAX reports and validates every field;
 * texts are hints for the error message only. It accepts one 'O' (a
 * directory on tmpfs) and one 'S' (a seccomp listener) and nothing else.
 * The writers are init and the program's process before execve(): the
 * program itself never holds either channel (close-on-exec), and cannot
 * reach init's copy (init is non-dumpable and keeps capabilities the
 * program lacks, so /proc/1/fd and ptrace are closed to it; seccomp denies
 * ptrace and Landlock scopes signals as well).
 */
#include "executor/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "executor/caps.h"
#include "executor/landlock.h"
#include "executor/stream.h"

#define NOBODY_ID 65534
#define REPORT_MAGIC 0x52535242u    /* "RSRB" */
#define REPORT_MAX 8
#define DRAIN_GRACE_MS 2000
#define READY_TIMEOUT_MS 10000
#define CPU_POLL_MS 100
#define IO_CHUNK (64 * 1024)

/* Fixed descriptors in the child once STEP_FDS has run. */
#define FD_REPORT 3
#define FD_SYNC 4

enum report_kind {
	REPORT_SETUP_FAILED = 1,
	REPORT_EXEC_FAILED = 2,
	REPORT_EXITED = 3,
};

struct report {
	uint32_t magic;
	uint32_t kind;
	int32_t step;
	int32_t err;
	int32_t status;
	char what[64];
};

_Static_assert(sizeof(struct report) < PIPE_BUF, "report writes must be atomic");

enum step_id {
	/* init, pid 1 */
	STEP_FDS, STEP_SIGNALS, STEP_PARENT_DEATH, STEP_READY, STEP_WAIT_MAPS,
	STEP_CGROUP_NS, STEP_PRIVATE_MOUNTS, STEP_OPEN_SOURCES, STEP_IDS, STEP_ROOT,
	STEP_MOUNTS, STEP_SEND_OUT, STEP_PIVOT, STEP_SEAL_ROOT, STEP_HOSTNAME,
	STEP_NETWORK, STEP_CHDIR, STEP_NON_DUMPABLE, STEP_SCRUB, STEP_FORK, STEP_WIPE,
	/* the program's process */
	STEP_SESSION, STEP_RLIMITS, STEP_NO_NEW_PRIVS, STEP_CAPS, STEP_LANDLOCK,
	STEP_CLOSE_FDS, STEP_SECCOMP, STEP_EXEC,
	STEP_COUNT
};

static const char *const step_names[STEP_COUNT] = {
	[STEP_FDS] = "descriptors",
	[STEP_SIGNALS] = "signal dispositions",
	[STEP_PARENT_DEATH] = "parent-death signal",
	[STEP_READY] = "ready for the id maps",
	[STEP_WAIT_MAPS] = "waiting for the id maps",
	[STEP_CGROUP_NS] = "cgroup namespace",
	[STEP_PRIVATE_MOUNTS] = "private mounts",
	[STEP_OPEN_SOURCES] = "opening bind sources",
	[STEP_IDS] = "switching to the namespace's ids",
	[STEP_ROOT] = "root tmpfs",
	[STEP_MOUNTS] = "mounts",
	[STEP_SEND_OUT] = "handing /work/out to the executor",
	[STEP_PIVOT] = "pivot_root",
	[STEP_SEAL_ROOT] = "read-only root",
	[STEP_HOSTNAME] = "hostname",
	[STEP_NETWORK] = "loopback interface",
	[STEP_CHDIR] = "chdir /work",
	[STEP_NON_DUMPABLE] = "non-dumpable init",
	[STEP_SCRUB] = "wiping init's command line and environment",
	[STEP_FORK] = "fork of the program",
	[STEP_WIPE] = "wiping init's copy of the executor's memory",
	[STEP_SESSION] = "new session",
	[STEP_RLIMITS] = "rlimits",
	[STEP_NO_NEW_PRIVS] = "no_new_privs",
	[STEP_CAPS] = "dropping capabilities",
	[STEP_LANDLOCK] = "landlock",
	[STEP_CLOSE_FDS] = "closing descriptors",
	[STEP_SECCOMP] = "seccomp filter",
	[STEP_EXEC] = "execve",
};

static const char *const isolation[] = {
	"userns", "mntns", "pidns", "netns", "ipcns", "utsns", "cgroupns",
	"rootfs_readonly", "no_new_privs", "caps_dropped", "fds_closed", "env_cleared",
	"seccomp_allowlist",
};

const char *const *
exec_sandbox_isolation(size_t *n)
{
	*n = sizeof(isolation) / sizeof(isolation[0]);
	return isolation;
}

void
exec_sandbox_host_ids(uid_t *uid, gid_t *gid)
{
	if (geteuid() == 0) {
		*uid = NOBODY_ID;
		*gid = NOBODY_ID;
	} else {
		*uid = geteuid();
		*gid = getegid();
	}
}

/* Everything the child needs, prepared by the parent. */
struct child {
	const struct exec_sandbox_spec *spec;
	struct exec_rootfs *fs;
	const struct exec_seccomp *filter;
	int clear_groups;           /* setgroups is allowed: drop supplementary groups */
	int fd_null, fd_out, fd_err, fd_report, fd_sync;
	int out_dir;                /* init: /work/out's root until handed over */
	const char *what;           /* object of the failing step (borrowed) */
};

/* ---- child side: system calls only ---- */

/*
 * fork()-like clone3 without libc's fork handlers; flags add namespaces.
 * cgroup_fd >= 0 starts the child in that (v2) group.
 */
static pid_t
raw_clone(uint64_t flags, int *pidfd, int cgroup_fd)
{
	struct clone_args ca;

	memset(&ca, 0, sizeof(ca));
	ca.flags = flags;
	if (pidfd != NULL)
		ca.pidfd = (uint64_t)(uintptr_t)pidfd;
	if (cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cgroup_fd;
	}
	ca.exit_signal = SIGCHLD;
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

static void
child_report(int fd, uint32_t kind, int step, int err, int status, const char *what)
{
	struct report rep;
	size_t i;
	ssize_t n;

	memset(&rep, 0, sizeof(rep));
	rep.magic = REPORT_MAGIC;
	rep.kind = kind;
	rep.step = step;
	rep.err = err;
	rep.status = status;
	for (i = 0; what != NULL && what[i] != '\0' && i < sizeof(rep.what) - 1; i++)
		rep.what[i] = what[i];
	do {
		n = write(fd, &rep, sizeof(rep));
	} while (n < 0 && errno == EINTR);
}

static _Noreturn void
child_fail(struct child *c, enum step_id step, int err)
{
	child_report(c->fd_report, REPORT_SETUP_FAILED, (int)step, err, 0, c->what);
	_exit(125);
}

/* One byte on the sync socket, with a descriptor attached when fd >= 0. */
static int
sync_send(int sock, char byte, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		u.h.cmsg_level = SOL_SOCKET;
		u.h.cmsg_type = SCM_RIGHTS;
		u.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&u.h), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : n < 0 ? errno : EIO;
}

static int
step_fds(struct child *c)
{
	int src[5] = { c->fd_null, c->fd_out, c->fd_err, c->fd_report, c->fd_sync };
	int hi[5], i;

	/* Lift every descriptor we keep above the slots before filling the slots. */
	for (i = 0; i < 5; i++) {
		if ((hi[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 10)) < 0)
			return errno;
	}
	if (dup2(hi[0], 0) < 0 || dup2(hi[1], 1) < 0 || dup2(hi[2], 2) < 0 ||
	    dup3(hi[3], FD_REPORT, O_CLOEXEC) < 0 || dup3(hi[4], FD_SYNC, O_CLOEXEC) < 0)
		return errno;
	c->fd_report = FD_REPORT;
	c->fd_sync = FD_SYNC;
	/* Nothing else of the executor's (ledger, keys, ...) enters the sandbox. */
	if (close_range(FD_SYNC + 1, ~0U, 0) != 0)
		return errno;
	return 0;
}

static int
step_signals(struct child *c)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	(void)c;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	/* Inherited SIG_IGN survives execve: reset all, so runs are reproducible. */
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		(void)sigaction(sig, &sa, NULL);    /* libc-reserved signals refuse: fine */
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) != 0)
		return errno;
	return 0;
}

static int
step_parent_death(struct child *c)
{
	(void)c;
	return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0 ? 0 : errno;
}

static int
step_ready(struct child *c)
{
	/*
	 * The parent opens /proc/<pid>/uid_map: a non-dumpable task's /proc
	 * files belong to host root, out of reach of a caller that is not root
	 * (a caller may be non-dumpable after changing ids). The window lasts
	 * until STEP_NON_DUMPABLE and runs none of the program's code.
	 */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
		return errno;
	return sync_send(c->fd_sync, 'R', -1);
}

static int
step_wait_maps(struct child *c)
{
	char b = 0;
	ssize_t n;

	do {
		n = read(c->fd_sync, &b, 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	if (n != 1 || b != 'G')
		return ECANCELED;       /* the parent gave up or died */
	return 0;
}

static int
step_cgroup_ns(struct child *c)
{
	/* Now that the parent moved us into the run's cgroup, make it our root. */
	(void)c;
	return unshare(CLONE_NEWCGROUP) == 0 ? 0 : errno;
}

static int
step_private_mounts(struct child *c)
{
	c->what = "/";
	return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 ? 0 : errno;
}

static int
step_open_sources(struct child *c)
{
	return exec_rootfs_open_sources(c->fs, &c->what);
}

static int
step_ids(struct child *c)
{
	uint32_t uid = c->spec->uid, gid = c->spec->gid;

	/*
	 * Raw system calls: libc's set*id would try to signal the parent's
	 * threads. The namespace's only ids are the program's; init keeps its
	 * capabilities across the change (it created the namespace, and its
	 * old ids are not the namespace's root).
	 */
	if (c->clear_groups && syscall(SYS_setgroups, 0, NULL) != 0)
		return errno;
	if (syscall(SYS_setresgid, gid, gid, gid) != 0 ||
	    syscall(SYS_setresuid, uid, uid, uid) != 0)
		return errno;
	return 0;
}

static int
step_root(struct child *c)
{
	return exec_rootfs_mount_root(&c->what);
}

static int
step_mounts(struct child *c)
{
	return exec_rootfs_build(c->fs, &c->out_dir, &c->what);
}

static int
step_send_out(struct child *c)
{
	int err = sync_send(c->fd_sync, 'O', c->out_dir);

	close(c->out_dir);
	c->out_dir = -1;
	return err;
}

static int
step_pivot(struct child *c)
{
	return exec_rootfs_pivot(&c->what);
}

static int
step_seal_root(struct child *c)
{
	return exec_rootfs_seal(&c->what);
}

static int
step_hostname(struct child *c)
{
	(void)c;
	return sethostname("runseal", 7) == 0 ? 0 : errno;
}

static int
step_network(struct child *c)
{
	struct ifreq ifr;
	int s, err = 0;

	if (!c->spec->loopback)
		return 0;       /* the namespace's lo stays down: no network at all */
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		err = errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (err == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		err = errno;
	close(s);
	return err;
}

static int
step_chdir(struct child *c)
{
	c->what = "/work";
	return chdir("/work") == 0 ? 0 : errno;
}

static int
step_non_dumpable(struct child *c)
{
	(void)c;
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : errno;
}

/*
 * Fields 48..51 of /proc/self/stat: arg_start, arg_end, env_start, env_end.
 * The line is parsed after the last ')' (the command name may hold spaces
 * and parentheses).
 */
static int
arg_env_areas(uintptr_t area[4])
{
	char buf[2048];
	ssize_t n;
	size_t i, field = 2;
	int fd, k = 0;

	if ((fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return EIO;
	buf[n] = '\0';
	for (i = (size_t)n; i > 0 && buf[i - 1] != ')'; i--)
		;
	if (i == 0)
		return EIO;
	for (; buf[i] != '\0' && k < 4; i++) {
		if (buf[i] == ' ') {
			field++;
			if (field >= 48 && field <= 51) {
				uintptr_t v = 0;
				size_t j;
				for (j = i + 1; buf[j] >= '0' && buf[j] <= '9'; j++)
					v = v * 10 + (uintptr_t)(buf[j] - '0');
				area[k++] = v;
			}
		}
	}
	return k == 4 ? 0 : EIO;
}

static int
step_scrub(struct child *c)
{
	uintptr_t a[4];
	int err;

	(void)c;
	/*
	 * init is a copy of the executor, and /proc/1/cmdline is readable by
	 * anyone in the pid namespace: wipe the executor's command line and
	 * environment strings (the areas /proc shows) and rename the task.
	 * The program's argv and environment are heap copies, built apart.
	 */
	if ((err = arg_env_areas(a)) != 0)
		return err;
	if (a[1] > a[0] && a[1] - a[0] < ((uintptr_t)1 << 30))
		explicit_bzero((void *)a[0], a[1] - a[0]);
	if (a[3] > a[2] && a[3] - a[2] < ((uintptr_t)1 << 30))
		explicit_bzero((void *)a[2], a[3] - a[2]);
	return prctl(PR_SET_NAME, "runseal-init", 0, 0, 0) == 0 ? 0 : errno;
}

static int
step_session(struct child *c)
{
	(void)c;
	return setsid() >= 0 ? 0 : errno;
}

static int
step_rlimits(struct child *c)
{
	struct rlimit rl;
	size_t i;

	for (i = 0; i < c->spec->n_rlimits; i++) {
		rl.rlim_cur = (rlim_t)c->spec->rlimits[i].soft;
		rl.rlim_max = (rlim_t)c->spec->rlimits[i].hard;
		if (setrlimit(c->spec->rlimits[i].resource, &rl) != 0)
			return errno;
	}
	return 0;
}

static int
step_no_new_privs(struct child *c)
{
	(void)c;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : errno;
}

static int
step_caps(struct child *c)
{
	(void)c;
	return exec_caps_drop_all();
}

static int
step_landlock(struct child *c)
{
	if (c->spec->landlock_abi <= 0)
		return 0;
	return exec_landlock_apply(c->spec->landlock_abi, !c->spec->loopback);
}

static int
step_close_fds(struct child *c)
{
	(void)c;
	/* 0-2 are the program's; FD_REPORT and FD_SYNC are close-on-exec. */
	return close_range(FD_SYNC + 1, ~0U, 0) == 0 ? 0 : errno;
}

static int
step_seccomp(struct child *c)
{
	int listener = -1, err;

	/* From here on every call this process makes goes through the filter. */
	if ((err = exec_seccomp_load(c->filter, &listener)) != 0)
		return err;
	err = sync_send(c->fd_sync, 'S', listener);
	close(listener);
	close(c->fd_sync);
	c->fd_sync = -1;
	return err;
}

struct step {
	enum step_id id;
	int (*run)(struct child *c);
};

static const struct step init_steps[] = {
	{ STEP_FDS, step_fds },
	{ STEP_SIGNALS, step_signals },
	{ STEP_PARENT_DEATH, step_parent_death },
	{ STEP_READY, step_ready },
	{ STEP_WAIT_MAPS, step_wait_maps },
	{ STEP_CGROUP_NS, step_cgroup_ns },
	{ STEP_PRIVATE_MOUNTS, step_private_mounts },
	{ STEP_OPEN_SOURCES, step_open_sources },
	{ STEP_IDS, step_ids },
	{ STEP_ROOT, step_root },
	{ STEP_MOUNTS, step_mounts },
	{ STEP_SEND_OUT, step_send_out },
	{ STEP_PIVOT, step_pivot },
	{ STEP_SEAL_ROOT, step_seal_root },
	{ STEP_HOSTNAME, step_hostname },
	{ STEP_NETWORK, step_network },
	{ STEP_CHDIR, step_chdir },
	{ STEP_NON_DUMPABLE, step_non_dumpable },
	{ STEP_SCRUB, step_scrub },
};

/*
 * no_new_privs first among the privilege steps (Landlock needs it);
 * seccomp last before execve.
 */
static const struct step program_steps[] = {
	{ STEP_SESSION, step_session },
	{ STEP_RLIMITS, step_rlimits },
	{ STEP_NO_NEW_PRIVS, step_no_new_privs },
	{ STEP_CAPS, step_caps },
	{ STEP_LANDLOCK, step_landlock },
	{ STEP_CLOSE_FDS, step_close_fds },
	{ STEP_SECCOMP, step_seccomp },
};

static void
run_steps(struct child *c, const struct step *steps, size_t n)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		c->what = NULL;
		if ((err = steps[i].run(c)) != 0)
			child_fail(c, steps[i].id, err);
	}
}

/* execve argv[0], searching PATH from the sandbox environment like execvp. */
static _Noreturn void
program_exec(struct child *c)
{
	char *const *argv = c->spec->argv;
	char *const *env = c->spec->env;
	const char *file = argv[0], *path = "/usr/bin:/bin", *p, *end;
	char buf[4096];
	size_t flen = strlen(file), dlen;
	int err = ENOENT, seen_eacces = 0;
	char *const *e;

	for (e = env; *e != NULL; e++) {
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	}
	if (flen == 0) {
		err = ENOENT;
	} else if (strchr(file, '/') != NULL) {
		execve(file, argv, env);
		err = errno;
	} else {
		for (p = path; ; p = end + 1) {
			end = strchr(p, ':');
			if (end == NULL)
				end = p + strlen(p);
			dlen = (size_t)(end - p);
			if (dlen == 0) {
				buf[0] = '.';
				dlen = 1;
			} else if (dlen < sizeof(buf)) {
				memcpy(buf, p, dlen);
			}
			if (dlen + 1 + flen < sizeof(buf)) {
				buf[dlen] = '/';
				memcpy(buf + dlen + 1, file, flen + 1);
				execve(buf, argv, env);
				err = errno;
				if (err == EACCES)
					seen_eacces = 1;
				else if (err != ENOENT && err != ENOTDIR && err != ESTALE &&
				    err != ENODEV && err != ETIMEDOUT)
					break;      /* found but unusable: stop like execvp */
			}
			if (*end == '\0')
				break;
		}
		if (seen_eacces && (err == ENOENT || err == ENOTDIR))
			err = EACCES;
	}
	child_report(c->fd_report, REPORT_EXEC_FAILED, STEP_EXEC, err, 0, file);
	_exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
}

/*
 * Reap every process until the program; report its status and leave, which
 * takes the rest of the pid namespace down with init. Runs after
 * wipe_memory(): syscall() only (see there).
 */
static _Noreturn void
init_reap(struct child *c, pid_t program)
{
	struct report rep;
	long p;
	int ws = 0, status = 0;
	size_t i;

	for (;;) {
		p = syscall(SYS_wait4, -1, &ws, __WALL, NULL);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0) {
			status = 125;
			break;
		}
		if (p == program)
			break;
	}
	for (i = 0; i < sizeof(rep); i++)
		((volatile char *)&rep)[i] = 0;
	rep.magic = REPORT_MAGIC;
	rep.kind = status == 0 ? REPORT_EXITED : REPORT_SETUP_FAILED;
	rep.step = status == 0 ? 0 : STEP_FORK;
	rep.err = status == 0 ? 0 : errno;
	rep.status = ws;
	do {
		p = syscall(SYS_write, c->fd_report, &rep, sizeof(rep));
	} while (p < 0 && errno == EINTR);
	syscall(SYS_exit_group, status);
	for (;;)
		;
}

/* 1 if the n bytes at a are those at b (no libc: see wipe_memory()). */
static int
same_bytes(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* Parse one /proc/self/maps line; 1 if it is a private, writable, anonymous mapping. */
static int
anon_writable(const char *l, size_t len, uintptr_t *start, uintptr_t *end, int *is_stack)
{
	size_t i = 0, field;
	uintptr_t v[2] = { 0, 0 };
	const char *perms = NULL, *path = NULL;
	int inode_zero = 0;

	for (; i < len && l[i] != '-' && l[i] != ' '; i++) {
		char ch = l[i];
		v[0] = v[0] * 16 + (uintptr_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
	}
	for (i++; i < len && l[i] != ' '; i++) {
		char ch = l[i];
		v[1] = v[1] * 16 + (uintptr_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
	}
	/* Fields after the range: perms offset dev inode [path]. */
	for (field = 1; i < len; i++) {
		if (l[i] != ' ')
			continue;
		while (i + 1 < len && l[i + 1] == ' ')
			i++;
		field++;
		if (field == 2) {
			perms = l + i + 1;
		} else if (field == 5) {
			inode_zero = i + 2 <= len && l[i + 1] == '0' && (i + 2 == len || l[i + 2] == ' ');
		} else if (field == 6) {
			path = l + i + 1;
			break;
		}
	}
	*start = v[0];
	*end = v[1];
	*is_stack = path != NULL && (size_t)(l + len - path) >= 7 && same_bytes(path, "[stack]", 7);
	if (perms == NULL || (size_t)(l + len - perms) < 4 || perms[0] != 'r' || perms[1] != 'w' ||
	    perms[3] != 'p')
		return 0;
	return inode_zero || (path != NULL && (size_t)(l + len - path) >= 6 &&
	    same_bytes(path, "[heap]", 6));
}

/*
 * init is a copy of the executor, heap and all (a software signer's key,
 * the caller's environment, ...). Once the program is forked, init needs
 * only its stack, its thread pointer and the libraries' data: every other
 * private, writable, anonymous mapping is discarded (its pages read back as
 * zeros), so nothing of the executor's state stays in the sandbox. The
 * mapping holding the current stack (which holds struct child) and the one
 * holding the thread pointer (TLS, the stack protector's canary) stay.
 *
 * From the first discard on, the dynamic linker's own data may be gone, so
 * no function may be called through a PLT entry that was not bound before:
 * only syscall() (bound when init cloned the program), no libc string
 * functions, no allocation. init_reap() follows the same rule.
 */
static int
wipe_memory(void)
{
	char buf[8192];
	size_t have = 0, i, start_line;
	uintptr_t sp = (uintptr_t)&have, tp = 0, a, b;
	long n, fd;
	int st, err = 0;

	errno = 0;      /* binds __errno_location() while the linker's data is there */
	if (syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &tp) != 0)
		return errno;
	if ((fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	for (;;) {
		n = syscall(SYS_read, fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		have += (size_t)n;
		for (i = 0, start_line = 0; i < have; i++) {
			if (buf[i] != '\n')
				continue;
			if (anon_writable(buf + start_line, i - start_line, &a, &b, &st) && !st &&
			    !(sp >= a && sp < b) && !(tp >= a && tp < b) && b > a &&
			    syscall(SYS_madvise, a, b - a, MADV_DONTNEED) != 0) {
				err = errno;
				break;
			}
			start_line = i + 1;
		}
		if (err != 0 || n == 0)
			break;
		/* Keep the unfinished line; a line longer than the buffer is an error. */
		if (start_line == 0 && have == sizeof(buf)) {
			err = E2BIG;
			break;
		}
		for (i = start_line; i < have; i++)
			buf[i - start_line] = buf[i];
		have -= start_line;
	}
	syscall(SYS_close, fd);
	return err;
}

static _Noreturn void
child_main(struct child *c)
{
	pid_t program;
	int err;

	run_steps(c, init_steps, sizeof(init_steps) / sizeof(init_steps[0]));
	if ((program = raw_clone(0, NULL, -1)) < 0)
		child_fail(c, STEP_FORK, errno);
	if (program == 0) {
		run_steps(c, program_steps, sizeof(program_steps) / sizeof(program_steps[0]));
		program_exec(c);
	}
	/*
	 * init keeps no end of the output pipes (their EOF means the program
	 * side is done) and no sync socket (the program sends its listener).
	 */
	close(c->fd_sync);
	c->fd_sync = -1;
	if (dup2(0, 1) < 0 || dup2(0, 2) < 0)
		child_fail(c, STEP_FDS, errno);
	if ((err = wipe_memory()) != 0) {
		c->what = "/proc/self/maps";
		child_fail(c, STEP_WIPE, err);
	}
	init_reap(c, program);
}

/* ---- parent side ---- */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	size_t len = strlen(text);
	ssize_t n;
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return rs_fail(RS_ERR_SANDBOX, "sandbox: opening %s: %s", path, strerror(errno));
	n = write(fd, text, len);
	if (n < 0 || (size_t)n != len)
		r = rs_fail(RS_ERR_SANDBOX, "sandbox: writing \"%.*s\" to %s: %s",
		    (int)strcspn(text, "\n"), text, path, n < 0 ? strerror(errno) : "short write");
	close(fd);
	return r;
}

static int
write_id_maps(pid_t pid, const struct exec_sandbox_spec *spec, int clear_groups)
{
	char map[64];
	uid_t uid;
	gid_t gid;
	int r;

	exec_sandbox_host_ids(&uid, &gid);
	/* Without CAP_SETGID upstream, setgroups must be denied before gid_map. */
	if (!clear_groups && (r = write_proc(pid, "setgroups", "deny")) != 0)
		return r;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)spec->uid, (unsigned)uid);
	if ((r = write_proc(pid, "uid_map", map)) != 0)
		return r;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)spec->gid, (unsigned)gid);
	return write_proc(pid, "gid_map", map);
}

/* Keep only whole, well-formed messages; the rest is dropped. */
struct reports {
	uint8_t buf[REPORT_MAX * sizeof(struct report)];
	size_t len;
	int setup_failed, exec_failed, exited;
	struct report setup, exec, exit;
};

static void
parse_reports(struct reports *rp)
{
	struct report m;
	size_t off;

	for (off = 0; off + sizeof(m) <= rp->len; off += sizeof(m)) {
		memcpy(&m, rp->buf + off, sizeof(m));
		m.what[sizeof(m.what) - 1] = '\0';
		if (m.magic != REPORT_MAGIC)
			continue;
		if (m.kind == REPORT_SETUP_FAILED && !rp->setup_failed) {
			rp->setup_failed = 1;
			rp->setup = m;
		} else if (m.kind == REPORT_EXEC_FAILED && !rp->exec_failed) {
			rp->exec_failed = 1;
			rp->exec = m;
		} else if (m.kind == REPORT_EXITED && !rp->exited) {
			rp->exited = 1;
			rp->exit = m;
		}
	}
}

/* Read what is available; returns 1 at EOF. */
static int
read_reports(int fd, struct reports *rp)
{
	uint8_t junk[256];
	ssize_t n;

	if (rp->len < sizeof(rp->buf))
		n = read(fd, rp->buf + rp->len, sizeof(rp->buf) - rp->len);
	else
		n = read(fd, junk, sizeof(junk));   /* beyond the bound: drained, ignored */
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : 1;
	if (n == 0)
		return 1;
	if (rp->len < sizeof(rp->buf)) {
		rp->len += (size_t)n;
		parse_reports(rp);
	}
	return 0;
}

static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

/* RS_ERR_SANDBOX with a detail built from the child's report (a hint only). */
static int
setup_failure(struct reports *rp)
{
	int step = rp->setup.step;

	printable(rp->setup.what);
	return rs_fail(RS_ERR_SANDBOX, "sandbox setup failed at step \"%s\"%s%s: %s",
	    step >= 0 && step < STEP_COUNT ? step_names[step] : "?",
	    rp->setup.what[0] != '\0' ? " on " : "", rp->setup.what,
	    strerror(rp->setup.err));
}

/*
 * One message from the sync socket (non-blocking): *byte and *fd (-1 if
 * none attached; extra descriptors are closed). Returns 1 at EOF, 0 with
 * *byte 0 when nothing was there, 0 with a message, or RS_ERR_SANDBOX.
 */
static int
sync_recv(int sock, char *byte, int *fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = byte, .iov_len = 1 };
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;

	*byte = 0;
	*fd = -1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return rs_fail(RS_ERR_SANDBOX, "sandbox: sync socket: %s", strerror(errno));
	}
	if (n == 0)
		return 1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t k, nfd;
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < nfd; k++) {
			int f;
			memcpy(&f, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = f;
			else
				close(f);
		}
	}
	if ((msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return rs_fail(RS_ERR_SANDBOX, "sandbox: sync socket: truncated message");
	}
	return 0;
}

/* The child's "R": it is ready for its id maps. */
static int
wait_ready(int sock)
{
	struct pollfd pf = { .fd = sock, .events = POLLIN };
	char b = 0;
	int rc, fd = -1;

	do {
		rc = poll(&pf, 1, READY_TIMEOUT_MS);
	} while (rc < 0 && errno == EINTR);
	if (rc <= 0)
		return rs_fail(RS_ERR_SANDBOX, "sandbox: the child did not start: %s",
		    rc == 0 ? "timed out" : strerror(errno));
	rc = sync_recv(sock, &b, &fd);
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		return rc;
	if (rc == 1 || b != 'R')
		return rs_fail(RS_ERR_SANDBOX, "sandbox: the child ended before its setup");
	return 0;
}

/* A directory on a tmpfs: what init hands over as /work/out. */
static int
valid_out_dir(int fd)
{
	struct statfs sfs;
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && fstatfs(fd, &sfs) == 0 &&
	    sfs.f_type == TMPFS_MAGIC;
}

/* A seccomp notification listener. */
static int
valid_listener(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
		return 0;
	link[n] = '\0';
	return strcmp(link, "anon_inode:seccomp notify") == 0;
}

static int
kill_and_reap(pid_t pid, int pidfd, struct rusage *ru, int *status)
{
	pid_t p;

	if (pidfd >= 0)
		(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	do {
		p = wait4(pid, status, 0, ru);
	} while (p < 0 && errno == EINTR);
	return p == pid ? 0 : -1;
}

/* The run's state in the parent. */
struct run_state {
	struct exec_stream out, err;
	struct reports *rp;
	int rep_fd, sync_fd, listener, pidfd;
	int reaped, killed, stopped, rep_eof, sync_eof;
	pid_t pid;                  /* init while it is not reaped, else -1 */
};

/* Take what the sync socket holds: 'O' and 'S', once each. */
static int
take_sync(struct run_state *st, struct exec_sandbox_result *res)
{
	char b;
	int fd, rc;

	for (;;) {
		if ((rc = sync_recv(st->sync_fd, &b, &fd)) != 0) {
			if (rc == 1) {
				st->sync_eof = 1;
				return 0;
			}
			return rc;
		}
		if (b == 0)
			return 0;
		if (b == 'O' && fd >= 0 && res->out_fd < 0 && valid_out_dir(fd)) {
			res->out_fd = fd;
		} else if (b == 'S' && fd >= 0 && st->listener < 0 && valid_listener(fd)) {
			st->listener = fd;
		} else {
			if (fd >= 0)
				close(fd);
			return rs_fail(RS_ERR_SANDBOX, "sandbox: unexpected message 0x%02x on the "
			    "sync socket", (unsigned char)b);
		}
	}
}

/* Poll and serve everything until init is reaped and its output drained. */
static int
run_loop(const struct exec_sandbox_spec *spec, struct run_state *st,
    struct exec_sandbox_result *res, uint8_t *iobuf, int *ws, struct rusage *ru)
{
	int64_t deadline = mono_ms() + (int64_t)spec->wall_time_ms, grace = 0;
	int64_t cpu_check = mono_ms() + CPU_POLL_MS;
	struct pollfd pf[7];
	nfds_t stop;
	int r;

	for (;;) {
		int64_t now = mono_ms(), wait_ms;
		nfds_t n = 0;
		int rc;

		if (!st->reaped && !st->killed && now >= deadline) {
			(void)syscall(SYS_pidfd_send_signal, st->pidfd, SIGKILL, NULL, 0);
			st->killed = 1;
			res->timed_out = !st->rp->exited;
		}
		if (!st->reaped && !st->killed && spec->cpu_limit_us > 0 && now >= cpu_check) {
			cpu_check = now + CPU_POLL_MS;
			if (exec_cgroup_cpu_usec(spec->cgroup) >= spec->cpu_limit_us) {
				(void)syscall(SYS_pidfd_send_signal, st->pidfd, SIGKILL, NULL, 0);
				st->killed = 1;
				res->cpu_exceeded = !st->rp->exited;
			}
		}
		if (st->reaped && st->out.eof && st->err.eof && st->rep_eof)
			break;
		if (st->reaped && now >= grace) {
			res->drain_timed_out = 1;
			break;
		}
		wait_ms = st->reaped ? grace - now : st->killed ? 1000 : deadline - now;
		if (!st->reaped && !st->killed && spec->cpu_limit_us > 0 && wait_ms > cpu_check - now)
			wait_ms = cpu_check - now;
		if (!st->out.eof)
			pf[n++] = (struct pollfd){ .fd = st->out.fd, .events = POLLIN };
		if (!st->err.eof)
			pf[n++] = (struct pollfd){ .fd = st->err.fd, .events = POLLIN };
		if (!st->rep_eof)
			pf[n++] = (struct pollfd){ .fd = st->rep_fd, .events = POLLIN };
		if (!st->reaped)
			pf[n++] = (struct pollfd){ .fd = st->pidfd, .events = POLLIN };
		if (!st->sync_eof)
			pf[n++] = (struct pollfd){ .fd = st->sync_fd, .events = POLLIN };
		if (st->listener >= 0)
			pf[n++] = (struct pollfd){ .fd = st->listener, .events = POLLIN };
		stop = n;
		if (!st->reaped && !st->killed && spec->stop_fd > STDERR_FILENO)
			pf[n++] = (struct pollfd){ .fd = spec->stop_fd, .events = POLLIN };
		rc = poll(pf, n, (int)(wait_ms > 0 ? wait_ms : 0));
		if (rc < 0 && errno != EINTR)
			return rs_fail(RS_ERR_SANDBOX, "sandbox: poll: %s", strerror(errno));
		/* A stop request: kill now, then drain and reap as after a timeout. */
		if (stop < n && rc > 0 && (pf[stop].revents & POLLIN) != 0) {
			(void)syscall(SYS_pidfd_send_signal, st->pidfd, SIGKILL, NULL, 0);
			st->killed = 1;
			st->stopped = 1;
		}
		/* Serve whatever is ready; every read is non-blocking, so try each. */
		if (!st->sync_eof && (r = take_sync(st, res)) != 0)
			return r;
		if (st->listener >= 0) {
			int k = 0;
			/* A burst at most, so that the streams are served too. */
			while ((rc = exec_seccomp_answer(st->listener, &res->seccomp)) == 2 &&
			    ++k < 64)
				;
			if (rc < 0)
				return rc;
			if (rc == 1) {
				close(st->listener);
				st->listener = -1;
			}
		}
		if (!st->out.eof && (r = exec_stream_read(&st->out, iobuf, IO_CHUNK)) != 0)
			return r;
		if (!st->err.eof && (r = exec_stream_read(&st->err, iobuf, IO_CHUNK)) != 0)
			return r;
		if (!st->rep_eof)
			st->rep_eof = read_reports(st->rep_fd, st->rp);
		if (!st->reaped) {
			pid_t p = wait4(st->pid, ws, WNOHANG, ru);
			if (p == st->pid) {
				st->reaped = 1;
				st->pid = -1;
				grace = mono_ms() + DRAIN_GRACE_MS;
			} else if (p < 0 && errno != EINTR) {
				return rs_fail(RS_ERR_SANDBOX, "sandbox: wait4: %s", strerror(errno));
			}
		}
	}
	return 0;
}

/* The program's fate from init's report, our kills and the cgroup's counters. */
static int
program_status(struct run_state *st, struct exec_sandbox_result *res, int ws)
{
	struct reports *rp = st->rp;

	if (rp->setup_failed)
		return setup_failure(rp);
	if (rp->exited) {
		int s = rp->exit.status;
		if (WIFEXITED(s)) {
			res->exit_code = WEXITSTATUS(s);
		} else if (WIFSIGNALED(s) && WTERMSIG(s) > 0 && WTERMSIG(s) < NSIG) {
			res->signal = WTERMSIG(s);
			res->core_dumped = WCOREDUMP(s) ? 1 : 0;
		} else {
			return rs_fail(RS_ERR_SANDBOX, "sandbox: init reported an invalid wait "
			    "status 0x%x", (unsigned)s);
		}
		if (rp->exec_failed) {
			/* Our own mapping, not the child's exit code: 127 not found, else 126. */
			res->exec_errno = rp->exec.err > 0 ? rp->exec.err : EINVAL;
			res->exit_code = res->exec_errno == ENOENT ||
			    res->exec_errno == ENOTDIR ? 127 : 126;
			res->signal = 0;
		}
		return 0;
	}
	if (res->timed_out || res->cpu_exceeded) {
		res->signal = SIGKILL;
		return 0;
	}
	/*
	 * init died without a word: only the OOM killer does that (when the
	 * group's memory is held by files, no process is left to kill but init).
	 */
	if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL && res->cg.oom_kills > 0) {
		res->signal = SIGKILL;
		res->oom_killed_init = 1;
		return 0;
	}
	return rs_fail(RS_ERR_SANDBOX, "sandbox: init ended without reporting the "
	    "program's status (wait status 0x%x)", (unsigned)ws);
}

int
exec_sandbox_run(const struct exec_sandbox_spec *spec, struct exec_sandbox_result *res)
{
	struct exec_seccomp *filter = NULL;
	struct run_state st;
	struct child c;
	struct rusage ru;
	sigset_t all, saved_mask;
	uint8_t *iobuf = NULL;
	int pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, prep[2] = { -1, -1 };
	int psync[2] = { -1, -1 };
	int devnull = -1, cg_fd = -1, ws = 0;
	int r = RS_ERR_INTERNAL;

	memset(res, 0, sizeof(*res));
	res->out_fd = -1;
	memset(&c, 0, sizeof(c));
	memset(&ru, 0, sizeof(ru));
	memset(&st, 0, sizeof(st));
	st.out.fd = st.out.pass_fd = st.err.fd = st.err.pass_fd = -1;
	st.rep_fd = st.sync_fd = st.listener = st.pidfd = -1;
	st.pid = -1;
	if ((r = exec_seccomp_build(&filter)) != 0)
		goto out;
	if ((st.rp = calloc(1, sizeof(*st.rp))) == NULL || (iobuf = malloc(IO_CHUNK)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    pipe2(pout, O_CLOEXEC) != 0 || pipe2(perr, O_CLOEXEC) != 0 ||
	    pipe2(prep, O_CLOEXEC) != 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, psync) != 0) {
		r = rs_fail(RS_ERR_SANDBOX, "sandbox: pipes: %s", strerror(errno));
		goto out;
	}
	r = exec_stream_init(&st.out, pout[0], spec->stdout_fd, spec->stdout_cap);
	pout[0] = -1;
	if (r != 0)
		goto out;
	r = exec_stream_init(&st.err, perr[0], spec->stderr_fd, spec->stderr_cap);
	perr[0] = -1;
	if (r != 0)
		goto out;
	if (fcntl(prep[0], F_SETFL, O_NONBLOCK) != 0) {
		r = rs_fail(RS_ERR_SANDBOX, "sandbox: report pipe: %s", strerror(errno));
		goto out;
	}
	st.rep_fd = prep[0];
	prep[0] = -1;

	c.spec = spec;
	c.fs = spec->fs;
	c.filter = filter;
	/* Only a caller with CAP_SETGID may leave setgroups allowed and clear the groups. */
	c.clear_groups = geteuid() == 0;
	c.fd_null = devnull;
	c.fd_out = pout[1];
	c.fd_err = perr[1];
	c.fd_report = prep[1];
	c.fd_sync = psync[1];
	c.out_dir = -1;

	/* The cgroup namespace comes later, once init is in the run's group. */
	if (spec->cgroup != NULL)
		cg_fd = exec_cgroup_clone_fd(spec->cgroup);
	/*
	 * The child starts with every signal blocked: until step_signals resets
	 * the dispositions, a handler of ours must not run in it (it would
	 * write to descriptors that are the child's by then).
	 */
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &saved_mask);
	st.pid = raw_clone(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
	    CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD, &st.pidfd, cg_fd);
	if (st.pid != 0)
		(void)pthread_sigmask(SIG_SETMASK, &saved_mask, NULL);
	if (st.pid < 0) {
		r = rs_fail(RS_ERR_SANDBOX, "sandbox: clone3 with new namespaces: %s",
		    strerror(errno));
		goto out;
	}
	if (st.pid == 0)
		child_main(&c);

	/* Parent: only the child holds the write ends now. */
	close(pout[1]);
	close(perr[1]);
	close(prep[1]);
	close(psync[1]);
	pout[1] = perr[1] = prep[1] = psync[1] = -1;
	st.sync_fd = psync[0];
	psync[0] = -1;
	if ((r = wait_ready(st.sync_fd)) != 0 ||
	    (r = write_id_maps(st.pid, spec, c.clear_groups)) != 0 ||
	    (spec->cgroup != NULL && cg_fd < 0 &&
	    (r = exec_cgroup_attach(spec->cgroup, st.pid)) != 0)) {
		/* The child's own report, if it wrote one, says more. */
		(void)kill_and_reap(st.pid, st.pidfd, &ru, &ws);
		st.pid = -1;
		for (int i = 0; i < 64 && !read_reports(st.rep_fd, st.rp); i++)
			;
		if (st.rp->setup_failed)
			r = setup_failure(st.rp);
		goto out;
	}
	if (send(st.sync_fd, "G", 1, MSG_NOSIGNAL) != 1) {
		r = rs_fail(RS_ERR_SANDBOX, "sandbox: starting the child: %s", strerror(errno));
		goto out;
	}
	if ((r = run_loop(spec, &st, res, iobuf, &ws, &ru)) != 0)
		goto out;
	if (st.stopped && !st.rp->exited) {
		r = rs_fail(RS_ERR_INTERRUPTED, "sandbox: stopped on request: the program "
		    "was killed before it ended");
		goto out;
	}
	res->usage = ru;
	/* Every process of the group is gone: its counters are final. */
	exec_cgroup_stats(spec->cgroup, &res->cg);
	if ((r = program_status(&st, res, ws)) != 0)
		goto out;
	if (res->out_fd < 0) {
		r = rs_fail(RS_ERR_SANDBOX, "sandbox: the program ran but /work/out was never "
		    "handed over");
		goto out;
	}
	if ((r = exec_stream_finish(&st.out, &res->out)) != 0 ||
	    (r = exec_stream_finish(&st.err, &res->err)) != 0)
		goto out;
	r = 0;
out:
	/* Every path leaves nothing running: a child still here is killed and reaped. */
	if (st.pid > 0)
		(void)kill_and_reap(st.pid, st.pidfd, &ru, &ws);
	if (r != 0 && res->out_fd >= 0) {
		close(res->out_fd);
		res->out_fd = -1;
	}
	exec_stream_cleanup(&st.out);
	exec_stream_cleanup(&st.err);
	if (st.pidfd >= 0)
		close(st.pidfd);
	if (st.listener >= 0)
		close(st.listener);
	if (st.rep_fd >= 0)
		close(st.rep_fd);
	if (st.sync_fd >= 0)
		close(st.sync_fd);
	if (devnull >= 0)
		close(devnull);
	if (cg_fd >= 0)
		close(cg_fd);
	if (pout[0] >= 0)
		close(pout[0]);
	if (pout[1] >= 0)
		close(pout[1]);
	if (perr[0] >= 0)
		close(perr[0]);
	if (perr[1] >= 0)
		close(perr[1]);
	if (prep[0] >= 0)
		close(prep[0]);
	if (prep[1] >= 0)
		close(prep[1]);
	if (psync[0] >= 0)
		close(psync[0]);
	if (psync[1] >= 0)
		close(psync[1]);
	free(iobuf);
	free(st.rp);
	exec_seccomp_free(filter);
	return r;
}
