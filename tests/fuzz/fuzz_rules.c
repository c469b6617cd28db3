/*
 * fuzz_rules: compliance rules files (verifier/rules.h, rules_parse), each
 * accepted rules file then evaluated against one record the corpus signer
 * sealed.
 *
 * Oracle: an accepted file has at least one rule, every rule has a name,
 * and evaluation fills one result per rule.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/record.h"
#include "attest/run.h"
#include "common/err.h"
#include "common/log.h"
#include "tests/fuzz/fuzz_signer.h"
#include "verifier/rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static proto_record *record;
static proto_envelope *envelope;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char a0[] = "/bin/true";
	static char *const av[] = { a0 };
	struct attest_signer *s;
	struct attest_run *run;
	uint8_t *rec = NULL, *env = NULL;
	size_t rec_len = 0, env_len = 0;

	(void)argc;
	(void)argv;
	rs_log_set_level(RS_LOG_QUIET);
	s = fuzz_sw_signer();
	FUZZ_CHECK((run = attest_run_new()) != NULL);
	FUZZ_CHECK(attest_run_set_argv(run, av, 1) == 0);
	FUZZ_CHECK((run->cwd = strdup("/work")) != NULL);
	FUZZ_CHECK((run->policy_name = strdup("default")) != NULL);
	FUZZ_CHECK(attest_record_pack(run, &rec, &rec_len) == 0);
	FUZZ_CHECK(attest_seal(s, rec, rec_len, &env, &env_len, NULL) == 0);
	FUZZ_CHECK(proto_record_unpack(rec, rec_len, &record) == 0);
	FUZZ_CHECK(proto_envelope_unpack(env, env_len, &envelope) == 0);
	free(rec);
	free(env);
	attest_run_free(run);
	attest_signer_free(s);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *r = NULL;
	struct rule_result *res;
	struct rules_subject subj;
	size_t i, n;

	if (rules_parse((const char *)data, size, &r) != 0) {
		FUZZ_CHECK(r == NULL);
		rs_err_clear();
		return 0;
	}
	n = rules_count(r);
	FUZZ_CHECK(n >= 1);
	FUZZ_CHECK(rules_file_name(r) != NULL);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(rules_name_at(r, i) != NULL);
	FUZZ_CHECK((res = calloc(n, sizeof(*res))) != NULL);
	memset(&subj, 0, sizeof(subj));
	subj.record = record;
	subj.envelope = envelope;
	subj.trust = RULES_TRUST_SOFTWARE;
	subj.origin = FUZZ_ORIGIN;
	FUZZ_CHECK(rules_eval(r, &subj, res) == 0);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(res[i].rule != NULL);
	free(res);
	rules_free(r);
	rs_err_clear();
	return 0;
}
