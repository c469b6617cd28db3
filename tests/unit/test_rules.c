/* Unit tests for verifier/rules: every rule passes and fails for its own reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attest/record.h"
#include "attest/run.h"
#include "common/err.h"
#include "proto/codec.h"
#include "verifier/rules.h"

static const char HEX_AB[] = "abababababababababababababababababababababababababababababababab";
static const char HEX_CD[] = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";

/* A record: sh -c 'exit 0', policy "none", wall 60000 by timer, memory by rlimit,
 * executor digest ab.., input ab.., event seccomp; start 2026-01-02T00:00:00Z. */
static proto_record *
make_record(int exit_code, int signal, int timed_out, int mem_enforced)
{
	static char a0[] = "sh", a1[] = "-c", a2[] = "exit 0";
	char *const argv[] = { a0, a1, a2 };
	struct attest_run *run = attest_run_new();
	proto_record *rec = NULL;
	uint8_t d[32], *bytes = NULL;
	size_t len = 0;

	memset(d, 0xab, sizeof(d));
	assert_int_equal(attest_run_set_argv(run, argv, 3), 0);
	run->network = strdup("none");
	assert_int_equal(attest_run_add_limit(run, "wall_time_ms", 60000, "timer", 1, 0), 0);
	assert_int_equal(attest_run_add_limit(run, "memory_bytes", 512 << 20,
	    mem_enforced ? "rlimit" : "none", mem_enforced, !mem_enforced), 0);
	memcpy(run->executor_sha256, d, 32);
	assert_int_equal(attest_run_add_input(run, "in", 1, d, 0644), 0);
	assert_int_equal(attest_run_add_event(run, "seccomp", "syscall ptrace"), 0);
	run->exit_code = exit_code;
	run->signal = signal;
	run->timed_out = timed_out;
	run->start_unix_ns = 1767312000LL * 1000000000LL;
	run->end_unix_ns = run->start_unix_ns + 5000000000LL;
	assert_int_equal(attest_record_pack(run, &bytes, &len), 0);
	assert_int_equal(proto_record_unpack(bytes, len, &rec), 0);
	free(bytes);
	attest_run_free(run);
	return rec;
}

/* Evaluate a one-rule file against rec; returns pass, copies actual. */
static int
eval1(const char *json, const proto_record *rec, enum rules_trust trust, char *actual)
{
	struct rules *r = NULL;
	struct rule_result res;
	struct rules_subject s = { rec, NULL, trust, "runseal" };

	if (rules_parse(json, strlen(json), &r) != 0)
		fail_msg("rules did not parse: %s: %s", json, rs_err_detail());
	assert_int_equal(rules_count(r), 1);
	assert_int_equal(rules_eval(r, &s, &res), 0);
	if (actual != NULL)
		strcpy(actual, res.actual);
	rules_free(r);
	return res.pass;
}

#define RULE(body) "{\"rules\": {" body "}}"

