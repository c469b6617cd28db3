/*
 * fuzz_intoto: DSSE envelope verification (intoto_dsse_verify,
 * attest/intoto.h) under the corpus's Ed25519 key. The input is the
 * envelope JSON.
 *
 * Oracles: an accepted envelope's payload and type, signed again with the
 * same key, verify to the same payload and type; nothing verifies under a
 * key made fresh in this process.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "attest/intoto.h"
#include "common/err.h"
#include "common/log.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct intoto_key *key;
static char *pub, *fresh_pub;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct intoto_key *fresh = NULL;
	EVP_PKEY *k;
	BIO *b;
	char *pem;
	long len;

	(void)argc;
	(void)argv;
	rs_log_set_level(RS_LOG_QUIET);
	FUZZ_CHECK(intoto_key_from_pem((const uint8_t *)FUZZ_CP_KEY_PEM, strlen(FUZZ_CP_KEY_PEM),
	    &key) == 0);
	FUZZ_CHECK(intoto_key_public_pem(key, &pub) == 0);
	FUZZ_CHECK((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) != NULL);
	FUZZ_CHECK((b = BIO_new(BIO_s_mem())) != NULL);
	FUZZ_CHECK(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1);
	FUZZ_CHECK((len = BIO_get_mem_data(b, &pem)) > 0);
	FUZZ_CHECK(intoto_key_from_pem((const uint8_t *)pem, (size_t)len, &fresh) == 0);
	FUZZ_CHECK(intoto_key_public_pem(fresh, &fresh_pub) == 0);
	intoto_key_free(fresh);
	BIO_free(b);
	EVP_PKEY_free(k);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *type = NULL, *type2 = NULL, *env = NULL;
	uint8_t *payload = NULL, *payload2 = NULL;
	size_t len = 0, len2 = 0, elen = 0;

	if (intoto_dsse_verify((const char *)data, size, pub, &type, &payload, &len) == 0) {
		FUZZ_CHECK(type != NULL && payload != NULL);
		if (intoto_dsse_sign(key, type, payload, len, &env, &elen) == 0) {
			FUZZ_CHECK(intoto_dsse_verify(env, elen, pub, &type2, &payload2, &len2) == 0);
			FUZZ_CHECK(strcmp(type, type2) == 0 && len == len2 &&
			    memcmp(payload, payload2, len) == 0);
		}
	}
	free(type);
	free(payload);
	free(type2);
	free(payload2);
	free(env);
	type = NULL;
	payload = NULL;
	FUZZ_CHECK(intoto_dsse_verify((const char *)data, size, fresh_pub, &type, &payload,
	    &len) != 0);
	free(type);
	free(payload);
	rs_err_clear();
	return 0;
}
