#include "attest/recjson.h"

#include <stdlib.h>
#include <string.h>

#include "common/encode.h"

json_t *
attest_text_json(const char *s)
{
	static const char hexd[] = "0123456789abcdef";
	json_t *v;
	char *esc;
	size_t i, o = 0;

	if ((v = json_string(s)) != NULL)
		return v;
	/* Not UTF-8: every byte >= 0x80 becomes the four characters \xNN. */
	if ((esc = malloc(strlen(s) * 4 + 1)) == NULL)
		return NULL;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			esc[o++] = '\\';
			esc[o++] = 'x';
			esc[o++] = hexd[c >> 4];
			esc[o++] = hexd[c & 15];
		} else {
			esc[o++] = (char)c;
		}
	}
	esc[o] = '\0';
	v = json_string(esc);
	free(esc);
	return v;
}

json_t *
attest_hex_json(const ProtobufCBinaryData *b)
{
	char *hex;
	json_t *v;

	if ((hex = rs_hex_string(b->data, b->len)) == NULL)
		return NULL;
	v = json_string(hex);
	free(hex);
	return v;
}

static json_t *
artifacts(Runseal__V1__Artifact **a, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < n; i++)
		json_array_append_new(arr, json_pack("{s:o, s:I, s:o, s:i}",
		    "name", attest_text_json(a[i]->name), "size", (json_int_t)a[i]->size,
		    "sha256", attest_hex_json(&a[i]->sha256), "mode", (int)a[i]->mode));
	return arr;
}

static json_t *
stream(const Runseal__V1__Stream *s)
{
	if (s == NULL)
		return json_null();
	return json_pack("{s:I, s:o, s:b}", "size", (json_int_t)s->size,
	    "sha256", attest_hex_json(&s->sha256), "truncated", s->truncated);
}

json_t *
attest_record_json(const proto_record *rec)
{
	json_t *o = NULL, *argv, *env, *limits, *iso, *events, *pol = json_null();
	json_t *meas = json_null(), *ex = json_null(), *usage = json_null();
	size_t i;

	if ((argv = json_array()) == NULL || (env = json_array()) == NULL ||
	    (limits = json_array()) == NULL || (iso = json_array()) == NULL ||
	    (events = json_array()) == NULL)
		return NULL;
	for (i = 0; i < rec->n_argv; i++)
		json_array_append_new(argv, attest_text_json(rec->argv[i]));
	for (i = 0; i < rec->n_env; i++) {
		json_t *e = json_pack("{s:o, s:o}", "name", attest_text_json(rec->env[i]->name),
		    "value_sha256", attest_hex_json(&rec->env[i]->value_sha256));
		if (e != NULL && rec->env[i]->value_public)
			json_object_set_new(e, "value", attest_text_json(rec->env[i]->value));
		json_array_append_new(env, e);
	}
	if (rec->policy != NULL) {
		for (i = 0; i < rec->policy->n_limits; i++) {
			const Runseal__V1__Limit *l = rec->policy->limits[i];
			json_array_append_new(limits, json_pack("{s:o, s:I, s:o, s:b, s:b}",
			    "name", attest_text_json(l->name), "value", (json_int_t)l->value,
			    "mechanism", attest_text_json(l->mechanism), "enforced", l->enforced,
			    "best_effort", l->best_effort));
		}
		for (i = 0; i < rec->policy->n_isolation; i++)
			json_array_append_new(iso, attest_text_json(rec->policy->isolation[i]));
		pol = json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:b}",
		    "name", attest_text_json(rec->policy->name),
		    "sha256", attest_hex_json(&rec->policy->source_sha256),
		    "network", attest_text_json(rec->policy->network), "limits", limits,
		    "isolation", iso, "keep_blobs", rec->policy->keep_blobs,
		    "nondeterministic", rec->policy->nondeterministic);
		limits = iso = NULL;
	}
	if (rec->environment != NULL)
		meas = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
		    "executor_sha256", attest_hex_json(&rec->environment->executor_sha256),
		    "executor_version", attest_text_json(rec->environment->executor_version),
		    "kernel_release", attest_text_json(rec->environment->kernel_release),
		    "machine", attest_text_json(rec->environment->machine),
		    "rootfs_sha256", attest_hex_json(&rec->environment->rootfs_sha256),
		    "rootfs", attest_text_json(rec->environment->rootfs));
	if (rec->exit != NULL)
		ex = json_pack("{s:i, s:i, s:b, s:b}", "exit_code", (int)rec->exit->exit_code,
		    "signal", (int)rec->exit->signal, "timed_out", rec->exit->timed_out,
		    "core_dumped", rec->exit->core_dumped);
	for (i = 0; i < rec->n_events; i++)
		json_array_append_new(events, json_pack("{s:o, s:o, s:I}",
		    "kind", attest_text_json(rec->events[i]->kind),
		    "detail", attest_text_json(rec->events[i]->detail),
		    "count", (json_int_t)rec->events[i]->count));
	if (rec->usage != NULL)
		usage = json_pack("{s:I, s:I, s:I, s:I}",
		    "user_us", (json_int_t)rec->usage->user_us,
		    "system_us", (json_int_t)rec->usage->system_us,
		    "max_rss_kib", (json_int_t)rec->usage->max_rss_kib,
		    "peak_memory_bytes", (json_int_t)rec->usage->peak_memory_bytes);
	o = json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:I, s:I, s:o, s:o, s:o}",
	    "version", (int)rec->version, "argv", argv, "cwd", attest_text_json(rec->cwd),
	    "env", env,
	    "policy", pol, "environment", meas,
	    "inputs", artifacts(rec->inputs, rec->n_inputs),
	    "outputs", artifacts(rec->outputs, rec->n_outputs),
	    "stdout", stream(rec->stdout), "stderr", stream(rec->stderr),
	    "exit", ex, "events", events, "usage", usage,
	    "start_unix_ns", (json_int_t)rec->start_unix_ns,
	    "end_unix_ns", (json_int_t)rec->end_unix_ns,
	    "nonce", attest_hex_json(&rec->nonce),
	    "traceparent", attest_text_json(rec->traceparent),
	    "hostname", attest_text_json(rec->hostname));
	json_decref(limits);
	json_decref(iso);
	return o;
}
