/* Unit tests for attest/: record assembly, software signer, verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "attest/record.h"
#include "attest/recjson.h"
#include "attest/run.h"
#include "attest/signer.h"
#include "attest/verify.h"
#include "common/err.h"
#include "common/file.h"
#include "proto/codec.h"

static char dir[64], key1[128], key2[128];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/rs-attest-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(key1, sizeof(key1), "%s/k1.key", dir);
	snprintf(key2, sizeof(key2), "%s/k2.key", dir);
	if (attest_softkey_create(key1) != 0 || attest_softkey_create(key2) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rs_rm_rf(dir);
}

static struct attest_run *
sample_run(void)
{
	static char a0[] = "sh", a1[] = "-c", a2[] = "cat /work/in/a > /work/out/b";
	static char *const argv[] = { a0, a1, a2 };
	struct attest_run *run = attest_run_new();
	uint8_t d[32];

	memset(d, 0xab, sizeof(d));
	assert_non_null(run);
	assert_int_equal(attest_run_set_argv(run, argv, 3), 0);
	run->cwd = strdup("/work");
	run->policy_name = strdup("default");
	run->policy_json = strdup("{\"network\":\"none\"}");
	run->network = strdup("none");
	assert_int_equal(attest_run_add_limit(run, "wall_time_ms", 60000, "timer", 1, 0), 0);
	assert_int_equal(attest_run_add_isolation(run, "userns"), 0);
	assert_int_equal(attest_run_add_env(run, "PATH", "/usr/bin:/bin", 1), 0);
	assert_int_equal(attest_run_add_env(run, "TOKEN", "s3cret", 0), 0);
	assert_int_equal(attest_run_add_input(run, "a", 3, d, 0644), 0);
	assert_int_equal(attest_run_add_output(run, "b", 3, d, 0644), 0);
	assert_int_equal(attest_run_add_event(run, "seccomp", "syscall ptrace"), 0);
	assert_int_equal(attest_run_add_event(run, "seccomp", "syscall ptrace"), 0);
	assert_int_equal(attest_run_add_event(run, "seccomp", "syscall bpf"), 0);
	run->kernel_release = strdup("6.1.0");
	run->exit_code = 3;
	run->start_unix_ns = 1700000000000000000LL;
	run->end_unix_ns = 1700000001000000000LL;
	memset(run->nonce, 7, sizeof(run->nonce));
	return run;
}

static void
test_record_roundtrip(void **state)
{
	struct attest_run *run = sample_run();
	proto_record *rec = NULL;
	uint8_t *bytes = NULL;
	size_t len = 0;
	json_t *j;
	char *s;

	(void)state;
	assert_int_equal(run->n_events, 2);
	assert_int_equal(run->events[0].count, 2);
	assert_int_equal(attest_record_pack(run, &bytes, &len), 0);
	assert_int_equal(proto_record_unpack(bytes, len, &rec), 0);
	assert_int_equal(rec->version, 1);
	assert_int_equal(rec->n_argv, 3);
	assert_string_equal(rec->argv[2], "cat /work/in/a > /work/out/b");
	assert_int_equal(rec->n_env, 2);
	assert_true(rec->env[0]->value_public);
	assert_string_equal(rec->env[0]->value, "/usr/bin:/bin");
	/* a secret value is carried only as its digest */
	assert_false(rec->env[1]->value_public);
	assert_string_equal(rec->env[1]->value, "");
	assert_int_equal(rec->env[1]->value_sha256.len, 32);
	assert_int_equal(rec->exit->exit_code, 3);
	assert_int_equal(rec->policy->n_limits, 1);
	assert_string_equal(rec->policy->limits[0]->mechanism, "timer");
	assert_int_equal(rec->n_inputs, 1);
	assert_int_equal(rec->n_outputs, 1);
	assert_int_equal(rec->n_events, 2);
	j = attest_record_json(rec);
	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(s, "\"exit_code\":3"));
	assert_null(strstr(s, "s3cret"));
	free(s);
	json_decref(j);
	proto_record_free(rec);
	free(bytes);
	attest_run_free(run);
}

