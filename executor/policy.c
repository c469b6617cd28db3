/*
 * policy.c - load, validate and canonicalise a sandbox policy (format in
 * policy.h). The file is untrusted input: it is read with a size bound,
 * parsed by jansson with duplicate keys rejected, and every key is checked
 * for type and range before anything is kept. The canonical JSON is the
 * fully resolved policy, keys sorted, compact: two files that mean the same
 * policy give the same bytes, hence the same policy digest.
 */
#include "executor/policy.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/file.h"

#define POLICY_MAX_BYTES (1024 * 1024)
#define POLICY_NAME_MAX 128
#define ENV_NAME_MAX 255
#define ENV_VALUE_MAX (32 * 1024)
#define LIST_MAX 1024

#define MIB ((uint64_t)1024 * 1024)
#define GIB (MIB * 1024)

static const struct limit_spec {
	const char *name;
	uint64_t def, min, max;
} limit_specs[EXEC_LIMIT_COUNT] = {
	[EXEC_LIMIT_WALL_TIME_MS]    = { "wall_time_ms", 60000, 1, 86400000 },
	[EXEC_LIMIT_CPU_TIME_S]      = { "cpu_time_s", 60, 1, 86400 },
	[EXEC_LIMIT_MEMORY_BYTES]    = { "memory_bytes", 512 * MIB, 16 * MIB, 1024 * GIB },
	[EXEC_LIMIT_PROCESSES]       = { "processes", 64, 1, 65536 },
	[EXEC_LIMIT_OPEN_FILES]      = { "open_files", 256, 4, 1048576 },
	[EXEC_LIMIT_FILE_SIZE_BYTES] = { "file_size_bytes", GIB, 0, 1024 * 1024 * GIB },
	[EXEC_LIMIT_OUTPUT_BYTES]    = { "output_bytes", GIB, 0, 1024 * 1024 * GIB },
	[EXEC_LIMIT_STDOUT_BYTES]    = { "stdout_bytes", 64 * MIB, 0, 1024 * 1024 * GIB },
	[EXEC_LIMIT_STDERR_BYTES]    = { "stderr_bytes", 64 * MIB, 0, 1024 * 1024 * GIB },
	[EXEC_LIMIT_TMP_BYTES]       = { "tmp_bytes", 64 * MIB, MIB, 1024 * GIB },
};

#define ID_MAX 65533            /* 65534 is nobody, 65535 is invalid */

/* Bind targets may not be these, nor inside them: the sandbox makes them. */
static const char *const reserved_targets[] = {
	"/proc", "/dev", "/tmp", "/work", "/etc/passwd", "/etc/group",
};

/* Variables runseal itself defines (exec_env_build): public by default. */
static const char *const default_public[] = { "HOME", "LANG", "PATH" };

const char *
exec_limit_name(enum exec_limit_id id)
{
	if ((unsigned)id >= EXEC_LIMIT_COUNT)
		return "?";
	return limit_specs[id].name;
}

const char *
exec_network_name(enum exec_network net)
{
	return net == EXEC_NET_LOOPBACK ? "loopback" : "none";
}

