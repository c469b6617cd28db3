/*
 * Unit tests for attest/intoto: the DSSE PAE (the specification's own
 * example), the in-toto Statement built from an Entry, and DSSE signing and
 * verification with ECDSA P-256 and Ed25519 keys, including tampering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "attest/intoto.h"
#include "attest/record.h"
#include "attest/run.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/hash.h"
#include "proto/codec.h"

/* --- PAE ------------------------------------------------------------------- */

static void
expect_pae(const char *type, const void *body, size_t len, const void *want, size_t want_len)
{
	uint8_t *out = NULL;
	size_t n = 0;

	assert_int_equal(intoto_pae(type, body, len, &out, &n), 0);
	assert_int_equal(n, want_len);
	assert_memory_equal(out, want, want_len);
	free(out);
}

static void
test_pae(void **state)
{
	static const char bin[] = { 'a', 0, '\n', ' ', (char)0xff };
	static const char bin_want[] = "DSSEv1 1 t 5 a\0\n \xff";

	(void)state;
	/* The DSSE protocol document's example. */
	expect_pae("http://example.com/HelloWorld", "hello world", 11,
	    "DSSEv1 29 http://example.com/HelloWorld 11 hello world", 54);
	/* Empty type and body: the lengths are "0", the separators stay. */
	expect_pae("", "", 0, "DSSEv1 0  0 ", 12);
	/* Any body bytes, verbatim; lengths in decimal without leading zeros. */
	expect_pae("t", bin, sizeof(bin), bin_want, sizeof(bin_want) - 1);
	expect_pae(INTOTO_PAYLOAD_TYPE, "{}", 2,
	    "DSSEv1 28 application/vnd.in-toto+json 2 {}", 43);
}

/* --- the Statement ---------------------------------------------------------- */

static const uint8_t CHAIN[32] = { 0xc1, 0xc2, 0xc3 };
static const uint8_t PROOF[2][32] = { { 0xa0 }, { 0xb0, 0xb1 } };
static const char CHECKPOINT[] = "runseal/0011223344556677\n3\nAAAA\n\n\xe2\x80\x94 x y\n";

struct sample {
	uint8_t *record, *entry;
	size_t record_len, entry_len;
	uint8_t digest[RS_SHA256_LEN];
};

static struct attest_run *
sample_run(void)
{
	static char a0[] = "sh", a1[] = "-c", a2[] = "cp /work/in/a /work/out/b";
	static char *const argv[] = { a0, a1, a2 };
	struct attest_run *run = attest_run_new();
	uint8_t d[32];

	assert_non_null(run);
	memset(d, 0xab, sizeof(d));
	assert_int_equal(attest_run_set_argv(run, argv, 3), 0);
	run->cwd = strdup("/work");
	run->policy_name = strdup("strict");
	run->policy_json = strdup("{\"network\":\"none\"}");
	memset(run->policy_sha256, 0x11, 32);
	run->network = strdup("none");
	assert_int_equal(attest_run_add_limit(run, "wall_time_ms", 60000, "timer", 1, 0), 0);
	assert_int_equal(attest_run_add_isolation(run, "userns"), 0);
	assert_int_equal(attest_run_add_env(run, "PATH", "/usr/bin:/bin", 1), 0);
	assert_int_equal(attest_run_add_env(run, "TOKEN", "s3cret", 0), 0);
	assert_int_equal(attest_run_add_input(run, "a", 3, d, 0644), 0);
	memset(d, 0xcd, sizeof(d));
	assert_int_equal(attest_run_add_output(run, "b", 3, d, 0600), 0);
	memset(d, 0xef, sizeof(d));
	assert_int_equal(attest_run_add_output(run, "dir/c", 5, d, 0644), 0);
	assert_int_equal(attest_run_add_event(run, "seccomp", "syscall ptrace"), 0);
	memset(run->executor_sha256, 0x22, 32);
	run->kernel_release = strdup("6.1.0");
	run->machine = strdup("x86_64");
	run->rootfs = strdup("host");
	run->hostname = strdup("builder");
	run->out.size = 6;
	memset(run->out.sha256, 0x33, 32);
	run->err.size = 0;
	run->signal = 9;
	run->start_unix_ns = 1700000000123456789LL;
	run->end_unix_ns = 1700000001000000000LL;
	memset(run->nonce, 7, sizeof(run->nonce));
	return run;
}

