/*
 * verify_bundle.c - check one bundle (docs/bundle.md) offline, trusting
 * only the auditor's trust file.
 *
 * Checks, in order; the first failure is the verdict:
 *
 *   1. the bundle parses (bounded, no trailing or unknown bytes), version 1,
 *      with an entry, an inclusion proof and a checkpoint
 *   2. the checkpoint is a signed note signed by a trusted checkpoint key,
 *      whose name is the checkpoint's origin (checkpoint.h)
 *   3. the proof's tree size is the checkpoint's size; every proof hash is
 *      32 bytes
 *   4. the RFC 9162 inclusion proof leads from SHA-256(0x00 || entry bytes)
 *      to the checkpoint's root at the proof's index; then the entry
 *      parses and its own index is that index
 *   5. the stored chain hash follows from the entry (chain of its
 *      prev_chain_hash and the entry digest)
 *   6. the envelope's signature verifies against the trusted signer keys
 *   7. identity material, if any, is exactly the key that signed (software
 *      keys); the checkpoint key, if any, is the key that signed the
 *      checkpoint
 */
#include "verifier/verify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "attest/signer.h"
#include "common/err.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "proto/codec.h"

static void
bundle_failure(struct verify_bundle_report *rep, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the failure of check (static text); fmt is the whole reason. */
static void
bundle_failure(struct verify_bundle_report *rep, const char *check, const char *fmt, ...)
{
	va_list ap;

	rep->ok = 0;
	rep->failed_check = check;
	va_start(ap, fmt);
	vsnprintf(rep->reason, sizeof(rep->reason), fmt, ap);
	va_end(ap);
}

/* 1 if pem is exactly one public key as OpenSSL writes it (nothing added or altered). */
static int
pem_is_canonical(const uint8_t *pem, size_t len)
{
	EVP_PKEY *k = NULL;
	BIO *in = NULL, *out = NULL;
	char *again = NULL;
	long n = 0;
	int ok = 0;

	if (len > INT32_MAX || (in = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (k = PEM_read_bio_PUBKEY(in, NULL, NULL, NULL)) == NULL ||
	    (out = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_PUBKEY(out, k) != 1 ||
	    (n = BIO_get_mem_data(out, &again)) <= 0)
		goto out;
	ok = (size_t)n == len && memcmp(again, pem, len) == 0;
out:
	ERR_clear_error();
	BIO_free(in);
	BIO_free(out);
	EVP_PKEY_free(k);
	return ok;
}

static int
evidence_error(int err)
{
	return err == RS_ERR_FORMAT || err == RS_ERR_TOO_LARGE || err == RS_ERR_VERIFY;
}

int
verify_bundle(const uint8_t *buf, size_t len, const struct attest_trust *trust,
    const struct checkpoint_trust *cp_trust, struct verify_bundle_report *rep)
{
	proto_bundle *b = NULL;
	proto_entry *e = NULL;
	struct checkpoint *cp = NULL;
	struct attest_trust *id_trust = NULL;
	struct checkpoint_trust *key_trust = NULL;
	struct checkpoint *cp2 = NULL;
	struct attest_verdict v;
	uint8_t *proof = NULL, leaf[MERKLE_HASH_LEN], digest[RS_SHA256_LEN];
	uint8_t chain[RS_SHA256_LEN];
	size_t i, n;
	int r = RS_ERR_INTERNAL;

	memset(rep, 0, sizeof(*rep));
	if (trust == NULL || checkpoint_trust_count(cp_trust) == 0) {
		r = rs_fail(RS_ERR_USAGE, "verifying a bundle needs trusted signer keys and a "
		    "trusted checkpoint key (a runseal-checkpoint-key line in the trust file)");
		goto out;
	}
	/* 1. */
	if ((r = proto_bundle_unpack(buf, len, &b)) != 0) {
		if (!evidence_error(r))
			goto out;
		bundle_failure(rep, "bundle", "malformed bundle: %s", rs_err_detail());
		goto done;
	}
	if (b->entry.len == 0 || b->inclusion == NULL || b->checkpoint.len == 0) {
		bundle_failure(rep, "bundle", "malformed bundle: the entry, the inclusion proof or the "
		    "checkpoint is missing");
		goto done;
	}
	/* 2. */
	if ((r = checkpoint_open(b->checkpoint.data, b->checkpoint.len, cp_trust, &cp)) != 0) {
		if (!evidence_error(r))
			goto out;
		bundle_failure(rep, "checkpoint", "checkpoint: %s", rs_err_detail());
		goto done;
	}
	/* 3. The proof's shape. */
	if (b->inclusion->tree_size != cp->size) {
		bundle_failure(rep, "inclusion", "the inclusion proof is for tree size %" PRIu64 " but the "
		    "checkpoint is for size %" PRIu64, b->inclusion->tree_size, cp->size);
		goto done;
	}
	if ((n = b->inclusion->n_hashes) > MERKLE_MAX_PROOF) {
		bundle_failure(rep, "inclusion", "inclusion proof has %zu hashes, more than any tree needs "
		    "(%d)", n, MERKLE_MAX_PROOF);
		goto done;
	}
	if ((proof = malloc(n * MERKLE_HASH_LEN + 1)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (b->inclusion->hashes[i].len != MERKLE_HASH_LEN) {
			bundle_failure(rep, "inclusion", "inclusion proof hash %zu is %zu bytes, not 32", i,
			    b->inclusion->hashes[i].len);
			goto done;
		}
		memcpy(proof + i * MERKLE_HASH_LEN, b->inclusion->hashes[i].data, MERKLE_HASH_LEN);
	}
	/*
	 * 4. Inclusion of the bytes as given, before they are parsed: the leaf is
	 * SHA-256(0x00 || bytes), so no interior node (0x01) can pass for one.
	 */
	if ((r = merkle_leaf_hash(b->entry.data, b->entry.len, leaf)) != 0)
		goto out;
	if ((r = merkle_verify_inclusion(b->inclusion->index, cp->size, leaf, proof, n,
	    cp->root)) != 0) {
		if (r != RS_ERR_VERIFY)
			goto out;
		bundle_failure(rep, "inclusion", "the bundled entry is not proved at index %" PRIu64 " in the "
		    "checkpoint of %s: %s", b->inclusion->index, cp->origin, rs_err_detail());
		goto done;
	}
	if ((r = proto_entry_unpack(b->entry.data, b->entry.len, &e)) != 0) {
		if (!evidence_error(r))
			goto out;
		bundle_failure(rep, "bundle", "malformed entry: %s", rs_err_detail());
		goto done;
	}
	if (e->index != b->inclusion->index) {
		bundle_failure(rep, "inclusion", "the entry says it is entry %" PRIu64 " but it is proved at "
		    "index %" PRIu64, e->index, b->inclusion->index);
		goto done;
	}
	/* 5. */
	if ((r = ledger_entry_digest(b->entry.data, b->entry.len, digest)) != 0)
		goto out;
	if (e->prev_chain_hash.len != RS_SHA256_LEN || b->chain_hash.len != RS_SHA256_LEN ||
	    (r = ledger_chain_next(e->prev_chain_hash.data, digest, chain)) != 0 ||
	    !rs_ct_equal(chain, b->chain_hash.data, RS_SHA256_LEN)) {
		if (r != 0 && r != RS_ERR_INTERNAL && !evidence_error(r))
			goto out;
		bundle_failure(rep, "chain", "entry %" PRIu64 ": the bundle's chain hash does not follow "
		    "from the entry", e->index);
		goto done;
	}
	/* 6. */
	if ((r = attest_envelope_verify(e->envelope.data, e->envelope.len, trust, &v,
	    NULL)) != 0) {
		if (!evidence_error(r))
			goto out;
		bundle_failure(rep, "signature", "entry %" PRIu64 ": %s", e->index, rs_err_detail());
		goto done;
	}
	/*
	 * 7. What the bundle carries besides the evidence is informational (the
	 * verifier trusts only the trust file), but must not be altered or name
	 * someone else: the identity is exactly the canonical PEM of the key
	 * that signed, the checkpoint key a well-formed verifier key under which
	 * the checkpoint verifies too.
	 */
	if (b->identity.len > 0 && v.signer_kind == ATTEST_SIGNER_SOFTWARE) {
		if (attest_trust_from_pem((const char *)b->identity.data, b->identity.len,
		    &id_trust) != 0 ||
		    attest_envelope_verify(e->envelope.data, e->envelope.len, id_trust, &v,
		    NULL) != 0 || !pem_is_canonical(b->identity.data, b->identity.len)) {
			bundle_failure(rep, "identity", "entry %" PRIu64 ": the bundle's identity material is "
			    "not the key that signed the entry", e->index);
			goto done;
		}
	}
	if (b->checkpoint_key != NULL && b->checkpoint_key[0] != '\0') {
		if (checkpoint_trust_new(&key_trust) != 0) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		if (checkpoint_trust_add_vkey(key_trust, b->checkpoint_key,
		    strlen(b->checkpoint_key)) != 0 ||
		    checkpoint_open(b->checkpoint.data, b->checkpoint.len, key_trust, &cp2) != 0) {
			bundle_failure(rep, "identity", "the bundle's checkpoint key is not the key that signed "
			    "its checkpoint");
			goto done;
		}
	}
	rep->ok = 1;
	rep->index = e->index;
	rep->tree_size = cp->size;
	snprintf(rep->origin, sizeof(rep->origin), "%s", cp->origin);
	memcpy(rep->root, cp->root, MERKLE_HASH_LEN);
	memcpy(rep->record_digest, v.record_digest, RS_SHA256_LEN);
	rep->signer_kind = v.signer_kind;
	rep->root_of_trust = v.root_of_trust;
	rep->proof_hashes = n;
done:
	r = 0;
out:
	if (r != 0)
		memset(rep, 0, sizeof(*rep));
	attest_trust_free(id_trust);
	checkpoint_trust_free(key_trust);
	checkpoint_free(cp2);
	free(proof);
	checkpoint_free(cp);
	proto_entry_free(e);
	proto_bundle_free(b);
	return r;
}
