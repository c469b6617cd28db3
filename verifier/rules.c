#include "verifier/rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hash.h"

#define RULES_MAX_BYTES (1024 * 1024)
#define RULES_LIST_MAX 4096

enum rule_kind {
	R_ROOT_OF_TRUST, R_NETWORK, R_MAX_LIMIT, R_LIMITS_ENFORCED, R_EXECUTOR,
	R_ROOTFS, R_PCR_VALUES, R_COMMANDS, R_ARGV0, R_EXIT_STATUS,
	R_FORBIDDEN_EVENTS, R_REQUIRED_INPUTS, R_TIME_WINDOW, R_LEDGER_ORIGIN,
};

static const struct rule_spec {
	const char *name;
	enum rule_kind kind;
	const char *limit;              /* for R_MAX_LIMIT: the policy limit name */
} specs[] = {
	{ "root_of_trust", R_ROOT_OF_TRUST, NULL },
	{ "network", R_NETWORK, NULL },
	{ "max_wall_time_ms", R_MAX_LIMIT, "wall_time_ms" },
	{ "max_cpu_time_s", R_MAX_LIMIT, "cpu_time_s" },
	{ "max_memory_bytes", R_MAX_LIMIT, "memory_bytes" },
	{ "max_processes", R_MAX_LIMIT, "processes" },
	{ "max_open_files", R_MAX_LIMIT, "open_files" },
	{ "max_file_size_bytes", R_MAX_LIMIT, "file_size_bytes" },
	{ "max_output_bytes", R_MAX_LIMIT, "output_bytes" },
	{ "max_stdout_bytes", R_MAX_LIMIT, "stdout_bytes" },
	{ "max_stderr_bytes", R_MAX_LIMIT, "stderr_bytes" },
	{ "max_tmp_bytes", R_MAX_LIMIT, "tmp_bytes" },
	{ "limits_enforced", R_LIMITS_ENFORCED, NULL },
	{ "executor_sha256", R_EXECUTOR, NULL },
	{ "rootfs_sha256", R_ROOTFS, NULL },
	{ "pcr_values", R_PCR_VALUES, NULL },
	{ "commands", R_COMMANDS, NULL },
	{ "argv0", R_ARGV0, NULL },
	{ "exit_status", R_EXIT_STATUS, NULL },
	{ "forbidden_events", R_FORBIDDEN_EVENTS, NULL },
	{ "required_inputs", R_REQUIRED_INPUTS, NULL },
	{ "time_window", R_TIME_WINDOW, NULL },
	{ "ledger_origin", R_LEDGER_ORIGIN, NULL },
};

struct rule {
	const struct rule_spec *spec;
	json_t *value;                  /* validated at load */
	int64_t not_before_ns, not_after_ns;    /* R_TIME_WINDOW; INT64_MIN/MAX if absent */
};

struct rules {
	char *name;
	struct rule *v;
	size_t n;
};

const char *
rules_trust_name(enum rules_trust t)
{
	switch (t) {
	case RULES_TRUST_SOFTWARE: return "software";
	case RULES_TRUST_TPM: return "tpm";
	case RULES_TRUST_TPM_ENROLLED: return "tpm-enrolled";
	}
	return "unknown";
}

static int
trust_from_name(const char *s, enum rules_trust *out)
{
	if (strcmp(s, "software") == 0)
		*out = RULES_TRUST_SOFTWARE;
	else if (strcmp(s, "tpm") == 0)
		*out = RULES_TRUST_TPM;
	else if (strcmp(s, "tpm-enrolled") == 0)
		*out = RULES_TRUST_TPM_ENROLLED;
	else
		return -1;
	return 0;
}

void
rules_free(struct rules *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		json_decref(r->v[i].value);
	free(r->v);
	free(r->name);
	free(r);
}

size_t rules_count(const struct rules *r) { return r->n; }
const char *rules_name_at(const struct rules *r, size_t i) { return r->v[i].spec->name; }
const char *rules_file_name(const struct rules *r) { return r->name; }

static int
is_hex64(json_t *v)
{
	uint8_t d[RS_SHA256_LEN];

	return json_is_string(v) && rs_hex_decode(json_string_value(v), d, sizeof(d)) == 0;
}

/* A non-empty, bounded array whose every element satisfies ok(). */
static int
list_of(json_t *v, int (*ok)(json_t *))
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > RULES_LIST_MAX)
		return 0;
	json_array_foreach(v, i, e)
		if (!ok(e))
			return 0;
	return 1;
}