int
exec_env_name_valid(const char *name)
{
	size_t i;

	if (name[0] == '\0' || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];
		if (i >= ENV_NAME_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_pair(const void *a, const void *b)
{
	return strcmp(((const struct exec_env_pair *)a)->name,
	    ((const struct exec_env_pair *)b)->name);
}

int
exec_policy_env_public(const struct exec_policy *p, const char *name)
{
	return p->n_env_public > 0 && bsearch(&name, p->env_public, p->n_env_public,
	    sizeof(char *), cmp_str) != NULL;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
exec_policy_free(struct exec_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->name);
	free_strv(p->env_allow, p->n_env_allow);
	free_strv(p->env_public, p->n_env_public);
	for (i = 0; i < p->n_env_set; i++) {
		free(p->env_set[i].name);
		free(p->env_set[i].value);
	}
	free(p->env_set);
	for (i = 0; i < p->n_binds; i++) {
		free(p->binds[i].source);
		free(p->binds[i].target);
	}
	free(p->binds);
	free(p->rootfs);
	free(p->json);
	free(p);
}

const char *
exec_policy_json(const struct exec_policy *p)
{
	return p->json;
}

const char *
exec_policy_name(const struct exec_policy *p)
{
	return p->name;
}

int
exec_policy_keep_blobs(const struct exec_policy *p)
{
	return p->keep_blobs;
}

/* A JSON string that holds no NUL byte and no more than max bytes. */
static int
get_string(const json_t *v, const char *key, size_t max, const char **out)
{
	*out = NULL;
	if (!json_is_string(v))
		return rs_fail(RS_ERR_CONFIG, "policy: \"%s\" must be a string", key);
	if (json_string_length(v) != strlen(json_string_value(v)) ||
	    json_string_length(v) > max)
		return rs_fail(RS_ERR_CONFIG, "policy: \"%s\" must be a string of at most "
		    "%zu bytes without NUL", key, max);
	*out = json_string_value(v);
	return 0;
}

static int
get_bool(const json_t *v, const char *key, int *out)
{
	if (!json_is_boolean(v))
		return rs_fail(RS_ERR_CONFIG, "policy: \"%s\" must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

/*
 * A list of distinct names into a sorted array (caller frees). check, when
 * set, validates each name beyond the syntax rule.
 */
static int
get_name_list(const json_t *v, const char *key, int (*check)(const char *),
    char ***out, size_t *n_out)
{
	char **list = NULL;
	size_t n = 0, i;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	*n_out = 0;
	if (!json_is_array(v)) {
		r = rs_fail(RS_ERR_CONFIG, "policy: \"%s\" must be an array of names", key);
		goto out;
	}
	if (json_array_size(v) > LIST_MAX) {
		r = rs_fail(RS_ERR_CONFIG, "policy: \"%s\" holds more than %d names",
		    key, LIST_MAX);
		goto out;
	}
	if (json_array_size(v) > 0 &&
	    (list = calloc(json_array_size(v), sizeof(*list))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < json_array_size(v); i++) {
		const char *s;
		if ((r = get_string(json_array_get(v, i), key, ENV_NAME_MAX, &s)) != 0)
			goto out;
		if (!exec_env_name_valid(s)) {
			r = rs_fail(RS_ERR_CONFIG, "policy: \"%s\": \"%s\" is not a valid name "
			    "([A-Za-z_][A-Za-z0-9_]*)", key, s);
			goto out;
		}
		if (check != NULL && (r = check(s)) != 0)
			goto out;
		if ((list[n++] = strdup(s)) == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
	}
	if (n > 0)
		qsort(list, n, sizeof(*list), cmp_str);
	for (i = 1; i < n; i++) {
		if (strcmp(list[i - 1], list[i]) == 0) {
			r = rs_fail(RS_ERR_CONFIG, "policy: \"%s\": \"%s\" given twice",
			    key, list[i]);
			goto out;
		}
	}
	*out = list;
	*n_out = n;
	list = NULL;
	n = 0;
	r = 0;
out:
	free_strv(list, n);
	return r;
}

static int
find_limit(const char *name, enum exec_limit_id *id)
{
	unsigned i;

	for (i = 0; i < EXEC_LIMIT_COUNT; i++) {
		if (strcmp(limit_specs[i].name, name) == 0) {
			*id = (enum exec_limit_id)i;
			return 0;
		}
	}
	return RS_ERR_NOT_FOUND;
}

static int
check_limit_name(const char *name)
{
	enum exec_limit_id id;

	if (find_limit(name, &id) != 0)
		return rs_fail(RS_ERR_CONFIG, "policy: \"best_effort\": \"%s\" is not a limit",
		    name);
	return 0;
}

static int
parse_limits(const json_t *obj, struct exec_policy *p)
{
	const char *key;
	json_t *v;
	enum exec_limit_id id;

	if (!json_is_object(obj))
		return rs_fail(RS_ERR_CONFIG, "policy: \"limits\" must be an object");
	json_object_foreach((json_t *)obj, key, v) {
		const struct limit_spec *ls;
		json_int_t x;

		if (find_limit(key, &id) != 0)
			return rs_fail(RS_ERR_CONFIG, "policy: unknown key \"limits.%s\"", key);
		ls = &limit_specs[id];
		if (!json_is_integer(v))
			return rs_fail(RS_ERR_CONFIG, "policy: \"limits.%s\" must be an integer "
			    "in %llu..%llu", key, (unsigned long long)ls->min,
			    (unsigned long long)ls->max);
		x = json_integer_value(v);
		if (x < 0 || (uint64_t)x < ls->min || (uint64_t)x > ls->max)
			return rs_fail(RS_ERR_CONFIG, "policy: \"limits.%s\" is %lld, outside "
			    "%llu..%llu", key, (long long)x, (unsigned long long)ls->min,
			    (unsigned long long)ls->max);
		p->limits[id] = (uint64_t)x;
	}
	return 0;
}

static int
parse_env_set(const json_t *obj, struct exec_policy *p)
{
	const char *key, *val;
	json_t *v;
	size_t n;
	int r;

	if (!json_is_object(obj))
		return rs_fail(RS_ERR_CONFIG, "policy: \"env.set\" must be an object of "
		    "name: string");
	if (json_object_size(obj) > LIST_MAX)
		return rs_fail(RS_ERR_CONFIG, "policy: \"env.set\" holds more than %d names",
		    LIST_MAX);
	if (json_object_size(obj) == 0)
		return 0;
	if ((p->env_set = calloc(json_object_size(obj), sizeof(*p->env_set))) == NULL)
		return RS_ERR_ALLOC;
	json_object_foreach((json_t *)obj, key, v) {
		/* jansson rejects NUL bytes in keys, so key is the whole key. */
		if (!exec_env_name_valid(key))
			return rs_fail(RS_ERR_CONFIG, "policy: \"env.set\": \"%s\" is not a valid "
			    "name ([A-Za-z_][A-Za-z0-9_]*)", key);
		if ((r = get_string(v, "env.set", ENV_VALUE_MAX, &val)) != 0)
			return r;
		n = p->n_env_set;
		if ((p->env_set[n].name = strdup(key)) == NULL)
			return RS_ERR_ALLOC;
		p->n_env_set++;
		if ((p->env_set[n].value = strdup(val)) == NULL)
			return RS_ERR_ALLOC;
	}
	qsort(p->env_set, p->n_env_set, sizeof(*p->env_set), cmp_pair);
	return 0;
}

static int
parse_env(const json_t *obj, struct exec_policy *p)
{
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(obj))
		return rs_fail(RS_ERR_CONFIG, "policy: \"env\" must be an object");
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "allow") == 0) {
			if ((r = get_name_list(v, "env.allow", NULL, &p->env_allow,
			    &p->n_env_allow)) != 0)
				return r;
		} else if (strcmp(key, "public") == 0) {
			free_strv(p->env_public, p->n_env_public);
			p->env_public = NULL;
			p->n_env_public = 0;
			if ((r = get_name_list(v, "env.public", NULL, &p->env_public,
			    &p->n_env_public)) != 0)
				return r;
		} else if (strcmp(key, "set") == 0) {
			if ((r = parse_env_set(v, p)) != 0)
				return r;
		} else {
			return rs_fail(RS_ERR_CONFIG, "policy: unknown key \"env.%s\"", key);
		}
	}
	return 0;
}

int
exec_policy_path_valid(const char *path)
{
	const char *c;
	size_t len = strlen(path), n;

	if (len < 2 || len > EXEC_POLICY_PATH_MAX || path[0] != '/' || path[len - 1] == '/')
		return 0;
	for (c = path; *c != '\0'; c += n) {
		c++;                            /* past the '/' */
		n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
	}
	return 1;
}

/* 1 if path is dir or inside it (both valid policy paths). */
static int
path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int
get_path(const json_t *v, const char *key, const char **out)
{
	int r;

	if ((r = get_string(v, key, EXEC_POLICY_PATH_MAX, out)) != 0)
		return r;
	if (!exec_policy_path_valid(*out))
		return rs_fail(RS_ERR_CONFIG, "policy: \"%s\" is \"%s\": not an absolute, "
		    "normalised path of at most %d bytes", key, *out, EXEC_POLICY_PATH_MAX);
	return 0;
}

static int
get_id(const json_t *v, const char *key, uint32_t *out)
{
	json_int_t x;

	if (!json_is_integer(v))
		return rs_fail(RS_ERR_CONFIG, "policy: \"%s\" must be an integer in 0..%d",
		    key, ID_MAX);
	x = json_integer_value(v);
	if (x < 0 || x > ID_MAX)
		return rs_fail(RS_ERR_CONFIG, "policy: \"%s\" is %lld, outside 0..%d", key,
		    (long long)x, ID_MAX);
	*out = (uint32_t)x;
	return 0;
}

static int
cmp_bind(const void *a, const void *b)
{
	return strcmp(((const struct exec_bind *)a)->target,
	    ((const struct exec_bind *)b)->target);
}

static int
parse_binds(const json_t *arr, struct exec_policy *p)
{
	const char *key, *src, *dst;
	json_t *o, *v;
	size_t i, k;
	int r;

	if (!json_is_array(arr))
		return rs_fail(RS_ERR_CONFIG, "policy: \"binds\" must be an array of "
		    "{\"source\": path, \"target\": path}");
	if (json_array_size(arr) > EXEC_POLICY_BINDS_MAX)
		return rs_fail(RS_ERR_CONFIG, "policy: \"binds\" holds more than %d binds",
		    EXEC_POLICY_BINDS_MAX);
	if (json_array_size(arr) == 0)
		return 0;
	if ((p->binds = calloc(json_array_size(arr), sizeof(*p->binds))) == NULL)
		return RS_ERR_ALLOC;
	json_array_foreach(arr, i, o) {
		src = dst = NULL;
		if (!json_is_object(o))
			return rs_fail(RS_ERR_CONFIG, "policy: \"binds[%zu]\" must be an object",
			    i);
		json_object_foreach(o, key, v) {
			if (strcmp(key, "source") == 0) {
				if ((r = get_path(v, "binds.source", &src)) != 0)
					return r;
			} else if (strcmp(key, "target") == 0) {
				if ((r = get_path(v, "binds.target", &dst)) != 0)
					return r;
			} else {
				return rs_fail(RS_ERR_CONFIG, "policy: unknown key \"binds.%s\"", key);
			}
		}
		if (src == NULL || dst == NULL)
			return rs_fail(RS_ERR_CONFIG, "policy: \"binds[%zu]\" needs both "
			    "\"source\" and \"target\"", i);
		for (k = 0; k < sizeof(reserved_targets) / sizeof(reserved_targets[0]); k++) {
			if (path_within(dst, reserved_targets[k]))
				return rs_fail(RS_ERR_CONFIG, "policy: \"binds.target\" \"%s\" is "
				    "inside %s, which the sandbox builds itself", dst,
				    reserved_targets[k]);
		}
		if ((p->binds[p->n_binds].source = strdup(src)) == NULL)
			return RS_ERR_ALLOC;
		if ((p->binds[p->n_binds].target = strdup(dst)) == NULL) {
			free(p->binds[p->n_binds].source);
			p->binds[p->n_binds].source = NULL;
			return RS_ERR_ALLOC;
		}
		p->n_binds++;
	}
	qsort(p->binds, p->n_binds, sizeof(*p->binds), cmp_bind);
	for (i = 1; i < p->n_binds; i++) {
		/* Sorted: a target inside another comes right after some prefix of it. */
		for (k = 0; k < i; k++) {
			if (path_within(p->binds[i].target, p->binds[k].target))
				return rs_fail(RS_ERR_CONFIG, "policy: \"binds.target\" \"%s\" %s "
				    "\"%s\"", p->binds[i].target,
				    strcmp(p->binds[i].target, p->binds[k].target) == 0 ?
				    "given twice, as" : "is inside", p->binds[k].target);
		}
	}
	return 0;
}

static int
set_rootfs(struct exec_policy *p, const char *s, const char *key)
{
	free(p->rootfs);
	p->rootfs = NULL;
	if (strcmp(s, "host") == 0)
		return 0;
	if (!exec_policy_path_valid(s))
		return rs_fail(RS_ERR_CONFIG, "%s is \"%s\": \"host\" or an absolute, "
		    "normalised path of at most %d bytes", key, s, EXEC_POLICY_PATH_MAX);
	if ((p->rootfs = strdup(s)) == NULL)
		return RS_ERR_ALLOC;
	return 0;
}

static int
parse_top(const json_t *root, struct exec_policy *p)
{
	const char *key, *s;
	json_t *v;
	char **names = NULL;
	size_t n = 0, i;
	int r = RS_ERR_INTERNAL;

	if (!json_is_object(root)) {
		r = rs_fail(RS_ERR_CONFIG, "policy: the document must be a JSON object");
		goto out;
	}
	json_object_foreach((json_t *)root, key, v) {
		if (strcmp(key, "name") == 0) {
			if ((r = get_string(v, "name", POLICY_NAME_MAX, &s)) != 0)
				goto out;
			if (s[0] == '\0') {
				r = rs_fail(RS_ERR_CONFIG, "policy: \"name\" must not be empty");
				goto out;
			}
			for (i = 0; s[i] != '\0'; i++) {
				if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
					r = rs_fail(RS_ERR_CONFIG, "policy: \"name\" must not hold "
					    "control characters");
					goto out;
				}
			}
			free(p->name);
			if ((p->name = strdup(s)) == NULL) {
				r = RS_ERR_ALLOC;
				goto out;
			}
		} else if (strcmp(key, "network") == 0) {
			if ((r = get_string(v, "network", 16, &s)) != 0)
				goto out;
			if (strcmp(s, "none") == 0) {
				p->network = EXEC_NET_NONE;
			} else if (strcmp(s, "loopback") == 0) {
				p->network = EXEC_NET_LOOPBACK;
			} else {
				r = rs_fail(RS_ERR_CONFIG, "policy: \"network\" must be \"none\" or "
				    "\"loopback\", not \"%s\"", s);
				goto out;
			}
		} else if (strcmp(key, "limits") == 0) {
			if ((r = parse_limits(v, p)) != 0)
				goto out;
		} else if (strcmp(key, "env") == 0) {
			if ((r = parse_env(v, p)) != 0)
				goto out;
		} else if (strcmp(key, "keep_blobs") == 0) {
			if ((r = get_bool(v, "keep_blobs", &p->keep_blobs)) != 0)
				goto out;
		} else if (strcmp(key, "nondeterministic") == 0) {
			if ((r = get_bool(v, "nondeterministic", &p->nondeterministic)) != 0)
				goto out;
		} else if (strcmp(key, "rootfs") == 0) {
			if ((r = get_string(v, "rootfs", EXEC_POLICY_PATH_MAX, &s)) != 0 ||
			    (r = set_rootfs(p, s, "policy: \"rootfs\"")) != 0)
				goto out;
		} else if (strcmp(key, "measure_rootfs") == 0) {
			if ((r = get_bool(v, "measure_rootfs", &p->measure_rootfs)) != 0)
				goto out;
		} else if (strcmp(key, "binds") == 0) {
			if ((r = parse_binds(v, p)) != 0)
				goto out;
		} else if (strcmp(key, "uid") == 0) {
			if ((r = get_id(v, "uid", &p->uid)) != 0)
				goto out;
		} else if (strcmp(key, "gid") == 0) {
			if ((r = get_id(v, "gid", &p->gid)) != 0)
				goto out;
		} else if (strcmp(key, "best_effort") == 0) {
			if ((r = get_name_list(v, "best_effort", check_limit_name, &names,
			    &n)) != 0)
				goto out;
			for (i = 0; i < n; i++) {
				enum exec_limit_id id;
				if (find_limit(names[i], &id) == 0)
					p->best_effort[id] = 1;
			}
		} else {
			r = rs_fail(RS_ERR_CONFIG, "policy: unknown key \"%s\"", key);
			goto out;
		}
	}
	r = 0;
out:
	free_strv(names, n);
	return r;
}

static json_t *
strv_json(char *const *v, size_t n)
{
	json_t *a;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* The fully resolved policy as canonical JSON into p->json. */
static int
canonicalise(struct exec_policy *p)
{
	json_t *root = NULL, *limits = NULL, *set = NULL, *be = NULL, *binds = NULL;
	const char *names[EXEC_LIMIT_COUNT];
	unsigned i;
	size_t k, n = 0;
	int r = RS_ERR_ALLOC;

	if ((limits = json_object()) == NULL || (set = json_object()) == NULL ||
	    (be = json_array()) == NULL || (binds = json_array()) == NULL)
		goto out;
	for (k = 0; k < p->n_binds; k++) {
		if (json_array_append_new(binds, json_pack("{s:s, s:s}", "source",
		    p->binds[k].source, "target", p->binds[k].target)) != 0)
			goto out;
	}
	for (i = 0; i < EXEC_LIMIT_COUNT; i++) {
		if (json_object_set_new(limits, limit_specs[i].name,
		    json_integer((json_int_t)p->limits[i])) != 0)
			goto out;
	}
	for (k = 0; k < p->n_env_set; k++) {
		if (json_object_set_new(set, p->env_set[k].name,
		    json_string(p->env_set[k].value)) != 0)
			goto out;
	}
	/* best_effort is a set: listed sorted by name, like the other lists. */
	for (i = 0; i < EXEC_LIMIT_COUNT; i++)
		if (p->best_effort[i])
			names[n++] = limit_specs[i].name;
	qsort(names, n, sizeof(*names), cmp_str);
	for (k = 0; k < n; k++)
		if (json_array_append_new(be, json_string(names[k])) != 0)
			goto out;
	root = json_pack("{s:s, s:s, s:o, s:{s:o, s:o, s:o}, s:b, s:b, s:o, s:s, s:b, s:o,"
	    " s:i, s:i}",
	    "name", p->name,
	    "network", exec_network_name(p->network),
	    "limits", limits,
	    "env",
	        "allow", strv_json(p->env_allow, p->n_env_allow),
	        "public", strv_json(p->env_public, p->n_env_public),
	        "set", set,
	    "keep_blobs", p->keep_blobs,
	    "nondeterministic", p->nondeterministic,
	    "best_effort", be,
	    "rootfs", p->rootfs != NULL ? p->rootfs : "host",
	    "measure_rootfs", p->measure_rootfs,
	    "binds", binds,
	    "uid", (int)p->uid,
	    "gid", (int)p->gid);
	/* json_pack steals the "o" references, on failure too. */
	limits = set = be = binds = NULL;
	if (root == NULL)
		goto out;
	if ((p->json = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT)) == NULL)
		goto out;
	r = 0;
out:
	json_decref(root);
	json_decref(limits);
	json_decref(set);
	json_decref(be);
	json_decref(binds);
	return r;
}

static int
policy_defaults(struct exec_policy **out)
{
	struct exec_policy *p = NULL;
	unsigned i;
	int r = RS_ERR_ALLOC;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->name = strdup("default")) == NULL)
		goto out;
	p->network = EXEC_NET_NONE;
	p->measure_rootfs = 1;
	for (i = 0; i < EXEC_LIMIT_COUNT; i++)
		p->limits[i] = limit_specs[i].def;
	if ((p->env_public = calloc(3, sizeof(char *))) == NULL)
		goto out;
	for (i = 0; i < 3; i++) {
		if ((p->env_public[i] = strdup(default_public[i])) == NULL)
			goto out;
		p->n_env_public++;
	}
	*out = p;
	p = NULL;
	r = 0;
