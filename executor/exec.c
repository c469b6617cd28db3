/*
 * exec.c - one run, end to end (contract in exec.h): scratch directories,
 * staging, the facts of the policy as enforced, measurement, the sandbox,
 * collection; and nothing left behind.
 *
 * What each limit is enforced by (recorded with the limit):
 *
 * | limit           | mechanism  | how                                              |
 * |-----------------|------------|--------------------------------------------------|
 * | wall_time_ms    | timer      | executor SIGKILLs the pid namespace's init        |
 * | cpu_time_s      | rlimit     | RLIMIT_CPU, per process                           |
 * | memory_bytes    | rlimit     | RLIMIT_AS, per process address space              |
 * | processes       | rlimit     | RLIMIT_NPROC of the sandbox's own uid (+1 for init) |
 * | open_files      | rlimit     | RLIMIT_NOFILE                                     |
 * | file_size_bytes | rlimit     | RLIMIT_FSIZE                                      |
 * | output_bytes    | collector  | files past the total are not collected            |
 * | stdout_bytes    | capture    | bytes past the cap counted, not hashed or passed  |
 * | stderr_bytes    | capture    | same                                              |
 * | tmp_bytes       | tmpfs      | size of the sandbox's /tmp (fixed, not a policy key) |
 *
 * An rlimit above the executor's own hard limit cannot be granted; the
 * stricter effective value is applied and recorded.
 */
#include "executor/exec.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/hash.h"
#include "executor/collect.h"
#include "executor/env.h"
#include "executor/measure.h"
#include "executor/policy.h"
#include "executor/rootfs.h"
#include "executor/sandbox.h"
#include "executor/stage.h"

#define TRACEPARENT_MAX 256

static int64_t
now_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t
tv_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

static int
set_str(char **dst, const char *src)
{
	free(*dst);
	if ((*dst = strdup(src)) == NULL)
		return RS_ERR_ALLOC;
	return 0;
}

/* Absent (created) or an empty directory: outputs never overwrite anything. */
static int
check_out_dir(const char *dir)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = 0;

	if (lstat(dir, &st) != 0) {
		if (errno != ENOENT)
			return rs_fail(rs_err_from_errno(errno), "output directory %s: %s", dir,
			    strerror(errno));
		return rs_mkdir_p(dir, 0755);
	}
	if (!S_ISDIR(st.st_mode))
		return rs_fail(RS_ERR_EXISTS, "output directory %s exists and is not a directory",
		    dir);
	if ((d = opendir(dir)) == NULL)
		return rs_fail(rs_err_from_errno(errno), "output directory %s: %s", dir,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			r = rs_fail(RS_ERR_EXISTS, "output directory %s is not empty: outputs are "
			    "never written over existing files", dir);
			break;
		}
	}
	closedir(d);
	return r;
}

/* min(value, the executor's hard limit): what the sandbox can actually get. */
static uint64_t
effective_rlimit(int resource, uint64_t value)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    (uint64_t)rl.rlim_max < value)
		return (uint64_t)rl.rlim_max;
	return value;
}

/*
 * Record the policy as it will be enforced and fill the rlimits the sandbox
 * applies (rl must hold 6 entries). Every policy limit is enforced by this
 * executor; best_effort is carried into the record as the policy says.
 */
static int
record_limits(const struct exec_policy *p, struct attest_run *run,
    struct exec_rlimit *rl, size_t *n_rl)
{
	static const struct {
		enum exec_limit_id id;
		int resource;
	} rlimits[] = {
		{ EXEC_LIMIT_CPU_TIME_S, RLIMIT_CPU },
		{ EXEC_LIMIT_MEMORY_BYTES, RLIMIT_AS },
		{ EXEC_LIMIT_PROCESSES, RLIMIT_NPROC },
		{ EXEC_LIMIT_OPEN_FILES, RLIMIT_NOFILE },
		{ EXEC_LIMIT_FILE_SIZE_BYTES, RLIMIT_FSIZE },
	};
	size_t i;
	int r;