/*
 * The event kinds runseal records (executor/exec.c, executor/collect.c). A
 * forbidden kind outside this list would never match, so a misspelt rule
 * would pass silently: it is refused instead.
 */
static const char *const event_kinds[] = {
	"timeout", "cpu_time", "oom", "pids_limit", "seccomp", "output_cap",
	"output_drain_timeout", "exec_failed", "limit_not_enforced", "special_file",
	"hardlink", "output_skipped",
};

static int
is_event_kind(json_t *v)
{
	size_t i;

	if (!json_is_string(v))
		return 0;
	for (i = 0; i < sizeof(event_kinds) / sizeof(event_kinds[0]); i++)
		if (strcmp(json_string_value(v), event_kinds[i]) == 0)
			return 1;
	return 0;
}

static int is_string(json_t *v) { return json_is_string(v); }
static int is_network(json_t *v)
{
	return json_is_string(v) && (strcmp(json_string_value(v), "none") == 0 ||
	    strcmp(json_string_value(v), "loopback") == 0);
}
static int is_status(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 255;
}
static int is_argv(json_t *v) { return list_of(v, is_string); }

/* RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" to Unix nanoseconds. */
static int
parse_time(const char *s, int64_t *ns)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *end != '\0')
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*ns = (int64_t)t * 1000000000LL;
	return 0;
}

static int
validate(struct rule *ru)
{
	json_t *v = ru->value, *e;
	const char *k;
	enum rules_trust t;
	int ok = 0;

	switch (ru->spec->kind) {
	case R_ROOT_OF_TRUST:
		ok = json_is_string(v) && trust_from_name(json_string_value(v), &t) == 0;
		break;
	case R_NETWORK:
		ok = is_network(v) || list_of(v, is_network);
		break;
	case R_MAX_LIMIT:
		ok = json_is_integer(v) && json_integer_value(v) >= 0;
		break;
	case R_LIMITS_ENFORCED:
		ok = json_is_boolean(v);
		break;
	case R_EXECUTOR:
	case R_ROOTFS:
	case R_REQUIRED_INPUTS:
		ok = list_of(v, is_hex64);
		break;
	case R_PCR_VALUES:
		ok = json_is_object(v) && json_object_size(v) > 0 && json_object_size(v) <= 24;
		json_object_foreach(v, k, e) {
			char *endp;
			unsigned long idx = strtoul(k, &endp, 10);
			if (*k == '\0' || *endp != '\0' || idx > 23 || !is_hex64(e))
				ok = 0;
		}
		break;
	case R_COMMANDS:
		ok = list_of(v, is_argv);
		break;
	case R_ARGV0:
		ok = list_of(v, is_string);
		break;
	case R_FORBIDDEN_EVENTS:
		ok = list_of(v, is_event_kind);
		break;
	case R_EXIT_STATUS:
		ok = is_status(v) || list_of(v, is_status);
		break;
	case R_TIME_WINDOW:
		ok = json_is_object(v) && json_object_size(v) > 0;
		ru->not_before_ns = INT64_MIN;
		ru->not_after_ns = INT64_MAX;
		json_object_foreach(v, k, e) {
			int64_t *dst = strcmp(k, "not_before") == 0 ? &ru->not_before_ns :
			    strcmp(k, "not_after") == 0 ? &ru->not_after_ns : NULL;
			if (dst == NULL || !json_is_string(e) || parse_time(json_string_value(e), dst) != 0)
				ok = 0;
		}
		break;
	case R_LEDGER_ORIGIN:
		ok = json_is_string(v) && json_string_length(v) > 0;
		break;
	}
	return ok ? 0 : -1;
}

static const char *
expected_form(enum rule_kind k)
{
	switch (k) {
	case R_ROOT_OF_TRUST: return "\"software\", \"tpm\" or \"tpm-enrolled\"";
	case R_NETWORK: return "\"none\", \"loopback\" or a list of them";
	case R_MAX_LIMIT: return "a non-negative integer";
	case R_LIMITS_ENFORCED: return "true or false";
	case R_EXECUTOR: case R_ROOTFS: case R_REQUIRED_INPUTS:
		return "a non-empty list of 64-digit hex SHA-256 digests";
	case R_PCR_VALUES: return "an object mapping PCR numbers 0-23 to 64-digit hex values";
	case R_COMMANDS: return "a non-empty list of non-empty argv lists";
	case R_ARGV0: return "a non-empty list of strings";
	case R_FORBIDDEN_EVENTS:
		return "a non-empty list of event kinds: timeout, cpu_time, oom, pids_limit, "
		    "seccomp, output_cap, output_drain_timeout, exec_failed, limit_not_enforced, "
		    "special_file, hardlink, output_skipped";
	case R_EXIT_STATUS: return "an integer 0-255 or a list of them";
	case R_TIME_WINDOW:
		return "{\"not_before\": \"YYYY-MM-DDTHH:MM:SSZ\", \"not_after\": ...}";
	case R_LEDGER_ORIGIN: return "a non-empty string";
	}
	return "?";
}

