/*
 * env.c - the sandbox environment (rules in env.h).
 */
#include "executor/env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

static const struct {
	const char *name, *value;
} defaults[] = {
	{ "HOME", "/work" },
	{ "LANG", "C.UTF-8" },
	{ "PATH", "/usr/local/bin:/usr/bin:/bin" },
};

/* Working list of borrowed name/value pairs; set() replaces by name. */
struct env_list {
	const char *name[3 + 2 * 1024];
	const char *value[3 + 2 * 1024];
	size_t n;
};

static void
set(struct env_list *l, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->name[i], name) == 0) {
			l->value[i] = value;
			return;
		}
	}
	l->name[l->n] = name;
	l->value[l->n] = value;
	l->n++;
}

/* The value of name in a "NAME=value" array, or NULL. */
const char *
exec_env_get(char *const *env, const char *name)
{
	size_t nl = strlen(name);

	for (; env != NULL && *env != NULL; env++) {
		if (strncmp(*env, name, nl) == 0 && (*env)[nl] == '=')
			return *env + nl + 1;
	}
	return NULL;
}

void
exec_env_free(char **env)
{
	char **e;

	if (env == NULL)
		return;
	for (e = env; *e != NULL; e++)
		free(*e);
	free(env);
}

static int
cmp_entry(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	/* Compare names only: '=' ends a name and sorts before any name byte. */
	for (; *x != '=' && *x == *y; x++, y++)
		;
	return (*x == '=' ? 0 : (unsigned char)*x) - (*y == '=' ? 0 : (unsigned char)*y);
}

int
exec_env_build(const struct exec_policy *p, char *const *host_env, char ***out)
{
	struct env_list *l = NULL;
	char **env = NULL;
	const char *v;
	size_t i;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	/* Policy lists are bounded (policy.c), so the fixed arrays cannot overflow. */
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		set(l, defaults[i].name, defaults[i].value);
	for (i = 0; i < p->n_env_allow; i++) {
		if ((v = exec_env_get(host_env, p->env_allow[i])) != NULL)
			set(l, p->env_allow[i], v);
	}
	for (i = 0; i < p->n_env_set; i++)
		set(l, p->env_set[i].name, p->env_set[i].value);
	if ((env = calloc(l->n + 1, sizeof(*env))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < l->n; i++) {
		if (asprintf(&env[i], "%s=%s", l->name[i], l->value[i]) < 0) {
			env[i] = NULL;
			r = RS_ERR_ALLOC;
			goto out;
		}
	}
	qsort(env, l->n, sizeof(*env), cmp_entry);
	*out = env;
	env = NULL;
	r = 0;
out:
	exec_env_free(env);
	free(l);
	return r;
}
