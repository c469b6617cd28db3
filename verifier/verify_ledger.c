/*
 * verify_ledger.c - check a whole ledger file without trusting it.
 *
 * The walk keeps only what the next entry is checked against: the index it
 * must have, the chain hash recomputed from the entries before it, the
 * Merkle compact range, and the TPM replay state. No stored value is used
 * to compute anything: the stored chain hash of entry N is compared with,
 * never fed into, the check of entry N+1, so a changed stored hash is
 * blamed on the entry that carries it.
 *
 * Checks per entry N, in order; the first failure ends the walk:
 *
 *   1. a row with idx N exists (rows go 0, 1, 2, ... with no gaps)
 *   2. its entry bytes parse as an Entry (bounded, no trailing bytes)
 *   3. entry.index == N
 *   4. entry.prev_chain_hash == chain hash recomputed through entry N-1
 *   5. stored chain hash == SHA-256(chain ctx || that || entry digest)
 *   6. the envelope verifies against the trust anchor; a TPM-quoted one
 *      also against the TPM entries before it (verifier/tpm_replay.h:
 *      resetCount/restartCount epochs, clock, application PCR replay)
 *   7. its RFC 9162 leaf, and every perfect Merkle node it completes,
 *      recomputed and compared with the stored node (merkle table)
 *   8. every stored checkpoint for size N + 1: parses, speaks for this
 *      ledger's origin and size, commits to the recomputed root, and is
 *      signed by a trusted checkpoint key (when one is given)
 *   9. the auditor's old checkpoint, at its size: the same root
 *  10. the compliance rules (opts->compliance), on the entry's record
 *
 * Then, once: no checkpoint or Merkle node beyond the entries (a cut tail
 * leaves them behind), the latest checkpoint covers every entry, the old
 * checkpoint is not beyond the ledger (rollback), and a consistency proof
 * built from the stored nodes links it to the latest checkpoint.
 *
 * Parallelism (verifier/vpool.h). The walk runs in two stages on the
 * calling thread, with the expensive, independent work of each entry in
 * between on every core:
 *
 *   read ahead  (in order)  rows, checks 1-5, the leaf hash, and the stored
 *                           checkpoint for size N + 1 -> a job
 *   workers     (any order) the envelope's signature or quote (6, without
 *                           the checks across entries), the checkpoint's
 *                           signature (8)
 *   take back   (in order)  6's TPM replay, 7, 8, 9, 10, progress
 *
 * The ring of jobs is bounded, so memory does not grow with the ledger. A
 * failure the read-ahead stage finds at entry M waits until every entry
 * before M has been taken back: the reported failure is always the one a
 * sequential walk would report first.
 *
 * Not detectable here without an old checkpoint: a tail cut together with
 * its checkpoints and nodes (a consistent shorter ledger). That is what
 * --checkpoint OLD is for.
 */
#include "verifier/verify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/signer.h"
#include "attest/tpmquote.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "proto/codec.h"
#include "verifier/compliance.h"
#include "verifier/tpm_replay.h"
#include "verifier/vpool.h"

/* Jobs in flight per verifying thread: enough to keep every core busy. */
#define JOBS_PER_THREAD 64
/* Entries between two progress calls. */
#define PROGRESS_EVERY 512

const char *
verify_check_name(enum verify_check c)
{
	switch (c) {
	case VERIFY_CHECK_NONE: return "none";
	case VERIFY_CHECK_ENTRIES: return "entries";
	case VERIFY_CHECK_CHAIN: return "chain";
	case VERIFY_CHECK_SIGNATURES: return "signatures";
	case VERIFY_CHECK_TPM: return "tpm";
	case VERIFY_CHECK_MERKLE: return "merkle";
	case VERIFY_CHECK_CHECKPOINTS: return "checkpoints";
	case VERIFY_CHECK_OLD: return "your_checkpoint";
	case VERIFY_CHECK_COUNT: break;
	}
	return "unknown";
}

