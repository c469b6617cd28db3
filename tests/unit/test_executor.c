/*
 * test_executor.c - the executor against the real kernel: policies parsed
 * from files, and real sandbox runs (no mocks). Needs user namespaces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attest/run.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/relpath.h"
#include "executor/cgroup.h"
#include "executor/collect.h"
#include "executor/exec.h"
#include "executor/landlock.h"
#include "executor/manifest.h"
#include "executor/seccomp.h"

extern char **environ;

struct fx {
	char dir[64];               /* mkdtemp root of this test */
	char scratch[128];
	char out[128];              /* an out_dir that does not exist yet */
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/rs-test-exec-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->scratch, sizeof(f->scratch), "%s/scratch", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/outdir", f->dir);
	if (mkdir(f->scratch, 0700) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	rs_rm_rf(f->dir);
	free(f);
	return 0;
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(rs_write_all(fd, text, strlen(text)), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/*
 * Load a policy from JSON text written to a file in the fixture. Runs here
 * do not measure the host's rootfs unless the text says so (its first,
 * cold measurement reads every file of /usr: test_rootfs_measured does it).
 */
static int
policy_from(struct fx *f, const char *json, struct exec_policy **p)
{
	char path[160], *text = NULL;
	int r;

	snprintf(path, sizeof(path), "%s/policy.json", f->dir);
	if (json[0] == '{' && strstr(json, "measure_rootfs") == NULL &&
	    asprintf(&text, "{\"measure_rootfs\": false%s%s", strcmp(json, "{}") == 0 ||
	    json[1] == '}' ? "" : ", ", json + 1) < 0)
		text = NULL;
	write_text(path, text != NULL ? text : json, 0644);
	free(text);
	r = exec_policy_load(path, p);
	return r;
}

static char *
slurp(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	if (rs_read_file(path, 1 << 20, &buf, &len) != 0)
		return NULL;
	return (char *)buf;
}

static const struct attest_event *
find_event(const struct attest_run *run, const char *kind)
{
	size_t i;

	for (i = 0; i < run->n_events; i++)
		if (strcmp(run->events[i].kind, kind) == 0)
			return &run->events[i];
	return NULL;
}

static const struct attest_env *
find_env(const struct attest_run *run, const char *name)
{
	size_t i;

	for (i = 0; i < run->n_env; i++)
		if (strcmp(run->env[i].name, name) == 0)
			return &run->env[i];
	return NULL;
}

/* The helpers below end the test on absence (abort() tells the compiler too). */
static char *
need_file(const char *path)
{
	char *text = slurp(path);

	if (text == NULL) {
		fail_msg("cannot read %s", path);
		abort();
	}
	return text;
}

static const struct attest_event *
need_event(const struct attest_run *run, const char *kind)
{
	const struct attest_event *ev = find_event(run, kind);

	if (ev == NULL) {
		fail_msg("no \"%s\" event", kind);
		abort();
	}
	return ev;
}

static const struct attest_env *
need_env(const struct attest_run *run, const char *name)
{
	const struct attest_env *e = find_env(run, name);

	if (e == NULL) {
		fail_msg("no recorded variable %s", name);
		abort();
	}
	return e;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run `sh -c script` with optional inputs, policy and out_dir. */
static int
run_sh(struct fx *f, const struct exec_policy *policy, const char *script,
    const struct exec_input *inputs, size_t n_inputs, const char *out_dir,
    struct attest_run **run)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)script, NULL };
	struct exec_policy *def = NULL;
	struct exec_request req;
	int r;

	if (policy == NULL) {
		/* The default, without the host rootfs measurement (test_rootfs_measured). */
		assert_int_equal(policy_from(f, "{\"measure_rootfs\": false}", &def), 0);
		policy = def;
	}
	memset(&req, 0, sizeof(req));
	req.argv = argv;
	req.argc = 3;
	req.inputs = inputs;
	req.n_inputs = n_inputs;
	req.out_dir = out_dir;
	req.scratch_dir = f->scratch;
	req.policy = policy;
	req.stdout_fd = -1;
	req.stderr_fd = -1;
	req.host_env = environ;
	r = exec_run(&req, run);
	exec_policy_free(def);
	return r;
}

static int
run_argv(struct fx *f, char **argv, size_t argc, const struct exec_input *inputs,
    size_t n_inputs, struct attest_run **run)
{
	struct exec_policy *p = NULL;
	struct exec_request req;
	int r;

	assert_int_equal(policy_from(f, "{\"measure_rootfs\": false}", &p), 0);
	memset(&req, 0, sizeof(req));
	req.argv = argv;
	req.argc = argc;
	req.inputs = inputs;
	req.n_inputs = n_inputs;
	req.scratch_dir = f->scratch;
	req.policy = p;
	req.host_env = environ;
	r = exec_run(&req, run);
	exec_policy_free(p);
	return r;
}

static void
assert_stream(const struct attest_stream *s, const char *text)
{
	uint8_t want[RS_SHA256_LEN];

	assert_int_equal(rs_sha256(text, strlen(text), want), 0);
	assert_int_equal(s->size, strlen(text));
	assert_memory_equal(s->sha256, want, RS_SHA256_LEN);
}

/* ---- policy ---- */

static void
test_policy_default(void **state)
{
	struct exec_policy *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(exec_policy_load(NULL, &a), 0);
	assert_int_equal(exec_policy_load("default", &b), 0);
	assert_string_equal(exec_policy_name(a), "default");
	assert_string_equal(exec_policy_json(a), exec_policy_json(b));
	assert_int_equal(exec_policy_keep_blobs(a), 0);
	assert_string_equal(exec_policy_json(a),
	    "{\"best_effort\":[],\"binds\":[],\"env\":{\"allow\":[],"
	    "\"public\":[\"HOME\",\"LANG\",\"PATH\"],\"set\":{}},\"gid\":0,"
	    "\"keep_blobs\":false,\"limits\":{\"cpu_time_s\":60,"
	    "\"file_size_bytes\":1073741824,\"memory_bytes\":536870912,\"open_files\":256,"
	    "\"output_bytes\":1073741824,\"processes\":64,\"stderr_bytes\":67108864,"
	    "\"stdout_bytes\":67108864,\"tmp_bytes\":67108864,\"wall_time_ms\":60000},"
	    "\"measure_rootfs\":true,\"name\":\"default\",\"network\":\"none\","
	    "\"nondeterministic\":false,\"rootfs\":\"host\",\"uid\":0}");
	exec_policy_free(a);
	exec_policy_free(b);
	exec_policy_free(NULL);
}

