#include "attest/record.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "proto/codec.h"

/*
 * The protobuf structs built here borrow every string and byte array from
 * the run (protobuf-c's pack only reads them); only the arrays of message
 * pointers and the sub-messages are allocated, in one arena per call.
 */
struct arena {
	void **ptrs;
	size_t n, cap;
};

static void *
arena_alloc(struct arena *a, size_t size)
{
	void *p;

	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 64;
		void **np = realloc(a->ptrs, ncap * sizeof(*np));
		if (np == NULL)
			return NULL;
		a->ptrs = np;
		a->cap = ncap;
	}
	if ((p = calloc(1, size > 0 ? size : 1)) == NULL)
		return NULL;
	a->ptrs[a->n++] = p;
	return p;
}

static void
arena_free(struct arena *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->ptrs[i]);
	free(a->ptrs);
}

static ProtobufCBinaryData
bin(const uint8_t *p, size_t len)
{
	ProtobufCBinaryData b;

	b.data = (uint8_t *)(uintptr_t)p;
	b.len = len;
	return b;
}

/* protobuf-c wants char * for strings it only reads; "" for NULL. */
static char *
str(const char *s)
{
	return (char *)(uintptr_t)(s != NULL ? s : "");
}

static int
artifacts(struct arena *a, const struct attest_artifact *in, size_t n,
    Runseal__V1__Artifact ***out)
{
	Runseal__V1__Artifact **v;
	size_t i;

	*out = NULL;
	if (n == 0)
		return 0;
	if ((v = arena_alloc(a, n * sizeof(*v))) == NULL)
		return RS_ERR_ALLOC;
	for (i = 0; i < n; i++) {
		if ((v[i] = arena_alloc(a, sizeof(**v))) == NULL)
			return RS_ERR_ALLOC;
		runseal__v1__artifact__init(v[i]);
		v[i]->name = str(in[i].name);
		v[i]->size = in[i].size;
		v[i]->sha256 = bin(in[i].sha256, RS_SHA256_LEN);
		v[i]->mode = in[i].mode;
	}
	*out = v;
	return 0;
}

static void
stream(Runseal__V1__Stream *s, const struct attest_stream *in)
{
	runseal__v1__stream__init(s);
	s->size = in->size;
	s->sha256 = bin(in->sha256, RS_SHA256_LEN);
	s->truncated = in->truncated != 0;
}