/* Record strings are untrusted: non-UTF-8 bytes are escaped, never dropped. */
static void
test_record_json_non_utf8(void **state)
{
	static char a0[] = "sh", a1[] = "caf\xe9";
	char *const argv[] = { a0, a1 };
	struct attest_run *run = attest_run_new();
	proto_record *rec = NULL;
	uint8_t *bytes = NULL;
	size_t len = 0;
	json_t *j;

	(void)state;
	assert_int_equal(attest_run_set_argv(run, argv, 2), 0);
	assert_int_equal(attest_run_add_event(run, "special_file", "fifo \xff\xfe"), 0);
	assert_int_equal(attest_record_pack(run, &bytes, &len), 0);
	assert_int_equal(proto_record_unpack(bytes, len, &rec), 0);
	j = attest_record_json(rec);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "argv")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "argv"), 1)),
	    "caf\\xe9");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "events"), 0), "detail")), "fifo \\xff\\xfe");
	json_decref(j);
	proto_record_free(rec);
	free(bytes);
	attest_run_free(run);
}

static void
test_record_digest_definition(void **state)
{
	uint8_t a[32], b[32], buf[64];

	(void)state;
	assert_int_equal(attest_record_digest((const uint8_t *)"xyz", 3, a), 0);
	memcpy(buf, "runseal/v1/record", 18);      /* includes NUL */
	memcpy(buf + 18, "xyz", 3);
	assert_int_equal(rs_sha256(buf, 21, b), 0);
	assert_memory_equal(a, b, 32);
}