static void
test_policy_file(void **state)
{
	struct fx *f = *state;
	struct exec_policy *a = NULL, *b = NULL;

	assert_int_equal(policy_from(f, "{\"name\": \"strict\", \"network\": \"loopback\","
	    " \"limits\": {\"wall_time_ms\": 1000, \"memory_bytes\": 33554432},"
	    " \"env\": {\"allow\": [\"ZED\", \"FOO\"], \"public\": [\"FOO\"],"
	    " \"set\": {\"B\": \"2\", \"A\": \"1\"}},"
	    " \"keep_blobs\": true, \"best_effort\": [\"processes\", \"cpu_time_s\"]}", &a), 0);
	assert_string_equal(exec_policy_name(a), "strict");
	assert_int_equal(exec_policy_keep_blobs(a), 1);
	assert_non_null(strstr(exec_policy_json(a), "\"wall_time_ms\":1000"));
	assert_non_null(strstr(exec_policy_json(a), "\"memory_bytes\":33554432"));
	assert_non_null(strstr(exec_policy_json(a), "\"processes\":64"));   /* default kept */
	assert_non_null(strstr(exec_policy_json(a), "\"allow\":[\"FOO\",\"ZED\"]"));
	assert_non_null(strstr(exec_policy_json(a), "\"set\":{\"A\":\"1\",\"B\":\"2\"}"));
	assert_non_null(strstr(exec_policy_json(a),
	    "\"best_effort\":[\"cpu_time_s\",\"processes\"]"));
	assert_non_null(strstr(exec_policy_json(a), "\"network\":\"loopback\""));

	/* The same policy written differently has the same canonical form. */
	assert_int_equal(policy_from(f, "{\"best_effort\": [\"cpu_time_s\", \"processes\"],"
	    " \"keep_blobs\": true, \"env\": {\"set\": {\"A\": \"1\", \"B\": \"2\"},"
	    " \"public\": [\"FOO\"], \"allow\": [\"FOO\", \"ZED\"]},"
	    " \"limits\": {\"memory_bytes\": 33554432, \"wall_time_ms\": 1000},"
	    " \"network\": \"loopback\", \"name\": \"strict\"}", &b), 0);
	assert_string_equal(exec_policy_json(a), exec_policy_json(b));
	exec_policy_free(a);
	exec_policy_free(b);
}

/* Each bad policy fails with the expected code and a detail naming the key. */
static void
expect_bad(struct fx *f, const char *json, int code, const char *needle)
{
	struct exec_policy *p = (struct exec_policy *)(uintptr_t)1;

	assert_int_equal(policy_from(f, json, &p), code);
	assert_null(p);
	if (strstr(rs_err_detail(), needle) == NULL)
		fail_msg("detail \"%s\" does not name \"%s\"", rs_err_detail(), needle);
}

static void
test_policy_unknown_key(void **state)
{
	struct fx *f = *state;

	expect_bad(f, "{\"netwrok\": \"none\"}", RS_ERR_CONFIG, "\"netwrok\"");
	expect_bad(f, "{\"limits\": {\"wall_time\": 5}}", RS_ERR_CONFIG, "limits.wall_time");
	expect_bad(f, "{\"env\": {\"deny\": []}}", RS_ERR_CONFIG, "env.deny");
}

static void
test_policy_out_of_range(void **state)
{
	struct fx *f = *state;

	expect_bad(f, "{\"limits\": {\"wall_time_ms\": -1}}", RS_ERR_CONFIG, "wall_time_ms");
	expect_bad(f, "{\"limits\": {\"wall_time_ms\": 0}}", RS_ERR_CONFIG, "1..86400000");
	expect_bad(f, "{\"limits\": {\"wall_time_ms\": 86400001}}", RS_ERR_CONFIG,
	    "wall_time_ms");
	expect_bad(f, "{\"limits\": {\"memory_bytes\": 1048576}}", RS_ERR_CONFIG,
	    "memory_bytes");
	expect_bad(f, "{\"limits\": {\"processes\": 65537}}", RS_ERR_CONFIG, "processes");
	expect_bad(f, "{\"best_effort\": [\"speed\"]}", RS_ERR_CONFIG, "speed");
	expect_bad(f, "{\"env\": {\"allow\": [\"A=B\"]}}", RS_ERR_CONFIG, "A=B");
	expect_bad(f, "{\"env\": {\"allow\": [\"A\", \"A\"]}}", RS_ERR_CONFIG, "twice");
	expect_bad(f, "{\"name\": \"\"}", RS_ERR_CONFIG, "name");
}

static void
test_policy_wrong_type(void **state)
{
	struct fx *f = *state;

	expect_bad(f, "{\"limits\": {\"wall_time_ms\": \"10\"}}", RS_ERR_CONFIG, "wall_time_ms");
	expect_bad(f, "{\"limits\": {\"wall_time_ms\": 1.5}}", RS_ERR_CONFIG, "wall_time_ms");
	expect_bad(f, "{\"keep_blobs\": 1}", RS_ERR_CONFIG, "keep_blobs");
	expect_bad(f, "{\"network\": \"internet\"}", RS_ERR_CONFIG, "network");
	expect_bad(f, "{\"network\": 0}", RS_ERR_CONFIG, "network");
	expect_bad(f, "{\"env\": {\"set\": {\"A\": 1}}}", RS_ERR_CONFIG, "env.set");
	expect_bad(f, "{\"limits\": []}", RS_ERR_CONFIG, "limits");
	expect_bad(f, "[]", RS_ERR_CONFIG, "object");
}

static void
test_policy_malformed(void **state)
{
	struct fx *f = *state;

	expect_bad(f, "{\"name\": \"x\"", RS_ERR_CONFIG, "policy");
	expect_bad(f, "{} trailing", RS_ERR_CONFIG, "policy");
	expect_bad(f, "", RS_ERR_CONFIG, "policy");
	expect_bad(f, "{\"name\": \"a\\u0000b\"}", RS_ERR_CONFIG, "policy");
}

static void
test_policy_duplicate_key(void **state)
{
	struct fx *f = *state;

	expect_bad(f, "{\"name\": \"a\", \"name\": \"b\"}", RS_ERR_CONFIG, "name");
	expect_bad(f, "{\"limits\": {\"processes\": 1, \"processes\": 2}}", RS_ERR_CONFIG,
	    "processes");
}

static void
test_policy_huge_and_missing(void **state)
{
	struct fx *f = *state;
	struct exec_policy *p = NULL;
	char path[160];
	char *big;
	size_t n = 2 * 1024 * 1024;

	snprintf(path, sizeof(path), "%s/huge.json", f->dir);
	assert_non_null(big = malloc(n + 3));
	memset(big, ' ', n);
	memcpy(big + n, "{}", 3);
	write_text(path, big, 0644);
	free(big);
	assert_int_equal(exec_policy_load(path, &p), RS_ERR_TOO_LARGE);
	assert_null(p);
	assert_non_null(strstr(rs_err_detail(), "huge.json"));

	snprintf(path, sizeof(path), "%s/nope.json", f->dir);
	assert_int_equal(exec_policy_load(path, &p), RS_ERR_NOT_FOUND);
	assert_non_null(strstr(rs_err_detail(), "nope.json"));
}

/* ---- runs ---- */

static void
test_run_copies_input_to_output(void **state)
{
	struct fx *f = *state;
	struct attest_run *run = NULL;
	struct exec_input in = { NULL, "x" };
	uint8_t pd[RS_SHA256_LEN];
	char src[160], copy[160], *text;
	size_t i;
	int seccomp = 0;

	snprintf(src, sizeof(src), "%s/input.txt", f->dir);
	write_text(src, "hello, sandbox\n", 0600);
	in.path = src;
	assert_int_equal(run_sh(f, NULL, "cat /work/in/x > /work/out/y", &in, 1, f->out,
	    &run), 0);
	assert_int_equal(run->exit_code, 0);
	assert_int_equal(exec_exit_status(run), 0);
	assert_int_equal(run->n_inputs, 1);
	assert_string_equal(run->inputs[0].name, "x");
	assert_int_equal(run->inputs[0].size, 15);
	assert_int_equal(run->inputs[0].mode, 0600);
	assert_int_equal(run->n_outputs, 1);
	assert_string_equal(run->outputs[0].name, "y");
	assert_int_equal(run->outputs[0].size, 15);
	assert_memory_equal(run->outputs[0].sha256, run->inputs[0].sha256, RS_SHA256_LEN);

	/* The copy in out_dir is the hashed bytes. */
	snprintf(copy, sizeof(copy), "%s/y", f->out);
	text = need_file(copy);
	assert_string_equal(text, "hello, sandbox\n");
	free(text);

	/* Facts of the run. */
	assert_int_equal(run->argc, 3);
	assert_string_equal(run->argv[0], "sh");
	assert_string_equal(run->cwd, "/work");
	assert_string_equal(run->policy_name, "default");
	assert_int_equal(rs_sha256(run->policy_json, strlen(run->policy_json), pd), 0);
	assert_memory_equal(pd, run->policy_sha256, RS_SHA256_LEN);
	assert_string_equal(run->network, "none");
	assert_string_equal(run->rootfs, "host");
	assert_non_null(run->kernel_release);
	assert_true(run->end_unix_ns >= run->start_unix_ns && run->start_unix_ns > 0);
	for (i = 0; i < run->n_isolation; i++)
		seccomp |= strcmp(run->isolation[i], "seccomp_allowlist") == 0;
	assert_true(seccomp);
	assert_int_equal(run->n_events, 0);

	/* The scratch subdirectories are gone. */
	snprintf(copy, sizeof(copy), "%s/in", f->scratch);
	assert_int_equal(access(copy, F_OK), -1);
	snprintf(copy, sizeof(copy), "%s/out", f->scratch);
	assert_int_equal(access(copy, F_OK), -1);
	attest_run_free(run);
}

