/*
 * fuzz_bundle: runseal-verify's offline checks of untrusted evidence files:
 * bundles (verify_bundle, docs/bundle.md) and proofs printed by
 * `runseal prove --json` (verify_proof_json). The first input byte picks
 * which (even: bundle, odd: proof), the rest is the file.
 *
 * Oracles: what verifies under the corpus keys says so consistently (a
 * verified bundle's index is below its tree size and its proof has the
 * length RFC 9162 gives; a verified inclusion proof likewise); nothing
 * verifies under a checkpoint key made fresh in this process.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/err.h"
#include "common/log.h"
#include "tests/fuzz/fuzz_signer.h"
#include "verifier/verify.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct attest_trust *trust;
static struct checkpoint_trust *cp_trust, *fresh_cp;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct checkpoint_signer *s = NULL;
	EVP_PKEY *k;
	BIO *b;
	char *pem, path[64], *vkey = NULL;
	long len;
	int fd;

	(void)argc;
	(void)argv;
	rs_log_set_level(RS_LOG_QUIET);
	tpmq_tss2_quiet();
	trust = fuzz_sw_trust();
	cp_trust = fuzz_cp_trust();
	FUZZ_CHECK((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) != NULL);
	FUZZ_CHECK((b = BIO_new(BIO_s_mem())) != NULL);
	FUZZ_CHECK(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1);
	FUZZ_CHECK((len = BIO_get_mem_data(b, &pem)) > 0);
	FUZZ_CHECK((fd = fuzz_memfile(pem, (size_t)len, path)) >= 0);
	FUZZ_CHECK(checkpoint_signer_open(path, FUZZ_ORIGIN, &s) == 0);
	FUZZ_CHECK(checkpoint_signer_vkey(s, &vkey) == 0);
	FUZZ_CHECK(checkpoint_trust_new(&fresh_cp) == 0);
	FUZZ_CHECK(checkpoint_trust_add_vkey(fresh_cp, vkey, strlen(vkey)) == 0);
	free(vkey);
	checkpoint_signer_free(s);
	close(fd);
	BIO_free(b);
	EVP_PKEY_free(k);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verify_bundle_report br;
	struct verify_proof_report pr;
	size_t n;

	if (size < 1)
		return 0;
	if (data[0] % 2 == 0) {
		memset(&br, 0, sizeof(br));
		if (verify_bundle(data + 1, size - 1, trust, cp_trust, &br) == 0 && br.ok) {
			FUZZ_CHECK(br.index < br.tree_size);
			FUZZ_CHECK(merkle_inclusion_proof_len(br.index, br.tree_size, &n) == 0 &&
			    n == br.proof_hashes);
		}
		memset(&br, 0, sizeof(br));
		FUZZ_CHECK(verify_bundle(data + 1, size - 1, trust, fresh_cp, &br) != 0 || !br.ok);
	} else {
		memset(&pr, 0, sizeof(pr));
		if (verify_proof_json((const char *)data + 1, size - 1, cp_trust, &pr) == 0 &&
		    pr.ok && !pr.consistency) {
			FUZZ_CHECK(pr.index < pr.size);
			FUZZ_CHECK(merkle_inclusion_proof_len(pr.index, pr.size, &n) == 0 &&
			    n == pr.hashes);
		}
		memset(&pr, 0, sizeof(pr));
		FUZZ_CHECK(verify_proof_json((const char *)data + 1, size - 1, fresh_cp, &pr) != 0 ||
		    !pr.ok);
	}
	rs_err_clear();
	return 0;
}
