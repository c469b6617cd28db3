/*
 * sandbox.h - internal to the executor: run one program in fresh
 * namespaces and report what happened.
 *
 * Process layout (see sandbox.c for the ordered steps):
 *
 *   executor (host)                 the caller; never trusts the others;
 *    │                              answers the seccomp supervisor's
 *    │                              notifications, enforces wall time and
 *    │                              the cgroup's total CPU time
 *    └─ init     pid 1 of new user, mount, pid, net, ipc, uts and cgroup
 *       │        namespaces; in the run's cgroup; builds the root, keeps its
 *       │        capabilities in the user namespace, is non-dumpable, reaps
 *       │        everything and reports the program's wait status on the
 *       │        report pipe
 *       └─ program  pid 2; rlimits, no_new_privs, no capabilities, Landlock,
 *                   only fds 0-2, seccomp, then execve()
 *
 * The program is not pid 1 so that it gets ordinary signal semantics (it can
 * be killed by a signal it sends itself). When the program exits, init
 * reports and exits, and the kernel kills whatever else is left in the pid
 * namespace (setsid and double-fork survivors included) before init is
 * reaped. At the wall-clock or CPU limit the executor SIGKILLs init, which
 * takes the namespace down too. So when exec_sandbox_run() returns, no
 * process of the sandbox exists.
 *
 * Ids: the program runs as spec->uid/gid inside, mapped to the caller's uid
 * and gid, except when the caller is root (uid 0), where they map to 65534
 * ("nobody"): a sandbox running as host uid 0 would be exempt from
 * RLIMIT_NPROC and could write the host's sysctls through its fresh /proc
 * even without capabilities. Only that one uid and gid exist inside.
 */
#ifndef RS_EXEC_SANDBOX_H
#define RS_EXEC_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "common/hash.h"
#include "executor/cgroup.h"
#include "executor/rootfs.h"
#include "executor/seccomp.h"

/* Host ids the sandbox's ids map to (rule above). */
void exec_sandbox_host_ids(uid_t *uid, gid_t *gid);

/*
 * Isolation the sandbox applies on every run, in the order of the record's
 * isolation list; a run either has all of them or does not start. Landlock
 * is added by the caller when it is applied (its ABI depends on the
 * kernel). *n receives the count; the array is static.
 */
const char *const *exec_sandbox_isolation(size_t *n);

struct exec_rlimit {
	int resource;               /* RLIMIT_* */
	uint64_t soft, hard;
};

struct exec_sandbox_spec {
	char *const *argv;          /* NULL-terminated; argv[0] searched in env's PATH */
	char *const *env;           /* NULL-terminated "NAME=value" */
	struct exec_rootfs *fs;     /* the planned root (borrowed; the child uses a copy) */
	uint32_t uid, gid;          /* the program's ids inside */
	int loopback;               /* bring the namespace's lo up */
	int landlock_abi;           /* > 0: apply Landlock at that ABI (landlock.h) */
	const struct exec_rlimit *rlimits;
	size_t n_rlimits;
	struct exec_cgroup *cgroup; /* the run's group, or NULL (borrowed) */
	uint64_t cpu_limit_us;      /* > 0: kill when the group has used this much CPU */
	uint64_t wall_time_ms;      /* > 0 */
	uint64_t stdout_cap;        /* bytes hashed and passed through, then counted only */
	uint64_t stderr_cap;
	int stdout_fd;              /* copy of the program's stdout goes here, or -1 */
	int stderr_fd;              /* copy of its stderr, or -1 */
	int stop_fd;                /* readable: kill the program, return RS_ERR_INTERRUPTED;
	                               0 (a zeroed spec) or -1: none */
};

struct exec_stream_result {
	uint64_t size;              /* every byte the program wrote */
	uint8_t sha256[RS_SHA256_LEN];  /* of the first min(size, cap) bytes */
	int truncated;              /* size > cap */
};

struct exec_sandbox_result {
	int exit_code;              /* valid when signal == 0 */
	int signal;                 /* killed by this signal (SIGKILL on timeout) */
	int core_dumped;
	int timed_out;              /* killed at the wall-clock limit */
	int cpu_exceeded;           /* killed at the cgroup's CPU limit */
	int oom_killed_init;        /* init itself fell to the OOM killer */
	int exec_errno;             /* execve failed with this errno (exit_code 126/127) */
	int drain_timed_out;        /* output pipes still open 2 s after the end */
	struct rusage usage;        /* of init: includes every process it reaped */
	struct exec_stream_result out, err;
	struct exec_cgroup_stats cg;    /* when spec->cgroup was given */
	struct exec_seccomp_log seccomp;
	int out_fd;                 /* /work/out's root: collect from it, then close; -1 if none */
};

/*
 * Run spec->argv in the sandbox until it exits or a limit. Returns 0 when
 * the program ran or failed to execute (exec_errno set, exit_code 127 for
 * ENOENT/ENOTDIR, else 126); RS_ERR_SANDBOX with a detail naming the step
 * and errno when a setup step failed, in which case nothing ran;
 * RS_ERR_INTERRUPTED when spec->stop_fd became readable before the program
 * ended (it is then killed, and no result is given). Whatever
 * the result, no process of the sandbox is left when it returns; on success
 * res->out_fd is the caller's to close. The caller must not ignore SIGCHLD
 * (the status would be lost); the children use raw clone3() and only
 * system calls, so other threads of the caller may keep running.
 */
int exec_sandbox_run(const struct exec_sandbox_spec *spec, struct exec_sandbox_result *res);

#endif