static void
test_exit_code(void **state)
{
	struct attest_run *run = NULL;

	assert_int_equal(run_sh(*state, NULL, "exit 7", NULL, 0, NULL, &run), 0);
	assert_int_equal(run->exit_code, 7);
	assert_int_equal(run->signal, 0);
	assert_int_equal(exec_exit_status(run), 7);
	attest_run_free(run);
}

static void
test_killed_by_signal(void **state)
{
	struct attest_run *run = NULL;

	assert_int_equal(run_sh(*state, NULL, "kill -9 $$", NULL, 0, NULL, &run), 0);
	assert_int_equal(run->signal, 9);
	assert_int_equal(run->timed_out, 0);
	assert_int_equal(exec_exit_status(run), 137);
	attest_run_free(run);
	assert_int_equal(run_sh(*state, NULL, "kill -TERM $$", NULL, 0, NULL, &run), 0);
	assert_int_equal(exec_exit_status(run), 143);
	attest_run_free(run);
}

static void
test_timeout(void **state)
{
	struct fx *f = *state;
	struct exec_policy *p = NULL;
	struct attest_run *run = NULL;
	const struct attest_event *ev;
	double t0;

	assert_int_equal(policy_from(f, "{\"limits\": {\"wall_time_ms\": 300}}", &p), 0);
	t0 = now_s();
	assert_int_equal(run_sh(f, p, "sleep 10", NULL, 0, NULL, &run), 0);
	assert_true(now_s() - t0 < 5.0);
	assert_int_equal(run->timed_out, 1);
	assert_int_equal(exec_exit_status(run), 124);
	ev = need_event(run, "timeout");
	assert_string_equal(ev->detail, "wall_time_ms=300");
	attest_run_free(run);
	exec_policy_free(p);
}

static void
test_not_found(void **state)
{
	struct attest_run *run = NULL;
	const struct attest_event *ev;
	char *argv[] = { (char *)"no-such-program-anywhere", NULL };

	assert_int_equal(run_argv(*state, argv, 1, NULL, 0, &run), 0);
	assert_int_equal(run->exit_code, 127);
	assert_int_equal(exec_exit_status(run), 127);
	ev = need_event(run, "exec_failed");
	assert_string_equal(ev->detail, "no-such-program-anywhere: No such file or directory");
	attest_run_free(run);

	argv[0] = (char *)"/no/such/program";
	assert_int_equal(run_argv(*state, argv, 1, NULL, 0, &run), 0);
	assert_int_equal(exec_exit_status(run), 127);
	attest_run_free(run);
}

static void
test_not_executable(void **state)
{
	struct fx *f = *state;
	struct attest_run *run = NULL;
	struct exec_input in = { NULL, "x" };
	char src[160];
	char *argv[] = { (char *)"/work/in/x", NULL };

	snprintf(src, sizeof(src), "%s/script.sh", f->dir);
	write_text(src, "#!/bin/sh\necho hi\n", 0644);
	in.path = src;
	assert_int_equal(run_argv(f, argv, 1, &in, 1, &run), 0);
	assert_int_equal(run->exit_code, 126);
	assert_int_equal(exec_exit_status(run), 126);
	assert_non_null(find_event(run, "exec_failed"));
	attest_run_free(run);

	/* With the x bit the same staged script runs. */
	write_text(src, "#!/bin/sh\necho hi\n", 0755);
	assert_int_equal(run_argv(f, argv, 1, &in, 1, &run), 0);
	assert_int_equal(exec_exit_status(run), 0);
	assert_stream(&run->out, "hi\n");
	attest_run_free(run);
}

static void
test_no_network(void **state)
{
	struct fx *f = *state;
	struct attest_run *run = NULL;
	char path[160], *text, *line;
	int ifaces = 0;

	assert_int_equal(run_sh(f, NULL, "cat /proc/net/dev > /work/out/dev", NULL, 0, f->out,
	    &run), 0);
	assert_int_equal(run->exit_code, 0);
	snprintf(path, sizeof(path), "%s/dev", f->out);
	text = need_file(path);
	/* Two header lines, then one line per interface: only lo. */
	for (line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strchr(line, ':') != NULL && strchr(line, '|') == NULL) {
			ifaces++;
			assert_non_null(strstr(line, "lo:"));
		}
	}
	assert_int_equal(ifaces, 1);
	free(text);
	attest_run_free(run);
}

static void
test_env_does_not_leak(void **state)
{
	struct fx *f = *state;
	struct exec_policy *p = NULL;
	struct attest_run *run = NULL;
	const struct attest_env *e;
	char path[160], *text;

	setenv("RUNSEAL_CANARY", "secret-canary-value", 1);
	setenv("RUNSEAL_ALLOWED", "let-me-in", 1);
	assert_int_equal(policy_from(f, "{\"env\": {\"allow\": [\"RUNSEAL_ALLOWED\", "
	    "\"RUNSEAL_ABSENT\"], \"set\": {\"FIXED\": \"v\"}}}", &p), 0);
	assert_int_equal(run_sh(f, p, "env > /work/out/env", NULL, 0, f->out, &run), 0);
	assert_int_equal(run->exit_code, 0);
	snprintf(path, sizeof(path), "%s/env", f->out);
	text = need_file(path);
	assert_null(strstr(text, "RUNSEAL_CANARY"));
	assert_null(strstr(text, "secret-canary-value"));
	assert_non_null(strstr(text, "RUNSEAL_ALLOWED=let-me-in\n"));
	assert_null(strstr(text, "RUNSEAL_ABSENT"));
	assert_non_null(strstr(text, "FIXED=v\n"));
	assert_non_null(strstr(text, "PATH=/usr/local/bin:/usr/bin:/bin\n"));
	assert_non_null(strstr(text, "HOME=/work\n"));
	free(text);

	/* Recorded: PATH in clear (public by default), the allowed one by digest only. */
	e = need_env(run, "PATH");
	assert_string_equal(e->value, "/usr/local/bin:/usr/bin:/bin");
	e = need_env(run, "RUNSEAL_ALLOWED");
	assert_null(e->value);
	assert_null(find_env(run, "RUNSEAL_CANARY"));
	unsetenv("RUNSEAL_CANARY");
	unsetenv("RUNSEAL_ALLOWED");
	attest_run_free(run);
	exec_policy_free(p);
}

