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
 *   6. the envelope verifies against the trust anchor; a TPM-quoted one
 *      also against the TPM entries before it (verifier/tpm_replay.h:
 *      resetCount/restartCount epochs, clock, application PCR replay)
 *   7. its RFC 9162 leaf, and every perfect Merkle node it completes,
 *      recomputed and compared with the stored node (merkle table)
 *   8. every stored checkpoint for size N + 1: parses, speaks for this
 *      ledger's origin and size, commits to the recomputed root, and is
 *      signed by a trusted checkpoint key (when one is given)
 *   9. the auditor's old checkpoint, at its size: the same root
 *
 * Then, once: no checkpoint or Merkle node beyond the entries (a cut tail
 * leaves them behind), the latest checkpoint covers every entry, the old
 * checkpoint is not beyond the ledger (rollback), and a consistency proof
 * built from the stored nodes links it to the latest checkpoint.
 *
 * Not detectable here without an old checkpoint: a tail cut together with
 * its checkpoints and nodes (a consistent shorter ledger). That is what
 * --checkpoint OLD is for.
 */
#include "verifier/verify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "attest/signer.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "proto/codec.h"
#include "verifier/tpm_replay.h"

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

/* Record a failure that is not one entry's (a checkpoint, the tail). */
static void
report_global(struct verify_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
report_global(struct verify_report *rep, const char *fmt, ...)
{
	va_list ap;

	rep->ok = 0;
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

/*
 * Check one row against the expected index and the running chain hash.
 * Returns 0 with *failed = 0 if it passed (chain advanced, counters bumped),
 * 0 with *failed = 1 if it did not (rep says why), or a negative RS_ERR_*
 * if it could not be checked.
 */
static int
check_row(const struct ledger_row *row, uint64_t expected,
    uint8_t chain[RS_SHA256_LEN], const struct attest_trust *trust,
    struct tpm_replay *replay, struct verify_report *rep, int *failed)
{
	proto_entry *e = NULL;
	struct attest_verdict verdict;
	uint8_t digest[RS_SHA256_LEN], next[RS_SHA256_LEN];
	int bad = 0, r = RS_ERR_INTERNAL;

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
		tpm_replay_explain(replay, expected, e->envelope.data, e->envelope.len,
		    rep->reason, sizeof(rep->reason));
		r = 0;
		goto out;
	}
	switch (verdict.signer_kind) {
	case ATTEST_SIGNER_SOFTWARE:
		rep->software_signed++;
		break;
	case ATTEST_SIGNER_TPM:
		/* Across entries: epochs, clock, PCR replay (verifier/tpm_replay.h). */
		if ((r = tpm_replay_entry(replay, expected, &verdict, rep->reason,
		    sizeof(rep->reason), &bad)) != 0)
			goto out;
		if (bad) {
			rep->ok = 0;
			rep->has_failed_index = 1;
			rep->failed_index = expected;
			goto out;
		}
		rep->tpm_signed++;
		if (verdict.root == ATTEST_ROOT_TPM_EK_CERT)
			rep->tpm_ek_certified++;
		else
			rep->tpm_no_ek_cert++;
		rep->tpm_epochs = tpm_replay_epochs(replay);
		rep->tpm_pcr_gaps = tpm_replay_gaps(replay);
		break;
	default:
		r = rs_fail(RS_ERR_INTERNAL, "envelope verified with signer kind %d",
		    verdict.signer_kind);
		goto out;
	}
	add_root(rep, expected, verdict.root);
	memcpy(chain, next, RS_SHA256_LEN);
	*failed = 0;
	r = 0;
out:
	proto_entry_free(e);
	return r;
}

/* The state of one walk. */
struct walk {
	struct ledger *l;
	struct tpm_replay *replay;      /* checks across TPM-quoted entries */
	const struct verify_ledger_opts *opts;
	struct verify_report *rep;
	struct merkle_range cr;         /* the tree of the entries that passed */
	uint64_t entry;                 /* the entry whose nodes are being checked */
	int failed;
	/* The next stored checkpoint, read ahead. */
	struct ledger_cp_iter *cps;
	int have_cp;
	uint64_t cp_size;
	uint8_t *cp_note;
	size_t cp_len;
	/* The auditor's old checkpoint, parsed and verified. */
	struct checkpoint *old;
};

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
		report_failure(w->rep, w->entry, "entry %" PRIu64 ": Merkle node (level %u, "
		    "index %" PRIu64 ") over entries %" PRIu64 "-%" PRIu64 " %s", w->entry, level,
		    index, first, last, r == RS_ERR_NOT_FOUND ? "is missing" :
		    "is not a 32-byte hash");
		w->failed = 1;
		return 0;
	}
	w->rep->nodes++;
	if (!rs_ct_equal(stored, hash, MERKLE_HASH_LEN)) {
		if (level == 0)
			report_failure(w->rep, w->entry, "entry %" PRIu64 ": stored Merkle leaf "
			    "hash does not match the entry bytes", w->entry);
		else
			report_failure(w->rep, w->entry, "entry %" PRIu64 ": stored Merkle node "
			    "(level %u, index %" PRIu64 ") does not match entries %" PRIu64 "-%"
			    PRIu64, w->entry, level, index, first, last);
		w->failed = 1;
	}
	return 0;
}