int
rules_parse(const char *json, size_t len, struct rules **out)
{
	struct rules *r = NULL;
	json_t *root = NULL, *rules, *v;
	json_error_t jerr;
	const char *key;
	size_t i;
	int rc = RS_ERR_INTERNAL;

	*out = NULL;
	if (len > RULES_MAX_BYTES) {
		rc = rs_fail(RS_ERR_TOO_LARGE, "rules file larger than %d bytes", RULES_MAX_BYTES);
		goto out;
	}
	if ((root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		rc = rs_fail(RS_ERR_CONFIG, "rules: invalid JSON at line %d: %s", jerr.line, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = rs_fail(RS_ERR_CONFIG, "rules: the file must hold a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "rules") != 0 && strcmp(key, "name") != 0) {
			rc = rs_fail(RS_ERR_CONFIG, "rules: unknown top-level key \"%s\" "
			    "(expected \"name\" and \"rules\")", key);
			goto out;
		}
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		rc = RS_ERR_ALLOC;
		goto out;
	}
	v = json_object_get(root, "name");
	if (v != NULL && !json_is_string(v)) {
		rc = rs_fail(RS_ERR_CONFIG, "rules: \"name\" must be a string");
		goto out;
	}
	if ((r->name = strdup(v != NULL ? json_string_value(v) : "")) == NULL) {
		rc = RS_ERR_ALLOC;
		goto out;
	}
	rules = json_object_get(root, "rules");
	if (!json_is_object(rules) || json_object_size(rules) == 0) {
		rc = rs_fail(RS_ERR_CONFIG, "rules: \"rules\" must be a non-empty object");
		goto out;
	}
	if ((r->v = calloc(json_object_size(rules), sizeof(*r->v))) == NULL) {
		rc = RS_ERR_ALLOC;
		goto out;
	}
	/* jansson keeps insertion order: rules are reported in file order. */
	json_object_foreach(rules, key, v) {
		const struct rule_spec *spec = NULL;
		for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
			if (strcmp(specs[i].name, key) == 0)
				spec = &specs[i];
		if (spec == NULL) {
			rc = rs_fail(RS_ERR_CONFIG, "rules: unknown rule \"%s\"", key);
			goto out;
		}
		r->v[r->n].spec = spec;
		r->v[r->n].value = json_incref(v);
		r->n++;
		if (validate(&r->v[r->n - 1]) != 0) {
			rc = rs_fail(RS_ERR_CONFIG, "rules: rule \"%s\" must be %s", key,
			    expected_form(spec->kind));
			goto out;
		}
	}
	*out = r;
	r = NULL;
	rc = 0;
out:
	json_decref(root);
	rules_free(r);
	return rc;
}

int
rules_load(const char *path, struct rules **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = rs_read_file(path, RULES_MAX_BYTES, &buf, &len)) != 0)
		return r;
	if ((r = rules_parse((const char *)buf, len, out)) != 0)
		r = rs_fail(r, "%s: %s", path, rs_err_detail());
	free(buf);
	return r;
}

int
rules_exit_status(const proto_record *rec)
{
	if (rec->exit == NULL)
		return -1;
	if (rec->exit->timed_out)
		return 124;
	if (rec->exit->signal != 0)
		return 128 + rec->exit->signal;
	return rec->exit->exit_code;
}

static int
bin_hex_eq(const ProtobufCBinaryData *b, json_t *hex)
{
	uint8_t d[RS_SHA256_LEN];

	return b->len == RS_SHA256_LEN &&
	    rs_hex_decode(json_string_value(hex), d, sizeof(d)) == 0 &&
	    memcmp(b->data, d, sizeof(d)) == 0;
}

static void
hex_prefix(const ProtobufCBinaryData *b, char *out, size_t outlen)
{
	char hex[2 * RS_SHA256_LEN + 1];

	if (b->len != RS_SHA256_LEN) {
		snprintf(out, outlen, "(none)");
		return;
	}
	rs_hex_encode(b->data, RS_SHA256_LEN, hex);
	snprintf(out, outlen, "%s", hex);
}

