/*
 * verify_ledger.c - check a whole ledger file without trusting it.
 *
 * The walk keeps only what the next entry is checked against: the index it
 * must have and the chain hash recomputed from the entries before it. No
 * stored value is used to compute anything: the stored chain hash of entry
 * N is compared with, never fed into, the check of entry N+1, so a changed
 * stored hash is blamed on the entry that carries it. One row is in memory
 * at a time.
 *
 * Checks per entry N, in order; the first failure ends the walk:
 *
 *   1. a row with idx N exists (rows go 0, 1, 2, ... with no gaps)
 *   2. its entry bytes parse as an Entry (bounded, no trailing bytes)
 *   3. entry.index == N
 *   4. entry.prev_chain_hash == chain hash recomputed through entry N-1
 *   5. stored chain hash == SHA-256(chain ctx || that || entry digest)
 *   6. the envelope verifies against the trust anchor
 *
 * Not checked here: entries removed from the end (the result is a shorter
 * ledger that verifies; compare head_chain_hash with one seen earlier).
 */
#include "verifier/verify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "attest/signer.h"
#include "common/err.h"
#include "ledger/ledger.h"
#include "proto/codec.h"

static void
report_failure(struct verify_report *rep, uint64_t index, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the first failure at index; fmt is the whole reason. */
static void
report_failure(struct verify_report *rep, uint64_t index, const char *fmt, ...)
{
	va_list ap;

	rep->ok = 0;
	rep->has_failed_index = 1;
	rep->failed_index = index;
	va_start(ap, fmt);
	vsnprintf(rep->reason, sizeof(rep->reason), fmt, ap);
	va_end(ap);
}

/* Errors that say the evidence is bad, as opposed to "could not check it". */
static int
is_evidence_error(int err)
{
	return err == RS_ERR_FORMAT || err == RS_ERR_TOO_LARGE || err == RS_ERR_VERIFY;
}

/*
 * Check one row against the expected index and the running chain hash.
 * Returns 0 with *failed = 0 if it passed (chain advanced, counters bumped),
 * 0 with *failed = 1 if it did not (rep says why), or a negative RS_ERR_*
 * if it could not be checked.
 */
static int
check_row(const struct ledger_row *row, uint64_t expected,
    uint8_t chain[RS_SHA256_LEN], const struct attest_trust *trust,
    struct verify_report *rep, int *failed)
{
	proto_entry *e = NULL;
	struct attest_verdict verdict;
	uint8_t digest[RS_SHA256_LEN], next[RS_SHA256_LEN];
	int r = RS_ERR_INTERNAL;

	*failed = 1;
	if (row->idx < expected) {
		/* Impossible in a rowid table read in order; possible in a crafted file. */
		report_failure(rep, expected, "entry %" PRIu64 ": a second row claims "
		    "position %" PRIu64 ": rows duplicated", expected, row->idx);
		r = 0;
		goto out;
	}
	if (row->idx != expected) {
		if (expected == 0)
			report_failure(rep, expected, "entry 0 is missing (rows start at %"
			    PRIu64 ")", row->idx);
		else
			report_failure(rep, expected, "entry %" PRIu64 " is missing (rows jump "
			    "from %" PRIu64 " to %" PRIu64 ")", expected, expected - 1, row->idx);
		r = 0;
		goto out;
	}
	if ((r = proto_entry_unpack(row->entry, row->entry_len, &e)) != 0) {
		if (!is_evidence_error(r))
			goto out;
		report_failure(rep, expected, "entry %" PRIu64 ": malformed entry: %s", expected,
		    rs_err_detail());
		r = 0;
		goto out;
	}
	if (e->index != expected) {
		report_failure(rep, expected, "entry %" PRIu64 ": stored at position %"
		    PRIu64 " but claims index %" PRIu64 ": rows reordered or moved",
		    expected, expected, e->index);
		r = 0;
		goto out;
	}
	if (e->prev_chain_hash.len != RS_SHA256_LEN ||
	    !rs_ct_equal(e->prev_chain_hash.data, chain, RS_SHA256_LEN)) {
		report_failure(rep, expected, "entry %" PRIu64 ": previous-hash link "
		    "broken: an entry before it was changed, removed or inserted", expected);
		r = 0;
		goto out;
	}
	if ((r = ledger_entry_digest(row->entry, row->entry_len, digest)) != 0 ||
	    (r = ledger_chain_next(chain, digest, next)) != 0)
		goto out;
	if (row->chain_hash_len != RS_SHA256_LEN ||
	    !rs_ct_equal(row->chain_hash, next, RS_SHA256_LEN)) {
		report_failure(rep, expected, "entry %" PRIu64 ": stored chain hash does "
		    "not match the entry bytes", expected);
		r = 0;
		goto out;
	}
	if ((r = attest_envelope_verify(e->envelope.data, e->envelope.len, trust,
	    &verdict, NULL)) != 0) {
		if (!is_evidence_error(r))
			goto out;
		report_failure(rep, expected, "entry %" PRIu64 ": %s", expected,
		    rs_err_detail());
		r = 0;
		goto out;
	}
	switch (verdict.signer_kind) {
	case ATTEST_SIGNER_SOFTWARE:
		rep->software_signed++;
		break;
	case ATTEST_SIGNER_TPM:
		rep->tpm_signed++;
		break;
	default:
		r = rs_fail(RS_ERR_INTERNAL, "envelope verified with signer kind %d",
		    verdict.signer_kind);
		goto out;
	}
	memcpy(chain, next, RS_SHA256_LEN);
	*failed = 0;
	r = 0;
out:
	proto_entry_free(e);
	return r;
}

int
verify_ledger_file(const char *path, const struct attest_trust *trust,
    struct verify_report *rep)
{
	struct ledger *l = NULL;
	struct ledger_iter *it = NULL;
	struct ledger_row *row = NULL;
	uint8_t chain[RS_SHA256_LEN];
	uint64_t expected = 0;
	int failed = 0, r = RS_ERR_INTERNAL;

	memset(rep, 0, sizeof(*rep));
	memset(chain, 0, sizeof(chain));        /* genesis: entry 0's previous hash */
	if (path == NULL || trust == NULL) {
		r = rs_fail(RS_ERR_USAGE, "verify_ledger_file: no ledger path or trust");
		goto out;
	}
	if ((r = ledger_open(path, 0, &l)) != 0 ||
	    (r = ledger_iter_new(l, 0, &it)) != 0)
		goto out;
	for (;;) {
		if ((r = ledger_iter_next(it, &row)) != 0) {
			/* A row SQLite cannot give us, or one of the wrong shape, is bad evidence. */
			if (!is_evidence_error(r))
				goto out;
			report_failure(rep, expected, "entry %" PRIu64 ": row cannot be read: %s",
			    expected, rs_err_detail());
			failed = 1;
			break;
		}
		if (row == NULL)
			break;
		if ((r = check_row(row, expected, chain, trust, rep, &failed)) != 0)
			goto out;
		ledger_row_free(row);
		row = NULL;
		if (failed)
			break;
		expected++;
		rep->entries = expected;
	}
	if (!failed) {
		rep->ok = 1;
		rep->reason[0] = '\0';
	}
	memcpy(rep->head_chain_hash, chain, RS_SHA256_LEN);
	r = 0;
out:
	if (r != 0) {
		/* Could not examine: no verdict at all. */
		memset(rep, 0, sizeof(*rep));
	}
	ledger_row_free(row);
	ledger_iter_free(it);
	ledger_close(l);
	return r;
}