static void
test_each_rule_passes_and_fails(void **state)
{
	proto_record *ok = make_record(0, 0, 0, 1);
	char actual[160], buf[512];

	(void)state;
	assert_true(eval1(RULE("\"root_of_trust\": \"software\""), ok, RULES_TRUST_SOFTWARE, NULL));
	assert_false(eval1(RULE("\"root_of_trust\": \"tpm\""), ok, RULES_TRUST_SOFTWARE, actual));
	assert_string_equal(actual, "software");
	assert_true(eval1(RULE("\"root_of_trust\": \"tpm\""), ok, RULES_TRUST_TPM_ENROLLED, NULL));
	assert_false(eval1(RULE("\"root_of_trust\": \"tpm-enrolled\""), ok, RULES_TRUST_TPM, NULL));

	assert_true(eval1(RULE("\"network\": \"none\""), ok, 1, NULL));
	assert_true(eval1(RULE("\"network\": [\"loopback\", \"none\"]"), ok, 1, NULL));
	assert_false(eval1(RULE("\"network\": \"loopback\""), ok, 1, actual));
	assert_string_equal(actual, "none");

	assert_true(eval1(RULE("\"max_wall_time_ms\": 60000"), ok, 1, NULL));
	assert_false(eval1(RULE("\"max_wall_time_ms\": 59999"), ok, 1, actual));
	assert_non_null(strstr(actual, "60000"));
	assert_false(eval1(RULE("\"max_processes\": 10"), ok, 1, actual));
	assert_non_null(strstr(actual, "no processes limit"));

	assert_true(eval1(RULE("\"limits_enforced\": true"), ok, 1, NULL));
	snprintf(buf, sizeof(buf), RULE("\"executor_sha256\": [\"%s\"]"), HEX_AB);
	assert_true(eval1(buf, ok, 1, NULL));
	snprintf(buf, sizeof(buf), RULE("\"executor_sha256\": [\"%s\"]"), HEX_CD);
	assert_false(eval1(buf, ok, 1, actual));
	assert_string_equal(actual, HEX_AB);
	snprintf(buf, sizeof(buf), RULE("\"rootfs_sha256\": [\"%s\"]"), HEX_AB);
	assert_false(eval1(buf, ok, 1, actual));
	assert_string_equal(actual, "not measured");

	assert_true(eval1(RULE("\"commands\": [[\"sh\", \"-c\", \"exit 0\"]]"), ok, 1, NULL));
	assert_false(eval1(RULE("\"commands\": [[\"sh\", \"-c\"]]"), ok, 1, actual));
	assert_string_equal(actual, "[\"sh\",\"-c\",\"exit 0\"]");
	assert_true(eval1(RULE("\"argv0\": [\"python3\", \"sh\"]"), ok, 1, NULL));
	assert_false(eval1(RULE("\"argv0\": [\"python3\"]"), ok, 1, NULL));

	assert_true(eval1(RULE("\"exit_status\": 0"), ok, 1, NULL));
	assert_false(eval1(RULE("\"exit_status\": [1, 2]"), ok, 1, actual));
	assert_string_equal(actual, "0");

	assert_true(eval1(RULE("\"forbidden_events\": [\"oom\", \"timeout\"]"), ok, 1, NULL));
	assert_false(eval1(RULE("\"forbidden_events\": [\"seccomp\"]"), ok, 1, actual));
	assert_string_equal(actual, "seccomp: syscall ptrace");

	snprintf(buf, sizeof(buf), RULE("\"required_inputs\": [\"%s\"]"), HEX_AB);
	assert_true(eval1(buf, ok, 1, NULL));
	snprintf(buf, sizeof(buf), RULE("\"required_inputs\": [\"%s\", \"%s\"]"), HEX_AB, HEX_CD);
	assert_false(eval1(buf, ok, 1, actual));
	assert_non_null(strstr(actual, HEX_CD));

	assert_true(eval1(RULE("\"time_window\": {\"not_before\": \"2026-01-01T00:00:00Z\","
	    " \"not_after\": \"2026-01-03T00:00:00Z\"}"), ok, 1, NULL));
	assert_false(eval1(RULE("\"time_window\": {\"not_after\": \"2026-01-02T00:00:04Z\"}"),
	    ok, 1, actual));
	assert_string_equal(actual, "2026-01-02T00:00:00Z to 2026-01-02T00:00:05Z");
	assert_false(eval1(RULE("\"time_window\": {\"not_before\": \"2026-01-02T00:00:01Z\"}"),
	    ok, 1, NULL));

	assert_true(eval1(RULE("\"ledger_origin\": \"runseal\""), ok, 1, NULL));
	assert_false(eval1(RULE("\"ledger_origin\": \"prod-ledger\""), ok, 1, NULL));

	/* software entries carry no PCR values */
	snprintf(buf, sizeof(buf), RULE("\"pcr_values\": {\"23\": \"%s\"}"), HEX_AB);
	assert_false(eval1(buf, ok, 1, actual));
	assert_non_null(strstr(actual, "not TPM-quoted"));
	proto_record_free(ok);
}