/* Compact JSON of the rule's value, truncated to fit. */
static void
expected_text(json_t *v, char *out, size_t outlen)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	snprintf(out, outlen, "%s", s != NULL ? s : "?");
	if (s != NULL && strlen(s) >= outlen && outlen > 4)
		strcpy(out + outlen - 4, "...");
	free(s);
}

static const Runseal__V1__Limit *
find_limit(const proto_record *rec, const char *name)
{
	size_t i;

	if (rec->policy == NULL)
		return NULL;
	for (i = 0; i < rec->policy->n_limits; i++)
		if (strcmp(rec->policy->limits[i]->name, name) == 0)
			return rec->policy->limits[i];
	return NULL;
}

static void
eval_one(const struct rule *ru, const struct rules_subject *s, struct rule_result *res)
{
	const proto_record *rec = s->record;
	json_t *v = ru->value, *e;
	const char *k;
	size_t i, j;

	res->rule = ru->spec->name;
	res->pass = 0;
	expected_text(v, res->expected, sizeof(res->expected));
	switch (ru->spec->kind) {
	case R_ROOT_OF_TRUST: {
		enum rules_trust want = RULES_TRUST_SOFTWARE;
		trust_from_name(json_string_value(v), &want);
		res->pass = s->trust >= want;
		snprintf(res->expected, sizeof(res->expected), "at least %s", rules_trust_name(want));
		snprintf(res->actual, sizeof(res->actual), "%s", rules_trust_name(s->trust));
		break;
	}
	case R_NETWORK: {
		const char *net = rec->policy != NULL ? rec->policy->network : "";
		if (json_is_string(v))
			res->pass = strcmp(net, json_string_value(v)) == 0;
		else
			json_array_foreach(v, i, e)
				res->pass |= strcmp(net, json_string_value(e)) == 0;
		snprintf(res->actual, sizeof(res->actual), "%s", net[0] ? net : "(none recorded)");
		break;
	}
	case R_MAX_LIMIT: {
		const Runseal__V1__Limit *l = find_limit(rec, ru->spec->limit);
		uint64_t max = (uint64_t)json_integer_value(v);
		snprintf(res->expected, sizeof(res->expected), "%s <= %" PRIu64 ", enforced",
		    ru->spec->limit, max);
		if (l == NULL) {
			snprintf(res->actual, sizeof(res->actual), "no %s limit recorded", ru->spec->limit);
		} else {
			res->pass = l->enforced && strcmp(l->mechanism, "none") != 0 && l->value <= max;
			snprintf(res->actual, sizeof(res->actual), "%s = %" PRIu64 " (%s%s)",
			    l->name, l->value, l->enforced ? "enforced by " : "not enforced",
			    l->enforced ? l->mechanism : "");
		}
		break;
	}
	case R_LIMITS_ENFORCED: {
		const Runseal__V1__Limit *bad = NULL;
		for (i = 0; rec->policy != NULL && i < rec->policy->n_limits; i++) {
			const Runseal__V1__Limit *l = rec->policy->limits[i];
			if (!l->enforced || l->best_effort || l->mechanism[0] == '\0' ||
			    strcmp(l->mechanism, "none") == 0) {
				bad = l;
				break;
			}
		}
		res->pass = !json_is_true(v) || (bad == NULL && rec->policy != NULL &&
		    rec->policy->n_limits > 0);
		if (bad != NULL)
			snprintf(res->actual, sizeof(res->actual), "%s %s", bad->name,
			    bad->enforced ? "is best-effort" : "was not enforced");
		else
			snprintf(res->actual, sizeof(res->actual), "%zu limits, all enforced",
			    rec->policy != NULL ? rec->policy->n_limits : 0);
		break;
	}
	case R_EXECUTOR:
	case R_ROOTFS: {
		const ProtobufCBinaryData *d = NULL;
		static const ProtobufCBinaryData empty = { 0, NULL };
		if (rec->environment != NULL)
			d = ru->spec->kind == R_EXECUTOR ? &rec->environment->executor_sha256 :
			    &rec->environment->rootfs_sha256;
		if (d == NULL)
			d = &empty;
		json_array_foreach(v, i, e)
			res->pass |= bin_hex_eq(d, e);
		hex_prefix(d, res->actual, sizeof(res->actual));
		if (d->len == 0)
			snprintf(res->actual, sizeof(res->actual), "not measured");
		break;
	}
	case R_PCR_VALUES: {
		const Runseal__V1__TpmEvidence *tpm = s->envelope != NULL ? s->envelope->tpm : NULL;
		if (tpm == NULL || s->envelope->signer != RUNSEAL__V1__SIGNER_KIND__SIGNER_TPM) {
			snprintf(res->actual, sizeof(res->actual), "no PCR values: not TPM-quoted");
			break;
		}
		res->pass = 1;
		snprintf(res->actual, sizeof(res->actual), "all match");
		json_object_foreach(v, k, e) {
			unsigned long idx = strtoul(k, NULL, 10);
			int found = 0;
			for (j = 0; j < tpm->n_pcrs; j++) {
				if (tpm->pcrs[j]->index == idx) {
					found = 1;
					if (!bin_hex_eq(&tpm->pcrs[j]->value, e)) {
						char hex[65];
						hex_prefix(&tpm->pcrs[j]->value, hex, sizeof(hex));
						res->pass = 0;
						snprintf(res->actual, sizeof(res->actual), "PCR %lu = %s", idx, hex);
					}
				}
			}
			if (!found) {
				res->pass = 0;
				snprintf(res->actual, sizeof(res->actual), "PCR %lu not quoted", idx);
			}
			if (!res->pass)
				break;
		}
		break;
	}
	case R_COMMANDS: {
		json_t *argv;
		json_array_foreach(v, i, argv) {
			int same = json_array_size(argv) == rec->n_argv;
			for (j = 0; same && j < rec->n_argv; j++)
				same = strcmp(json_string_value(json_array_get(argv, j)), rec->argv[j]) == 0;
			res->pass |= same;
		}
		{
			json_t *a = json_array();
			for (j = 0; a != NULL && j < rec->n_argv; j++)
				json_array_append_new(a, json_string(rec->argv[j]));
			expected_text(a, res->actual, sizeof(res->actual));
			json_decref(a);
		}
		break;
	}
	case R_ARGV0: {
		const char *a0 = rec->n_argv > 0 ? rec->argv[0] : "";
		json_array_foreach(v, i, e)
			res->pass |= strcmp(a0, json_string_value(e)) == 0;
		snprintf(res->actual, sizeof(res->actual), "%s", a0);
		break;
	}
	case R_EXIT_STATUS: {
		int st = rules_exit_status(rec);
		if (json_is_integer(v))
			res->pass = st == (int)json_integer_value(v);
		else
			json_array_foreach(v, i, e)
				res->pass |= st == (int)json_integer_value(e);
		snprintf(res->actual, sizeof(res->actual), "%d", st);
		break;
	}
	case R_FORBIDDEN_EVENTS: {
		res->pass = 1;
		snprintf(res->actual, sizeof(res->actual), "none of them");
		for (j = 0; j < rec->n_events && res->pass; j++) {
			json_array_foreach(v, i, e) {
				if (strcmp(rec->events[j]->kind, json_string_value(e)) == 0) {
					res->pass = 0;
					snprintf(res->actual, sizeof(res->actual), "%s: %s",
					    rec->events[j]->kind, rec->events[j]->detail);
					break;
				}
			}
		}
		break;
	}
	case R_REQUIRED_INPUTS: {
		res->pass = 1;
		snprintf(res->actual, sizeof(res->actual), "%zu inputs, all required present",
		    rec->n_inputs);
		json_array_foreach(v, i, e) {
			int found = 0;
			for (j = 0; j < rec->n_inputs && !found; j++)
				found = bin_hex_eq(&rec->inputs[j]->sha256, e);
			if (!found) {
				res->pass = 0;
				snprintf(res->actual, sizeof(res->actual), "no input with sha256 %s",
				    json_string_value(e));
				break;
			}
		}
		break;
	}
	case R_TIME_WINDOW: {
		char a[32], b[32];
		time_t t0 = (time_t)(rec->start_unix_ns / 1000000000);
		time_t t1 = (time_t)(rec->end_unix_ns / 1000000000);
		struct tm tm;
		res->pass = rec->start_unix_ns >= ru->not_before_ns &&
		    rec->end_unix_ns <= ru->not_after_ns;
		strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
		strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
		snprintf(res->actual, sizeof(res->actual), "%s to %s", a, b);
		break;
	}
	case R_LEDGER_ORIGIN:
		res->pass = s->origin != NULL && strcmp(s->origin, json_string_value(v)) == 0;
		snprintf(res->actual, sizeof(res->actual), "%s", s->origin ? s->origin : "(unknown)");
		break;
	}
}

int
rules_eval(const struct rules *r, const struct rules_subject *s,
    struct rule_result *results)
{
	size_t i;

	if (s->record == NULL)
		return rs_fail(RS_ERR_INTERNAL, "rules_eval without a record");
	for (i = 0; i < r->n; i++) {
		memset(&results[i], 0, sizeof(results[i]));
		eval_one(&r->v[i], s, &results[i]);
	}
	return 0;
}
