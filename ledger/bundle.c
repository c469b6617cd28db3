/*
 * bundle.c - export one entry as a self-contained Bundle (bundle.h).
 *
 * Everything is read in one snapshot, so the entry, the proof and the
 * checkpoint describe the same tree even while other processes append.
 */
#include "ledger/bundle.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "proto/codec.h"

int
bundle_export(struct ledger *l, uint64_t index, uint64_t size, const char *identity,
    const char *vkey, uint8_t **out, size_t *len)
{
	Runseal__V1__Bundle b = RUNSEAL__V1__BUNDLE__INIT;
	Runseal__V1__InclusionProof ip = RUNSEAL__V1__INCLUSION_PROOF__INIT;
	ProtobufCBinaryData hashes[MERKLE_MAX_PROOF];
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	struct ledger_row *row = NULL;
	struct checkpoint *cp = NULL;
	uint8_t *note = NULL;
	size_t note_len = 0, n = 0, i;
	uint64_t cp_size = 0;
	int reading = 0, r = RS_ERR_INTERNAL;

	*out = NULL;
	*len = 0;
	if ((r = ledger_read_begin(l)) != 0)
		goto out;
	reading = 1;
	if (size == 0)
		r = ledger_checkpoint_latest(l, &cp_size, &note, &note_len);
	else if ((r = ledger_checkpoint_get(l, size, &note, &note_len)) == 0)
		cp_size = size;
	if (r != 0) {
		if (r == RS_ERR_NOT_FOUND && size != 0)
			r = rs_fail(r, "no checkpoint for tree size %" PRIu64 " (checkpoints exist "
			    "for the sizes at which appends ended; see runseal checkpoint)", size);
		goto out;
	}
	if (index >= cp_size) {
		r = rs_fail(RS_ERR_USAGE, "entry %" PRIu64 " is not in the tree of size %" PRIu64
		    " that the checkpoint covers", index, cp_size);
		goto out;
	}
	if ((r = ledger_get(l, index, &row)) != 0 ||
	    (r = ledger_prove_inclusion(l, index, cp_size, proof, &n)) != 0)
		goto out;
	/* Self-check against the stored checkpoint before anything leaves. */
	if ((r = checkpoint_parse_unverified(note, note_len, &cp)) != 0 ||
	    (r = merkle_leaf_hash(row->entry, row->entry_len, leaf)) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "stored checkpoint for size %" PRIu64 ": %s (run "
		    "runseal-verify)", cp_size, rs_err_detail());
		goto out;
	}
	if (cp->size != cp_size ||
	    merkle_verify_inclusion(index, cp_size, leaf, &proof[0][0], n, cp->root) != 0) {
		r = rs_fail(RS_ERR_FORMAT, "the stored tree does not prove entry %" PRIu64
		    " under its checkpoint for size %" PRIu64 ": the ledger is damaged (run "
		    "runseal-verify)", index, cp_size);
		goto out;
	}
	for (i = 0; i < n; i++) {
		hashes[i].data = proof[i];
		hashes[i].len = MERKLE_HASH_LEN;
	}
	ip.index = index;
	ip.tree_size = cp_size;
	ip.n_hashes = n;
	ip.hashes = hashes;
	b.version = PROTO_VERSION;
	b.entry.data = row->entry;
	b.entry.len = row->entry_len;
	b.chain_hash.data = row->chain_hash;
	b.chain_hash.len = row->chain_hash_len;
	b.inclusion = &ip;
	b.checkpoint.data = note;
	b.checkpoint.len = note_len;
	if (identity != NULL) {
		b.identity.data = (uint8_t *)(uintptr_t)identity;
		b.identity.len = strlen(identity);
	}
	b.checkpoint_key = (char *)(uintptr_t)(vkey != NULL ? vkey : "");
	if ((r = proto_pack(&b.base, PROTO_MAX_BUNDLE, out, len)) != 0)
		goto out;
	r = 0;
out:
	if (reading)
		ledger_read_end(l);
	checkpoint_free(cp);
	ledger_row_free(row);
	free(note);
	return r;
}