/* An Entry (index) around an Envelope around the run's Record. */
static void
sample_entry(struct attest_run *run, uint64_t index, struct sample *s)
{
	Runseal__V1__Envelope env = RUNSEAL__V1__ENVELOPE__INIT;
	Runseal__V1__Entry e = RUNSEAL__V1__ENTRY__INIT;
	uint8_t key_id[32], sig[8] = { 0x30, 6 }, prev[32] = { 0 }, *envb = NULL;
	size_t envb_len = 0;

	memset(s, 0, sizeof(*s));
	memset(key_id, 0x44, sizeof(key_id));
	assert_int_equal(attest_record_pack(run, &s->record, &s->record_len), 0);
	assert_int_equal(attest_record_digest(s->record, s->record_len, s->digest), 0);
	env.version = 1;
	env.record.data = s->record;
	env.record.len = s->record_len;
	env.signer = RUNSEAL__V1__SIGNER_KIND__SIGNER_SOFTWARE;
	env.key_id.data = key_id;
	env.key_id.len = 32;
	env.signature.data = sig;
	env.signature.len = sizeof(sig);
	assert_int_equal(proto_pack(&env.base, PROTO_MAX_ENVELOPE, &envb, &envb_len), 0);
	e.index = index;
	e.prev_chain_hash.data = prev;
	e.prev_chain_hash.len = 32;
	e.envelope.data = envb;
	e.envelope.len = envb_len;
	e.appended_unix_ns = 1700000002000000000LL;
	assert_int_equal(proto_pack(&e.base, PROTO_MAX_ENTRY, &s->entry, &s->entry_len), 0);
	free(envb);
}

static void
sample_free(struct sample *s)
{
	free(s->record);
	free(s->entry);
}

static struct intoto_ledger
sample_ledger(const struct sample *s, uint64_t index)
{
	struct intoto_ledger lg;

	memset(&lg, 0, sizeof(lg));
	lg.origin = "runseal/0011223344556677";
	lg.index = index;
	lg.entry = s->entry;
	lg.entry_len = s->entry_len;
	lg.chain_hash = CHAIN;
	lg.tree_size = 3;
	lg.proof = &PROOF[0][0];
	lg.n_proof = 2;
	lg.checkpoint = (const uint8_t *)CHECKPOINT;
	lg.checkpoint_len = strlen(CHECKPOINT);
	return lg;
}

