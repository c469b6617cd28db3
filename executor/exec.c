/*
 * exec.c - one run, end to end (contract in exec.h): scratch directories,
 * staging, the run's cgroup, the facts of the policy as enforced,
 * measurement (the rootfs beside the sandbox, on other threads), the
 * sandbox, collection; and nothing left behind.
 *
 * What enforces each limit (recorded with the limit, in this order of
 * preference; "rlimit" is per process, "cgroup-v*" is the sandbox as a
 * whole):
 *
 * | limit           | mechanism                 | how                                            |
 * |-----------------|---------------------------|------------------------------------------------|
 * | wall_time_ms    | timer                     | executor SIGKILLs the pid namespace's init      |
 * | cpu_time_s      | cgroup-v2 / cgroup-v1     | executor polls the group's CPU time every 100 ms and kills the sandbox (RLIMIT_CPU also set per process) |
 * |                 | rlimit                    | RLIMIT_CPU per process: SIGXCPU, SIGKILL 1 s later |
 * | memory_bytes    | cgroup-v2 / cgroup-v1     | memory.max / memory.limit_in_bytes (+ swap): heap, tmpfs, memfd, page cache, kernel memory of the whole sandbox |
 * |                 | rlimit                    | RLIMIT_AS per process                           |
 * | processes       | cgroup-v2 / cgroup-v1     | pids.max = processes + 1 (init)                 |
 * |                 | rlimit                    | RLIMIT_NPROC of the sandbox's one uid, + 1      |
 * | open_files      | rlimit                    | RLIMIT_NOFILE                                   |
 * | file_size_bytes | rlimit                    | RLIMIT_FSIZE                                    |
 * | output_bytes    | tmpfs                     | size of /work/out; the collector stops there too |
 * | stdout_bytes    | capture                   | bytes past the cap counted, not hashed or passed |
 * | stderr_bytes    | capture                   | same                                            |
 * | tmp_bytes       | tmpfs                     | size of /tmp                                    |
 *
 * An rlimit above the executor's own hard limit cannot be granted; the
 * stricter effective value is applied and recorded. A limit nothing can
 * enforce is refused (RS_ERR_UNSUPPORTED naming it) unless the policy marks
 * it best_effort: then it is recorded with mechanism "none", not enforced,
 * and a "limit_not_enforced" event.
 */
#include "executor/exec.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/hash.h"
#include "executor/cgroup.h"
#include "executor/collect.h"
#include "executor/env.h"
#include "executor/landlock.h"
#include "executor/measure.h"
#include "executor/policy.h"
#include "executor/rootfs.h"
#include "executor/sandbox.h"
#include "executor/stage.h"

#define TRACEPARENT_MAX 256
#define MAX_RLIMITS 8

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

/* How the run enforces its limits, decided before the sandbox starts. */
struct plan {
	struct exec_rlimit rl[MAX_RLIMITS];
	size_t n_rl;
	struct exec_cgroup *cg;     /* owned */
	struct exec_cgroup_info cgi;
	uint64_t cpu_limit_us;      /* > 0: the executor enforces the group's total */
	int landlock_abi;
};

static const char *
cg_mechanism(int version)
{
	return version == 2 ? "cgroup-v2" : version == 1 ? "cgroup-v1" : NULL;
}

static void
add_rlimit(struct plan *pl, int resource, uint64_t soft, uint64_t hard)
{
	pl->rl[pl->n_rl].resource = resource;
	pl->rl[pl->n_rl].soft = soft;
	pl->rl[pl->n_rl].hard = hard;
	pl->n_rl++;
}

/* Record one limit as enforced by mech, or refuse/record it as unenforced. */
static int
record_limit(const struct exec_policy *p, struct attest_run *run, enum exec_limit_id id,
    uint64_t value, const char *mech)
{
	char detail[128];
	int r;

	if (mech != NULL)
		return attest_run_add_limit(run, exec_limit_name(id), value, mech, 1,
		    p->best_effort[id]);
	if (!p->best_effort[id])
		return rs_fail(RS_ERR_UNSUPPORTED, "policy: limit %s=%llu cannot be enforced on "
		    "this host; mark it \"best_effort\" to run without it", exec_limit_name(id),
		    (unsigned long long)value);
	snprintf(detail, sizeof(detail), "%s=%llu: no mechanism on this host",
	    exec_limit_name(id), (unsigned long long)value);
	if ((r = attest_run_add_limit(run, exec_limit_name(id), value, "none", 0, 1)) != 0)
		return r;
	return attest_run_add_event(run, "limit_not_enforced", detail);
}

