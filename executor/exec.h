/*
 * exec.h - run one program in the sandbox and report what happened.
 *
 * The executor measures and contains; it never signs or stores anything
 * (that is attest/ and ledger/). exec_run() fills a struct attest_run with
 * the facts of the run; the caller turns it into a signed record.
 *
 * Sandbox (see sandbox.c for the ordered steps, rootfs.h for the layout):
 * new user, mount, pid, net, ipc, uts and cgroup namespaces; a fresh
 * read-only root with the host's /usr, /bin, /lib* and a few /etc files
 * (or the policy's rootfs) read-only; /proc, a minimal /dev, a /tmp tmpfs;
 * inputs read-only at /work/in (copies, hashed while staged); outputs
 * written to a size-capped /work/out and collected after the sandbox is
 * gone, never following symlinks; no network; an environment built only
 * from the policy; no capabilities, no_new_privs, Landlock, a default-deny
 * seccomp filter whose refusals are recorded; memory, processes and CPU
 * limited for the sandbox as a whole by a cgroup where the host offers
 * one, rlimits otherwise; the whole pid namespace killed at a limit.
 */
#ifndef RS_EXEC_H
#define RS_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "attest/run.h"

/* A sandbox policy (policy.c). Opaque; immutable once loaded. */
struct exec_policy;

/*
 * Load a policy: path NULL or "default" gives the built-in default (offline,
 * 60 s wall time, 512 MiB memory, 64 processes). A JSON file is parsed with
 * bounds; unknown keys and out-of-range values are RS_ERR_CONFIG with a
 * detail naming the key. Caller frees.
 */
int exec_policy_load(const char *path, struct exec_policy **out);
void exec_policy_free(struct exec_policy *p);
/* Canonical JSON of the policy (borrowed; valid while p lives). */
const char *exec_policy_json(const struct exec_policy *p);
const char *exec_policy_name(const struct exec_policy *p);
int exec_policy_keep_blobs(const struct exec_policy *p);
/*
 * Replace the policy's rootfs with dir ("host" or an absolute, normalised
 * directory path: the --rootfs flag), before the policy is used; the
 * canonical JSON then names it. RS_ERR_CONFIG for a bad path; on failure
 * the policy must only be freed.
 */
int exec_policy_override_rootfs(struct exec_policy *p, const char *dir);

struct exec_input {
	const char *path;           /* host file to stage */
	const char *name;           /* name under /work/in (no '/', no "..") */
};

struct exec_request {
	char *const *argv;          /* argv[0] looked up in the sandbox's PATH */
	size_t argc;
	const struct exec_input *inputs;
	size_t n_inputs;
	const char *out_dir;        /* host directory receiving output copies, or NULL */
	const char *scratch_dir;    /* private host directory for staging; must exist */
	const struct exec_policy *policy;
	int stdout_fd;              /* receives a copy of the program's stdout (up to */
	int stderr_fd;              /* the policy's caps) and stderr; -1 for none */
	char *const *host_env;      /* the caller's environment, filtered by policy */
	int remeasure;              /* hash the whole rootfs again, trusting no cache */
	int stop_fd;                /* readable: stop the program, fail with
	                             * RS_ERR_INTERRUPTED; 0 (zeroed) or -1: none */
	const char *cache_dir;      /* measurement cache directory, or NULL: derived
	                             * from host_env ($RUNSEAL_CACHE, else
	                             * $XDG_CACHE_HOME/runseal, else
	                             * $HOME/.cache/runseal); none if all unset */
};

/*
 * Run req->argv in the sandbox. Returns 0 when the program ran (whatever its
 * exit status, including timeouts and "not found"/"cannot execute", which
 * are reported in the run: exit_code 127/126) and *out holds the facts; a
 * negative RS_ERR_* when runseal itself failed (bad input file, sandbox
 * could not be set up), in which case nothing should be recorded.
 */
int exec_run(const struct exec_request *req, struct attest_run **out);

/*
 * The runseal exit status for a finished run: exit code, 124 timed out,
 * 128+N killed by signal N.
 */
int exec_exit_status(const struct attest_run *run);

#endif