static const char *
str_at(json_t *root, const char *path)
{
	json_t *v = json_object_get(root, path);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static char *
hexdup(const uint8_t *b, size_t n)
{
	char *h = rs_hex_string(b, n);

	assert_non_null(h);
	return h;
}

static void
test_statement_fields(void **state)
{
	struct attest_run *run = sample_run();
	struct sample s;
	struct intoto_ledger lg;
	uint8_t *payload = NULL, *payload2 = NULL, *entry_back = NULL;
	size_t len = 0, len2 = 0, eb_len = 0;
	json_t *st, *subj, *pred, *o, *led;
	json_error_t jerr;
	char *canon, *h;

	(void)state;
	sample_entry(run, 2, &s);
	lg = sample_ledger(&s, 2);
	assert_int_equal(intoto_statement(&lg, &payload, &len), 0);
	/* Deterministic, and already in canonical form (compact, sorted keys). */
	assert_int_equal(intoto_statement(&lg, &payload2, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(payload, payload2, len);
	st = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(st);
	canon = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
	assert_int_equal(strlen(canon), len);
	assert_memory_equal(canon, payload, len);
	free(canon);
	assert_int_not_equal(payload[len - 1], '\n');

	assert_int_equal(json_object_size(st), 4);
	assert_string_equal(str_at(st, "_type"), "https://in-toto.io/Statement/v1");
	assert_string_equal(str_at(st, "predicateType"), "https://runseal.dev/attestation/run/v1");
	/* Subjects: the outputs in record order, then the non-empty stdout. */
	subj = json_object_get(st, "subject");
	assert_int_equal(json_array_size(subj), 3);
	assert_string_equal(str_at(json_array_get(subj, 0), "name"), "b");
	assert_string_equal(str_at(json_object_get(json_array_get(subj, 0), "digest"), "sha256"),
	    "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd");
	assert_string_equal(str_at(json_array_get(subj, 1), "name"), "dir/c");
	assert_string_equal(str_at(json_array_get(subj, 2), "name"), "/dev/stdout");
	assert_string_equal(str_at(json_object_get(json_array_get(subj, 2), "digest"), "sha256"),
	    "3333333333333333333333333333333333333333333333333333333333333333");

	pred = json_object_get(st, "predicate");
	assert_int_equal(json_array_size(json_object_get(pred, "command")), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(pred, "command"), 2)),
	    "cp /work/in/a /work/out/b");
	assert_string_equal(str_at(pred, "cwd"), "/work");
	o = json_array_get(json_object_get(pred, "materials"), 0);
	assert_string_equal(str_at(o, "name"), "a");
	assert_string_equal(str_at(json_object_get(o, "digest"), "sha256"),
	    "abababababababababababababababababababababababababababababababab");
	assert_int_equal(json_integer_value(json_object_get(o, "size")), 3);
	/* The exit status is the one runseal run exits with: 128 + signal. */
	o = json_object_get(pred, "exit");
	assert_int_equal(json_integer_value(json_object_get(o, "status")), 137);
	assert_int_equal(json_integer_value(json_object_get(o, "signal")), 9);
	assert_true(json_is_false(json_object_get(o, "timed_out")));
	o = json_object_get(pred, "policy");
	assert_string_equal(str_at(o, "name"), "strict");
	assert_string_equal(str_at(o, "network"), "none");
	assert_string_equal(str_at(o, "canonical_json"), "{\"network\":\"none\"}");
	o = json_object_get(pred, "environment");
	assert_string_equal(str_at(json_object_get(o, "kernel"), "release"), "6.1.0");
	/* A secret variable is carried by digest only. */
	o = json_array_get(json_object_get(o, "variables"), 1);
	assert_string_equal(str_at(o, "name"), "TOKEN");
	assert_null(json_object_get(o, "value"));
	o = json_object_get(pred, "times");
	assert_string_equal(str_at(o, "start"), "2023-11-14T22:13:20.123456789Z");
	assert_string_equal(str_at(o, "end"), "2023-11-14T22:13:21.000000000Z");
	h = hexdup(s.digest, 32);
	assert_string_equal(str_at(pred, "record_digest"), h);
	free(h);
	o = json_object_get(pred, "signer");
	assert_string_equal(str_at(o, "kind"), "software");
	assert_string_equal(str_at(o, "key_id"),
	    "4444444444444444444444444444444444444444444444444444444444444444");
	led = json_object_get(pred, "ledger");
	assert_string_equal(str_at(led, "origin"), "runseal/0011223344556677");
	assert_int_equal(json_integer_value(json_object_get(led, "index")), 2);
	assert_int_equal(json_integer_value(json_object_get(led, "tree_size")), 3);
	assert_string_equal(str_at(led, "checkpoint"), CHECKPOINT);
	assert_int_equal(json_array_size(json_object_get(led, "inclusion_proof")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(led,
	    "inclusion_proof"), 1)), "b0b1000000000000000000000000000000000000000000000000000000000000");
	/* The Entry bytes verbatim. */
	assert_int_equal(rs_base64_decode(str_at(led, "entry"), strlen(str_at(led, "entry")),
	    &entry_back, &eb_len), 0);
	assert_int_equal(eb_len, s.entry_len);
	assert_memory_equal(entry_back, s.entry, eb_len);

	free(entry_back);
	json_decref(st);
	free(payload);
	free(payload2);
	sample_free(&s);
	attest_run_free(run);
}