static void
test_symlink_not_collected(void **state)
{
	struct fx *f = *state;
	struct attest_run *run = NULL;
	const struct attest_event *ev;
	char path[160];
	struct stat st;

	assert_int_equal(run_sh(f, NULL, "ln -s /etc/passwd /work/out/link; "
	    "mkfifo /work/out/fifo; mkdir /work/out/d; echo hi > /work/out/d/ok; "
	    "ln /work/out/d/ok /work/out/hard", NULL, 0, f->out, &run), 0);
	assert_int_equal(run->exit_code, 0);
	assert_int_equal(run->n_outputs, 2);
	assert_string_equal(run->outputs[0].name, "d/ok");
	assert_string_equal(run->outputs[1].name, "hard");
	ev = need_event(run, "special_file");
	assert_non_null(find_event(run, "hardlink"));
	assert_true(strstr(ev->detail, "link (symlink)") != NULL ||
	    strstr(ev->detail, "fifo (fifo)") != NULL);
	assert_true(run->n_events >= 3);
	snprintf(path, sizeof(path), "%s/link", f->out);
	assert_int_equal(lstat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/d/ok", f->out);
	assert_int_equal(lstat(path, &st), 0);
	attest_run_free(run);
}

/* A regular file name in the directory dir_fd, holding name itself. */
static void
put_file(int dir_fd, const char *name)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(rs_write_all(fd, name, strlen(name)), 0);
	close(fd);
}

