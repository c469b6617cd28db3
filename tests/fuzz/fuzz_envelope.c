/*
 * fuzz_envelope: envelope verification (attest_envelope_verify) against
 * the corpus's software key, and the helpers that explain failures
 * (attest_envelope_record_digest, attest_envelope_quote_data).
 *
 * Oracles: a verified envelope yields its record, and the verdict's record
 * digest is the one attest_envelope_record_digest recomputes from the same
 * bytes; nothing verifies under a trust set that holds only a key made
 * fresh in this process.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/err.h"
#include "common/log.h"
#include "tests/fuzz/fuzz_signer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct attest_trust *trust, *fresh_trust;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY *k;
	BIO *b;
	char *pem;
	long len;

	(void)argc;
	(void)argv;
	rs_log_set_level(RS_LOG_QUIET);
	tpmq_tss2_quiet();
	trust = fuzz_sw_trust();
	FUZZ_CHECK((k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) != NULL);
	FUZZ_CHECK((b = BIO_new(BIO_s_mem())) != NULL);
	FUZZ_CHECK(PEM_write_bio_PUBKEY(b, k) == 1);
	FUZZ_CHECK((len = BIO_get_mem_data(b, &pem)) > 0);
	FUZZ_CHECK(attest_trust_from_pem(pem, (size_t)len, &fresh_trust) == 0);
	BIO_free(b);
	EVP_PKEY_free(k);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct attest_verdict v;
	proto_record *rec = NULL;
	uint8_t digest[RS_SHA256_LEN], extra[RS_SHA256_LEN];

	memset(&v, 0, sizeof(v));
	(void)attest_envelope_quote_data(data, size, extra);
	if (attest_envelope_verify(data, size, trust, &v, &rec) == 0) {
		FUZZ_CHECK(rec != NULL);
		FUZZ_CHECK(attest_envelope_record_digest(data, size, digest) == 0);
		FUZZ_CHECK(memcmp(digest, v.record_digest, RS_SHA256_LEN) == 0);
		FUZZ_CHECK(v.root_of_trust != NULL);
	} else {
		FUZZ_CHECK(rec == NULL);
	}
	proto_record_free(rec);
	rec = NULL;
	FUZZ_CHECK(attest_envelope_verify(data, size, fresh_trust, &v, &rec) != 0 && rec == NULL);
	rs_err_clear();
	return 0;
}