	*n_rl = 0;
	if ((r = attest_run_add_limit(run, "wall_time_ms", p->limits[EXEC_LIMIT_WALL_TIME_MS],
	    "timer", 1, p->best_effort[EXEC_LIMIT_WALL_TIME_MS])) != 0)
		return r;
	for (i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++) {
		enum exec_limit_id id = rlimits[i].id;
		uint64_t v = p->limits[id];
		const char *name = exec_limit_name(id);

		if (id == EXEC_LIMIT_PROCESSES) {
			/*
			 * RLIMIT_NPROC counts the processes of the sandbox's uid in its
			 * user namespace, init included. Host uid 0 would be exempt,
			 * which is one reason the sandbox never runs as host uid 0
			 * (sandbox.h).
			 */
			rl[*n_rl].resource = RLIMIT_NPROC;
			rl[*n_rl].value = effective_rlimit(RLIMIT_NPROC, v + 1);
			v = rl[*n_rl].value > 0 ? rl[*n_rl].value - 1 : 0;
		} else {
			v = effective_rlimit(rlimits[i].resource, v);
			rl[*n_rl].resource = rlimits[i].resource;
			rl[*n_rl].value = v;
		}
		(*n_rl)++;
		if ((r = attest_run_add_limit(run, name, v, "rlimit", 1, p->best_effort[id])) != 0)
			return r;
	}
	/*
	 * No core files (a file core_pattern). A pipe core_pattern ignores
	 * RLIMIT_CORE: the host's handler still receives a crashing program's core.
	 */
	rl[*n_rl].resource = RLIMIT_CORE;
	rl[*n_rl].value = 0;
	(*n_rl)++;
	if ((r = attest_run_add_limit(run, "output_bytes", p->limits[EXEC_LIMIT_OUTPUT_BYTES],
	    "collector", 1, p->best_effort[EXEC_LIMIT_OUTPUT_BYTES])) != 0 ||
	    (r = attest_run_add_limit(run, "stdout_bytes", p->limits[EXEC_LIMIT_STDOUT_BYTES],
	    "capture", 1, p->best_effort[EXEC_LIMIT_STDOUT_BYTES])) != 0 ||
	    (r = attest_run_add_limit(run, "stderr_bytes", p->limits[EXEC_LIMIT_STDERR_BYTES],
	    "capture", 1, p->best_effort[EXEC_LIMIT_STDERR_BYTES])) != 0 ||
	    (r = attest_run_add_limit(run, "tmp_bytes", EXEC_TMP_BYTES, "tmpfs", 1, 0)) != 0)
		return r;
	return 0;
}

static int
record_policy(const struct exec_policy *p, struct attest_run *run)
{
	const char *const *iso;
	size_t n, i;
	int r;

	if ((r = set_str(&run->policy_name, p->name)) != 0 ||
	    (r = set_str(&run->policy_json, p->json)) != 0 ||
	    (r = set_str(&run->network, exec_network_name(p->network))) != 0)
		return r;
	if ((r = rs_sha256(p->json, strlen(p->json), run->policy_sha256)) != 0)
		return r;
	run->keep_blobs = p->keep_blobs;
	run->nondeterministic = p->nondeterministic;
	iso = exec_sandbox_isolation(&n);
	for (i = 0; i < n; i++) {
		if ((r = attest_run_add_isolation(run, iso[i])) != 0)
			return r;
	}
	return 0;
}

static int
record_env(const struct exec_policy *p, char *const *env, struct attest_run *run)
{
	char name[256];
	const char *eq;
	size_t len;
	int r;

	for (; *env != NULL; env++) {
		/* Names were validated (policy.c) or are runseal's own: bounded. */
		if ((eq = strchr(*env, '=')) == NULL || (len = (size_t)(eq - *env)) >= sizeof(name))
			return rs_fail(RS_ERR_INTERNAL, "malformed sandbox environment entry");
		memcpy(name, *env, len);
		name[len] = '\0';
		if ((r = attest_run_add_env(run, name, eq + 1, exec_policy_env_public(p, name))) != 0)
			return r;
	}
	return 0;
}

/* The caller's W3C trace context, if it looks like one: printable and bounded. */
static int
record_traceparent(char *const *host_env, struct attest_run *run)
{
	const char *tp = exec_env_get(host_env, "TRACEPARENT");
	size_t i;

	if (tp == NULL || tp[0] == '\0')
		return 0;
	for (i = 0; tp[i] != '\0'; i++) {
		if (i >= TRACEPARENT_MAX || (unsigned char)tp[i] < 0x21 ||
		    (unsigned char)tp[i] > 0x7e)
			return 0;
	}
	return set_str(&run->traceparent, tp);
}

