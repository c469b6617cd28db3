/*
 * sandbox.h - internal to the executor: run one program in fresh
 * namespaces and report what happened.
 *
 * Process layout (see sandbox.c for the ordered steps):
 *
 *   executor (host)                 the caller; never trusts the others
 *    └─ init     pid 1 of new user, mount, pid, net, ipc, uts and cgroup
 *       │        namespaces; builds the root, keeps its capabilities in the
 *       │        user namespace, is non-dumpable, reaps everything and
 *       │        reports the program's wait status on the report pipe
 *       └─ program  pid 2; no capabilities, no_new_privs, rlimits, seccomp,
 *                   then execve()
 *
 * The program is not pid 1 so that it gets ordinary signal semantics (it can
 * be killed by a signal it sends itself). When the program exits, init
 * reports and exits, and the kernel kills whatever else is left in the pid
 * namespace (setsid and double-fork survivors included). At the wall-clock
 * limit the executor SIGKILLs init, which takes the namespace down too.
 *
 * Ids: the sandbox's uid and gid 0 map to the caller's uid and gid, except
 * when the caller is root (uid 0), where they map to 65534 ("nobody"):
 * a sandbox running as host uid 0 would be exempt from RLIMIT_NPROC and
 * could write the host's sysctls through its fresh /proc even without
 * capabilities. The staged output directory is chowned accordingly.
 */
#ifndef RS_EXEC_SANDBOX_H
#define RS_EXEC_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "common/hash.h"

/* Host ids the sandbox's uid/gid 0 map to (rule above). */
void exec_sandbox_host_ids(uid_t *uid, gid_t *gid);

/*
 * Isolation the sandbox applies on every run, in the order of the record's
 * isolation list; a run either has all of them or does not start. *n
 * receives the count; the array is static.
 */
const char *const *exec_sandbox_isolation(size_t *n);

struct exec_rlimit {
	int resource;               /* RLIMIT_* */
	uint64_t value;             /* soft = hard = value */
};

struct exec_sandbox_spec {
	char *const *argv;          /* NULL-terminated; argv[0] searched in env's PATH */
	char *const *env;           /* NULL-terminated "NAME=value" */
	const char *in_dir;         /* absolute host path: /work/in, read-only */
	const char *out_dir;        /* absolute host path: /work/out, writable */
	int loopback;               /* bring the namespace's lo up */
	const struct exec_rlimit *rlimits;
	size_t n_rlimits;
	uint64_t wall_time_ms;      /* > 0 */
	uint64_t stdout_cap;        /* bytes hashed and passed through, then counted only */
	uint64_t stderr_cap;
	int stdout_fd;              /* copy of the program's stdout goes here, or -1 */
	int stderr_fd;              /* copy of its stderr, or -1 */
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
	int exec_errno;             /* execve failed with this errno (exit_code 126/127) */
	int drain_timed_out;        /* output pipes still open 2 s after the end */
	struct rusage usage;        /* of init: includes every process it reaped */
	struct exec_stream_result out, err;
};

/*
 * Run spec->argv in the sandbox until it exits or the wall-clock limit.
 * Returns 0 when the program ran or failed to execute (exec_errno set,
 * exit_code 127 for ENOENT/ENOTDIR, else 126); RS_ERR_SANDBOX with a detail
 * naming the step and errno when a setup step failed, in which case nothing
 * ran. Whatever the result, no process of the sandbox is left when it
 * returns. The caller must not ignore SIGCHLD (the status would be lost)
 * and should be single-threaded: the children use raw clone3().
 */
int exec_sandbox_run(const struct exec_sandbox_spec *spec, struct exec_sandbox_result *res);

#endif
