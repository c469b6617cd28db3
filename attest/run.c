#include "attest/run.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct attest_run *
attest_run_new(void)
{
	return calloc(1, sizeof(struct attest_run));
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
free_artifacts(struct attest_artifact *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(a[i].name);
	free(a);
}

void
attest_run_free(struct attest_run *run)
{
	size_t i;

	if (run == NULL)
		return;
	free_strv(run->argv, run->argc);
	free(run->cwd);
	for (i = 0; i < run->n_env; i++) {
		free(run->env[i].name);
		free(run->env[i].value);
	}
	free(run->env);
	free(run->policy_name);
	free(run->policy_json);
	free(run->network);
	for (i = 0; i < run->n_limits; i++) {
		free(run->limits[i].name);
		free(run->limits[i].mechanism);
	}
	free(run->limits);
	free_strv(run->isolation, run->n_isolation);
	free(run->kernel_release);
	free(run->machine);
	free(run->rootfs);
	free(run->hostname);
	free_artifacts(run->inputs, run->n_inputs);
	free_artifacts(run->outputs, run->n_outputs);
	for (i = 0; i < run->n_events; i++) {
		free(run->events[i].kind);
		free(run->events[i].detail);
	}
	free(run->events);
	free(run->traceparent);
	free(run);
}

/* Grow *arr (of elem-sized items, *n in use) by one zeroed slot. */
static void *
grow(void *arr, size_t n, size_t elem)
{
	void *p;

	if (n >= ((size_t)1 << 24))
		return NULL;    /* no run has millions of artifacts; refuse */
	if ((p = realloc(arr, (n + 1) * elem)) == NULL)
		return NULL;
	memset((char *)p + n * elem, 0, elem);
	return p;
}

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

static int
add_artifact(struct attest_artifact **arr, size_t *n, const char *name,
    uint64_t size, const uint8_t sha256[RS_SHA256_LEN], uint32_t mode)
{
	struct attest_artifact *a;

	if ((a = grow(*arr, *n, sizeof(*a))) == NULL)
		return RS_ERR_ALLOC;
	*arr = a;
	if ((a[*n].name = strdup(name)) == NULL)
		return RS_ERR_ALLOC;
	a[*n].size = size;
	memcpy(a[*n].sha256, sha256, RS_SHA256_LEN);
	a[*n].mode = mode;
	(*n)++;
	return 0;
}

int
attest_run_add_input(struct attest_run *run, const char *name, uint64_t size,
    const uint8_t sha256[RS_SHA256_LEN], uint32_t mode)
{
	return add_artifact(&run->inputs, &run->n_inputs, name, size, sha256, mode);
}

int
attest_run_add_output(struct attest_run *run, const char *name, uint64_t size,
    const uint8_t sha256[RS_SHA256_LEN], uint32_t mode)
{
	return add_artifact(&run->outputs, &run->n_outputs, name, size, sha256, mode);
}

int
attest_run_add_env(struct attest_run *run, const char *name, const char *value,
    int value_public)
{
	struct attest_env *e;
	int r;

	if ((e = grow(run->env, run->n_env, sizeof(*e))) == NULL)
		return RS_ERR_ALLOC;
	run->env = e;
	e += run->n_env;
	if ((r = rs_sha256(value, strlen(value), e->value_sha256)) != 0)
		return r;
	if ((e->name = strdup(name)) == NULL)
		return RS_ERR_ALLOC;
	if (value_public && (e->value = strdup(value)) == NULL) {
		free(e->name);
		e->name = NULL;
		return RS_ERR_ALLOC;
	}
	run->n_env++;
	return 0;
}

int
attest_run_add_limit(struct attest_run *run, const char *name, uint64_t value,
    const char *mechanism, int enforced, int best_effort)
{
	struct attest_limit *l;

	if ((l = grow(run->limits, run->n_limits, sizeof(*l))) == NULL)
		return RS_ERR_ALLOC;
	run->limits = l;
	l += run->n_limits;
	if ((l->name = strdup(name)) == NULL)
		return RS_ERR_ALLOC;
	if ((l->mechanism = strdup(mechanism)) == NULL) {
		free(l->name);
		l->name = NULL;
		return RS_ERR_ALLOC;
	}
	l->value = value;
	l->enforced = enforced;
	l->best_effort = best_effort;
	run->n_limits++;
	return 0;
}

int
attest_run_add_isolation(struct attest_run *run, const char *what)
{
	char **v;

	if ((v = grow(run->isolation, run->n_isolation, sizeof(*v))) == NULL)
		return RS_ERR_ALLOC;
	run->isolation = v;
	if ((v[run->n_isolation] = strdup(what)) == NULL)
		return RS_ERR_ALLOC;
	run->n_isolation++;
	return 0;
}

int
attest_run_add_event(struct attest_run *run, const char *kind, const char *detail)
{
	struct attest_event *e;
	size_t i;

	for (i = 0; i < run->n_events; i++) {
		const char *d = run->events[i].detail;
		if (strcmp(run->events[i].kind, kind) == 0 &&
		    ((d == NULL && detail == NULL) ||
		    (d != NULL && detail != NULL && strcmp(d, detail) == 0))) {
			run->events[i].count++;
			return 0;
		}
	}
	if ((e = grow(run->events, run->n_events, sizeof(*e))) == NULL)
		return RS_ERR_ALLOC;
	run->events = e;
	e += run->n_events;
	if ((e->kind = strdup(kind)) == NULL)
		return RS_ERR_ALLOC;
	if (detail != NULL && (e->detail = dup_or_null(detail)) == NULL) {
		free(e->kind);
		e->kind = NULL;
		return RS_ERR_ALLOC;
	}
	e->count = 1;
	run->n_events++;
	return 0;
}

int
attest_run_set_argv(struct attest_run *run, char *const *argv, size_t argc)
{
	char **v;
	size_t i;

	if ((v = calloc(argc + 1, sizeof(*v))) == NULL)
		return RS_ERR_ALLOC;
	for (i = 0; i < argc; i++) {
		if ((v[i] = strdup(argv[i])) == NULL) {
			free_strv(v, i);
			return RS_ERR_ALLOC;
		}
	}
	free_strv(run->argv, run->argc);
	run->argv = v;
	run->argc = argc;
	return 0;
}