out:
	exec_policy_free(p);
	return r;
}

int
exec_policy_load(const char *path, struct exec_policy **out)
{
	struct exec_policy *p = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if ((r = policy_defaults(&p)) != 0)
		goto out;
	if (path != NULL && strcmp(path, "default") != 0) {
		/* rs_read_file's detail names the file already. */
		if ((r = rs_read_file(path, POLICY_MAX_BYTES, &buf, &len)) != 0) {
			r = rs_fail(r, "policy %s", rs_err_detail());
			goto out;
		}
		if ((root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES,
		    &jerr)) == NULL) {
			r = rs_fail(RS_ERR_CONFIG, "policy %s: line %d column %d: %s", path,
			    jerr.line, jerr.column, jerr.text);
			goto out;
		}
		if ((r = parse_top(root, p)) != 0) {
			/* Name the file: "policy FILE: unknown key ..." */
			const char *d = rs_err_detail();

			if (strncmp(d, "policy: ", 8) == 0)
				d += 8;
			r = rs_fail(r, "policy %s: %s", path, d);
			goto out;
		}
	}
	if ((r = canonicalise(p)) != 0)
		goto out;
	*out = p;
	p = NULL;
	r = 0;
out:
	json_decref(root);
	free(buf);
	exec_policy_free(p);
	return r;
}

int
exec_policy_override_rootfs(struct exec_policy *p, const char *dir)
{
	char *old = p->json;
	int r;

	if ((r = set_rootfs(p, dir, "--rootfs")) != 0)
		return r;
	p->json = NULL;
	if ((r = canonicalise(p)) != 0) {
		p->json = old;
		return r;
	}
	free(old);
	return 0;
}
