/*
 * verify.h - runseal-verify's checks, as a library. Reads evidence without
 * trusting it; links no executor and no TPM-access code.
 */
#ifndef RS_VERIFIER_VERIFY_H
#define RS_VERIFIER_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "attest/verify.h"

struct verify_report {
	int ok;                     /* 1: every check passed */
	uint64_t entries;           /* entries that passed every check (on failure: those before it) */
	uint64_t software_signed;   /* entries signed by a software key */
	uint64_t tpm_signed;        /* entries quoted by a TPM */
	int has_failed_index;
	uint64_t failed_index;      /* first failing entry, if has_failed_index */
	char reason[512];           /* first failure, in words; "" when ok */
	uint8_t head_chain_hash[RS_SHA256_LEN];   /* recomputed chain hash after the last
	                                           * entry that passed; zeros if none */
};

/*
 * Verify a whole ledger file: every row present with idx 0..n-1, every entry
 * parses, its index and previous chain hash match, its chain hash
 * recomputes, its envelope verifies against trust.
 *
 * Returns 0 when the ledger could be examined (rep->ok says pass or fail,
 * rep->reason names the first failure and its entry); a negative RS_ERR_*
 * when it could not be (RS_ERR_NOT_FOUND missing, RS_ERR_FORMAT not a
 * ledger).
 */
int verify_ledger_file(const char *path, const struct attest_trust *trust,
    struct verify_report *rep);

#endif
