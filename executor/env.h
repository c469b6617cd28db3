/*
 * env.h - internal to the executor: the sandbox's environment.
 *
 * Built only from the policy: runseal's defaults (PATH=/usr/local/bin:
 * /usr/bin:/bin, HOME=/work, LANG=C.UTF-8), then the host variables named
 * in env.allow that the host actually has, then env.set. Later sources
 * override earlier ones. Nothing else from the host ever enters: the host
 * environment may hold secrets.
 */
#ifndef RS_EXEC_ENV_H
#define RS_EXEC_ENV_H

#include "executor/policy.h"

/*
 * Build the environment as a NULL-terminated array of "NAME=value" strings,
 * sorted by name, one entry per name. host_env may be NULL (no host
 * variables). Caller frees *out with exec_env_free().
 */
int exec_env_build(const struct exec_policy *p, char *const *host_env, char ***out);
void exec_env_free(char **env);

/* The value of name in env (borrowed), or NULL. */
const char *exec_env_get(char *const *env, const char *name);

#endif
