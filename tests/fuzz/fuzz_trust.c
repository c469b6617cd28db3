/*
 * fuzz_trust: trust files and the TPM text formats a verifier reads
 * (attest_trust_from_pem, checkpoint_trust_from_text, and attest/tpmtext.h:
 * identity exports, challenges and responses). The input is the text.
 *
 * Oracle: no crash or leak; a trust set that loads holds at least one key
 * and no more TPM AKs than keys.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/tpmtext.h"
#include "attest/verify.h"
#include "common/err.h"
#include "common/log.h"
#include "ledger/checkpoint.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct attest_trust *t = NULL;
	struct checkpoint_trust *ct = NULL;
	struct tpmtext_identity id;
	uint8_t name[TPMQ_NAME_LEN], *payload = NULL, secret[TPMTEXT_SECRET_MAX];
	size_t plen = 0;

	rs_log_set_level(RS_LOG_QUIET);
	tpmq_tss2_quiet();
	if (attest_trust_from_pem(text, size, &t) == 0) {
		FUZZ_CHECK(attest_trust_count(t) >= 1);
		FUZZ_CHECK(attest_trust_tpm_count(t) <= attest_trust_count(t));
	}
	attest_trust_free(t);
	(void)checkpoint_trust_from_text(text, size, &ct);
	checkpoint_trust_free(ct);
	if (tpmtext_identity_parse(text, size, &id) == 0)
		tpmtext_identity_clear(&id);
	if (tpmtext_challenge_parse(text, size, name, &payload, &plen) == 0)
		free(payload);
	(void)tpmtext_response_parse(text, size, name, secret, &plen);
	rs_err_clear();
	return 0;
}