static void
test_statement_refusals(void **state)
{
	struct attest_run *run = sample_run();
	struct sample s;
	struct intoto_ledger lg;
	uint8_t *payload = NULL, *bad;
	size_t len = 0;

	(void)state;
	sample_entry(run, 2, &s);
	/* The entry must be the one the ledger says. */
	lg = sample_ledger(&s, 5);
	assert_int_equal(intoto_statement(&lg, &payload, &len), RS_ERR_FORMAT);
	assert_null(payload);
	/* A damaged entry does not parse (the last byte cut, one appended). */
	lg = sample_ledger(&s, 2);
	lg.entry_len = s.entry_len - 1;
	assert_int_equal(intoto_statement(&lg, &payload, &len), RS_ERR_FORMAT);
	bad = malloc(s.entry_len + 1);
	assert_non_null(bad);
	memcpy(bad, s.entry, s.entry_len);
	bad[s.entry_len] = 0;
	lg.entry = bad;
	lg.entry_len = s.entry_len + 1;
	assert_int_equal(intoto_statement(&lg, &payload, &len), RS_ERR_FORMAT);
	free(bad);
	sample_free(&s);

	/* A string that is not UTF-8 is refused, not mangled. */
	free(run->argv[2]);
	run->argv[2] = strdup("caf\xe9");
	sample_entry(run, 2, &s);
	lg = sample_ledger(&s, 2);
	assert_int_equal(intoto_statement(&lg, &payload, &len), RS_ERR_FORMAT);
	sample_free(&s);

	/* No output and an empty or truncated stdout: no subject, refused. */
	free(run->argv[2]);
	run->argv[2] = strdup("true");
	run->n_outputs = 0;
	run->out.truncated = 1;
	sample_entry(run, 2, &s);
	lg = sample_ledger(&s, 2);
	assert_int_equal(intoto_statement(&lg, &payload, &len), RS_ERR_USAGE);
	sample_free(&s);
	/* ... but a non-empty stderr is one. */
	run->err.size = 1;
	sample_entry(run, 2, &s);
	lg = sample_ledger(&s, 2);
	assert_int_equal(intoto_statement(&lg, &payload, &len), 0);
	assert_non_null(strstr((const char *)payload, "\"subject\":[{\"digest\""));
	assert_non_null(strstr((const char *)payload, "\"name\":\"/dev/stderr\""));
	assert_null(strstr((const char *)payload, "\"name\":\"/dev/stdout\""));
	free(payload);
	sample_free(&s);
	run->n_outputs = 2;     /* attest_run_free frees what was added */
	attest_run_free(run);
}

/* --- DSSE ------------------------------------------------------------------- */

/*
 * A fresh key of type as PEM. RSA keys are only ever refused here (not an
 * accepted DSSE key type), so 1024 bits do: 2048 took 15-25 s under memcheck.
 */
static char *
new_key_pem(const char *type, const char *param, char **pub_pem)
{
	EVP_PKEY *k = strcmp(type, "RSA") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, type, (size_t)1024) :
	    param != NULL ? EVP_PKEY_Q_keygen(NULL, NULL, type, param) :
	    EVP_PKEY_Q_keygen(NULL, NULL, type);
	BIO *b = BIO_new(BIO_s_mem()), *p = BIO_new(BIO_s_mem());
	char *data = NULL, *out, *pub;
	long n;

	assert_non_null(k);
	assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(b, &data);
	out = strndup(data, (size_t)n);
	assert_int_equal(PEM_write_bio_PUBKEY(p, k), 1);
	n = BIO_get_mem_data(p, &data);
	pub = strndup(data, (size_t)n);
	if (pub_pem != NULL)
		*pub_pem = pub;
	else
		free(pub);
	BIO_free(b);
	BIO_free(p);
	EVP_PKEY_free(k);
	return out;
}

static void
expect_verify(const char *env, const char *pub, int want)
{
	char *type = NULL;
	uint8_t *payload = NULL;
	size_t len = 0;

	assert_int_equal(intoto_dsse_verify(env, strlen(env), pub, &type, &payload, &len), want);
	free(type);
	free(payload);
}