static void
test_softkey_never_overwritten(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(attest_softkey_create(key1), RS_ERR_EXISTS);
	assert_int_equal(stat(key1, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* Seal a sample record with key k; returns envelope bytes. */
static void
seal_sample(const char *k, uint8_t **env, size_t *env_len, uint8_t digest[32])
{
	struct attest_signer *s = NULL;
	struct attest_run *run = sample_run();
	uint8_t *rec = NULL;
	size_t rec_len = 0;

	assert_int_equal(attest_signer_open_software(k, &s), 0);
	assert_int_equal(attest_signer_kind(s), ATTEST_SIGNER_SOFTWARE);
	assert_int_equal(attest_record_pack(run, &rec, &rec_len), 0);
	assert_int_equal(attest_seal(s, rec, rec_len, env, env_len, digest), 0);
	free(rec);
	attest_run_free(run);
	attest_signer_free(s);
}

static struct attest_trust *
trust_for(const char *k)
{
	struct attest_signer *s = NULL;
	struct attest_trust *t = NULL;
	char *pem = NULL;

	assert_int_equal(attest_signer_open_software(k, &s), 0);
	assert_int_equal(attest_signer_export_trust(s, &pem), 0);
	assert_non_null(strstr(pem, "BEGIN PUBLIC KEY"));
	assert_int_equal(attest_trust_from_pem(pem, strlen(pem), &t), 0);
	free(pem);
	attest_signer_free(s);
	return t;
}

static void
test_seal_verify_roundtrip(void **state)
{
	struct attest_trust *t = trust_for(key1);
	struct attest_verdict v;
	proto_record *rec = NULL;
	uint8_t *env = NULL, digest[32];
	size_t len = 0;

	(void)state;
	seal_sample(key1, &env, &len, digest);
	assert_int_equal(attest_envelope_verify(env, len, t, &v, &rec), 0);
	assert_int_equal(v.signer_kind, ATTEST_SIGNER_SOFTWARE);
	assert_memory_equal(v.record_digest, digest, 32);
	assert_non_null(strstr(v.root_of_trust, "no hardware root of trust"));
	assert_non_null(rec);
	assert_int_equal(rec->exit->exit_code, 3);
	proto_record_free(rec);
	free(env);
	attest_trust_free(t);
}

/* Every single-byte change to an envelope is rejected, never accepted. */
static void
test_every_byte_flip_rejected(void **state)
{
	struct attest_trust *t = trust_for(key1);
	struct attest_verdict v;
	uint8_t *env = NULL, digest[32];
	size_t len = 0, i;
	int r;

	(void)state;
	seal_sample(key1, &env, &len, digest);
	for (i = 0; i < len; i++) {
		env[i] ^= 0x01;
		r = attest_envelope_verify(env, len, t, &v, NULL);
		if (r == 0)
			fail_msg("flip at byte %zu of %zu accepted", i, len);
		assert_true(r == RS_ERR_FORMAT || r == RS_ERR_VERIFY);
		env[i] ^= 0x01;
	}
	assert_int_equal(attest_envelope_verify(env, len, t, &v, NULL), 0);
	free(env);
	attest_trust_free(t);
}

static void
test_untrusted_key_and_trailing_bytes(void **state)
{
	struct attest_trust *t2 = trust_for(key2);
	struct attest_verdict v;
	uint8_t *env = NULL, *longer, digest[32];
	size_t len = 0;

	(void)state;
	seal_sample(key1, &env, &len, digest);
	assert_int_equal(attest_envelope_verify(env, len, t2, &v, NULL), RS_ERR_VERIFY);
	assert_non_null(strstr(rs_err_detail(), "not in the trust file"));
	longer = malloc(len + 1);
	memcpy(longer, env, len);
	longer[len] = 0;
	attest_trust_free(t2);
	t2 = trust_for(key1);
	assert_int_equal(attest_envelope_verify(longer, len + 1, t2, &v, NULL), RS_ERR_FORMAT);
	assert_int_equal(attest_envelope_verify(env, len - 1, t2, &v, NULL), RS_ERR_FORMAT);
	free(longer);
	free(env);
	attest_trust_free(t2);
}

static void
test_trust_file_errors(void **state)
{
	struct attest_trust *t = NULL;
	char p[160];
	static const char garbage[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";

	(void)state;
	snprintf(p, sizeof(p), "%s/none.pem", dir);
	assert_int_equal(attest_trust_load(p, &t), RS_ERR_NOT_FOUND);
	assert_int_equal(rs_write_file_atomic(p, "hello\n", 6, 0644, 0), 0);
	assert_int_equal(attest_trust_load(p, &t), RS_ERR_FORMAT);
	assert_int_equal(attest_trust_from_pem(garbage, strlen(garbage), &t), RS_ERR_FORMAT);
	assert_null(t);
	/* A private key file is not a trust anchor. */
	assert_int_equal(attest_trust_load(key1, &t), RS_ERR_FORMAT);
}

static void
test_open_bad_key(void **state)
{
	struct attest_signer *s = NULL;
	char p[160];

	(void)state;
	snprintf(p, sizeof(p), "%s/bad.key", dir);
	assert_int_equal(rs_write_file_atomic(p, "not a key", 9, 0600, 0), 0);
	assert_int_equal(attest_signer_open_software(p, &s), RS_ERR_FORMAT);
	assert_null(s);
	snprintf(p, sizeof(p), "%s/missing.key", dir);
	assert_int_equal(attest_signer_open_software(p, &s), RS_ERR_NOT_FOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_record_json_non_utf8),
		cmocka_unit_test(test_record_digest_definition),
		cmocka_unit_test(test_softkey_never_overwritten),
		cmocka_unit_test(test_seal_verify_roundtrip),
		cmocka_unit_test(test_every_byte_flip_rejected),
		cmocka_unit_test(test_untrusted_key_and_trailing_bytes),
		cmocka_unit_test(test_trust_file_errors),
		cmocka_unit_test(test_open_bad_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
