/*
 * fuzz_signer.h - the corpus's software signer and the trust sets the
 * targets check against (see fuzz_common.h for the keys).
 */
#ifndef RS_FUZZ_SIGNER_H
#define RS_FUZZ_SIGNER_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/signer.h"
#include "attest/verify.h"
#include "ledger/checkpoint.h"
#include "tests/fuzz/fuzz_common.h"

/* The software signer of the corpus (caller frees). */
static inline struct attest_signer *
fuzz_sw_signer(void)
{
	struct attest_signer *s = NULL;
	char path[64];
	int fd = fuzz_memfile(FUZZ_SW_KEY_PEM, strlen(FUZZ_SW_KEY_PEM), path);

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(attest_signer_open_software(path, &s) == 0);
	close(fd);
	return s;
}

/* Its trust set (caller frees). */
static inline struct attest_trust *
fuzz_sw_trust(void)
{
	struct attest_signer *s = fuzz_sw_signer();
	struct attest_trust *t = NULL;
	char *pem = NULL;

	FUZZ_CHECK(attest_signer_export_trust(s, &pem) == 0);
	FUZZ_CHECK(attest_trust_from_pem(pem, strlen(pem), &t) == 0);
	free(pem);
	attest_signer_free(s);
	return t;
}

/* The corpus checkpoint signer, bound to FUZZ_ORIGIN (caller frees). */
static inline struct checkpoint_signer *
fuzz_cp_signer(void)
{
	struct checkpoint_signer *s = NULL;
	char path[64];
	int fd = fuzz_memfile(FUZZ_CP_KEY_PEM, strlen(FUZZ_CP_KEY_PEM), path);

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(checkpoint_signer_open(path, FUZZ_ORIGIN, &s) == 0);
	close(fd);
	return s;
}

/* Its checkpoint trust set (caller frees). */
static inline struct checkpoint_trust *
fuzz_cp_trust(void)
{
	struct checkpoint_signer *s = fuzz_cp_signer();
	struct checkpoint_trust *t = NULL;
	char *vkey = NULL;

	FUZZ_CHECK(checkpoint_signer_vkey(s, &vkey) == 0);
	FUZZ_CHECK(checkpoint_trust_new(&t) == 0);
	FUZZ_CHECK(checkpoint_trust_add_vkey(t, vkey, strlen(vkey)) == 0);
	free(vkey);
	checkpoint_signer_free(s);
	return t;
}

#endif