/* Read the next stored checkpoint into w (have_cp = 0 at the end). */
static int
next_cp(struct walk *w)
{
	int r;

	free(w->cp_note);
	w->cp_note = NULL;
	w->have_cp = 0;
	if ((r = ledger_cp_iter_next(w->cps, &w->cp_size, &w->cp_note, &w->cp_len)) != 0) {
		if (!is_evidence_error(r))
			return r;
		report_global(w->rep, "checkpoints: a stored checkpoint cannot be read: %s",
		    rs_err_detail());
		w->failed = 1;
		return 0;
	}
	w->have_cp = w->cp_note != NULL;
	return 0;
}

/* Check the stored checkpoint w->cp_* against the tree w->cr (same size). */
static int
check_cp(struct walk *w)
{
	const struct checkpoint_trust *t = w->opts->cp_trust;
	struct checkpoint *c = NULL;
	uint8_t root[MERKLE_HASH_LEN];
	char want[2 * MERKLE_HASH_LEN + 1], got[2 * MERKLE_HASH_LEN + 1];
	int r;

	r = checkpoint_trust_count(t) > 0 ? checkpoint_open(w->cp_note, w->cp_len, t, &c) :
	    checkpoint_parse_unverified(w->cp_note, w->cp_len, &c);
	if (r != 0) {
		if (!is_evidence_error(r))
			goto out;
		report_global(w->rep, "checkpoint for size %" PRIu64 ": %s", w->cp_size,
		    rs_err_detail());
		w->failed = 1;
		r = 0;
		goto out;
	}
	if (strcmp(c->origin, ledger_origin(w->l)) != 0) {
		report_global(w->rep, "checkpoint for size %" PRIu64 ": it is for origin %s, "
		    "this ledger is %s: taken from another ledger", w->cp_size, c->origin,
		    ledger_origin(w->l));
		w->failed = 1;
		r = 0;
		goto out;
	}
	if (c->size != w->cp_size) {
		report_global(w->rep, "checkpoint stored for size %" PRIu64 " claims size %"
		    PRIu64 ": the checkpoint lies about its size", w->cp_size, c->size);
		w->failed = 1;
		r = 0;
		goto out;
	}
	if ((r = merkle_range_root(&w->cr, root)) != 0)
		goto out;
	if (!rs_ct_equal(root, c->root, MERKLE_HASH_LEN)) {
		rs_hex_encode(root, 8, want);
		rs_hex_encode(c->root, 8, got);
		report_global(w->rep, "checkpoint for size %" PRIu64 ": its root %s... is not "
		    "the root of entries 0-%" PRIu64 " (%s...): the checkpoint lies about the "
		    "root, or entries before it were changed", w->cp_size, got,
		    w->cp_size - 1, want);
		w->failed = 1;
		r = 0;
		goto out;
	}
	w->rep->checkpoints++;
	w->rep->has_latest = 1;
	w->rep->latest_size = w->cp_size;
	r = 0;
out:
	checkpoint_free(c);
	return r;
}

