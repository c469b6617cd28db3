#include "attest/intoto.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "attest/record.h"
#include "attest/softsig.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hash.h"
#include "proto/codec.h"

#define KEY_FILE_MAX (64 * 1024)
#define JSON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)

/* The names stdout and stderr have as subjects (outputs are relative paths). */
#define SUBJECT_STDOUT "/dev/stdout"
#define SUBJECT_STDERR "/dev/stderr"

int
intoto_pae(const char *type, const uint8_t *body, size_t len, uint8_t **out, size_t *out_len)
{
	char head[96];
	size_t tlen = strlen(type), hlen, mlen, total;
	uint8_t *buf = NULL;
	int n, m, r = RS_ERR_INTERNAL;

	*out = NULL;
	*out_len = 0;
	/* "DSSEv1 " LEN(type) " " | type | " " LEN(body) " " | body */
	n = snprintf(head, sizeof(head), "DSSEv1 %zu ", tlen);
	if (n < 0 || (size_t)n >= sizeof(head) / 2) {
		r = rs_fail(RS_ERR_INTERNAL, "PAE header");
		goto out;
	}
	hlen = (size_t)n;
	m = snprintf(head + hlen, sizeof(head) - hlen, " %zu ", len);
	if (m < 0 || (size_t)m >= sizeof(head) - hlen) {
		r = rs_fail(RS_ERR_INTERNAL, "PAE header");
		goto out;
	}
	mlen = (size_t)m;
	if (tlen > SIZE_MAX - hlen - mlen || len > SIZE_MAX - hlen - mlen - tlen) {
		r = rs_fail(RS_ERR_TOO_LARGE, "PAE of %zu bytes", len);
		goto out;
	}
	total = hlen + tlen + mlen + len;
	if ((buf = malloc(total > 0 ? total : 1)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	memcpy(buf, head, hlen);
	memcpy(buf + hlen, type, tlen);
	memcpy(buf + hlen + tlen, head + hlen, mlen);
	if (len > 0)
		memcpy(buf + hlen + tlen + mlen, body, len);
	*out = buf;
	*out_len = total;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}

/* --- the Statement ----------------------------------------------------- */

/*
 * JSON building: every helper returns a new reference or NULL; put() steals
 * the value and records any failure in *bad (a NULL value included), so a
 * builder checks once at its end. Strings that are not UTF-8 give NULL.
 */
static void
put(json_t *o, const char *key, json_t *v, int *bad)
{
	if (o == NULL || v == NULL || json_object_set_new(o, key, v) != 0)
		*bad = 1;
	if (o == NULL)
		json_decref(v);
}

static void
push(json_t *a, json_t *v, int *bad)
{
	if (a == NULL || v == NULL || json_array_append_new(a, v) != 0)
		*bad = 1;
	if (a == NULL)
		json_decref(v);
}

static json_t *
hex(const uint8_t *data, size_t len)
{
	char *s;
	json_t *v;

	if ((s = rs_hex_string(data, len)) == NULL)
		return NULL;
	v = json_string(s);
	free(s);
	return v;
}

static json_t *
hexb(const ProtobufCBinaryData *b)
{
	return hex(b->data, b->len);
}

/* An unsigned value as a JSON integer (NULL past INT64_MAX: json_int_t). */
static json_t *
u64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? NULL : json_integer((json_int_t)v);
}

/* {"sha256": hex} */
static json_t *
digest_set(const ProtobufCBinaryData *b)
{
	json_t *o = json_object();
	int bad = 0;

	put(o, "sha256", hexb(b), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* RFC 3339 UTC with nanoseconds: 2026-01-02T03:04:05.123456789Z */
static json_t *
rfc3339(int64_t unix_ns)
{
	int64_t sec = unix_ns / 1000000000, ns = unix_ns % 1000000000;
	struct tm tm;
	time_t t;
	char buf[64], date[48];

	if (ns < 0) {
		ns += 1000000000;
		sec -= 1;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL || strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S",
	    &tm) == 0)
		return NULL;
	snprintf(buf, sizeof(buf), "%s.%09" PRId64 "Z", date, ns);
	return json_string(buf);
}

/* A file of the run as a resource descriptor: name, digest, size, mode. */
static json_t *
artifact(const Runseal__V1__Artifact *a)
{
	json_t *o = json_object();
	int bad = 0;

	put(o, "name", json_string(a->name), &bad);
	put(o, "digest", digest_set(&a->sha256), &bad);
	put(o, "size", u64(a->size), &bad);
	put(o, "mode", json_integer(a->mode), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
stream(const Runseal__V1__Stream *s)
{
	json_t *o;
	int bad = 0;

	if (s == NULL)
		return json_null();
	o = json_object();
	put(o, "sha256", hexb(&s->sha256), &bad);
	put(o, "size", u64(s->size), &bad);
	put(o, "truncated", json_boolean(s->truncated), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* stdout or stderr as a subject, when it is one; *bad on failure. */
static void
stream_subject(json_t *subjects, const char *name, const Runseal__V1__Stream *s, int *bad)
{
	json_t *o;

	if (s == NULL || s->size == 0 || s->truncated)
		return;
	o = json_object();
	put(o, "name", json_string(name), bad);
	put(o, "digest", digest_set(&s->sha256), bad);
	push(subjects, o, bad);
}

static json_t *
environment(const proto_record *rec)
{
	const Runseal__V1__Measurement *m = rec->environment;
	json_t *o = json_object(), *ex = json_object(), *k = json_object();
	json_t *fs = json_object(), *vars = json_array(), *v;
	size_t i;
	int bad = 0;

	if (m != NULL) {
		put(ex, "sha256", hexb(&m->executor_sha256), &bad);
		put(ex, "version", json_string(m->executor_version), &bad);
		put(k, "release", json_string(m->kernel_release), &bad);
		put(k, "machine", json_string(m->machine), &bad);
		put(fs, "name", json_string(m->rootfs), &bad);
		put(fs, "sha256", hexb(&m->rootfs_sha256), &bad);
	}
	for (i = 0; i < rec->n_env; i++) {
		v = json_object();
		put(v, "name", json_string(rec->env[i]->name), &bad);
		put(v, "value_sha256", hexb(&rec->env[i]->value_sha256), &bad);
		if (rec->env[i]->value_public)
			put(v, "value", json_string(rec->env[i]->value), &bad);
		push(vars, v, &bad);
	}
	put(o, "executor", ex, &bad);
	put(o, "kernel", k, &bad);
	put(o, "rootfs", fs, &bad);
	put(o, "hostname", json_string(rec->hostname), &bad);
	put(o, "variables", vars, &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
policy(const Runseal__V1__Policy *p)
{
	json_t *o, *limits, *iso, *l;
	size_t i;
	int bad = 0;

	if (p == NULL)
		return json_null();
	o = json_object();
	limits = json_array();
	iso = json_array();
	for (i = 0; i < p->n_limits; i++) {
		l = json_object();
		put(l, "name", json_string(p->limits[i]->name), &bad);
		put(l, "value", u64(p->limits[i]->value), &bad);
		put(l, "mechanism", json_string(p->limits[i]->mechanism), &bad);
		put(l, "enforced", json_boolean(p->limits[i]->enforced), &bad);
		put(l, "best_effort", json_boolean(p->limits[i]->best_effort), &bad);
		push(limits, l, &bad);
	}
	for (i = 0; i < p->n_isolation; i++)
		push(iso, json_string(p->isolation[i]), &bad);
	put(o, "name", json_string(p->name), &bad);
	put(o, "sha256", hexb(&p->source_sha256), &bad);
	put(o, "canonical_json", json_string(p->canonical_json), &bad);
	put(o, "network", json_string(p->network), &bad);
	put(o, "limits", limits, &bad);
	put(o, "isolation", iso, &bad);
	put(o, "keep_blobs", json_boolean(p->keep_blobs), &bad);
	put(o, "nondeterministic", json_boolean(p->nondeterministic), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
exit_status(const Runseal__V1__Exit *e)
{
	json_t *o;
	int status, bad = 0;

	if (e == NULL)
		return json_null();
	/* The status `runseal run` exited with (executor/exec.c, exec_exit_status). */
	if (e->timed_out)
		status = 124;
	else if (e->signal > 0)
		status = 128 + e->signal;
	else
		status = e->exit_code;
	o = json_object();
	put(o, "status", json_integer(status), &bad);
	put(o, "code", json_integer(e->exit_code), &bad);
	put(o, "signal", json_integer(e->signal), &bad);
	put(o, "timed_out", json_boolean(e->timed_out), &bad);
	put(o, "core_dumped", json_boolean(e->core_dumped), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
usage(const Runseal__V1__Usage *u)
{
	json_t *o;
	int bad = 0;

	if (u == NULL)
		return json_null();
	o = json_object();
	put(o, "user_us", u64(u->user_us), &bad);
	put(o, "system_us", u64(u->system_us), &bad);
	put(o, "max_rss_kib", u64(u->max_rss_kib), &bad);
	put(o, "minor_faults", u64(u->minor_faults), &bad);
	put(o, "major_faults", u64(u->major_faults), &bad);
	put(o, "in_blocks", u64(u->in_blocks), &bad);
	put(o, "out_blocks", u64(u->out_blocks), &bad);
	put(o, "voluntary_switches", u64(u->voluntary_switches), &bad);
	put(o, "involuntary_switches", u64(u->involuntary_switches), &bad);
	put(o, "peak_memory_bytes", u64(u->peak_memory_bytes), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
signer(const proto_envelope *env)
{
	json_t *o = json_object(), *t;
	int bad = 0;

	switch (env->signer) {
	case RUNSEAL__V1__SIGNER_KIND__SIGNER_SOFTWARE:
		put(o, "kind", json_string("software"), &bad);
		put(o, "root_of_trust", json_string("software key (no hardware root of trust)"),
		    &bad);
		break;
	case RUNSEAL__V1__SIGNER_KIND__SIGNER_TPM:
		put(o, "kind", json_string("tpm"), &bad);
		put(o, "root_of_trust", json_string("TPM 2.0 quote by an attestation key"), &bad);
		if (env->tpm != NULL) {
			t = json_object();
			put(t, "ak_name", hexb(&env->tpm->ak_name), &bad);
			put(t, "app_pcr", json_integer(env->tpm->app_pcr), &bad);
			put(o, "tpm", t, &bad);
		}
		break;
	default:
		bad = 1;
		break;
	}
	put(o, "key_id", hexb(&env->key_id), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
ledger_ref(const struct intoto_ledger *lg)
{
	json_t *o = json_object(), *proof = json_array();
	char *b64 = NULL;
	size_t i;
	int bad = 0;

	for (i = 0; i < lg->n_proof; i++)
		push(proof, hex(lg->proof + i * RS_SHA256_LEN, RS_SHA256_LEN), &bad);
	if (rs_base64_encode(lg->entry, lg->entry_len, &b64) != 0)
		bad = 1;
	put(o, "origin", json_string(lg->origin), &bad);
	put(o, "index", u64(lg->index), &bad);
	put(o, "tree_size", u64(lg->tree_size), &bad);
	put(o, "chain_hash", hex(lg->chain_hash, RS_SHA256_LEN), &bad);
	put(o, "inclusion_proof", proof, &bad);
	put(o, "checkpoint", json_stringn((const char *)lg->checkpoint, lg->checkpoint_len),
	    &bad);
	put(o, "entry", b64 != NULL ? json_string(b64) : NULL, &bad);
	free(b64);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
predicate(const struct intoto_ledger *lg, const proto_envelope *env, const proto_record *rec,
    const uint8_t digest[RS_SHA256_LEN])
{
	json_t *o = json_object(), *argv = json_array(), *mat = json_array(), *events = json_array();
	json_t *times = json_object(), *ev;
	size_t i;
	int bad = 0;

	for (i = 0; i < rec->n_argv; i++)
		push(argv, json_string(rec->argv[i]), &bad);
	for (i = 0; i < rec->n_inputs; i++)
		push(mat, artifact(rec->inputs[i]), &bad);
	for (i = 0; i < rec->n_events; i++) {
		ev = json_object();
		put(ev, "kind", json_string(rec->events[i]->kind), &bad);
		put(ev, "detail", json_string(rec->events[i]->detail), &bad);
		put(ev, "count", u64(rec->events[i]->count), &bad);
		push(events, ev, &bad);
	}
	put(times, "start", rfc3339(rec->start_unix_ns), &bad);
	put(times, "end", rfc3339(rec->end_unix_ns), &bad);
	put(o, "command", argv, &bad);
	put(o, "cwd", json_string(rec->cwd), &bad);
	put(o, "materials", mat, &bad);
	put(o, "environment", environment(rec), &bad);
	put(o, "policy", policy(rec->policy), &bad);
	put(o, "exit", exit_status(rec->exit), &bad);
	put(o, "events", events, &bad);
	put(o, "stdout", stream(rec->stdout), &bad);
	put(o, "stderr", stream(rec->stderr), &bad);
	put(o, "usage", usage(rec->usage), &bad);
	put(o, "times", times, &bad);
	put(o, "traceparent", json_string(rec->traceparent), &bad);
	put(o, "nonce", hexb(&rec->nonce), &bad);
	put(o, "record_digest", hex(digest, RS_SHA256_LEN), &bad);
	put(o, "signer", signer(env), &bad);
	put(o, "ledger", ledger_ref(lg), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
intoto_statement(const struct intoto_ledger *lg, uint8_t **payload, size_t *len)
{
	proto_entry *entry = NULL;
	proto_envelope *env = NULL;
	proto_record *rec = NULL;
	json_t *st = NULL, *subjects = NULL, *pred = NULL;
	uint8_t digest[RS_SHA256_LEN];
	char *text = NULL;
	size_t i, n;
	int bad = 0, r = RS_ERR_INTERNAL;

	*payload = NULL;
	*len = 0;
	if ((r = proto_entry_unpack(lg->entry, lg->entry_len, &entry)) != 0 ||
	    (r = proto_envelope_unpack(entry->envelope.data, entry->envelope.len, &env)) != 0 ||
	    (r = proto_record_unpack(env->record.data, env->record.len, &rec)) != 0) {
		r = rs_fail(r, "entry %" PRIu64 ": %s", lg->index, rs_err_detail());
		goto out;
	}
	if (entry->index != lg->index) {
		r = rs_fail(RS_ERR_FORMAT, "entry %" PRIu64 " says it is entry %" PRIu64,
		    lg->index, entry->index);
		goto out;
	}
	if ((r = attest_record_digest(env->record.data, env->record.len, digest)) != 0)
		goto out;
	if ((subjects = json_array()) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < rec->n_outputs; i++) {
		json_t *s = json_object();

		put(s, "name", json_string(rec->outputs[i]->name), &bad);
		put(s, "digest", digest_set(&rec->outputs[i]->sha256), &bad);
		push(subjects, s, &bad);
	}
	stream_subject(subjects, SUBJECT_STDOUT, rec->stdout, &bad);
	stream_subject(subjects, SUBJECT_STDERR, rec->stderr, &bad);
	if (!bad && json_array_size(subjects) == 0) {
		r = rs_fail(RS_ERR_USAGE, "entry %" PRIu64 " has nothing to be the statement's "
		    "subject (no output file; stdout and stderr empty or truncated): export "
		    "its bundle instead", lg->index);
		goto out;
	}
	pred = predicate(lg, env, rec, digest);
	if (bad || pred == NULL || (st = json_object()) == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "entry %" PRIu64 ": the record has a string that is "
		    "not UTF-8, a value out of range or an unknown signer kind (or memory ran "
		    "out)", lg->index);
		goto out;
	}
	put(st, "_type", json_string(INTOTO_STATEMENT_TYPE), &bad);
	put(st, "subject", subjects, &bad);
	subjects = NULL;
	put(st, "predicateType", json_string(INTOTO_PREDICATE_TYPE), &bad);
	put(st, "predicate", pred, &bad);
	pred = NULL;
	if (bad || (text = json_dumps(st, JSON_FLAGS)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	n = strlen(text);
	*payload = (uint8_t *)text;
	*len = n;
	text = NULL;
	r = 0;
out:
	free(text);
	json_decref(st);
	json_decref(pred);
	json_decref(subjects);
	proto_record_free(rec);
	proto_envelope_free(env);
	proto_entry_free(entry);
	return r;
}

/* --- DSSE keys, signing and verification ---------------------------------- */

struct intoto_key {
	EVP_PKEY *key;
	int ed25519;                            /* else ECDSA P-256 */
	char id[2 * RS_SHA256_LEN + 1];
};

int
intoto_key_from_pem(const uint8_t *pem, size_t len, struct intoto_key **out)
{
	struct intoto_key *k = NULL;
	uint8_t id[RS_SHA256_LEN];
	BIO *bio = NULL;
	int r = RS_ERR_INTERNAL;

	*out = NULL;
	if (len > KEY_FILE_MAX) {
		r = rs_fail(RS_ERR_TOO_LARGE, "a key file of %zu bytes", len);
		goto out;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((k->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "not a PEM private key");
		goto out;
	}
	if (EVP_PKEY_is_a(k->key, "ED25519"))
		k->ed25519 = 1;
	else if (softsig_check_p256(k->key) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "not an ECDSA P-256 or Ed25519 key");
		goto out;
	}
	if ((r = softsig_key_id(k->key, id)) != 0)
		goto out;
	rs_hex_encode(id, RS_SHA256_LEN, k->id);
	*out = k;
	k = NULL;
	r = 0;
out:
	BIO_free(bio);
	intoto_key_free(k);
	return r;
}

int
intoto_key_open(const char *path, struct intoto_key **out)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = rs_read_file(path, KEY_FILE_MAX, &pem, &len)) != 0)
		return r;
	if ((r = intoto_key_from_pem(pem, len, out)) != 0)
		r = rs_fail(r, "%s: %s", path, rs_err_detail());
	OPENSSL_cleanse(pem, len);
	free(pem);
	return r;
}

void
intoto_key_free(struct intoto_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->key);  /* OpenSSL clears private key material on free */
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

const char *
intoto_key_id(const struct intoto_key *k)
{
	return k->id;
}

const char *
intoto_key_alg(const struct intoto_key *k)
{
	return k->ed25519 ? "ed25519" : "ecdsa-p256-sha256";
}

int
intoto_key_public_pem(const struct intoto_key *k, char **pem)
{
	BIO *bio = NULL;
	char *data = NULL;
	long n;
	int r = RS_ERR_INTERNAL;

	*pem = NULL;
	if ((bio = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_PUBKEY(bio, k->key) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0) {
		r = rs_fail(RS_ERR_CRYPTO, "encoding the public key failed");
		goto out;
	}
	if ((*pem = strndup(data, (size_t)n)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	r = 0;
out:
	BIO_free(bio);
	return r;
}

/* ECDSA-SHA256 (DER) or Ed25519 over msg; md is NULL for Ed25519. */
static int
sign_msg(const struct intoto_key *k, const uint8_t *msg, size_t len, uint8_t **sig,
    size_t *siglen)
{
	EVP_MD_CTX *md = NULL;
	uint8_t *buf = NULL;
	size_t n = 0;
	int r = RS_ERR_CRYPTO;

	*sig = NULL;
	*siglen = 0;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, k->ed25519 ? NULL : EVP_sha256(), NULL, k->key) != 1 ||
	    EVP_DigestSign(md, NULL, &n, msg, len) != 1 ||
	    (buf = malloc(n)) == NULL ||
	    EVP_DigestSign(md, buf, &n, msg, len) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "%s signing failed", intoto_key_alg(k));
		goto out;
	}
	*sig = buf;
	*siglen = n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	EVP_MD_CTX_free(md);
	return r;
}

int
intoto_dsse_sign(const struct intoto_key *k, const char *payload_type,
    const uint8_t *payload, size_t len, char **envelope, size_t *envelope_len)
{
	json_t *env = NULL, *sigs = NULL, *s = NULL;
	uint8_t *pae = NULL, *sig = NULL;
	char *b64p = NULL, *b64s = NULL, *text = NULL, *line = NULL;
	size_t pae_len = 0, siglen = 0, n;
	int bad = 0, r = RS_ERR_INTERNAL;

	*envelope = NULL;
	*envelope_len = 0;
	/* Keeps PAE messages apart from C2SP note text, which ends in a newline. */
	if (len == 0 || payload[len - 1] == '\n') {
		r = rs_fail(RS_ERR_USAGE, "a DSSE payload signed here must not be empty or end "
		    "in a newline");
		goto out;
	}
	if ((r = intoto_pae(payload_type, payload, len, &pae, &pae_len)) != 0 ||
	    (r = sign_msg(k, pae, pae_len, &sig, &siglen)) != 0 ||
	    (r = rs_base64_encode(payload, len, &b64p)) != 0 ||
	    (r = rs_base64_encode(sig, siglen, &b64s)) != 0)
		goto out;
	env = json_object();
	sigs = json_array();
	s = json_object();
	put(s, "keyid", json_string(k->id), &bad);
	put(s, "sig", json_string(b64s), &bad);
	push(sigs, s, &bad);
	s = NULL;
	put(env, "payload", json_string(b64p), &bad);
	put(env, "payloadType", json_string(payload_type), &bad);
	put(env, "signatures", sigs, &bad);
	sigs = NULL;
	if (bad || (text = json_dumps(env, JSON_FLAGS)) == NULL) {
		r = rs_fail(RS_ERR_USAGE, "building the envelope failed (is the payload type "
		    "UTF-8?)");
		goto out;
	}
	n = strlen(text);
	if ((line = malloc(n + 2)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	memcpy(line, text, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	*envelope = line;
	*envelope_len = n + 1;
	line = NULL;
	r = 0;
out:
	free(line);
	free(text);
	json_decref(env);
	free(b64s);
	free(b64p);
	free(sig);
	free(pae);
	return r;
}

/* 0 if sig verifies over msg under key (ECDSA P-256 SHA-256 or Ed25519). */
static int
verify_msg(EVP_PKEY *key, int ed25519, const uint8_t *msg, size_t len, const uint8_t *sig,
    size_t siglen)
{
	EVP_MD_CTX *md = NULL;
	int ok;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return RS_ERR_ALLOC;
	ok = EVP_DigestVerifyInit(md, NULL, ed25519 ? NULL : EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(md, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : RS_ERR_VERIFY;
}

/* The string member name of o, or NULL. */
static const char *
member_str(json_t *o, const char *name, size_t *len)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

int
intoto_dsse_verify(const char *envelope, size_t len, const char *public_pem,
    char **payload_type, uint8_t **payload, size_t *payload_len)
{
	json_t *env = NULL, *sigs;
	json_error_t jerr;
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	const char *type, *b64, *sb64;
	uint8_t *body = NULL, *pae = NULL, *sig = NULL, *text = NULL;
	char *type_copy = NULL;
	size_t tlen = 0, blen = 0, body_len = 0, pae_len = 0, siglen = 0, slen = 0, i;
	int ed25519 = 0, verified = 0, r = RS_ERR_INTERNAL;

	*payload_type = NULL;
	*payload = NULL;
	*payload_len = 0;
	if (len > INTOTO_MAX_ENVELOPE) {
		r = rs_fail(RS_ERR_TOO_LARGE, "a DSSE envelope of %zu bytes (at most %u)", len,
		    INTOTO_MAX_ENVELOPE);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(public_pem, -1)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL) {
		r = rs_fail(RS_ERR_FORMAT, "not a PEM public key");
		goto out;
	}
	if (EVP_PKEY_is_a(key, "ED25519"))
		ed25519 = 1;
	else if (softsig_check_p256(key) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "the public key is not ECDSA P-256 or Ed25519");
		goto out;
	}
	if ((env = json_loadb(envelope, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(env)) {
		r = rs_fail(RS_ERR_FORMAT, "the DSSE envelope is not a JSON object");
		goto out;
	}
	sigs = json_object_get(env, "signatures");
	if (json_object_size(env) != 3 ||
	    (type = member_str(env, "payloadType", &tlen)) == NULL ||
	    (b64 = member_str(env, "payload", &blen)) == NULL ||
	    !json_is_array(sigs) || json_array_size(sigs) == 0 ||
	    strlen(type) != tlen) {
		r = rs_fail(RS_ERR_FORMAT, "the DSSE envelope must have exactly payload, "
		    "payloadType and a non-empty signatures array");
		goto out;
	}
	if (rs_base64_decode(b64, blen, &body, &body_len) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "the DSSE payload is not standard padded base64");
		goto out;
	}
	if ((r = intoto_pae(type, body, body_len, &pae, &pae_len)) != 0)
		goto out;
	for (i = 0; i < json_array_size(sigs) && !verified; i++) {
		json_t *s = json_array_get(sigs, i);

		if (!json_is_object(s) || (sb64 = member_str(s, "sig", &slen)) == NULL ||
		    rs_base64_decode(sb64, slen, &sig, &siglen) != 0) {
			r = rs_fail(RS_ERR_FORMAT, "DSSE signature %zu has no base64 \"sig\"", i);
			goto out;
		}
		if (verify_msg(key, ed25519, pae, pae_len, sig, siglen) == 0)
			verified = 1;
		free(sig);
		sig = NULL;
	}
	if (!verified) {
		r = rs_fail(RS_ERR_VERIFY, "no signature of the DSSE envelope verifies under the "
		    "key");
		goto out;
	}
	if ((type_copy = strdup(type)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((text = malloc(body_len + 1)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if (body_len > 0)
		memcpy(text, body, body_len);
	text[body_len] = 0;
	*payload_type = type_copy;
	*payload = text;
	*payload_len = body_len;
	type_copy = NULL;
	text = NULL;
	r = 0;
out:
	free(text);
	free(type_copy);
	free(sig);
	free(pae);
	free(body);
	json_decref(env);
	EVP_PKEY_free(key);
	BIO_free(bio);
	return r;
}
