#include "executor/export_intoto.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/intoto.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/home.h"
#include "executor/cli.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "proto/codec.h"

/*
 * The entry's bundle (ledger/bundle.h) is built first: bundle_export()
 * checks that the stored tree proves the entry under the stored
 * checkpoint, and cli_bundle_for() checks the record signature under the
 * home's software key. The statement takes the proof, checkpoint and chain
 * hash from it.
 */
int
export_intoto(const char *home, struct ledger *l, const struct ledger_row *row,
    uint64_t size, const char *sign_with, char **envelope, size_t *len,
    struct export_intoto_info *info)
{
	uint8_t proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	struct intoto_ledger lg;
	struct intoto_key *key = NULL;
	proto_bundle *b = NULL;
	uint8_t *bundle = NULL, *payload = NULL, *check = NULL;
	char *env = NULL, *key_path = NULL, *pem = NULL, *type = NULL;
	size_t blen = 0, plen = 0, elen = 0, clen = 0, i;
	int has_identity = 0, use_ledger, r = RS_ERR_INTERNAL;

	*envelope = NULL;
	*len = 0;
	memset(info, 0, sizeof(*info));
	if (sign_with != NULL && strcmp(sign_with, "signer") != 0 &&
	    strcmp(sign_with, "ledger") != 0) {
		r = rs_fail(RS_ERR_USAGE, "--sign-with is signer or ledger, not '%s'", sign_with);
		goto out;
	}
	if ((r = cli_bundle_for(home, l, row, size, &bundle, &blen, &has_identity)) != 0 ||
	    (r = proto_bundle_unpack(bundle, blen, &b)) != 0)
		goto out;
	if (b->inclusion == NULL || b->inclusion->n_hashes > MERKLE_MAX_PROOF ||
	    b->chain_hash.len != RS_SHA256_LEN) {
		r = rs_fail(RS_ERR_INTERNAL, "the exported bundle has no proof or chain hash");
		goto out;
	}
	for (i = 0; i < b->inclusion->n_hashes; i++) {
		if (b->inclusion->hashes[i].len != MERKLE_HASH_LEN) {
			r = rs_fail(RS_ERR_INTERNAL, "the exported bundle has a short proof hash");
			goto out;
		}
		memcpy(proof[i], b->inclusion->hashes[i].data, MERKLE_HASH_LEN);
	}
	if (sign_with != NULL && strcmp(sign_with, "signer") == 0 && !has_identity) {
		r = rs_fail(RS_ERR_USAGE, "entry %" PRIu64 " was not signed by this home's "
		    "software key (a TPM attestation key is restricted: it signs only its "
		    "quotes): use --sign-with ledger", row->idx);
		goto out;
	}
	use_ledger = sign_with != NULL ? strcmp(sign_with, "ledger") == 0 : !has_identity;
	if ((key_path = rs_home_path(home, use_ledger ? CHECKPOINT_HOME_KEY :
	    RS_HOME_SIGNER_KEY)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = intoto_key_open(key_path, &key)) != 0)
		goto out;

	memset(&lg, 0, sizeof(lg));
	lg.origin = ledger_origin(l);
	lg.index = row->idx;
	lg.entry = b->entry.data;
	lg.entry_len = b->entry.len;
	lg.chain_hash = b->chain_hash.data;
	lg.tree_size = b->inclusion->tree_size;
	lg.proof = &proof[0][0];
	lg.n_proof = b->inclusion->n_hashes;
	lg.checkpoint = b->checkpoint.data;
	lg.checkpoint_len = b->checkpoint.len;
	if ((r = intoto_statement(&lg, &payload, &plen)) != 0 ||
	    (r = intoto_dsse_sign(key, INTOTO_PAYLOAD_TYPE, payload, plen, &env, &elen)) != 0 ||
	    (r = intoto_key_public_pem(key, &pem)) != 0)
		goto out;
	/* Check our own work: the envelope verifies and carries the statement. */
	if ((r = intoto_dsse_verify(env, elen, pem, &type, &check, &clen)) != 0 ||
	    strcmp(type, INTOTO_PAYLOAD_TYPE) != 0 || clen != plen ||
	    memcmp(check, payload, plen) != 0) {
		r = rs_fail(RS_ERR_INTERNAL, "the DSSE envelope does not verify under its own "
		    "key: %s", r != 0 ? rs_err_detail() : "payload differs");
		goto out;
	}
	snprintf(info->key, sizeof(info->key), "%s", use_ledger ? "ledger" : "signer");
	snprintf(info->alg, sizeof(info->alg), "%s", intoto_key_alg(key));
	snprintf(info->keyid, sizeof(info->keyid), "%s", intoto_key_id(key));
	info->public_pem = pem;
	pem = NULL;
	*envelope = env;
	*len = elen;
	env = NULL;
	r = 0;
out:
	free(type);
	free(check);
	free(pem);
	free(env);
	free(payload);
	free(key_path);
	intoto_key_free(key);
	proto_bundle_free(b);
	free(bundle);
	return r;
}