/* Everything that is checked when the tree reaches w->cr.size. */
static int
at_size(struct walk *w)
{
	uint8_t root[MERKLE_HASH_LEN];
	char want[2 * MERKLE_HASH_LEN + 1], got[2 * MERKLE_HASH_LEN + 1];
	int r;

	while (!w->failed && w->have_cp && w->cp_size <= w->cr.size) {
		if (w->cp_size == w->cr.size && (r = check_cp(w)) != 0)
			return r;
		/* Sizes come in order; a smaller one was met already (impossible for rows). */
		if (!w->failed && (r = next_cp(w)) != 0)
			return r;
	}
	if (!w->failed && w->old != NULL && w->old->size == w->cr.size) {
		if ((r = merkle_range_root(&w->cr, root)) != 0)
			return r;
		if (!rs_ct_equal(root, w->old->root, MERKLE_HASH_LEN)) {
			rs_hex_encode(root, 8, want);
			rs_hex_encode(w->old->root, 8, got);
			report_global(w->rep, "your checkpoint for size %" PRIu64 " has root %s... "
			    "but the ledger's first %" PRIu64 " entries give %s...: the ledger forked "
			    "or was rewritten after you saw it", w->old->size, got, w->old->size,
			    want);
			w->failed = 1;
		} else {
			w->rep->old_checked = 1;
			w->rep->old_size = w->old->size;
		}
	}
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
		report_global(rep, "a checkpoint commits to %" PRIu64 " entries but the ledger "
		    "has %" PRIu64 ": entries were removed from the end (or the checkpoint "
		    "was forged)", w->cp_size, n);
		w->failed = 1;
		return 0;
	}
	if ((r = ledger_node_count(w->l, &nodes)) != 0)
		return r;
	if (nodes != 2 * n - (uint64_t)__builtin_popcountll(n)) {
		report_global(rep, "the Merkle tree holds %" PRIu64 " nodes, %" PRIu64 " entries "
		    "need %" PRIu64 ": entries were removed from the end, or nodes added",
		    nodes, n, 2 * n - (uint64_t)__builtin_popcountll(n));
		w->failed = 1;
		return 0;
	}
	if (n > 0 && (!rep->has_latest || rep->latest_size != n)) {
		if (rep->has_latest)
			report_global(rep, "the latest checkpoint commits to %" PRIu64 " entries, "
			    "the ledger has %" PRIu64 ": the last entries are not covered by a "
			    "signed checkpoint", rep->latest_size, n);
		else
			report_global(rep, "the ledger has %" PRIu64 " entries and no checkpoint",
			    n);
		w->failed = 1;
		return 0;
	}
	if (w->old != NULL && w->old->size > n) {
		report_global(rep, "your checkpoint commits to %" PRIu64 " entries but the "
		    "ledger has only %" PRIu64 ": the ledger was rolled back (entries removed "
		    "from the end)", w->old->size, n);
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
			report_global(rep, "consistency proof from your checkpoint (size %" PRIu64
			    ") to size %" PRIu64 " fails: %s", w->old->size, n, rs_err_detail());
			w->failed = 1;
			return 0;
		}
		rep->consistency_hashes = pn;
	}
	return 0;
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
	static const struct verify_ledger_opts none = { NULL, NULL, 0 };
	struct ledger_iter *it = NULL;
	struct ledger_row *row = NULL;
	struct walk w;
	uint8_t chain[RS_SHA256_LEN], leaf[MERKLE_HASH_LEN];
	uint64_t expected = 0;
	int failed = 0, reading = 0, r = RS_ERR_INTERNAL;

	memset(rep, 0, sizeof(*rep));
	memset(&w, 0, sizeof(w));
	memset(chain, 0, sizeof(chain));        /* genesis: entry 0's previous hash */
	merkle_range_init(&w.cr);
	if (opts == NULL)
		opts = &none;
	w.opts = opts;
	w.rep = rep;
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
			r = rs_fail(r, "your checkpoint: %s", rs_err_detail());
			goto out;
		}
	}
	rep->checkpoint_signatures = checkpoint_trust_count(opts->cp_trust) > 0;
	if ((r = ledger_open(path, 0, &w.l)) != 0 || (r = tpm_replay_new(w.l, gaps, n_gaps, &w.replay)) != 0)
		goto out;
	if (w.old != NULL && strcmp(w.old->origin, ledger_origin(w.l)) != 0) {
		report_global(rep, "your checkpoint is for origin %s, this ledger is %s",
		    w.old->origin, ledger_origin(w.l));
		r = 0;
		goto done;
	}
	/* One snapshot for entries, nodes and checkpoints alike. */
	if ((r = ledger_read_begin(w.l)) != 0)
		goto out;
	reading = 1;
	if ((r = ledger_cp_iter_new(w.l, &w.cps)) != 0 || (r = next_cp(&w)) != 0 ||
	    (r = ledger_iter_new(w.l, 0, &it)) != 0)
		goto out;
	while (!failed) {
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
		if ((r = check_row(row, expected, chain, trust, w.replay, rep, &failed)) != 0)
			goto out;
		if (failed)
			break;
		w.entry = expected;
		/*
		 * The empty tree's checkpoint (size 0) once entry 0 checked out: a
		 * wrong trust file is then reported as the entry it fails on.
		 */
		if (expected == 0 && (r = at_size(&w)) != 0)
			goto out;
		if (w.failed) {
			failed = 1;
			break;
		}
		if ((r = merkle_leaf_hash(row->entry, row->entry_len, leaf)) != 0 ||
		    (r = merkle_range_append(&w.cr, leaf, check_node, &w)) != 0 ||
		    (!w.failed && (r = at_size(&w)) != 0))
			goto out;
		ledger_row_free(row);
		row = NULL;
		if ((failed = w.failed) != 0)
			break;
		expected++;
		rep->entries = expected;
	}
	/* An empty ledger: its only checkpoint is the empty tree's. */
	if (!failed && expected == 0) {
		if ((r = at_size(&w)) != 0)
			goto out;
		failed = w.failed;
	}
	if (!failed) {
		if ((r = check_tail(&w)) != 0)
			goto out;
		failed = w.failed;
	}
	if (!failed) {
		rep->ok = 1;
		rep->reason[0] = '\0';
		if ((r = merkle_range_root(&w.cr, rep->root)) != 0)
			goto out;
	}
	memcpy(rep->head_chain_hash, chain, RS_SHA256_LEN);
done:
	r = 0;
out:
	if (r != 0) {
		/* Could not examine: no verdict at all. */
		memset(rep, 0, sizeof(*rep));
	}
	ledger_row_free(row);
	ledger_iter_free(it);
	ledger_cp_iter_free(w.cps);
	tpm_replay_free(w.replay);
	free(w.cp_note);
	checkpoint_free(w.old);
	if (reading)
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