/* mkdir name in dir_fd and open it; the caller closes the result. */
static int
put_dir(int dir_fd, const char *name)
{
	int fd;

	assert_int_equal(mkdirat(dir_fd, name, 0755), 0);
	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static int
has_event(const struct attest_run *run, const char *kind, const char *text)
{
	size_t i;

	for (i = 0; i < run->n_events; i++)
		if (strcmp(run->events[i].kind, kind) == 0 && run->events[i].detail != NULL &&
		    strstr(run->events[i].detail, text) != NULL)
			return 1;
	return 0;
}

/*
 * exec_collect_outputs() straight over a tree (no sandbox) at the path
 * bounds: odd names are recorded as they are; a chain 70 directories deep
 * is collected down to files 64 directories deep; a path of exactly 1024
 * bytes is collected, one of 1025 is not. Every name passes
 * rs_relpath_check() and its copy is in out_dir under the same name.
 */
static void
test_collect_path_bounds(void **state)
{
	static const char *const odd[] = { "k=v", "esc\x1b[2J", "...", ".hidden", "\xff\xfe" };
	struct fx *f = *state;
	struct attest_run *run = attest_run_new();
	char src[160], name[256], *a255 = NULL;
	int src_fd, d, next, out_fd, k;
	size_t i;
	struct stat st;

	assert_non_null(run);
	snprintf(src, sizeof(src), "%s/src", f->dir);
	assert_int_equal(mkdir(src, 0755), 0);
	assert_int_equal(mkdir(f->out, 0755), 0);
	assert_true((src_fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		put_file(src_fd, odd[i]);
	/* d/f, d/d/f, ... 70 deep: f is collected where it has at most 64 '/'. */
	d = dup(src_fd);
	for (k = 0; k < 70; k++) {
		next = put_dir(d, "d");
		close(d);
		d = next;
		put_file(d, "f");
	}
	close(d);
	/* 255/255/255/254 bytes of directories (1022), then "e" (1024) and "ee" (1025). */
	a255 = malloc(256);
	assert_non_null(a255);
	memset(a255, 'a', 255);
	a255[255] = '\0';
	d = dup(src_fd);
	for (k = 0; k < 4; k++) {
		if (k == 3)
			a255[254] = '\0';
		next = put_dir(d, a255);
		close(d);
		d = next;
	}
	put_file(d, "e");
	put_file(d, "ee");
	close(d);

	assert_int_equal(exec_collect_outputs(src_fd, f->out, 1 << 20, run), 0);
	assert_int_equal(run->n_outputs, 5 + 64 + 1);
	assert_true(has_event(run, "output_skipped", "deeper than 64 levels"));
	assert_true(has_event(run, "output_skipped", "path longer than 1024 bytes"));
	assert_true((out_fd = open(f->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	for (i = 0; i < run->n_outputs; i++) {
		const char *n = run->outputs[i].name;
		assert_int_equal(rs_relpath_check(n, strlen(n)), RS_RELPATH_OK);
		assert_true(i == 0 || strcmp(run->outputs[i - 1].name, n) < 0);
		assert_int_equal(fstatat(out_fd, n, &st, AT_SYMLINK_NOFOLLOW), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal((uint64_t)st.st_size, run->outputs[i].size);
		if (strlen(n) == RS_RELPATH_MAX)
			assert_string_equal(n + RS_RELPATH_MAX - 2, "/e");
		snprintf(name, sizeof(name), "%s", strrchr(n, '/') != NULL ? strrchr(n, '/') + 1 : n);
		assert_int_equal(strcmp(name, "f") == 0, strncmp(n, "d/", 2) == 0);
	}
	/* The deepest f collected: 64 "d/" and "f". */
	memset(name, 0, sizeof(name));
	for (k = 0; k < 64; k++)
		memcpy(name + 2 * k, "d/", 2);
	name[128] = 'f';
	for (i = 0; i < run->n_outputs && strcmp(run->outputs[i].name, name) != 0; i++)
		;
	assert_true(i < run->n_outputs);
	close(out_fd);
	close(src_fd);
	free(a255);
	attest_run_free(run);
}

static void
test_survivor_does_not_hold_run(void **state)
{
	struct attest_run *run = NULL;
	double t0 = now_s();

	assert_int_equal(run_sh(*state, NULL, "(setsid sh -c \"sleep 30\" &) ; exit 0", NULL,
	    0, NULL, &run), 0);
	assert_true(now_s() - t0 < 5.0);
	assert_int_equal(run->timed_out, 0);
	assert_int_equal(exec_exit_status(run), 0);
	attest_run_free(run);
}

static void
test_stdout_captured_and_capped(void **state)
{
	struct fx *f = *state;
	struct exec_policy *p = NULL;
	struct attest_run *run = NULL;
	uint8_t want[RS_SHA256_LEN];
	const struct attest_event *ev;

	assert_int_equal(run_sh(f, NULL, "printf hello; printf oops >&2; echo $$", NULL, 0,
	    NULL, &run), 0);
	assert_stream(&run->out, "hello2\n");   /* the program is pid 2, after init */
	assert_stream(&run->err, "oops");
	assert_int_equal(run->out.truncated, 0);
	attest_run_free(run);

	assert_int_equal(policy_from(f, "{\"limits\": {\"stdout_bytes\": 3}}", &p), 0);
	assert_int_equal(run_sh(f, p, "printf hello", NULL, 0, NULL, &run), 0);
	assert_int_equal(run->out.size, 5);
	assert_int_equal(run->out.truncated, 1);
	assert_int_equal(rs_sha256("hel", 3, want), 0);
	assert_memory_equal(run->out.sha256, want, RS_SHA256_LEN);
	ev = need_event(run, "output_cap");
	assert_string_equal(ev->detail, "stdout_bytes=3: truncated at byte 3 of 5");
	attest_run_free(run);
	exec_policy_free(p);
}

/* What the record says was applied is what /proc shows inside. */
static void
test_privileges_dropped(void **state)
{
	struct fx *f = *state;
	struct attest_run *run = NULL;
	char path[160], *text;

	assert_int_equal(run_sh(f, NULL, "cat /proc/self/status > /work/out/status; "
	    "cat /proc/sys/kernel/hostname > /work/out/host", NULL, 0, f->out, &run), 0);
	assert_int_equal(run->exit_code, 0);
	snprintf(path, sizeof(path), "%s/status", f->out);
	text = need_file(path);
	assert_non_null(strstr(text, "CapEff:\t0000000000000000"));
	assert_non_null(strstr(text, "CapPrm:\t0000000000000000"));
	assert_non_null(strstr(text, "CapBnd:\t0000000000000000"));
	assert_non_null(strstr(text, "NoNewPrivs:\t1"));
	assert_non_null(strstr(text, "Seccomp:\t2"));
	free(text);
	snprintf(path, sizeof(path), "%s/host", f->out);
	text = need_file(path);
	assert_string_equal(text, "runseal\n");
	free(text);
	attest_run_free(run);
}

static void
test_filesystem_read_only(void **state)
{
	struct attest_run *run = NULL;

	/* Exit 0 only if every write outside /work/out and /tmp fails. */
	assert_int_equal(run_sh(*state, NULL,
	    "for p in /z /usr/z /etc/z /work/z /work/in/z /dev/z; do "
	    "  touch $p 2>/dev/null && exit 1; done; "
	    "echo x > /etc/passwd 2>/dev/null && exit 2; "
	    "echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && exit 3; "
	    "touch /tmp/z /work/out/z || exit 4; "
	    "test -e /home && exit 5; test -e /root && exit 6; exit 0",
	    NULL, 0, NULL, &run), 0);
	assert_int_equal(run->exit_code, 0);
	attest_run_free(run);
}

static void
test_process_limit(void **state)
{
	struct fx *f = *state;
	struct exec_policy *p = NULL;
	struct attest_run *run = NULL;
	size_t i;
	int found = 0;

	assert_int_equal(policy_from(f, "{\"limits\": {\"processes\": 3}}", &p), 0);
	/* Each background job forks; the fourth process of the program's must fail. */
	assert_int_equal(run_sh(f, p, "for i in 1 2 3 4 5 6; do sleep 1 & done; wait; "
	    "exit 0", NULL, 0, NULL, &run), 0);
	assert_int_not_equal(exec_exit_status(run), 0);
	for (i = 0; i < run->n_limits; i++) {
		if (strcmp(run->limits[i].name, "processes") == 0) {
			const char *m = run->limits[i].mechanism;
			assert_int_equal(run->limits[i].value, 3);
			assert_true(strcmp(m, "rlimit") == 0 || strcmp(m, "cgroup-v1") == 0 ||
			    strcmp(m, "cgroup-v2") == 0);
			assert_int_equal(run->limits[i].enforced, 1);
			/* A group counts the refused forks; an rlimit cannot tell. */
			if (strcmp(m, "rlimit") != 0)
				assert_non_null(find_event(run, "pids_limit"));
			found = 1;
		}
	}
	assert_true(found);
	attest_run_free(run);

	/* Within the limit the same script succeeds. */
	assert_int_equal(run_sh(f, p, "sleep 0 & wait; exit 0", NULL, 0, NULL, &run), 0);
	assert_int_equal(exec_exit_status(run), 0);
	attest_run_free(run);
	exec_policy_free(p);
}

/* The program can neither signal, inspect nor ptrace init, nor make namespaces. */
static void
test_init_out_of_reach(void **state)
{
	struct fx *f = *state;
	struct attest_run *run = NULL;
	char path[160], *text;

	setenv("RUNSEAL_CANARY", "secret-canary-value", 1);
	assert_int_equal(run_sh(f, NULL,
	    "cat /proc/1/environ > /work/out/environ 2>/dev/null && exit 1; "
	    "ls /proc/1/fd > /dev/null 2>&1 && exit 2; "
	    "tr -d '\\000' < /proc/1/cmdline > /work/out/cmdline; "
	    "kill -9 1 2>/dev/null; kill -STOP 1 2>/dev/null; "
	    "unshare -U true 2>/dev/null && exit 3; "
	    "unshare -m true 2>/dev/null && exit 4; "
	    "exit 0", NULL, 0, f->out, &run), 0);
	unsetenv("RUNSEAL_CANARY");
	/* init survived its signals: it reported the program's own exit status. */
	assert_int_equal(run->signal, 0);
	assert_int_equal(run->exit_code, 0);
	snprintf(path, sizeof(path), "%s/cmdline", f->out);
	text = need_file(path);
	assert_string_equal(text, "");      /* the executor's command line was wiped */
	free(text);
	attest_run_free(run);
}

static void
test_output_bytes_cap(void **state)
{
	struct fx *f = *state;
	struct exec_policy *p = NULL;
	struct attest_run *run = NULL;
	const struct attest_event *ev;

	/*
	 * /work/out holds two pages; a hard link doubles the bytes without
	 * using one, so the collector's own byte count is what stops it.
	 */
	assert_int_equal(policy_from(f, "{\"limits\": {\"output_bytes\": 6000}}", &p), 0);
	assert_int_equal(run_sh(f, p, "head -c 3500 /dev/zero > /work/out/a; "
	    "ln /work/out/a /work/out/b", NULL, 0, f->out, &run), 0);
	assert_int_equal(run->n_outputs, 1);
	assert_string_equal(run->outputs[0].name, "a");
	ev = need_event(run, "output_cap");
	assert_string_equal(ev->detail, "output_bytes=6000");
	attest_run_free(run);

	/* Writing past the tmpfs fails inside, and the record says /work/out was full. */
	rs_rm_rf(f->out);
	assert_int_equal(run_sh(f, p, "head -c 20000 /dev/zero > /work/out/big && exit 3; "
	    "exit 0", NULL, 0, f->out, &run), 0);
	assert_int_equal(exec_exit_status(run), 0);
	ev = need_event(run, "output_cap");
	assert_string_equal(ev->detail, "output_bytes=6000: /work/out was full");
	attest_run_free(run);
	exec_policy_free(p);
}

/*
 * As a caller that is not root (when the test runs as root: in a child that
 * drops to uid 1000), the sandbox maps to the caller's own ids, setgroups
 * is denied, and runs still work and are contained.
 */
static void
test_unprivileged_caller(void **state)
{
	struct fx *f = *state;
	pid_t pid;
	int ws = 0;

	if (geteuid() != 0)
		skip();
	assert_int_equal(chown(f->dir, 1000, 1000), 0);
	assert_int_equal(chown(f->scratch, 1000, 1000), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct attest_run *run = NULL;
		int code;

		if (setgroups(0, NULL) != 0 || setresgid(1000, 1000, 1000) != 0 ||
		    setresuid(1000, 1000, 1000) != 0)
			_exit(90);
		if (run_sh(f, NULL, "grep -q '^CapEff:.0000000000000000' /proc/self/status "
		    "|| exit 1; awk '{ exit !($2 == 1000) }' /proc/self/uid_map || exit 2; "
		    "echo hi > /work/out/x; exit 7", NULL, 0, f->out, &run) != 0) {
			fprintf(stderr, "unprivileged run: %s\n", rs_err_detail());
			_exit(91);
		}
		code = exec_exit_status(run) == 7 && run->n_outputs == 1 ? 0 : 92;
		attest_run_free(run);
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
}

static void
test_bad_requests(void **state)
{
	struct fx *f = *state;
	struct attest_run *run = (struct attest_run *)(uintptr_t)1;
	struct exec_input in = { NULL, "x" };
	char path[160];

	snprintf(path, sizeof(path), "%s/missing.txt", f->dir);
	in.path = path;
	assert_int_equal(run_sh(f, NULL, "true", &in, 1, NULL, &run), RS_ERR_NOT_FOUND);
	assert_null(run);
	assert_non_null(strstr(rs_err_detail(), "missing.txt"));

	snprintf(path, sizeof(path), "%s/present.txt", f->dir);
	write_text(path, "x", 0644);
	in.name = "../x";
	assert_int_equal(run_sh(f, NULL, "true", &in, 1, NULL, &run), RS_ERR_USAGE);
	in.name = "..";
	assert_int_equal(run_sh(f, NULL, "true", &in, 1, NULL, &run), RS_ERR_USAGE);

	/* A non-empty out_dir is refused before anything runs. */
	assert_int_equal(mkdir(f->out, 0755), 0);
	snprintf(path, sizeof(path), "%s/old", f->out);
	write_text(path, "old", 0644);
	assert_int_equal(run_sh(f, NULL, "echo new > /work/out/old", NULL, 0, f->out, &run),
	    RS_ERR_EXISTS);
	assert_null(run);
	assert_non_null(strstr(rs_err_detail(), "not empty"));
}


/* ---- policy keys of the hardened sandbox ---- */

static void
test_policy_sandbox_keys(void **state)
{
	struct fx *f = *state;
	struct exec_policy *p = NULL;

	assert_int_equal(policy_from(f, "{\"rootfs\": \"/srv/root\", \"measure_rootfs\": false,"
	    " \"uid\": 1000, \"gid\": 100, \"limits\": {\"tmp_bytes\": 2097152},"
	    " \"binds\": [{\"source\": \"/opt/b\", \"target\": \"/data/b\"},"
	    " {\"target\": \"/data/a\", \"source\": \"/opt/a\"}]}", &p), 0);
	assert_non_null(strstr(exec_policy_json(p), "\"rootfs\":\"/srv/root\""));
	assert_non_null(strstr(exec_policy_json(p), "\"measure_rootfs\":false"));
	assert_non_null(strstr(exec_policy_json(p), "\"uid\":1000"));
	assert_non_null(strstr(exec_policy_json(p), "\"gid\":100"));
	assert_non_null(strstr(exec_policy_json(p), "\"tmp_bytes\":2097152"));
	/* Binds are kept sorted by target. */
	assert_non_null(strstr(exec_policy_json(p), "\"binds\":[{\"source\":\"/opt/a\","
	    "\"target\":\"/data/a\"},{\"source\":\"/opt/b\",\"target\":\"/data/b\"}]"));
	/* --rootfs replaces the policy's and the canonical JSON says so. */
	assert_int_equal(exec_policy_override_rootfs(p, "/other"), 0);
	assert_non_null(strstr(exec_policy_json(p), "\"rootfs\":\"/other\""));
	assert_int_equal(exec_policy_override_rootfs(p, "host"), 0);
	assert_non_null(strstr(exec_policy_json(p), "\"rootfs\":\"host\""));
	assert_int_equal(exec_policy_override_rootfs(p, "relative/dir"), RS_ERR_CONFIG);
	exec_policy_free(p);

	expect_bad(f, "{\"rootfs\": \"relative\"}", RS_ERR_CONFIG, "rootfs");
	expect_bad(f, "{\"rootfs\": \"/a/../b\"}", RS_ERR_CONFIG, "rootfs");
	expect_bad(f, "{\"rootfs\": \"/a/\"}", RS_ERR_CONFIG, "rootfs");
	expect_bad(f, "{\"measure_rootfs\": 1}", RS_ERR_CONFIG, "measure_rootfs");
	expect_bad(f, "{\"uid\": 65534}", RS_ERR_CONFIG, "uid");
	expect_bad(f, "{\"gid\": -1}", RS_ERR_CONFIG, "gid");
	expect_bad(f, "{\"uid\": \"0\"}", RS_ERR_CONFIG, "uid");
	expect_bad(f, "{\"limits\": {\"tmp_bytes\": 1024}}", RS_ERR_CONFIG, "tmp_bytes");
	expect_bad(f, "{\"binds\": {}}", RS_ERR_CONFIG, "binds");
	expect_bad(f, "{\"binds\": [{\"source\": \"/a\"}]}", RS_ERR_CONFIG, "binds[0]");
	expect_bad(f, "{\"binds\": [{\"source\": \"/a\", \"target\": \"/b\", \"rw\": true}]}",
	    RS_ERR_CONFIG, "binds.rw");
	expect_bad(f, "{\"binds\": [{\"source\": \"a\", \"target\": \"/b\"}]}", RS_ERR_CONFIG,
	    "binds.source");
	expect_bad(f, "{\"binds\": [{\"source\": \"/a\", \"target\": \"/\"}]}", RS_ERR_CONFIG,
	    "binds.target");
	expect_bad(f, "{\"binds\": [{\"source\": \"/a\", \"target\": \"/work/x\"}]}",
	    RS_ERR_CONFIG, "inside /work");
	expect_bad(f, "{\"binds\": [{\"source\": \"/a\", \"target\": \"/proc\"}]}",
	    RS_ERR_CONFIG, "inside /proc");
	expect_bad(f, "{\"binds\": [{\"source\": \"/a\", \"target\": \"/etc/passwd\"}]}",
	    RS_ERR_CONFIG, "/etc/passwd");
	expect_bad(f, "{\"binds\": [{\"source\": \"/a\", \"target\": \"/d\"},"
	    " {\"source\": \"/b\", \"target\": \"/d/e\"}]}", RS_ERR_CONFIG, "is inside");
	expect_bad(f, "{\"binds\": [{\"source\": \"/a\", \"target\": \"/d\"},"
	    " {\"source\": \"/b\", \"target\": \"/d\"}]}", RS_ERR_CONFIG, "given twice");
}

/* A bind shows a host directory read-only; one into the rootfs is refused. */
static void
test_policy_binds_run(void **state)
{
	struct fx *f = *state;
	struct exec_policy *p = NULL;
	struct attest_run *run = NULL;
	char dir[160], json[512];

	snprintf(dir, sizeof(dir), "%s/shared", f->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(json, sizeof(json), "%s/file", dir);
	write_text(json, "shared\n", 0644);
	snprintf(json, sizeof(json), "{\"binds\": [{\"source\": \"%s\", \"target\": "
	    "\"/opt/data\"}], \"measure_rootfs\": false}", dir);
	assert_int_equal(policy_from(f, json, &p), 0);
	assert_int_equal(run_sh(f, p, "grep -q shared /opt/data/file || exit 1; "
	    "touch /opt/data/new 2>/dev/null && exit 2; exit 0", NULL, 0, NULL, &run), 0);
	assert_int_equal(exec_exit_status(run), 0);
	attest_run_free(run);
	exec_policy_free(p);

	snprintf(json, sizeof(json), "{\"binds\": [{\"source\": \"%s\", \"target\": "
	    "\"/usr/data\"}]}", dir);
	assert_int_equal(policy_from(f, json, &p), 0);
	assert_int_equal(run_sh(f, p, "true", NULL, 0, NULL, &run), RS_ERR_SANDBOX);
	assert_non_null(strstr(rs_err_detail(), "/usr"));
	exec_policy_free(p);
}

/* The supervisor names what seccomp refused; Landlock is recorded when applied. */
static void
test_refusals_recorded(void **state)
{
	struct attest_run *run = NULL;
	const struct attest_event *ev;
	size_t i;
	int landlock = 0;

	assert_int_equal(run_sh(*state, NULL, "unshare -U true 2>/dev/null; "
	    "unshare -U true 2>/dev/null; exit 0", NULL, 0, NULL, &run), 0);
	assert_int_equal(exec_exit_status(run), 0);
	ev = need_event(run, "seccomp");
	assert_string_equal(ev->detail, "refused unshare");
	assert_int_equal(ev->count, 2);
	for (i = 0; i < run->n_isolation; i++)
		landlock |= strncmp(run->isolation[i], "landlock-abi", 12) == 0;
	assert_int_equal(landlock, exec_landlock_abi() > 0);
	attest_run_free(run);
}

/*
 * cgroup placement against a fake tree: the group is made under the
 * caller's own cgroup of the right hierarchy. The fake has no cgroupfs
 * files in the new group, so configuring it fails naming the file: which
 * is what this checks.
 */
static void
test_cgroup_placement(void **state)
{
	struct fx *f = *state;
	struct exec_cgroup *cg = (struct exec_cgroup *)(uintptr_t)1;
	struct exec_cgroup_info info;
	char mi[160], self[160], path[256], text[768];

	snprintf(mi, sizeof(mi), "%s/mountinfo", f->dir);
	snprintf(self, sizeof(self), "%s/cgroup", f->dir);
	/* v2 with memory and pids delegated to our cgroup /user/me. */
	snprintf(path, sizeof(path), "%s/v2/user/me", f->dir);
	assert_int_equal(rs_mkdir_p(path, 0755), 0);
	snprintf(text, sizeof(text), "%s/cgroup.subtree_control", path);
	write_text(text, "memory pids\n", 0644);
	snprintf(text, sizeof(text), "30 1 0:26 / %s/v2 rw - cgroup2 cgroup2 rw\n", f->dir);
	write_text(mi, text, 0644);
	write_text(self, "0::/user/me\n", 0644);
	assert_int_equal(exec_cgroup_create_at(mi, self, 1 << 26, 9, &cg, &info),
	    RS_ERR_SANDBOX);
	assert_null(cg);
	snprintf(text, sizeof(text), "%s/v2/user/me/runseal-", f->dir);
	assert_non_null(strstr(rs_err_detail(), text));
	assert_non_null(strstr(rs_err_detail(), "/memory.max to 67108864"));

	/* v1: memory under our memory cgroup /a/b, seen through a mount rooted at /a. */
	snprintf(path, sizeof(path), "%s/mem/b", f->dir);
	assert_int_equal(rs_mkdir_p(path, 0755), 0);
	snprintf(text, sizeof(text), "35 1 0:32 /a %s/mem rw - cgroup cgroup rw,memory\n",
	    f->dir);
	write_text(mi, text, 0644);
	write_text(self, "4:memory:/a/b\n0::/\n", 0644);
	assert_int_equal(exec_cgroup_create_at(mi, self, 1 << 26, 9, &cg, &info),
	    RS_ERR_SANDBOX);
	snprintf(text, sizeof(text), "%s/mem/b/runseal-", f->dir);
	assert_non_null(strstr(rs_err_detail(), text));
	assert_non_null(strstr(rs_err_detail(), "memory.limit_in_bytes"));

	/* No controller offered: no group, no error. */
	write_text(mi, "36 1 0:33 / /nowhere rw - tmpfs tmpfs rw\n", 0644);
	assert_int_equal(exec_cgroup_create_at(mi, self, 1 << 26, 9, &cg, &info), 0);
	assert_null(cg);
	assert_int_equal(info.version[EXEC_CG_MEMORY], 0);
	assert_int_equal(info.version[EXEC_CG_PIDS], 0);
}

static void
manifest_of(struct exec_manifest_item *it, size_t n, const char *cache, int trust,
    uint8_t d[RS_SHA256_LEN], struct exec_manifest_stats *st)
{
	assert_int_equal(exec_manifest_digest(it, n, cache, trust, 2, d, st), 0);
}

/* The cache is reused only for unchanged entries, and never changes the digest. */
static void
test_manifest_cache(void **state)
{
	struct fx *f = *state;
	uint8_t d0[RS_SHA256_LEN], d1[RS_SHA256_LEN], d2[RS_SHA256_LEN], d3[RS_SHA256_LEN];
	struct exec_manifest_stats st;
	struct timespec ts[2];
	struct stat sb;
	char tree[160], cache[160], p[256], q[256];
	struct exec_manifest_item it[2];
	int fd;

	snprintf(tree, sizeof(tree), "%s/tree", f->dir);
	snprintf(cache, sizeof(cache), "%s/manifest.cache", f->dir);
	snprintf(p, sizeof(p), "%s/a/b", tree);
	assert_int_equal(rs_mkdir_p(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/a/b/f1", tree);
	write_text(p, "one\n", 0644);
	snprintf(p, sizeof(p), "%s/a/f2", tree);
	write_text(p, "two\n", 0755);
	snprintf(p, sizeof(p), "%s/a/link", tree);
	assert_int_equal(symlink("b/f1", p), 0);
	it[0] = (struct exec_manifest_item){ "/t", tree, NULL };
	it[1] = (struct exec_manifest_item){ "/made", NULL, "t/a" };

	manifest_of(it, 2, NULL, 1, d0, &st);
	assert_int_equal(st.entries, 7);            /* t, a, b, f1, f2, link, made */
	manifest_of(it, 2, cache, 1, d1, &st);
	assert_memory_equal(d0, d1, RS_SHA256_LEN);
	assert_int_equal(st.hashed, 3);             /* f1, f2, link (made is synthesized) */
	assert_true(st.cache_written);
	manifest_of(it, 2, cache, 1, d2, &st);
	assert_memory_equal(d1, d2, RS_SHA256_LEN);
	assert_int_equal(st.hashed, 0);
	assert_int_equal(st.reused, 7);
	assert_false(st.cache_written);

	/* Same size, mtime put back: the ctime still moves, so it is measured again. */
	snprintf(p, sizeof(p), "%s/a/b/f1", tree);
	assert_int_equal(stat(p, &sb), 0);
	write_text(p, "ONE\n", 0644);
	ts[0] = sb.st_atim;
	ts[1] = sb.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	manifest_of(it, 2, cache, 1, d2, &st);
	assert_memory_not_equal(d1, d2, RS_SHA256_LEN);
	assert_int_equal(st.hashed, 1);
	manifest_of(it, 2, NULL, 1, d3, &st);
	assert_memory_equal(d2, d3, RS_SHA256_LEN);

	/* A new inode with the same bytes: measured again, same digest. */
	snprintf(q, sizeof(q), "%s/a/b/f1.new", tree);
	write_text(q, "ONE\n", 0644);
	assert_int_equal(rename(q, p), 0);
	manifest_of(it, 2, cache, 1, d3, &st);
	assert_memory_equal(d2, d3, RS_SHA256_LEN);
	assert_int_equal(st.hashed, 1);

	/* A mode change is part of the manifest; a new file is found. */
	assert_int_equal(chmod(p, 0600), 0);
	manifest_of(it, 2, cache, 1, d3, &st);
	assert_memory_not_equal(d2, d3, RS_SHA256_LEN);
	snprintf(q, sizeof(q), "%s/a/b/f3", tree);
	write_text(q, "three\n", 0644);
	manifest_of(it, 2, cache, 1, d3, &st);
	assert_int_equal(st.entries, 8);

	/* Not trusting the cache (--remeasure) hashes everything and agrees. */
	manifest_of(it, 2, cache, 0, d2, &st);
	assert_memory_equal(d2, d3, RS_SHA256_LEN);
	assert_int_equal(st.hashed, 4);

	/* A damaged cache is ignored, not believed. */
	assert_true((fd = open(cache, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, "XXXXXXXX", 8, 40), 8);
	close(fd);
	manifest_of(it, 2, cache, 1, d2, &st);
	assert_memory_equal(d2, d3, RS_SHA256_LEN);
	assert_int_equal(truncate(cache, 30), 0);
	manifest_of(it, 2, cache, 1, d2, &st);
	assert_memory_equal(d2, d3, RS_SHA256_LEN);
	assert_int_equal(st.hashed, 4);
}

/* The filter embedded at build time is what the rules compile to now. */
static void
test_seccomp_embedded(void **state)
{
	struct exec_seccomp *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(exec_seccomp_build(&a), 0);
	assert_int_equal(exec_seccomp_compile(&b), 0);
	assert_true(a->len > 100);
	assert_true(exec_seccomp_equal(a, b));
	exec_seccomp_free(a);
	exec_seccomp_free(b);
	exec_seccomp_free(NULL);
}

/* The record measures the rootfs when the policy asks. */
static void
test_rootfs_measured(void **state)
{
	struct fx *f = *state;
	struct exec_policy *p = NULL;
	struct attest_run *run = NULL;
	static const uint8_t zero[RS_SHA256_LEN];

	assert_int_equal(policy_from(f, "{\"measure_rootfs\": false}", &p), 0);
	assert_int_equal(run_sh(f, p, "true", NULL, 0, NULL, &run), 0);
	assert_int_equal(run->rootfs_measured, 0);
	assert_memory_equal(run->rootfs_sha256, zero, RS_SHA256_LEN);
	assert_string_equal(run->rootfs, "host");
	attest_run_free(run);
	exec_policy_free(p);

	/* The built-in default measures the host's rootfs (cached between runs). */
	assert_int_equal(exec_policy_load(NULL, &p), 0);
	assert_int_equal(run_sh(f, p, "true", NULL, 0, NULL, &run), 0);
	assert_int_equal(run->rootfs_measured, 1);
	assert_memory_not_equal(run->rootfs_sha256, zero, RS_SHA256_LEN);
	attest_run_free(run);
	exec_policy_free(p);
}

/* ---- init keeps nothing of the executor's memory ---- */

struct peek {
	char marker[48];            /* the secret with its first byte lowercased */
	int found_init;             /* saw runseal-init, a child of ours */
	int marker_seen;            /* the marker is in init's memory */
};

/* 1 if the process' memory, private writable mappings, holds needle. */
static int
memory_holds(pid_t pid, const char *needle)
{
	char path[64], line[512];
	size_t nl = strlen(needle);
	FILE *maps;
	int mem, hit = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((maps = fopen(path, "r")) == NULL)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	if ((mem = open(path, O_RDONLY)) < 0) {
		fclose(maps);
		return 0;
	}
	while (!hit && fgets(line, sizeof(line), maps) != NULL) {
		unsigned long a, b;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) != 3 || perms[0] != 'r' ||
		    perms[1] != 'w' || b - a > (256ul << 20))
			continue;
		for (unsigned long off = a; !hit && off < b; off += 1 << 20) {
			static char buf[(1 << 20) + 64];
			ssize_t n = pread(mem, buf, (size_t)((b - off) < (1u << 20) ? b - off :
			    1u << 20), (off_t)off);
			for (ssize_t i = 0; n > 0 && i + (ssize_t)nl <= n; i++)
				if (buf[i] == needle[0] && memcmp(buf + i, needle, nl) == 0) {
					hit = 1;
					break;
				}
		}
	}
	close(mem);
	fclose(maps);
	return hit;
}

static void *
peek_init(void *arg)
{
	struct peek *pk = arg;
	int tries;

	for (tries = 0; tries < 300 && !pk->found_init; tries++) {
		struct dirent *de;
		DIR *d = opendir("/proc");
		usleep(10000);
		while (d != NULL && (de = readdir(d)) != NULL) {
			char path[300], stat[512];
			int fd, ppid = 0;
			ssize_t n;
			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
			if ((fd = open(path, O_RDONLY)) < 0)
				continue;
			n = read(fd, stat, sizeof(stat) - 1);
			close(fd);
			stat[n > 0 ? n : 0] = '\0';
			if (strstr(stat, "(runseal-init)") == NULL)
				continue;
			if (sscanf(strrchr(stat, ')') + 2, "%*c %d", &ppid) != 1 || ppid != getpid())
				continue;
			usleep(300000);     /* the program is sleeping; the wipe is done */
			pk->found_init = 1;
			{
				/* The needle exists only here, made after init was. */
				char needle[48];
				strcpy(needle, pk->marker);
				needle[0] = 'R';
				pk->marker_seen = memory_holds((pid_t)atoi(de->d_name), needle);
			}
			break;
		}
		if (d != NULL)
			closedir(d);
	}
	return NULL;
}

/*
 * A secret in the executor's heap (think: a software signing key) is not
 * in init's memory while the program runs. Root only: reading another
 * non-dumpable process's memory needs CAP_SYS_PTRACE.
 */
static void
test_init_memory_wiped(void **state)
{
	struct attest_run *run = NULL;
	struct peek pk;
	pthread_t t;
	char *secret;
	uint8_t rnd[12];
	size_t i;

	if (geteuid() != 0)
		skip();
	memset(&pk, 0, sizeof(pk));
	assert_int_equal(getentropy(rnd, sizeof(rnd)), 0);
	strcpy(pk.marker, "RS-WIPE-");
	for (i = 0; i < sizeof(rnd); i++)
		sprintf(pk.marker + strlen(pk.marker), "%02x", rnd[i]);
	/* The secret lives in the heap only: pk, on this stack (which init keeps), differs. */
	assert_non_null(secret = strdup(pk.marker));
	pk.marker[0] = 'r';
	assert_true(memory_holds(getpid(), secret));
	assert_int_equal(pthread_create(&t, NULL, peek_init, &pk), 0);
	assert_int_equal(run_sh(*state, NULL, "sleep 1", NULL, 0, NULL, &run), 0);
	pthread_join(t, NULL);
	assert_int_equal(exec_exit_status(run), 0);
	assert_true(pk.found_init);
	assert_false(pk.marker_seen);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	attest_run_free(run);
}

int
main(void)
{
	/* Policies, requests refused before any run, cgroups and the manifest cache. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_default),
		cmocka_unit_test_setup_teardown(test_policy_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_wrong_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_duplicate_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_huge_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_sandbox_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest_cache, setup, teardown),
	};
	/* Real sandbox runs, and the filter compiled against the kernel's seccomp. */
	const struct CMUnitTest sandbox_tests[] = {
		cmocka_unit_test_setup_teardown(test_run_copies_input_to_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_by_signal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_executable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_network, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_does_not_leak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_not_collected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collect_path_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survivor_does_not_hold_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdout_captured_and_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_privileges_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filesystem_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_process_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_out_of_reach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_bytes_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unprivileged_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_binds_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rootfs_measured, setup, teardown),
		cmocka_unit_test(test_seccomp_embedded),
		cmocka_unit_test_setup_teardown(test_init_memory_wiped, setup, teardown),
	};
	const char *vg = getenv("RUNSEAL_VALGRIND");
	int failed;

	failed = cmocka_run_group_tests_name("executor", tests, NULL, NULL);
	/*
	 * Under valgrind (RUNSEAL_VALGRIND=1: the valgrind build) there is no
	 * sandbox to test: memcheck refuses clone3 and hides the seccomp and
	 * Landlock system calls (see tests/valgrind/memcheck). The normal and
	 * the ASan + UBSan builds run these.
	 */
	if (vg != NULL && strcmp(vg, "1") == 0) {
		printf("test_executor: under valgrind: the %zu sandbox tests left out\n",
		    sizeof(sandbox_tests) / sizeof(sandbox_tests[0]));
		return failed;
	}
	return failed + cmocka_run_group_tests_name("sandbox", sandbox_tests, NULL, NULL);
}