static int
build(struct arena *a, const struct attest_run *run, Runseal__V1__Record *rec)
{
	Runseal__V1__Policy *pol;
	Runseal__V1__Measurement *m;
	Runseal__V1__Stream *so, *se;
	Runseal__V1__Exit *ex;
	Runseal__V1__Usage *u;
	size_t i;
	int r;

	runseal__v1__record__init(rec);
	rec->version = PROTO_VERSION;
	rec->n_argv = run->argc;
	rec->argv = run->argv;
	rec->cwd = str(run->cwd);

	if (run->n_env > 0) {
		if ((rec->env = arena_alloc(a, run->n_env * sizeof(*rec->env))) == NULL)
			return RS_ERR_ALLOC;
		for (i = 0; i < run->n_env; i++) {
			Runseal__V1__EnvVar *e = arena_alloc(a, sizeof(*e));
			if (e == NULL)
				return RS_ERR_ALLOC;
			runseal__v1__env_var__init(e);
			e->name = str(run->env[i].name);
			e->value_sha256 = bin(run->env[i].value_sha256, RS_SHA256_LEN);
			e->value = str(run->env[i].value);
			e->value_public = run->env[i].value != NULL;
			rec->env[i] = e;
		}
		rec->n_env = run->n_env;
	}

	if ((pol = arena_alloc(a, sizeof(*pol))) == NULL)
		return RS_ERR_ALLOC;
	runseal__v1__policy__init(pol);
	pol->name = str(run->policy_name);
	pol->source_sha256 = bin(run->policy_sha256, RS_SHA256_LEN);
	pol->canonical_json = str(run->policy_json);
	pol->network = str(run->network);
	if (run->n_limits > 0) {
		if ((pol->limits = arena_alloc(a, run->n_limits * sizeof(*pol->limits))) == NULL)
			return RS_ERR_ALLOC;
		for (i = 0; i < run->n_limits; i++) {
			Runseal__V1__Limit *l = arena_alloc(a, sizeof(*l));
			if (l == NULL)
				return RS_ERR_ALLOC;
			runseal__v1__limit__init(l);
			l->name = str(run->limits[i].name);
			l->value = run->limits[i].value;
			l->mechanism = str(run->limits[i].mechanism);
			l->enforced = run->limits[i].enforced != 0;
			l->best_effort = run->limits[i].best_effort != 0;
			pol->limits[i] = l;
		}
		pol->n_limits = run->n_limits;
	}
	pol->n_isolation = run->n_isolation;
	pol->isolation = run->isolation;
	pol->keep_blobs = run->keep_blobs != 0;
	pol->nondeterministic = run->nondeterministic != 0;
	rec->policy = pol;

	if ((m = arena_alloc(a, sizeof(*m))) == NULL)
		return RS_ERR_ALLOC;
	runseal__v1__measurement__init(m);
	m->executor_sha256 = bin(run->executor_sha256, RS_SHA256_LEN);
	m->executor_version = str(RUNSEAL_VERSION);
	m->kernel_release = str(run->kernel_release);
	m->machine = str(run->machine);
	if (run->rootfs_measured)
		m->rootfs_sha256 = bin(run->rootfs_sha256, RS_SHA256_LEN);
	m->rootfs = str(run->rootfs);
	rec->environment = m;

	if ((r = artifacts(a, run->inputs, run->n_inputs, &rec->inputs)) != 0)
		return r;
	rec->n_inputs = run->n_inputs;
	if ((r = artifacts(a, run->outputs, run->n_outputs, &rec->outputs)) != 0)
		return r;
	rec->n_outputs = run->n_outputs;

	if ((so = arena_alloc(a, sizeof(*so))) == NULL ||
	    (se = arena_alloc(a, sizeof(*se))) == NULL)
		return RS_ERR_ALLOC;
	stream(so, &run->out);
	stream(se, &run->err);
	rec->stdout = so;
	rec->stderr = se;

	if ((ex = arena_alloc(a, sizeof(*ex))) == NULL)
		return RS_ERR_ALLOC;
	runseal__v1__exit__init(ex);
	ex->exit_code = run->exit_code;
	ex->signal = run->signal;
	ex->timed_out = run->timed_out != 0;
	ex->core_dumped = run->core_dumped != 0;
	rec->exit = ex;

	if (run->n_events > 0) {
		if ((rec->events = arena_alloc(a, run->n_events * sizeof(*rec->events))) == NULL)
			return RS_ERR_ALLOC;
		for (i = 0; i < run->n_events; i++) {
			Runseal__V1__Event *e = arena_alloc(a, sizeof(*e));
			if (e == NULL)
				return RS_ERR_ALLOC;
			runseal__v1__event__init(e);
			e->kind = str(run->events[i].kind);
			e->detail = str(run->events[i].detail);
			e->count = run->events[i].count;
			rec->events[i] = e;
		}
		rec->n_events = run->n_events;
	}

	if ((u = arena_alloc(a, sizeof(*u))) == NULL)
		return RS_ERR_ALLOC;
	runseal__v1__usage__init(u);
	u->user_us = run->user_us;
	u->system_us = run->system_us;
	u->max_rss_kib = run->max_rss_kib;
	u->minor_faults = run->minor_faults;
	u->major_faults = run->major_faults;
	u->in_blocks = run->in_blocks;
	u->out_blocks = run->out_blocks;
	u->voluntary_switches = run->voluntary_switches;
	u->involuntary_switches = run->involuntary_switches;
	u->peak_memory_bytes = run->peak_memory_bytes;
	rec->usage = u;

	rec->start_unix_ns = run->start_unix_ns;
	rec->end_unix_ns = run->end_unix_ns;
	rec->nonce = bin(run->nonce, sizeof(run->nonce));
	rec->traceparent = str(run->traceparent);
	rec->hostname = str(run->hostname);
	return 0;
}

int
attest_record_pack(const struct attest_run *run, uint8_t **out, size_t *len)
{
	struct arena a = { 0 };
	Runseal__V1__Record rec;
	int r;

	*out = NULL;
	*len = 0;
	if ((r = build(&a, run, &rec)) != 0)
		goto out;
	if ((r = proto_pack(&rec.base, PROTO_MAX_RECORD, out, len)) != 0)
		goto out;
	r = 0;
out:
	arena_free(&a);
	return r;
}

int
attest_record_digest(const uint8_t *record, size_t len, uint8_t out[RS_SHA256_LEN])
{
	return rs_sha256_ctx(RS_CTX_RECORD, record, len, NULL, 0, out);
}
