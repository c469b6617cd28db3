/*
 * verify_proof.c - check a proof printed by `runseal prove --json` against
 * the signed checkpoints it carries, trusting only the auditor's keys.
 *
 * Inclusion (schema runseal-proof/v1, type "inclusion"): the checkpoint is
 * signed by a trusted checkpoint key; its size is the proof's tree_size;
 * the RFC 9162 inclusion proof leads from leaf_hash at index to its root
 * (and root_hash, if given, is that root).
 *
 * Consistency (type "consistency"): both checkpoints are signed by trusted
 * keys and speak for the same origin; their sizes are old_size and
 * new_size; the RFC 9162 consistency proof links their roots.
 *
 * Everything in the file is untrusted: sizes are bounded, every hash must
 * be padded base64 of exactly 32 bytes, at most MERKLE_MAX_PROOF of them.
 */
#include "verifier/verify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/encode.h"
#include "common/err.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"

#define PROOF_JSON_MAX (64 * 1024)

static void
proof_failure(struct verify_proof_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
proof_failure(struct verify_proof_report *rep, const char *fmt, ...)
{
	va_list ap;

	rep->ok = 0;
	va_start(ap, fmt);
	vsnprintf(rep->reason, sizeof(rep->reason), fmt, ap);
	va_end(ap);
}

/* A non-negative integer member, or -1 with a failure recorded. */
static int
get_size(struct verify_proof_report *rep, json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		proof_failure(rep, "malformed proof: \"%s\" is not a non-negative integer", key);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* A 32-byte hash as padded base64. */
static int
get_hash(struct verify_proof_report *rep, json_t *v, const char *what,
    uint8_t out[MERKLE_HASH_LEN])
{
	uint8_t *raw = NULL;
	size_t len = 0;
	int ok;

	if (!json_is_string(v) || rs_base64_decode(json_string_value(v),
	    json_string_length(v), &raw, &len) != 0 || len != MERKLE_HASH_LEN) {
		free(raw);
		proof_failure(rep, "malformed proof: %s is not the base64 of 32 bytes", what);
		return -1;
	}
	memcpy(out, raw, MERKLE_HASH_LEN);
	free(raw);
	ok = 0;
	return ok;
}

static int
get_hashes(struct verify_proof_report *rep, json_t *o, uint8_t *proof, size_t *n)
{
	json_t *a = json_object_get(o, "hashes"), *v;
	char what[48];
	size_t i;

	*n = 0;
	if (!json_is_array(a)) {
		proof_failure(rep, "malformed proof: no \"hashes\" array");
		return -1;
	}
	if (json_array_size(a) > MERKLE_MAX_PROOF) {
		proof_failure(rep, "proof has %zu hashes, more than any tree needs (%d)",
		    json_array_size(a), MERKLE_MAX_PROOF);
		return -1;
	}
	json_array_foreach(a, i, v) {
		snprintf(what, sizeof(what), "proof hash %zu", i);
		if (get_hash(rep, v, what, proof + i * MERKLE_HASH_LEN) != 0)
			return -1;
	}
	*n = json_array_size(a);
	return 0;
}

/*
 * The signed checkpoint under key, verified. 0 and *out on success; -1
 * with a failure recorded; a negative RS_ERR_* if it could not be checked.
 */
static int
get_checkpoint(struct verify_proof_report *rep, json_t *o, const char *key,
    const struct checkpoint_trust *cp_trust, struct checkpoint **out)
{
	json_t *v = json_object_get(o, key);
	int r;

	*out = NULL;
	if (!json_is_string(v)) {
		proof_failure(rep, "the proof carries no signed checkpoint (\"%s\"): nothing to "
		    "check it against (only sizes that ended an append have one)", key);
		return -1;
	}
	if ((r = checkpoint_open((const uint8_t *)json_string_value(v), json_string_length(v),
	    cp_trust, out)) != 0) {
		if (r != RS_ERR_FORMAT && r != RS_ERR_VERIFY && r != RS_ERR_TOO_LARGE)
			return r;
		proof_failure(rep, "%s: %s", key, rs_err_detail());
		return -1;
	}
	return 0;
}

int
verify_proof_json(const char *text, size_t len, const struct checkpoint_trust *cp_trust,
    struct verify_proof_report *rep)
{
	struct checkpoint *c1 = NULL, *c2 = NULL;
	json_error_t jerr;
	json_t *o = NULL, *v;
	uint8_t proof[MERKLE_MAX_PROOF * MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	uint8_t root[MERKLE_HASH_LEN];
	const char *type;
	size_t n = 0;
	int r = RS_ERR_INTERNAL, rc;

	memset(rep, 0, sizeof(*rep));
	if (checkpoint_trust_count(cp_trust) == 0) {
		r = rs_fail(RS_ERR_USAGE, "verifying a proof needs a trusted checkpoint key");
		goto out;
	}
	if (len > PROOF_JSON_MAX) {
		r = rs_fail(RS_ERR_TOO_LARGE, "proof of %zu bytes, more than %d", len,
		    PROOF_JSON_MAX);
		goto out;
	}
	if ((o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(o)) {
		proof_failure(rep, "malformed proof: not a JSON object%s%s", o == NULL ? ": " : "",
		    o == NULL ? jerr.text : "");
		goto done;
	}
	v = json_object_get(o, "schema");
	if (!json_is_string(v) || strcmp(json_string_value(v), "runseal-proof/v1") != 0) {
		proof_failure(rep, "malformed proof: schema is not runseal-proof/v1");
		goto done;
	}
	v = json_object_get(o, "type");
	type = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(type, "inclusion") == 0) {
		if (get_size(rep, o, "index", &rep->index) != 0 ||
		    get_size(rep, o, "tree_size", &rep->size) != 0 ||
		    get_hash(rep, json_object_get(o, "leaf_hash"), "leaf_hash", leaf) != 0 ||
		    get_hashes(rep, o, proof, &n) != 0)
			goto done;
		if ((rc = get_checkpoint(rep, o, "checkpoint", cp_trust, &c1)) != 0) {
			if (rc != -1) {
				r = rc;
				goto out;
			}
			goto done;
		}
		if (c1->size != rep->size) {
			proof_failure(rep, "the proof is for tree size %" PRIu64 " but its checkpoint "
			    "is for size %" PRIu64, rep->size, c1->size);
			goto done;
		}
		if ((v = json_object_get(o, "root_hash")) != NULL) {
			if (get_hash(rep, v, "root_hash", root) != 0)
				goto done;
			if (memcmp(root, c1->root, MERKLE_HASH_LEN) != 0) {
				proof_failure(rep, "the proof's root_hash is not its checkpoint's root");
				goto done;
			}
		}
		if ((r = merkle_verify_inclusion(rep->index, rep->size, leaf, proof, n,
		    c1->root)) != 0) {
			if (r != RS_ERR_VERIFY)
				goto out;
			proof_failure(rep, "%s", rs_err_detail());
			goto done;
		}
		snprintf(rep->origin, sizeof(rep->origin), "%s", c1->origin);
	} else if (strcmp(type, "consistency") == 0) {
		rep->consistency = 1;
		if (get_size(rep, o, "old_size", &rep->old_size) != 0 ||
		    get_size(rep, o, "new_size", &rep->size) != 0 ||
		    get_hashes(rep, o, proof, &n) != 0)
			goto done;
		if ((rc = get_checkpoint(rep, o, "old_checkpoint", cp_trust, &c1)) != 0 ||
		    (rc = get_checkpoint(rep, o, "new_checkpoint", cp_trust, &c2)) != 0) {
			if (rc != -1) {
				r = rc;
				goto out;
			}
			goto done;
		}
		if (strcmp(c1->origin, c2->origin) != 0) {
			proof_failure(rep, "the two checkpoints are for different logs (%s, %s)",
			    c1->origin, c2->origin);
			goto done;
		}
		if (c1->size != rep->old_size || c2->size != rep->size) {
			proof_failure(rep, "the proof is for sizes %" PRIu64 " to %" PRIu64 " but its "
			    "checkpoints are for sizes %" PRIu64 " and %" PRIu64, rep->old_size,
			    rep->size, c1->size, c2->size);
			goto done;
		}
		if ((r = merkle_verify_consistency(rep->old_size, rep->size, proof, n, c1->root,
		    c2->root)) != 0) {
			if (r != RS_ERR_VERIFY)
				goto out;
			proof_failure(rep, "%s", rs_err_detail());
			goto done;
		}
		snprintf(rep->origin, sizeof(rep->origin), "%s", c1->origin);
	} else {
		proof_failure(rep, "malformed proof: type is neither inclusion nor consistency");
		goto done;
	}
	rep->ok = 1;
	rep->hashes = n;
done:
	r = 0;
out:
	if (r != 0)
		memset(rep, 0, sizeof(*rep));
	checkpoint_free(c1);
	checkpoint_free(c2);
	json_decref(o);
	return r;
}