static int
record_result(const struct exec_policy *p, const struct exec_request *req,
    const struct exec_sandbox_result *sr, struct attest_run *run)
{
	char detail[PATH_MAX + 128];
	int r;

	run->exit_code = sr->exit_code;
	run->signal = sr->signal;
	run->core_dumped = sr->core_dumped;
	run->timed_out = sr->timed_out;
	run->out.size = sr->out.size;
	memcpy(run->out.sha256, sr->out.sha256, RS_SHA256_LEN);
	run->out.truncated = sr->out.truncated;
	run->err.size = sr->err.size;
	memcpy(run->err.sha256, sr->err.sha256, RS_SHA256_LEN);
	run->err.truncated = sr->err.truncated;
	run->user_us = tv_us(sr->usage.ru_utime);
	run->system_us = tv_us(sr->usage.ru_stime);
	run->max_rss_kib = (uint64_t)sr->usage.ru_maxrss;
	run->minor_faults = (uint64_t)sr->usage.ru_minflt;
	run->major_faults = (uint64_t)sr->usage.ru_majflt;
	run->in_blocks = (uint64_t)sr->usage.ru_inblock;
	run->out_blocks = (uint64_t)sr->usage.ru_oublock;
	run->voluntary_switches = (uint64_t)sr->usage.ru_nvcsw;
	run->involuntary_switches = (uint64_t)sr->usage.ru_nivcsw;

	if (sr->timed_out) {
		snprintf(detail, sizeof(detail), "wall_time_ms=%llu",
		    (unsigned long long)p->limits[EXEC_LIMIT_WALL_TIME_MS]);
		if ((r = attest_run_add_event(run, "timeout", detail)) != 0)
			return r;
	}
	if (sr->exec_errno != 0) {
		snprintf(detail, sizeof(detail), "%.*s: %s", PATH_MAX, req->argv[0],
		    strerror(sr->exec_errno));
		if ((r = attest_run_add_event(run, "exec_failed", detail)) != 0)
			return r;
	}
	if (sr->out.truncated) {
		snprintf(detail, sizeof(detail), "stdout_bytes=%llu",
		    (unsigned long long)p->limits[EXEC_LIMIT_STDOUT_BYTES]);
		if ((r = attest_run_add_event(run, "output_cap", detail)) != 0)
			return r;
	}
	if (sr->err.truncated) {
		snprintf(detail, sizeof(detail), "stderr_bytes=%llu",
		    (unsigned long long)p->limits[EXEC_LIMIT_STDERR_BYTES]);
		if ((r = attest_run_add_event(run, "output_cap", detail)) != 0)
			return r;
	}
	if (sr->drain_timed_out &&
	    (r = attest_run_add_event(run, "output_drain_timeout",
	    "stdout/stderr still open 2 s after the program ended")) != 0)
		return r;
	return 0;
}