/*
 * Decide the mechanism of every limit (table above), create the run's
 * cgroup, and record the limits in policy order.
 */
static int
plan_limits(const struct exec_policy *p, struct attest_run *run, struct plan *pl)
{
	const uint64_t *L = p->limits;
	const char *mech;
	uint64_t v;
	int r;

	if ((r = exec_cgroup_create(L[EXEC_LIMIT_MEMORY_BYTES], L[EXEC_LIMIT_PROCESSES] + 1,
	    &pl->cg, &pl->cgi)) != 0)
		return r;

	if ((r = record_limit(p, run, EXEC_LIMIT_WALL_TIME_MS, L[EXEC_LIMIT_WALL_TIME_MS],
	    "timer")) != 0)
		return r;

	/* CPU: the group's total where accounted; RLIMIT_CPU per process always. */
	v = effective_rlimit(RLIMIT_CPU, L[EXEC_LIMIT_CPU_TIME_S]);
	add_rlimit(pl, RLIMIT_CPU, v, effective_rlimit(RLIMIT_CPU, v + 1));
	mech = cg_mechanism(pl->cgi.version[EXEC_CG_CPU]);
	if (mech != NULL)
		pl->cpu_limit_us = v * 1000000;
	if ((r = record_limit(p, run, EXEC_LIMIT_CPU_TIME_S, v, mech ? mech : "rlimit")) != 0)
		return r;

	/* Memory: the group's total; RLIMIT_AS only without one (it breaks big mappings). */
	v = L[EXEC_LIMIT_MEMORY_BYTES];
	mech = cg_mechanism(pl->cgi.version[EXEC_CG_MEMORY]);
	if (mech == NULL) {
		v = effective_rlimit(RLIMIT_AS, v);
		add_rlimit(pl, RLIMIT_AS, v, v);
		mech = "rlimit";
	}
	if ((r = record_limit(p, run, EXEC_LIMIT_MEMORY_BYTES, v, mech)) != 0)
		return r;

	/* Processes, init included: pids.max, else RLIMIT_NPROC of the one uid inside. */
	v = L[EXEC_LIMIT_PROCESSES];
	mech = cg_mechanism(pl->cgi.version[EXEC_CG_PIDS]);
	if (mech == NULL) {
		uint64_t n = effective_rlimit(RLIMIT_NPROC, v + 1);
		add_rlimit(pl, RLIMIT_NPROC, n, n);
		v = n > 0 ? n - 1 : 0;
		mech = "rlimit";
	}
	if ((r = record_limit(p, run, EXEC_LIMIT_PROCESSES, v, mech)) != 0)
		return r;

	v = effective_rlimit(RLIMIT_NOFILE, L[EXEC_LIMIT_OPEN_FILES]);
	add_rlimit(pl, RLIMIT_NOFILE, v, v);
	if ((r = record_limit(p, run, EXEC_LIMIT_OPEN_FILES, v, "rlimit")) != 0)
		return r;
	v = effective_rlimit(RLIMIT_FSIZE, L[EXEC_LIMIT_FILE_SIZE_BYTES]);
	add_rlimit(pl, RLIMIT_FSIZE, v, v);
	if ((r = record_limit(p, run, EXEC_LIMIT_FILE_SIZE_BYTES, v, "rlimit")) != 0)
		return r;
	/*
	 * No core files (a file core_pattern). A pipe core_pattern ignores
	 * RLIMIT_CORE: the host's handler still receives a crashing program's core.
	 */
	add_rlimit(pl, RLIMIT_CORE, 0, 0);

	if ((r = record_limit(p, run, EXEC_LIMIT_OUTPUT_BYTES, L[EXEC_LIMIT_OUTPUT_BYTES],
	    "tmpfs")) != 0 ||
	    (r = record_limit(p, run, EXEC_LIMIT_STDOUT_BYTES, L[EXEC_LIMIT_STDOUT_BYTES],
	    "capture")) != 0 ||
	    (r = record_limit(p, run, EXEC_LIMIT_STDERR_BYTES, L[EXEC_LIMIT_STDERR_BYTES],
	    "capture")) != 0 ||
	    (r = record_limit(p, run, EXEC_LIMIT_TMP_BYTES, L[EXEC_LIMIT_TMP_BYTES],
	    "tmpfs")) != 0)
		return r;
	return 0;
}