static void
test_limits_not_enforced_and_exit_mapping(void **state)
{
	proto_record *weak = make_record(0, 0, 0, 0);
	proto_record *sig = make_record(0, 9, 0, 1);
	proto_record *to = make_record(0, 9, 1, 1);
	char actual[160];

	(void)state;
	assert_false(eval1(RULE("\"limits_enforced\": true"), weak, 1, actual));
	assert_string_equal(actual, "memory_bytes was not enforced");
	assert_false(eval1(RULE("\"max_memory_bytes\": 1073741824"), weak, 1, actual));
	assert_non_null(strstr(actual, "not enforced"));
	assert_true(eval1(RULE("\"limits_enforced\": false"), weak, 1, NULL));
	assert_int_equal(rules_exit_status(sig), 137);
	assert_int_equal(rules_exit_status(to), 124);
	assert_true(eval1(RULE("\"exit_status\": 137"), sig, 1, NULL));
	proto_record_free(weak);
	proto_record_free(sig);
	proto_record_free(to);
}

static void
expect_config_error(const char *json, const char *needle)
{
	struct rules *r = NULL;

	assert_int_equal(rules_parse(json, strlen(json), &r), RS_ERR_CONFIG);
	assert_null(r);
	if (strstr(rs_err_detail(), needle) == NULL)
		fail_msg("detail '%s' does not name '%s'", rs_err_detail(), needle);
}

static void
test_malformed_rules_name_the_rule(void **state)
{
	(void)state;
	expect_config_error(RULE("\"max_wal_time_ms\": 5"), "max_wal_time_ms");
	expect_config_error(RULE("\"root_of_trust\": \"hardware\""), "root_of_trust");
	expect_config_error(RULE("\"network\": \"internet\""), "network");
	expect_config_error(RULE("\"max_memory_bytes\": -1"), "max_memory_bytes");
	expect_config_error(RULE("\"max_memory_bytes\": \"1G\""), "max_memory_bytes");
	expect_config_error(RULE("\"executor_sha256\": [\"abc\"]"), "executor_sha256");
	expect_config_error(RULE("\"executor_sha256\": []"), "executor_sha256");
	expect_config_error(RULE("\"pcr_values\": {\"24\": \"00\"}"), "pcr_values");
	expect_config_error(RULE("\"commands\": [[]]"), "commands");
	expect_config_error(RULE("\"exit_status\": 256"), "exit_status");
	expect_config_error(RULE("\"time_window\": {\"after\": \"2026-01-01T00:00:00Z\"}"), "time_window");
	expect_config_error(RULE("\"time_window\": {\"not_after\": \"yesterday\"}"), "time_window");
	expect_config_error(RULE("\"ledger_origin\": \"\""), "ledger_origin");
	/* A misspelt event kind would never match: refused, with the known kinds. */
	expect_config_error(RULE("\"forbidden_events\": [\"seccom\"]"), "forbidden_events");
	expect_config_error(RULE("\"forbidden_events\": [\"output_truncated\"]"), "output_cap");
	expect_config_error("{\"rules\": {}}", "non-empty");
	expect_config_error("{\"rulez\": {\"network\": \"none\"}}", "rulez");
	expect_config_error("[1, 2]", "object");
	expect_config_error("{\"rules\": {\"network\": \"none\", \"network\": \"none\"}}", "line");
	expect_config_error("{\"rules\": ", "invalid JSON");
}

static void
test_order_and_names(void **state)
{
	static const char json[] = "{\"name\": \"prod\", \"rules\": {\"exit_status\": 0,"
	    " \"network\": \"none\", \"argv0\": [\"sh\"]}}";
	struct rules *r = NULL;

	(void)state;
	assert_int_equal(rules_parse(json, strlen(json), &r), 0);
	assert_string_equal(rules_file_name(r), "prod");
	assert_int_equal(rules_count(r), 3);
	assert_string_equal(rules_name_at(r, 0), "exit_status");
	assert_string_equal(rules_name_at(r, 1), "network");
	assert_string_equal(rules_name_at(r, 2), "argv0");
	rules_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_rule_passes_and_fails),
		cmocka_unit_test(test_limits_not_enforced_and_exit_mapping),
		cmocka_unit_test(test_malformed_rules_name_the_rule),
		cmocka_unit_test(test_order_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