static void
report_failure(struct verify_report *rep, enum verify_check check, uint64_t index,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Record the first failure, at entry index, of check; fmt is the whole reason. */
static void
report_failure(struct verify_report *rep, enum verify_check check, uint64_t index,
    const char *fmt, ...)
{
	va_list ap;

	rep->ok = 0;
	rep->failed_check = check;
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

/* Record a failure that is not one entry's (a checkpoint, the tail). */
static void
report_global(struct verify_report *rep, enum verify_check check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
report_global(struct verify_report *rep, enum verify_check check, const char *fmt, ...)
{
	va_list ap;

	rep->ok = 0;
	rep->failed_check = check;
	rep->has_failed_index = 0;
	va_start(ap, fmt);
	vsnprintf(rep->reason, sizeof(rep->reason), fmt, ap);
	va_end(ap);
}

/* Entry index has root of trust root: extend the current run or start one. */
static void
add_root(struct verify_report *rep, uint64_t index, int root)
{
	struct verify_root_run *run;

	if (rep->n_root_runs > 0) {
		run = &rep->root_runs[rep->n_root_runs - 1];
		if (run->root == root && run->last + 1 == index) {
			run->last = index;
			return;
		}
	}
	if (rep->n_root_runs == VERIFY_ROOT_RUNS) {
		rep->root_runs_truncated = 1;
		return;
	}
	run = &rep->root_runs[rep->n_root_runs++];
	run->first = run->last = index;
	run->root = root;
}

/* One entry on its way through the walk (a vpool slot). */
struct ljob {
	uint64_t index;
	struct ledger_row *row;         /* owned */
	proto_entry *entry;             /* owned; parsed, checks 1-5 passed */
	uint8_t leaf[MERKLE_HASH_LEN];
	/* The stored checkpoint for size index + 1, if any (owned). */
	int has_cp;
	uint64_t cp_size;
	uint8_t *cp_note;
	size_t cp_len;
	/* The stored checkpoint after it could not be read: reason. */
	int cp_next_bad;
	char cp_next_reason[256];
	/*
	 * Worker results. What the worker parses it also frees (memory freed
	 * by another thread than the one that allocated it costs glibc's
	 * allocator dearly): the record is reduced to its compliance sample,
	 * the checkpoint to the fields the walk compares.
	 */
	int sig_r;                      /* attest_envelope_verify's return */
	char sig_reason[512];
	struct attest_verdict verdict;
	int sample_r;                   /* compliance_sample's return */
	struct compliance_sample sample;    /* when the walk gathers compliance */
	int cp_r;                       /* checkpoint_open's return */
	char cp_reason[256];
	char cp_origin[CHECKPOINT_NAME_MAX + 1];
	uint64_t cp_claimed_size;
	uint8_t cp_root[MERKLE_HASH_LEN];
};

/* What the workers share, read-only. */
struct wctx {
	const struct attest_trust *trust;
	const struct checkpoint_trust *cp_trust;
	const struct compliance *compliance;    /* NULL: no samples */
	const char *origin;             /* the ledger's origin, for the rules */
	int want_envelope;              /* the rules read the TPM evidence */
};

/* Free what the job owns; the slot itself is zeroed by vpool_release(). */
static void
ljob_clear(struct ljob *j)
{
	ledger_row_free(j->row);
	proto_entry_free(j->entry);
	free(j->cp_note);
	j->row = NULL;
	j->entry = NULL;
	j->cp_note = NULL;
}

/* Open a stored checkpoint: signed when checkpoint keys are trusted. */
static int
open_cp(const struct checkpoint_trust *t, const uint8_t *note, size_t len,
    struct checkpoint **c)
{
	return checkpoint_trust_count(t) > 0 ? checkpoint_open(note, len, t, c) :
	    checkpoint_parse_unverified(note, len, c);
}

/* vpool_fn: the independent work of one entry. */
static void
verify_job(void *ctx, void *arg)
{
	const struct wctx *c = ctx;
	struct ljob *j = arg;
	proto_record *rec = NULL;
	proto_envelope *env = NULL;
	struct checkpoint *cp = NULL;
	struct rules_subject s;

	rs_err_clear();
	j->sig_r = attest_envelope_verify(j->entry->envelope.data, j->entry->envelope.len,
	    c->trust, &j->verdict, c->compliance != NULL ? &rec : NULL);
	if (j->sig_r != 0) {
		snprintf(j->sig_reason, sizeof(j->sig_reason), "%s", rs_err_detail());
	} else if (c->compliance != NULL) {
		/* It verified, so it parses: the envelope is read again for the TPM evidence. */
		if (c->want_envelope)
			(void)proto_envelope_unpack(j->entry->envelope.data, j->entry->envelope.len,
			    &env);
		memset(&s, 0, sizeof(s));
		s.record = rec;
		s.envelope = env;
		s.trust = compliance_trust_of_root(j->verdict.root);
		s.origin = c->origin;
		j->sample_r = compliance_sample(c->compliance, &s, &j->sample);
	}
	if (j->has_cp) {
		rs_err_clear();
		if ((j->cp_r = open_cp(c->cp_trust, j->cp_note, j->cp_len, &cp)) != 0) {
			snprintf(j->cp_reason, sizeof(j->cp_reason), "%s", rs_err_detail());
		} else {
			snprintf(j->cp_origin, sizeof(j->cp_origin), "%s", cp->origin);
			j->cp_claimed_size = cp->size;
			memcpy(j->cp_root, cp->root, MERKLE_HASH_LEN);
		}
	}
	checkpoint_free(cp);
	proto_envelope_free(env);
	proto_record_free(rec);
}

/* The state of one walk. */
struct walk {
	struct ledger *l;
	const struct attest_trust *trust;
	struct tpm_replay *replay;      /* checks across TPM-quoted entries */
	const struct verify_ledger_opts *opts;
	struct verify_report *rep;
	struct merkle_range cr;         /* the tree of the entries that passed */
	uint64_t entry;                 /* the entry whose nodes are being checked */
	uint64_t total;                 /* rows in the snapshot, for progress */
	int failed;
	/* Read ahead: the next row to read and the chain hash it must follow. */
	struct ledger_iter *it;
	uint64_t expected;
	uint8_t chain[RS_SHA256_LEN];
	int reading;                    /* rows remain to be read */
	/* A failure the read-ahead stage found, reported after the jobs before it. */
	int pending;
	struct verify_report pending_rep;
	/* The next stored checkpoint, read ahead. */
	struct ledger_cp_iter *cps;
	int have_cp;
	uint64_t cp_size;
	uint8_t *cp_note;
	size_t cp_len;
	int cps_bad;                    /* a checkpoint row could not be read: reason below */
	char cps_reason[256];
	/* The empty tree's checkpoint, checked when entry 0 is taken back. */
	int have_cp0;
	uint8_t *cp0_note;
	size_t cp0_len;
	int cp0_next_bad;               /* the checkpoint after it could not be read */
	/* The auditor's old checkpoint, parsed and verified. */
	struct checkpoint *old;
};

/* Read the next stored checkpoint into w (have_cp = 0 at the end or when unreadable). */
static int
next_cp(struct walk *w)
{
	int r;

	free(w->cp_note);
	w->cp_note = NULL;
	w->have_cp = 0;
	if (w->cps_bad)
		return 0;
	if ((r = ledger_cp_iter_next(w->cps, &w->cp_size, &w->cp_note, &w->cp_len)) != 0) {
		if (!is_evidence_error(r))
			return r;
		w->cps_bad = 1;
		snprintf(w->cps_reason, sizeof(w->cps_reason), "checkpoints: a stored checkpoint "
		    "cannot be read: %s", rs_err_detail());
		return 0;
	}
	w->have_cp = w->cp_note != NULL;
	return 0;
}

/* merkle_node_fn: the node the walk computed must be the one stored. */
static int
check_node(void *arg, unsigned level, uint64_t index, const uint8_t hash[MERKLE_HASH_LEN])
{
	struct walk *w = arg;
	uint8_t stored[MERKLE_HASH_LEN];
	uint64_t first = index << level, last = ((index + 1) << level) - 1;
	int r;

	if (w->failed)
		return 0;
	if ((r = ledger_node_get(w->l, level, index, stored)) != 0) {
		if (!is_evidence_error(r) && r != RS_ERR_NOT_FOUND)
			return r;
		report_failure(w->rep, VERIFY_CHECK_MERKLE, w->entry, "entry %" PRIu64 ": Merkle "
		    "node (level %u, index %" PRIu64 ") over entries %" PRIu64 "-%" PRIu64 " %s",
		    w->entry, level, index, first, last, r == RS_ERR_NOT_FOUND ? "is missing" :
		    "is not a 32-byte hash");
		w->failed = 1;
		return 0;
	}
	w->rep->nodes++;
	if (!rs_ct_equal(stored, hash, MERKLE_HASH_LEN)) {
		if (level == 0)
			report_failure(w->rep, VERIFY_CHECK_MERKLE, w->entry, "entry %" PRIu64 ": "
			    "stored Merkle leaf hash does not match the entry bytes", w->entry);
		else
			report_failure(w->rep, VERIFY_CHECK_MERKLE, w->entry, "entry %" PRIu64 ": "
			    "stored Merkle node (level %u, index %" PRIu64 ") does not match entries %"
			    PRIu64 "-%" PRIu64, w->entry, level, index, first, last);
		w->failed = 1;
	}
	return 0;
}

/* merkle_fetch_fn over the stored nodes (for --since: the old tree's compact range). */
static int
fetch_node(void *arg, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN])
{
	return ledger_node_get(arg, level, index, out);
}

/*
 * Check the stored checkpoint for size w->cr.size, opened with result
 * open_r (detail reason) into c.
 */
static int
check_cp(struct walk *w, uint64_t cp_size, int open_r, const char *reason,
    const struct checkpoint *c)
{
	/* c: origin, size and root as the checkpoint states them (signature checked). */
	uint8_t root[MERKLE_HASH_LEN];
	char want[2 * MERKLE_HASH_LEN + 1], got[2 * MERKLE_HASH_LEN + 1];
	int r;

	if (open_r != 0) {
		if (!is_evidence_error(open_r))
			return rs_fail(open_r, "%s", reason);
		report_global(w->rep, VERIFY_CHECK_CHECKPOINTS, "checkpoint for size %" PRIu64
		    ": %s", cp_size, reason);
		w->failed = 1;
		return 0;
	}
	if (strcmp(c->origin, ledger_origin(w->l)) != 0) {
		report_global(w->rep, VERIFY_CHECK_CHECKPOINTS, "checkpoint for size %" PRIu64
		    ": it is for origin %s, this ledger is %s: taken from another ledger",
		    cp_size, c->origin, ledger_origin(w->l));
		w->failed = 1;
		return 0;
	}
	if (c->size != cp_size) {
		report_global(w->rep, VERIFY_CHECK_CHECKPOINTS, "checkpoint stored for size %"
		    PRIu64 " claims size %" PRIu64 ": the checkpoint lies about its size",
		    cp_size, c->size);
		w->failed = 1;
		return 0;
	}
	if ((r = merkle_range_root(&w->cr, root)) != 0)
		return r;
	if (!rs_ct_equal(root, c->root, MERKLE_HASH_LEN)) {
		rs_hex_encode(root, 8, want);
		rs_hex_encode(c->root, 8, got);
		report_global(w->rep, VERIFY_CHECK_CHECKPOINTS, "checkpoint for size %" PRIu64
		    ": its root %s... is not the root of entries 0-%" PRIu64 " (%s...): the "
		    "checkpoint lies about the root, or entries before it were changed", cp_size,
		    got, cp_size - 1, want);
		w->failed = 1;
		return 0;
	}
	w->rep->checkpoints++;
	if (checkpoint_trust_count(w->opts->cp_trust) > 0)
		w->rep->cp_signatures_checked++;
	w->rep->has_latest = 1;
	w->rep->latest_size = cp_size;
	return 0;
}

/*
 * The stored checkpoints for the current size that the read-ahead has not
 * handed to a job (sizes 0 and the --since size), opened here.
 */
static int
cps_at_size_now(struct walk *w)
{
	struct checkpoint *c = NULL;
	int open_r, r = 0;

	while (!w->failed && w->have_cp && w->cp_size <= w->cr.size) {
		if (w->cp_size == w->cr.size) {
			rs_err_clear();
			open_r = open_cp(w->opts->cp_trust, w->cp_note, w->cp_len, &c);
			r = check_cp(w, w->cp_size, open_r, rs_err_detail(), c);
			checkpoint_free(c);
			c = NULL;
			if (r != 0)
				return r;
		}
		/* Sizes come in order; a smaller one was met already (impossible for rows). */
		if (!w->failed && (r = next_cp(w)) != 0)
			return r;
	}
	if (!w->failed && w->cps_bad) {
		report_global(w->rep, VERIFY_CHECK_CHECKPOINTS, "%s", w->cps_reason);
		w->failed = 1;
	}
	return 0;
}

/* The auditor's old checkpoint, when the tree reaches its size. */
static int
old_at_size(struct walk *w)
{
	uint8_t root[MERKLE_HASH_LEN];
	char want[2 * MERKLE_HASH_LEN + 1], got[2 * MERKLE_HASH_LEN + 1];
	int r;

	if (w->failed || w->old == NULL || w->old->size != w->cr.size)
		return 0;
	if ((r = merkle_range_root(&w->cr, root)) != 0)
		return r;
	if (!rs_ct_equal(root, w->old->root, MERKLE_HASH_LEN)) {
		rs_hex_encode(root, 8, want);
		rs_hex_encode(w->old->root, 8, got);
		report_global(w->rep, VERIFY_CHECK_OLD, "your checkpoint for size %" PRIu64 " has "
		    "root %s... but the ledger's first %" PRIu64 " entries give %s...: the ledger "
		    "forked or was rewritten after you saw it", w->old->size, got, w->old->size,
		    want);
		w->failed = 1;
	} else {
		w->rep->old_checked = 1;
		w->rep->old_size = w->old->size;
	}
	return 0;
}

/* A failure found while reading ahead, held until the entries before it are done. */
static void
hold_failure(struct walk *w, enum verify_check check, uint64_t index, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
hold_failure(struct walk *w, enum verify_check check, uint64_t index, const char *fmt, ...)
{
	va_list ap;

	w->pending = 1;
	w->reading = 0;
	w->pending_rep.failed_check = check;
	w->pending_rep.has_failed_index = 1;
	w->pending_rep.failed_index = index;
	va_start(ap, fmt);
	vsnprintf(w->pending_rep.reason, sizeof(w->pending_rep.reason), fmt, ap);
	va_end(ap);
}

/*
 * Read the next row into job j and run checks 1-5 on it. *filled is 1 if
 * j now holds an entry to verify; 0 at the end of the rows or when the row
 * failed (then w->pending holds the failure).
 */
static int
read_ahead(struct walk *w, struct ljob *j, int *filled)
{
	struct ledger_row *row = NULL;
	proto_entry *e = NULL;
	uint8_t digest[RS_SHA256_LEN], next[RS_SHA256_LEN];
	uint64_t n = w->expected;
	int r;

	*filled = 0;
	if ((r = ledger_iter_next(w->it, &row)) != 0) {
		/* A row SQLite cannot give us, or one of the wrong shape, is bad evidence. */
		if (!is_evidence_error(r))
			goto out;
		hold_failure(w, VERIFY_CHECK_ENTRIES, n, "entry %" PRIu64 ": row cannot be read: "
		    "%s", n, rs_err_detail());
		r = 0;
		goto out;
	}
	if (row == NULL) {
		w->reading = 0;
		r = 0;
		goto out;
	}
	r = 0;
	if (row->idx < n) {
		/* Impossible in a rowid table read in order; possible in a crafted file. */
		hold_failure(w, VERIFY_CHECK_ENTRIES, n, "entry %" PRIu64 ": a second row claims "
		    "position %" PRIu64 ": rows duplicated", n, row->idx);
		goto out;
	}
	if (row->idx != n) {
		if (n == 0)
			hold_failure(w, VERIFY_CHECK_ENTRIES, n, "entry 0 is missing (rows start at %"
			    PRIu64 ")", row->idx);
		else
			hold_failure(w, VERIFY_CHECK_ENTRIES, n, "entry %" PRIu64 " is missing (rows "
			    "jump from %" PRIu64 " to %" PRIu64 ")", n, n - 1, row->idx);
		goto out;
	}
	if ((r = proto_entry_unpack(row->entry, row->entry_len, &e)) != 0) {
		if (!is_evidence_error(r))
			goto out;
		hold_failure(w, VERIFY_CHECK_ENTRIES, n, "entry %" PRIu64 ": malformed entry: %s",
		    n, rs_err_detail());
		r = 0;
		goto out;
	}
	if (e->index != n) {
		hold_failure(w, VERIFY_CHECK_ENTRIES, n, "entry %" PRIu64 ": stored at position %"
		    PRIu64 " but claims index %" PRIu64 ": rows reordered or moved", n, n, e->index);
		goto out;
	}
	if (e->prev_chain_hash.len != RS_SHA256_LEN ||
	    !rs_ct_equal(e->prev_chain_hash.data, w->chain, RS_SHA256_LEN)) {
		hold_failure(w, VERIFY_CHECK_CHAIN, n, "entry %" PRIu64 ": previous-hash link "
		    "broken: an entry before it was changed, removed or inserted", n);
		goto out;
	}
	if ((r = ledger_entry_digest(row->entry, row->entry_len, digest)) != 0 ||
	    (r = ledger_chain_next(w->chain, digest, next)) != 0 ||
	    (r = merkle_leaf_hash(row->entry, row->entry_len, j->leaf)) != 0)
		goto out;
	if (row->chain_hash_len != RS_SHA256_LEN ||
	    !rs_ct_equal(row->chain_hash, next, RS_SHA256_LEN)) {
		hold_failure(w, VERIFY_CHECK_CHAIN, n, "entry %" PRIu64 ": stored chain hash does "
		    "not match the entry bytes", n);
		goto out;
	}
	memcpy(w->chain, next, RS_SHA256_LEN);
	j->index = n;
	j->row = row;
	j->entry = e;
	row = NULL;
	e = NULL;
	/* The stored checkpoint for size n + 1 goes with this entry. */
	while (w->have_cp && w->cp_size <= n + 1) {
		if (w->cp_size == n + 1 && !j->has_cp) {
			j->has_cp = 1;
			j->cp_size = w->cp_size;
			j->cp_note = w->cp_note;
			j->cp_len = w->cp_len;
			w->cp_note = NULL;
		}
		if ((r = next_cp(w)) != 0)
			goto out;
	}
	if (w->cps_bad) {
		j->cp_next_bad = 1;
		snprintf(j->cp_next_reason, sizeof(j->cp_next_reason), "%s", w->cps_reason);
		w->reading = 0;     /* the walk ends with this entry */
	}
	w->expected = n + 1;
	*filled = 1;
	r = 0;
out:
	proto_entry_free(e);
	ledger_row_free(row);
	return r;
}

/* The empty tree's checkpoint, and whether the one after it could be read. */
static int
check_cp0(struct walk *w)
{
	struct checkpoint *c = NULL;
	int open_r, r = 0;

	if (w->have_cp0) {
		w->have_cp0 = 0;
		rs_err_clear();
		open_r = open_cp(w->opts->cp_trust, w->cp0_note, w->cp0_len, &c);
		r = check_cp(w, 0, open_r, rs_err_detail(), c);
		checkpoint_free(c);
		if (r != 0)
			return r;
	}
	if (!w->failed && w->cp0_next_bad) {
		report_global(w->rep, VERIFY_CHECK_CHECKPOINTS, "%s", w->cps_reason);
		w->failed = 1;
	}
	return old_at_size(w);
}

/*
 * Take back one verified job: checks 6 (its verdict, the TPM replay), 7,
 * 8 and 9, then the compliance rules. w->failed says whether it passed.
 */
static int
take_back(struct walk *w, struct ljob *j)
{
	struct verify_report *rep = w->rep;
	uint64_t n = j->index;
	int bad = 0, r;

	if (j->sig_r != 0) {
		if (!is_evidence_error(j->sig_r))
			return rs_fail(j->sig_r, "entry %" PRIu64 ": %s", n, j->sig_reason);
		report_failure(rep, VERIFY_CHECK_SIGNATURES, n, "entry %" PRIu64 ": %s", n,
		    j->sig_reason);
		tpm_replay_explain(w->replay, n, j->entry->envelope.data, j->entry->envelope.len,
		    rep->reason, sizeof(rep->reason));
		w->failed = 1;
		return 0;
	}
	switch (j->verdict.signer_kind) {
	case ATTEST_SIGNER_SOFTWARE:
		rep->software_signed++;
		break;
	case ATTEST_SIGNER_TPM:
		/* Across entries: epochs, clock, PCR replay (verifier/tpm_replay.h). */
		if ((r = tpm_replay_entry(w->replay, n, &j->verdict, rep->reason,
		    sizeof(rep->reason), &bad)) != 0)
			return r;
		if (bad) {
			rep->ok = 0;
			rep->failed_check = VERIFY_CHECK_TPM;
			rep->has_failed_index = 1;
			rep->failed_index = n;
			w->failed = 1;
			return 0;
		}
		rep->tpm_signed++;
		if (j->verdict.root == ATTEST_ROOT_TPM_EK_CERT)
			rep->tpm_ek_certified++;
		else
			rep->tpm_no_ek_cert++;
		rep->tpm_epochs = tpm_replay_epochs(w->replay);
		rep->tpm_pcr_gaps = tpm_replay_gaps(w->replay);
		rep->tpm_seeded = tpm_replay_seeded(w->replay);
		break;
	default:
		return rs_fail(RS_ERR_INTERNAL, "envelope verified with signer kind %d",
		    j->verdict.signer_kind);
	}
	rep->signatures_checked++;
	add_root(rep, n, j->verdict.root);
	w->entry = n;
	/* The empty tree's checkpoint (size 0) once entry 0 checked out. */
	if (n == 0 && (r = check_cp0(w)) != 0)
		return r;
	if (w->failed)
		return 0;
	if ((r = merkle_range_append(&w->cr, j->leaf, check_node, w)) != 0)
		return r;
	if (w->failed)
		return 0;
	if (j->has_cp) {
		struct checkpoint c;
		memset(&c, 0, sizeof(c));
		c.origin = j->cp_origin;
		c.size = j->cp_claimed_size;
		memcpy(c.root, j->cp_root, MERKLE_HASH_LEN);
		if ((r = check_cp(w, j->cp_size, j->cp_r, j->cp_reason, &c)) != 0)
			return r;
	}
	if (!w->failed && j->cp_next_bad) {
		report_global(rep, VERIFY_CHECK_CHECKPOINTS, "%s", j->cp_next_reason);
		w->failed = 1;
	}
	if ((r = old_at_size(w)) != 0 || w->failed)
		return r;
	rep->entries = n + 1;
	if (w->opts->compliance != NULL) {
		if (j->sample_r != 0)
			return rs_fail(j->sample_r, "entry %" PRIu64 ": evaluating the rules failed", n);
		if ((r = compliance_add_sample(w->opts->compliance, n, &j->sample)) != 0)
			return r;
	}
	if (w->opts->progress != NULL && (n + 1) % PROGRESS_EVERY == 0)
		w->opts->progress(w->opts->progress_arg, n + 1 - rep->first_checked,
		    w->total - rep->first_checked);
	return 0;
}

/* The tail: nothing stored beyond the entries, the latest checkpoint covers them. */
static int
check_tail(struct walk *w)
{
	struct verify_report *rep = w->rep;
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], root[MERKLE_HASH_LEN];
	uint64_t n = w->cr.size, nodes = 0;
	size_t pn = 0;
	int r;

	if (w->have_cp) {
		report_global(rep, VERIFY_CHECK_CHECKPOINTS, "a checkpoint commits to %" PRIu64
		    " entries but the ledger has %" PRIu64 ": entries were removed from the end "
		    "(or the checkpoint was forged)", w->cp_size, n);
		w->failed = 1;
		return 0;
	}
	if ((r = ledger_node_count(w->l, &nodes)) != 0)
		return r;
	if (nodes != 2 * n - (uint64_t)__builtin_popcountll(n)) {
		report_global(rep, VERIFY_CHECK_MERKLE, "the Merkle tree holds %" PRIu64 " nodes, %"
		    PRIu64 " entries need %" PRIu64 ": entries were removed from the end, or "
		    "nodes added", nodes, n, 2 * n - (uint64_t)__builtin_popcountll(n));
		w->failed = 1;
		return 0;
	}
	if (n > 0 && (!rep->has_latest || rep->latest_size != n)) {
		if (rep->has_latest)
			report_global(rep, VERIFY_CHECK_CHECKPOINTS, "the latest checkpoint commits "
			    "to %" PRIu64 " entries, the ledger has %" PRIu64 ": the last entries are "
			    "not covered by a signed checkpoint", rep->latest_size, n);
		else
			report_global(rep, VERIFY_CHECK_CHECKPOINTS, "the ledger has %" PRIu64
			    " entries and no checkpoint", n);
		w->failed = 1;
		return 0;
	}
	if (w->old != NULL && w->old->size > n) {
		report_global(rep, VERIFY_CHECK_OLD, "your checkpoint commits to %" PRIu64
		    " entries but the ledger has only %" PRIu64 ": the ledger was rolled back "
		    "(entries removed from the end)", w->old->size, n);
		w->failed = 1;
		return 0;
	}
	if (w->old != NULL) {
		/* The stored tree must prove, by the standard proof, what the walk showed. */
		if ((r = merkle_range_root(&w->cr, root)) != 0)
			return r;
		if ((r = ledger_prove_consistency(w->l, w->old->size, n, proof, &pn)) != 0 ||
		    (r = merkle_verify_consistency(w->old->size, n, &proof[0][0], pn,
		    w->old->root, root)) != 0) {
			if (!is_evidence_error(r) && r != RS_ERR_USAGE)
				return r;
			report_global(rep, VERIFY_CHECK_OLD, "consistency proof from your checkpoint "
			    "(size %" PRIu64 ") to size %" PRIu64 " fails: %s", w->old->size, n,
			    rs_err_detail());
			w->failed = 1;
			return 0;
		}
		rep->consistency_hashes = pn;
	}
	return 0;
}

/*
 * --since: start the walk after the auditor's checkpoint (size s). The
 * stored compact range of [0, s) must hash to its signed root; entry s - 1
 * must be its last leaf; the chain and the TPM replay continue from it.
 */
static int
start_since(struct walk *w)
{
	struct verify_report *rep = w->rep;
	struct ledger_row *row = NULL;
	proto_entry *e = NULL;
	struct attest_verdict v;
	uint8_t root[MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN], digest[RS_SHA256_LEN];
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	char want[2 * MERKLE_HASH_LEN + 1], got[2 * MERKLE_HASH_LEN + 1];
	uint64_t s = w->old->size, count = 0;
	size_t pn = 0;
	int bad = 0, r;

	if ((r = ledger_count(w->l, &count)) != 0)
		goto out;
	if (s > count) {
		report_global(rep, VERIFY_CHECK_OLD, "your checkpoint commits to %" PRIu64
		    " entries but the ledger has only %" PRIu64 ": the ledger was rolled back "
		    "(entries removed from the end)", s, count);
		w->failed = 1;
		goto done;
	}
	if ((r = merkle_range_load(s, fetch_node, w->l, &w->cr)) != 0) {
		if (!is_evidence_error(r) && r != RS_ERR_NOT_FOUND)
			goto out;
		report_global(rep, VERIFY_CHECK_OLD, "the Merkle nodes that make up your "
		    "checkpoint's tree (size %" PRIu64 ") cannot be read: %s", s, rs_err_detail());
		w->failed = 1;
		goto done;
	}
	if ((r = merkle_range_root(&w->cr, root)) != 0)
		goto out;
	if (!rs_ct_equal(root, w->old->root, MERKLE_HASH_LEN)) {
		rs_hex_encode(root, 8, want);
		rs_hex_encode(w->old->root, 8, got);
		report_global(rep, VERIFY_CHECK_OLD, "your checkpoint for size %" PRIu64 " has root "
		    "%s... but the ledger's stored tree of its first %" PRIu64 " entries gives "
		    "%s...: the ledger forked or was rewritten after you saw it", s, got, s, want);
		w->failed = 1;
		goto done;
	}
	rep->old_checked = 1;
	rep->old_size = s;
	if (s > 0) {
		/* The anchor: the last entry of the audited tree, proved by inclusion. */
		if ((r = ledger_get(w->l, s - 1, &row)) != 0) {
			if (!is_evidence_error(r) && r != RS_ERR_NOT_FOUND)
				goto out;
			report_failure(rep, VERIFY_CHECK_ENTRIES, s - 1, "entry %" PRIu64 ", the last "
			    "of your checkpoint's tree, cannot be read: %s", s - 1, rs_err_detail());
			w->failed = 1;
			goto done;
		}
		if ((r = merkle_leaf_hash(row->entry, row->entry_len, leaf)) != 0)
			goto out;
		if ((r = ledger_prove_inclusion(w->l, s - 1, s, proof, &pn)) != 0 ||
		    (r = merkle_verify_inclusion(s - 1, s, leaf, &proof[0][0], pn,
		    w->old->root)) != 0) {
			if (!is_evidence_error(r) && r != RS_ERR_NOT_FOUND)
				goto out;
			report_failure(rep, VERIFY_CHECK_OLD, s - 1, "entry %" PRIu64 " is not the last "
			    "entry of your checkpoint's tree: %s", s - 1, rs_err_detail());
			w->failed = 1;
			goto done;
		}
		if ((r = proto_entry_unpack(row->entry, row->entry_len, &e)) != 0) {
			if (!is_evidence_error(r))
				goto out;
			report_failure(rep, VERIFY_CHECK_ENTRIES, s - 1, "entry %" PRIu64 ": malformed "
			    "entry: %s", s - 1, rs_err_detail());
			w->failed = 1;
			goto done;
		}
		if ((r = ledger_entry_digest(row->entry, row->entry_len, digest)) != 0)
			goto out;
		if (e->index != s - 1 || e->prev_chain_hash.len != RS_SHA256_LEN ||
		    (r = ledger_chain_next(e->prev_chain_hash.data, digest, w->chain)) != 0 ||
		    row->chain_hash_len != RS_SHA256_LEN ||
		    !rs_ct_equal(row->chain_hash, w->chain, RS_SHA256_LEN)) {
			if (r != 0 && !is_evidence_error(r))
				goto out;
			report_failure(rep, VERIFY_CHECK_CHAIN, s - 1, "entry %" PRIu64 ": stored chain "
			    "hash does not match the entry bytes", s - 1);
			w->failed = 1;
			goto done;
		}
		/* A TPM anchor seeds its key's PCR replay; its quote is checked again. */
		rs_err_clear();
		if ((r = attest_envelope_verify(e->envelope.data, e->envelope.len, w->trust, &v,
		    NULL)) != 0) {
			if (!is_evidence_error(r))
				goto out;
			report_failure(rep, VERIFY_CHECK_SIGNATURES, s - 1, "entry %" PRIu64 ": %s",
			    s - 1, rs_err_detail());
			w->failed = 1;
			goto done;
		}
		if (v.signer_kind == ATTEST_SIGNER_TPM) {
			if ((r = tpm_replay_entry(w->replay, s - 1, &v, rep->reason,
			    sizeof(rep->reason), &bad)) != 0)
				goto out;
			if (bad) {
				rep->ok = 0;
				rep->failed_check = VERIFY_CHECK_TPM;
				rep->has_failed_index = 1;
				rep->failed_index = s - 1;
				w->failed = 1;
				goto done;
			}
		}
	}
	/* Checkpoints up to s: the one at s (if stored) must be the auditor's tree. */
	if ((r = cps_at_size_now(w)) != 0)
		goto out;
done:
	r = 0;
out:
	proto_entry_free(e);
	ledger_row_free(row);
	return r;
}

int
verify_ledger(const char *path, const struct attest_trust *trust,
    const struct verify_ledger_opts *opts, struct verify_report *rep)
{
	return verify_ledger_gaps(path, trust, opts, NULL, 0, rep);
}

int
verify_ledger_gaps(const char *path, const struct attest_trust *trust,
    const struct verify_ledger_opts *opts, const uint64_t *gaps, size_t n_gaps,
    struct verify_report *rep)
{
	static const struct verify_ledger_opts none;
	struct vpool *pool = NULL;
	struct ljob *j;
	struct walk w;
	struct wctx wc;
	unsigned threads;
	int filled, ran, snapshot = 0, r = RS_ERR_INTERNAL;

	memset(rep, 0, sizeof(*rep));
	memset(&w, 0, sizeof(w));
	memset(&wc, 0, sizeof(wc));
	merkle_range_init(&w.cr);
	if (opts == NULL)
		opts = &none;
	w.opts = opts;
	w.rep = rep;
	w.trust = trust;
	if (path == NULL || trust == NULL) {
		r = rs_fail(RS_ERR_USAGE, "verify_ledger: no ledger path or trust");
		goto out;
	}
	if (opts->old_checkpoint != NULL) {
		if (checkpoint_trust_count(opts->cp_trust) == 0) {
			r = rs_fail(RS_ERR_USAGE, "checking an old checkpoint needs a trusted "
			    "checkpoint key (a runseal-checkpoint-key line in the trust file)");
			goto out;
		}
		if ((r = checkpoint_open(opts->old_checkpoint, opts->old_len, opts->cp_trust,
		    &w.old)) != 0) {
			r = rs_fail(r, "your checkpoint%s%s: %s", opts->old_name != NULL ? " " : "",
			    opts->old_name != NULL ? opts->old_name : "", rs_err_detail());
			goto out;
		}
	} else if (opts->since) {
		r = rs_fail(RS_ERR_USAGE, "verifying only what is new needs your checkpoint");
		goto out;
	}
	rep->checkpoint_signatures = checkpoint_trust_count(opts->cp_trust) > 0;
	threads = opts->threads > 0 ? opts->threads : vpool_cpus();
	rep->threads = threads;
	if ((r = ledger_open(path, 0, &w.l)) != 0 ||
	    (r = tpm_replay_new(w.l, gaps, n_gaps, &w.replay)) != 0)
		goto out;
	if (opts->since)
		tpm_replay_seed_first(w.replay);
	if (w.old != NULL && strcmp(w.old->origin, ledger_origin(w.l)) != 0) {
		report_global(rep, VERIFY_CHECK_OLD, "your checkpoint is for origin %s, this "
		    "ledger is %s", w.old->origin, ledger_origin(w.l));
		r = 0;
		goto done;
	}
	/* One snapshot for entries, nodes and checkpoints alike. */
	if ((r = ledger_read_begin(w.l)) != 0)
		goto out;
	snapshot = 1;
	if ((r = ledger_count(w.l, &w.total)) != 0 || (r = ledger_cp_iter_new(w.l, &w.cps)) != 0 ||
	    (r = next_cp(&w)) != 0)
		goto out;
	rep->ledger_size = w.total;
	if (opts->since) {
		rep->first_checked = w.old->size;
		if ((r = start_since(&w)) != 0)
			goto out;
		w.expected = w.old->size;
		rep->entries = w.expected;
		if (w.failed)
			goto finish;
	}
	/*
	 * The empty tree's checkpoint is checked when entry 0 is taken back (a
	 * wrong trust file is then reported as the entry it fails on).
	 */
	if (!opts->since) {
		if (w.have_cp && w.cp_size == 0) {
			w.have_cp0 = 1;
			w.cp0_note = w.cp_note;
			w.cp0_len = w.cp_len;
			w.cp_note = NULL;
			if ((r = next_cp(&w)) != 0)
				goto out;
		}
		w.cp0_next_bad = w.cps_bad;
	}
	if ((r = ledger_iter_new(w.l, w.expected, &w.it)) != 0)
		goto out;
	/* Quoted entries unmarshal in tpm2-tss: set its logging up before threads start. */
	tpmq_tss2_quiet();
	wc.trust = trust;
	wc.cp_trust = opts->cp_trust;
	wc.compliance = opts->compliance;
	wc.origin = ledger_origin(w.l);
	wc.want_envelope = opts->compliance != NULL && opts->compliance->n_rules > 0;
	if ((r = vpool_new(threads - 1, (size_t)JOBS_PER_THREAD * threads, sizeof(struct ljob),
	    verify_job, &wc, &pool)) != 0)
		goto out;
	w.reading = 1;
	while (!w.failed) {
		/* Fill the ring, then take back the oldest job (helping the workers). */
		if (w.reading && (j = vpool_slot(pool)) != NULL) {
			if ((r = read_ahead(&w, j, &filled)) != 0)
				goto out;
			if (filled) {
				vpool_submit(pool);
			} else {
				ljob_clear(j);
				memset(j, 0, sizeof(*j));   /* the slot stays free: as vpool gave it */
			}
			continue;
		}
		if ((j = vpool_head(pool, &ran)) == NULL)
			break;
		r = take_back(&w, j);
		ljob_clear(j);
		vpool_release(pool);
		if (r != 0)
			goto out;
	}
	if (!w.failed && w.pending) {
		/* Every entry before the read-ahead's failure passed: it is the verdict. */
		report_failure(rep, w.pending_rep.failed_check, w.pending_rep.failed_index, "%s",
		    w.pending_rep.reason);
		w.failed = 1;
	}
	/* An empty ledger: its only checkpoint is the empty tree's. */
	if (!w.failed && w.expected == 0 && (r = check_cp0(&w)) != 0)
		goto out;
	if (!w.failed && (r = check_tail(&w)) != 0)
		goto out;
finish:
	if (!w.failed) {
		rep->ok = 1;
		rep->failed_check = VERIFY_CHECK_NONE;
		rep->reason[0] = '\0';
		rep->entries = w.cr.size;
		if ((r = merkle_range_root(&w.cr, rep->root)) != 0)
			goto out;
	}
	memcpy(rep->head_chain_hash, w.chain, RS_SHA256_LEN);
	if (!w.failed && opts->progress != NULL)
		opts->progress(opts->progress_arg, w.total - rep->first_checked,
		    w.total - rep->first_checked);
done:
	r = 0;
out:
	if (pool != NULL) {
		/* Drain: jobs not started are dropped, running ones finish. */
		vpool_cancel(pool);
		while ((j = vpool_head(pool, &ran)) != NULL) {
			ljob_clear(j);
			vpool_release(pool);
		}
		vpool_free(pool);
	}
	if (r != 0) {
		/* Could not examine: no verdict at all. */
		memset(rep, 0, sizeof(*rep));
	}
	ledger_iter_free(w.it);
	ledger_cp_iter_free(w.cps);
	tpm_replay_free(w.replay);
	free(w.cp_note);
	free(w.cp0_note);
	checkpoint_free(w.old);
	if (snapshot)
		ledger_read_end(w.l);
	ledger_close(w.l);
	return r;
}

int
verify_ledger_file(const char *path, const struct attest_trust *trust,
    struct verify_report *rep)
{
	return verify_ledger(path, trust, NULL, rep);
}

int
verify_trust_load(const char *path, struct attest_trust **trust,
    struct checkpoint_trust **cp)
{
	uint8_t *text = NULL;
	size_t len = 0;
	int r = RS_ERR_INTERNAL;

	*trust = NULL;
	*cp = NULL;
	if ((r = rs_read_file(path, 1024 * 1024, &text, &len)) != 0)
		goto out;
	if ((r = attest_trust_from_pem((const char *)text, len, trust)) != 0 ||
	    (r = checkpoint_trust_from_text((const char *)text, len, cp)) != 0) {
		r = rs_fail(r, "trust file %s: %s", path, rs_err_detail());
		attest_trust_free(*trust);
		*trust = NULL;
		goto out;
	}
	r = 0;
out:
	free(text);
	return r;
}