int
exec_run(const struct exec_request *req, struct attest_run **out)
{
	struct attest_run *run = NULL;
	struct exec_sandbox_spec spec;
	struct exec_sandbox_result sr;
	struct exec_rlimit rl[8];
	const struct exec_policy *p = req->policy;
	char *scratch = NULL, *in_dir = NULL, *out_scratch = NULL, **env = NULL;
	char **argv = NULL;
	int made_in = 0, made_out = 0, r = RS_ERR_INTERNAL;
	size_t n_rl = 0, i;
	uid_t uid;
	gid_t gid;

	*out = NULL;
	memset(&spec, 0, sizeof(spec));
	if (req->argv == NULL || req->argc == 0 || req->argv[0] == NULL ||
	    req->argv[0][0] == '\0' || req->scratch_dir == NULL || p == NULL ||
	    (req->n_inputs > 0 && req->inputs == NULL)) {
		r = rs_fail(RS_ERR_USAGE, "exec_run: a command, a scratch directory and a "
		    "policy are required");
		goto out;
	}
	for (i = 0; i < req->argc; i++) {
		if (req->argv[i] == NULL) {
			r = rs_fail(RS_ERR_USAGE, "exec_run: argv[%zu] is NULL", i);
			goto out;
		}
	}
	if ((run = attest_run_new()) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((scratch = realpath(req->scratch_dir, NULL)) == NULL) {
		r = rs_fail(rs_err_from_errno(errno), "scratch directory %s: %s",
		    req->scratch_dir, strerror(errno));
		goto out;
	}
	if ((in_dir = rs_path_join(scratch, "in")) == NULL ||
	    (out_scratch = rs_path_join(scratch, "out")) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if (req->out_dir != NULL && (r = check_out_dir(req->out_dir)) != 0)
		goto out;
	/* Ours alone: an existing in/ or out/ is refused, never reused. */
	if (mkdir(in_dir, 0755) != 0) {
		r = rs_fail(rs_err_from_errno(errno), "%s: %s", in_dir, strerror(errno));
		goto out;
	}
	made_in = 1;
	if (mkdir(out_scratch, 0755) != 0) {
		r = rs_fail(rs_err_from_errno(errno), "%s: %s", out_scratch, strerror(errno));
		goto out;
	}
	made_out = 1;
	exec_sandbox_host_ids(&uid, &gid);
	/* mkdir's mode is masked by umask: set it, and hand out/ to the sandbox's ids. */
	if (chmod(in_dir, 0755) != 0 || chmod(out_scratch, 0755) != 0 ||
	    (uid != geteuid() && chown(out_scratch, uid, gid) != 0)) {
		r = rs_fail(rs_err_from_errno(errno), "preparing %s: %s", scratch,
		    strerror(errno));
		goto out;
	}
	if ((r = exec_stage_inputs(req->inputs, req->n_inputs, in_dir,
	    uid != geteuid() ? uid : (uid_t)-1, gid, run)) != 0)
		goto out;

	if ((r = record_policy(p, run)) != 0 ||
	    (r = record_limits(p, run, rl, &n_rl)) != 0)
		goto out;
	if ((r = exec_env_build(p, req->host_env, &env)) != 0 ||
	    (r = record_env(p, env, run)) != 0)
		goto out;
	if ((r = exec_measure_host(run)) != 0)
		goto out;
	if (getrandom(run->nonce, sizeof(run->nonce), 0) != (ssize_t)sizeof(run->nonce)) {
		r = rs_fail(RS_ERR_INTERNAL, "getrandom: %s", strerror(errno));
		goto out;
	}
	if ((r = attest_run_set_argv(run, req->argv, req->argc)) != 0 ||
	    (r = set_str(&run->cwd, "/work")) != 0 ||
	    (r = record_traceparent(req->host_env, run)) != 0)
		goto out;

	/* NULL-terminated view of the run's copy: the sandbox never sees the caller's. */
	if ((argv = calloc(run->argc + 1, sizeof(*argv))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < run->argc; i++)
		argv[i] = run->argv[i];
	spec.argv = argv;
	spec.env = env;
	spec.in_dir = in_dir;
	spec.out_dir = out_scratch;
	spec.loopback = p->network == EXEC_NET_LOOPBACK;
	spec.rlimits = rl;
	spec.n_rlimits = n_rl;
	spec.wall_time_ms = p->limits[EXEC_LIMIT_WALL_TIME_MS];
	spec.stdout_cap = p->limits[EXEC_LIMIT_STDOUT_BYTES];
	spec.stderr_cap = p->limits[EXEC_LIMIT_STDERR_BYTES];
	spec.stdout_fd = req->stdout_fd;
	spec.stderr_fd = req->stderr_fd;
	run->start_unix_ns = now_unix_ns();
	r = exec_sandbox_run(&spec, &sr);
	run->end_unix_ns = now_unix_ns();
	if (r != 0)
		goto out;
	if ((r = record_result(p, req, &sr, run)) != 0)
		goto out;
	if ((r = exec_collect_outputs(out_scratch, req->out_dir,
	    p->limits[EXEC_LIMIT_OUTPUT_BYTES], run)) != 0)
		goto out;
	*out = run;
	run = NULL;
	r = 0;
out:
	/* Removal failures cannot change the result; the detail of r is kept. */
	if (made_in || made_out) {
		char keep[512];
		snprintf(keep, sizeof(keep), "%s", rs_err_detail());
		if (made_in)
			(void)rs_rm_rf(in_dir);
		if (made_out)
			(void)rs_rm_rf(out_scratch);
		if (r != 0)
			(void)rs_fail(r, "%s", keep);
	}
	exec_env_free(env);
	free(argv);
	free(in_dir);
	free(out_scratch);
	free(scratch);
	attest_run_free(run);
	return r;
}

int
exec_exit_status(const struct attest_run *run)
{
	if (run->timed_out)
		return 124;
	if (run->signal > 0)
		return 128 + run->signal;
	return run->exit_code;
}