/* env with its payload (or signature) decoded, byte i flipped, encoded again. */
static char *
flipped(const char *env, const char *member, size_t i)
{
	json_error_t jerr;
	json_t *j = json_loads(env, 0, &jerr), *holder;
	uint8_t *raw = NULL;
	size_t n = 0;
	char *b64 = NULL, *out;

	assert_non_null(j);
	holder = strcmp(member, "sig") == 0 ? json_array_get(json_object_get(j, "signatures"), 0) :
	    j;
	assert_int_equal(rs_base64_decode(json_string_value(json_object_get(holder, member)),
	    json_string_length(json_object_get(holder, member)), &raw, &n), 0);
	assert_true(i < n);
	raw[i] ^= 0x01;
	assert_int_equal(rs_base64_encode(raw, n, &b64), 0);
	json_object_set_new(holder, member, json_string(b64));
	out = json_dumps(j, JSON_COMPACT);
	free(b64);
	free(raw);
	json_decref(j);
	return out;
}

static void
sign_verify(const char *type, const char *param, const char *alg)
{
	static const char payload[] = "{\"_type\":\"x\",\"n\":1}";
	struct intoto_key *k = NULL;
	char *priv, *pub = NULL, *other_pub = NULL, *other, *env = NULL, *got_type = NULL;
	char *pem = NULL, *f, *want_id;
	uint8_t *got = NULL, *der = NULL, *sig = NULL, id[32];
	const char *sig64;
	size_t env_len = 0, got_len = 0, i, siglen = 0;
	json_error_t jerr;
	json_t *j;
	EVP_PKEY *pk;
	BIO *b;
	int n;

	priv = new_key_pem(type, param, &pub);
	other = new_key_pem(type, param, &other_pub);
	assert_int_equal(intoto_key_from_pem((const uint8_t *)priv, strlen(priv), &k), 0);
	assert_string_equal(intoto_key_alg(k), alg);
	/* KEYID = hex SHA-256 of the SubjectPublicKeyInfo DER. */
	b = BIO_new_mem_buf(pub, -1);
	pk = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	assert_non_null(pk);
	n = i2d_PUBKEY(pk, &der);
	assert_true(n > 0);
	assert_int_equal(rs_sha256(der, (size_t)n, id), 0);
	want_id = hexdup(id, 32);
	assert_string_equal(intoto_key_id(k), want_id);
	assert_int_equal(intoto_key_public_pem(k, &pem), 0);
	assert_string_equal(pem, pub);

	assert_int_equal(intoto_dsse_sign(k, INTOTO_PAYLOAD_TYPE, (const uint8_t *)payload,
	    strlen(payload), &env, &env_len), 0);
	assert_int_equal(strlen(env), env_len);
	assert_int_equal(env[env_len - 1], '\n');
	assert_null(memchr(env, '\n', env_len - 1));
	j = json_loads(env, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(str_at(j, "payloadType"), INTOTO_PAYLOAD_TYPE);
	assert_string_equal(str_at(json_array_get(json_object_get(j, "signatures"), 0), "keyid"),
	    want_id);
	json_decref(j);

	assert_int_equal(intoto_dsse_verify(env, env_len, pub, &got_type, &got, &got_len), 0);
	assert_string_equal(got_type, INTOTO_PAYLOAD_TYPE);
	assert_int_equal(got_len, strlen(payload));
	assert_string_equal((const char *)got, payload);
	/* Another key of the same type: not verified. */
	expect_verify(env, other_pub, RS_ERR_VERIFY);
	/* Every byte of the payload, and of the signature, flipped: not verified. */
	for (i = 0; i < strlen(payload); i++) {
		f = flipped(env, "payload", i);
		expect_verify(f, pub, RS_ERR_VERIFY);
		free(f);
	}
	j = json_loads(env, 0, &jerr);
	sig64 = str_at(json_array_get(json_object_get(j, "signatures"), 0), "sig");
	assert_int_equal(rs_base64_decode(sig64, strlen(sig64), &sig, &siglen), 0);
	assert_true(siglen >= 64);
	free(sig);
	json_decref(j);
	for (i = 0; i < siglen; i++) {
		f = flipped(env, "sig", i);
		expect_verify(f, pub, RS_ERR_VERIFY);
		free(f);
	}
	/* The payload type is signed too (PAE). */
	f = strdup(env);
	memcpy(strstr(f, "vnd.in-toto"), "vnd.in-totO", 11);
	expect_verify(f, pub, RS_ERR_VERIFY);
	free(f);
	/* Payloads ending in a newline are refused (domain separation). */
	free(env);
	env = NULL;
	assert_int_equal(intoto_dsse_sign(k, INTOTO_PAYLOAD_TYPE, (const uint8_t *)"{}\n", 3,
	    &env, &env_len), RS_ERR_USAGE);
	assert_null(env);

	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	BIO_free(b);
	free(want_id);
	free(got);
	free(got_type);
	free(pem);
	free(pub);
	free(other_pub);
	free(other);
	free(priv);
	intoto_key_free(k);
}

static void
test_dsse_ecdsa(void **state)
{
	(void)state;
	sign_verify("EC", "P-256", "ecdsa-p256-sha256");
}

static void
test_dsse_ed25519(void **state)
{
	(void)state;
	sign_verify("ED25519", NULL, "ed25519");
}

static void
test_dsse_malformed(void **state)
{
	static const char payload[] = "{\"a\":1}";
	struct intoto_key *k = NULL;
	char *priv, *pub = NULL, *env = NULL, *f, *rsa_pub = NULL, *rsa, *p384;
	json_error_t jerr;
	json_t *j;
	size_t len = 0;

	(void)state;
	priv = new_key_pem("ED25519", NULL, &pub);
	assert_int_equal(intoto_key_from_pem((const uint8_t *)priv, strlen(priv), &k), 0);
	assert_int_equal(intoto_dsse_sign(k, INTOTO_PAYLOAD_TYPE, (const uint8_t *)payload,
	    strlen(payload), &env, &len), 0);
	expect_verify(env, pub, 0);
	/* Not JSON, not an object, a member missing or added, bad base64. */
	expect_verify("{", pub, RS_ERR_FORMAT);
	expect_verify("[]", pub, RS_ERR_FORMAT);
	expect_verify("{\"payload\":\"e30=\",\"payloadType\":\"t\"}", pub, RS_ERR_FORMAT);
	expect_verify("{\"payload\":\"e30=\",\"payloadType\":\"t\",\"signatures\":[]}", pub,
	    RS_ERR_FORMAT);
	j = json_loads(env, 0, &jerr);
	json_object_set_new(j, "extra", json_true());
	f = json_dumps(j, JSON_COMPACT);
	expect_verify(f, pub, RS_ERR_FORMAT);
	free(f);
	json_decref(j);
	expect_verify("{\"payload\":\"e30\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}",
	    pub, RS_ERR_FORMAT);
	expect_verify("{\"payload\":\"e30=\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}],"
	    "\"payload\":\"e30=\"}", pub, RS_ERR_FORMAT);
	/* A signature that is not one: verification fails, no crash. */
	expect_verify("{\"payload\":\"e30=\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}",
	    pub, RS_ERR_VERIFY);
	/* Keys that are not ECDSA P-256 or Ed25519. */
	rsa = new_key_pem("RSA", NULL, &rsa_pub);
	expect_verify(env, rsa_pub, RS_ERR_FORMAT);
	expect_verify(env, "not a key", RS_ERR_FORMAT);
	intoto_key_free(k);
	k = NULL;
	assert_int_equal(intoto_key_from_pem((const uint8_t *)rsa, strlen(rsa), &k),
	    RS_ERR_FORMAT);
	p384 = new_key_pem("EC", "P-384", NULL);
	assert_int_equal(intoto_key_from_pem((const uint8_t *)p384, strlen(p384), &k),
	    RS_ERR_FORMAT);
	assert_int_equal(intoto_key_from_pem((const uint8_t *)pub, strlen(pub), &k),
	    RS_ERR_FORMAT);
	assert_null(k);
	free(p384);
	free(rsa);
	free(rsa_pub);
	free(env);
	free(pub);
	free(priv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pae),
		cmocka_unit_test(test_statement_fields),
		cmocka_unit_test(test_statement_refusals),
		cmocka_unit_test(test_dsse_ecdsa),
		cmocka_unit_test(test_dsse_ed25519),
		cmocka_unit_test(test_dsse_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