static int
record_policy(const struct exec_policy *p, const struct plan *pl, struct attest_run *run)
{
	const char *const *iso;
	char ll[32];
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
	if (pl->landlock_abi > 0) {
		snprintf(ll, sizeof(ll), "landlock-abi%d", pl->landlock_abi);
		if ((r = attest_run_add_isolation(run, ll)) != 0)
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

/* Add an event whose count is known. */
static int
add_counted(struct attest_run *run, const char *kind, const char *detail, uint64_t count)
{
	int r;

	if (count == 0)
		return 0;
	if ((r = attest_run_add_event(run, kind, detail)) != 0)
		return r;
	run->events[run->n_events - 1].count += count - 1;
	return 0;
}

static int
record_result(const struct exec_policy *p, const struct exec_request *req,
    const struct exec_sandbox_result *sr, struct attest_run *run)
{
	char detail[PATH_MAX + 128];
	uint64_t cpu_us;
	size_t i;
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
	run->peak_memory_bytes = sr->cg.peak_memory;

	if (sr->timed_out) {
		snprintf(detail, sizeof(detail), "wall_time_ms=%llu",
		    (unsigned long long)p->limits[EXEC_LIMIT_WALL_TIME_MS]);
		if ((r = attest_run_add_event(run, "timeout", detail)) != 0)
			return r;
	}
	/* CPU: our kill at the group's total, or the kernel's at RLIMIT_CPU. */
	cpu_us = run->user_us + run->system_us;
	if (sr->cpu_exceeded || sr->signal == SIGXCPU || (sr->signal == SIGKILL &&
	    !sr->timed_out && cpu_us >= p->limits[EXEC_LIMIT_CPU_TIME_S] * 1000000)) {
		snprintf(detail, sizeof(detail), "cpu_time_s=%llu",
		    (unsigned long long)p->limits[EXEC_LIMIT_CPU_TIME_S]);
		if ((r = attest_run_add_event(run, "cpu_time", detail)) != 0)
			return r;
	}
	snprintf(detail, sizeof(detail), "memory_bytes=%llu%s",
	    (unsigned long long)p->limits[EXEC_LIMIT_MEMORY_BYTES],
	    sr->oom_killed_init ? " (the whole sandbox)" : "");
	if ((r = add_counted(run, "oom", detail, sr->cg.oom_kills)) != 0)
		return r;
	snprintf(detail, sizeof(detail), "processes=%llu: fork refused",
	    (unsigned long long)p->limits[EXEC_LIMIT_PROCESSES]);
	if ((r = add_counted(run, "pids_limit", detail, sr->cg.pids_refused)) != 0)
		return r;
	for (i = 0; i < sr->seccomp.n_kinds; i++) {
		snprintf(detail, sizeof(detail), "refused %s", sr->seccomp.kinds[i].what);
		if ((r = add_counted(run, "seccomp", detail, sr->seccomp.kinds[i].count)) != 0)
			return r;
	}
	if ((r = add_counted(run, "seccomp", "refused calls of further kinds",
	    sr->seccomp.other)) != 0)
		return r;
	if (sr->exec_errno != 0) {
		snprintf(detail, sizeof(detail), "%.*s: %s", PATH_MAX, req->argv[0],
		    strerror(sr->exec_errno));
		if ((r = attest_run_add_event(run, "exec_failed", detail)) != 0)
			return r;
	}
	if (sr->out.truncated) {
		snprintf(detail, sizeof(detail), "stdout_bytes=%llu: truncated at byte %llu of "
		    "%llu", (unsigned long long)p->limits[EXEC_LIMIT_STDOUT_BYTES],
		    (unsigned long long)p->limits[EXEC_LIMIT_STDOUT_BYTES],
		    (unsigned long long)sr->out.size);
		if ((r = attest_run_add_event(run, "output_cap", detail)) != 0)
			return r;
	}
	if (sr->err.truncated) {
		snprintf(detail, sizeof(detail), "stderr_bytes=%llu: truncated at byte %llu of "
		    "%llu", (unsigned long long)p->limits[EXEC_LIMIT_STDERR_BYTES],
		    (unsigned long long)p->limits[EXEC_LIMIT_STDERR_BYTES],
		    (unsigned long long)sr->err.size);
		if ((r = attest_run_add_event(run, "output_cap", detail)) != 0)
			return r;
	}
	if (sr->drain_timed_out &&
	    (r = attest_run_add_event(run, "output_drain_timeout",
	    "stdout/stderr still open 2 s after the program ended")) != 0)
		return r;
	return 0;
}

/* /work/out filled up: the program met its size or inode bound. */
static int
record_out_full(const struct exec_policy *p, int out_fd, struct attest_run *run)
{
	struct statfs sfs;
	char detail[128];

	if (fstatfs(out_fd, &sfs) != 0)
		return 0;
	if (sfs.f_bavail == 0) {
		snprintf(detail, sizeof(detail), "output_bytes=%llu: /work/out was full",
		    (unsigned long long)p->limits[EXEC_LIMIT_OUTPUT_BYTES]);
		return attest_run_add_event(run, "output_cap", detail);
	}
	if (sfs.f_ffree == 0) {
		snprintf(detail, sizeof(detail), "inodes=%d: /work/out had no inode left",
		    EXEC_OUT_INODES);
		return attest_run_add_event(run, "output_cap", detail);
	}
	return 0;
}

/* The measurement cache directory: the request's, else from the caller's environment. */
static char *
cache_dir_for(const struct exec_request *req)
{
	const struct passwd *pw;
	const char *v;
	char *s = NULL;

	if (req->cache_dir != NULL)
		return strdup(req->cache_dir);
	if ((v = exec_env_get(req->host_env, "RUNSEAL_CACHE")) != NULL && v[0] == '/')
		return strdup(v);
	if ((v = exec_env_get(req->host_env, "XDG_CACHE_HOME")) != NULL && v[0] == '/')
		return asprintf(&s, "%s/runseal", v) < 0 ? NULL : s;
	if ((v = exec_env_get(req->host_env, "HOME")) != NULL && v[0] == '/')
		return asprintf(&s, "%s/.cache/runseal", v) < 0 ? NULL : s;
	/* No environment to go by (a service, say): the account's home. */
	if ((pw = getpwuid(geteuid())) != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/')
		return asprintf(&s, "%s/.cache/runseal", pw->pw_dir) < 0 ? NULL : s;
	return NULL;
}

/* The rootfs measurement, on its own thread beside the sandbox. */
struct rootfs_job {
	const struct exec_rootfs *fs;
	const char *cache_dir;
	int remeasure;
	int r;
	char detail[256];
	uint8_t digest[RS_SHA256_LEN];
	struct exec_manifest_stats st;
};

static void *
rootfs_job_run(void *arg)
{
	struct rootfs_job *j = arg;

	j->r = exec_measure_rootfs(j->fs, j->cache_dir, j->remeasure, j->digest, &j->st);
	if (j->r != 0)
		snprintf(j->detail, sizeof(j->detail), "%s", rs_err_detail());
	return NULL;
}

int
exec_run(const struct exec_request *req, struct attest_run **out)
{
	struct attest_run *run = NULL;
	struct exec_sandbox_spec spec;
	struct exec_sandbox_result *sr = NULL;
	struct exec_rootfs_spec fss;
	struct exec_rootfs *fs = NULL;
	struct rootfs_job job;
	struct plan pl;
	const struct exec_policy *p = req->policy;
	char *scratch = NULL, *in_dir = NULL, **env = NULL, *cache = NULL;
	char **argv = NULL;
	pthread_t measurer;
	int made_in = 0, measuring = 0, r = RS_ERR_INTERNAL;
	size_t i;
	uid_t uid;
	gid_t gid;

	*out = NULL;
	memset(&spec, 0, sizeof(spec));
	memset(&pl, 0, sizeof(pl));
	memset(&job, 0, sizeof(job));
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
	if ((run = attest_run_new()) == NULL || (sr = calloc(1, sizeof(*sr))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	sr->out_fd = -1;
	if ((scratch = realpath(req->scratch_dir, NULL)) == NULL) {
		r = rs_fail(rs_err_from_errno(errno), "scratch directory %s: %s",
		    req->scratch_dir, strerror(errno));
		goto out;
	}
	if ((in_dir = rs_path_join(scratch, "in")) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if (req->out_dir != NULL && (r = check_out_dir(req->out_dir)) != 0)
		goto out;
	/* Ours alone: an existing in/ is refused, never reused. */
	if (mkdir(in_dir, 0755) != 0) {
		r = rs_fail(rs_err_from_errno(errno), "%s: %s", in_dir, strerror(errno));
		goto out;
	}
	made_in = 1;
	exec_sandbox_host_ids(&uid, &gid);
	/* mkdir's mode is masked by umask: set it. */
	if (chmod(in_dir, 0755) != 0) {
		r = rs_fail(rs_err_from_errno(errno), "preparing %s: %s", scratch,
		    strerror(errno));
		goto out;
	}
	if ((r = exec_stage_inputs(req->inputs, req->n_inputs, in_dir,
	    uid != geteuid() ? uid : (uid_t)-1, gid, run)) != 0)
		goto out;

	/* The root the program will see, and its measurement beside the sandbox. */
	memset(&fss, 0, sizeof(fss));
	fss.in_dir = in_dir;
	fss.rootfs = p->rootfs;
	fss.binds = p->binds;
	fss.n_binds = p->n_binds;
	fss.out_bytes = p->limits[EXEC_LIMIT_OUTPUT_BYTES];
	fss.tmp_bytes = p->limits[EXEC_LIMIT_TMP_BYTES];
	fss.uid = p->uid;
	fss.gid = p->gid;
	if ((r = exec_rootfs_plan(&fss, &fs)) != 0)
		goto out;
	cache = cache_dir_for(req);
	if (p->measure_rootfs) {
		job.fs = fs;
		job.cache_dir = cache;
		job.remeasure = req->remeasure;
		if (pthread_create(&measurer, NULL, rootfs_job_run, &job) != 0) {
			r = rs_fail(RS_ERR_INTERNAL, "starting the rootfs measurement: %s",
			    strerror(errno));
			goto out;
		}
		measuring = 1;
	}

	pl.landlock_abi = exec_landlock_abi();
	if ((r = record_policy(p, &pl, run)) != 0 || (r = plan_limits(p, run, &pl)) != 0)
		goto out;
	if ((r = exec_env_build(p, req->host_env, &env)) != 0 ||
	    (r = record_env(p, env, run)) != 0)
		goto out;
	if ((r = exec_measure_host(cache, run)) != 0)
		goto out;
	if ((r = set_str(&run->rootfs, p->rootfs != NULL ? p->rootfs : "host")) != 0)
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
	spec.fs = fs;
	spec.uid = p->uid;
	spec.gid = p->gid;
	spec.loopback = p->network == EXEC_NET_LOOPBACK;
	spec.landlock_abi = pl.landlock_abi;
	spec.rlimits = pl.rl;
	spec.n_rlimits = pl.n_rl;
	spec.cgroup = pl.cg;
	spec.cpu_limit_us = pl.cpu_limit_us;
	spec.wall_time_ms = p->limits[EXEC_LIMIT_WALL_TIME_MS];
	spec.stdout_cap = p->limits[EXEC_LIMIT_STDOUT_BYTES];
	spec.stderr_cap = p->limits[EXEC_LIMIT_STDERR_BYTES];
	spec.stdout_fd = req->stdout_fd;
	spec.stderr_fd = req->stderr_fd;
	spec.stop_fd = req->stop_fd;
	run->start_unix_ns = now_unix_ns();
	r = exec_sandbox_run(&spec, sr);
	run->end_unix_ns = now_unix_ns();
	if (r != 0)
		goto out;
	if (measuring) {
		pthread_join(measurer, NULL);
		measuring = 0;
		if (job.r != 0) {
			r = rs_fail(job.r, "%s", job.detail);
			goto out;
		}
		run->rootfs_measured = 1;
		memcpy(run->rootfs_sha256, job.digest, RS_SHA256_LEN);
	}
	if ((r = record_result(p, req, sr, run)) != 0 ||
	    (r = record_out_full(p, sr->out_fd, run)) != 0)
		goto out;
	/* Every process of the sandbox is gone: nothing can change /work/out now. */
	if ((r = exec_collect_outputs(sr->out_fd, req->out_dir,
	    p->limits[EXEC_LIMIT_OUTPUT_BYTES], run)) != 0)
		goto out;
	*out = run;
	run = NULL;
	r = 0;
out:
	if (measuring)
		pthread_join(measurer, NULL);
	/* Removal failures cannot change the result; the detail of r is kept. */
	if (made_in) {
		char keep[512];
		snprintf(keep, sizeof(keep), "%s", rs_err_detail());
		(void)rs_rm_rf(in_dir);
		if (r != 0)
			(void)rs_fail(r, "%s", keep);
	}
	if (sr != NULL && sr->out_fd >= 0)
		close(sr->out_fd);
	exec_cgroup_destroy(pl.cg);
	exec_rootfs_free(fs);
	exec_env_free(env);
	free(sr);
	free(cache);
	free(argv);
	free(in_dir);
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
